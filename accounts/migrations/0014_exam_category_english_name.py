"""The exam categories get an English name; the shipped ones are named (accounts/exam_categories.py)."""

from django.db import migrations, models


def name_in_english(apps, schema_editor):
    # The shipped names have one home, beside the table they name (as in 0003).
    from accounts.exam_categories import name_exam_categories_in_english

    name_exam_categories_in_english(apps.get_model("accounts", "ExamCategory"))


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0013_roster_mobile_and_reminder_settings'),
    ]

    operations = [
        migrations.AddField(
            model_name='examcategory',
            name='name_en',
            field=models.CharField(blank=True, help_text='使用英文界面的考生和审核人员看到的名称；留空时显示中文名称。', max_length=100, verbose_name='报考类别（英文）'),
        ),
        migrations.RunPython(name_in_english, migrations.RunPython.noop),
    ]
