"""Every installation gets the national table of exam categories (accounts/exam_categories.py)."""

from django.db import migrations


def install(apps, schema_editor):
    from accounts.exam_categories import install_exam_categories

    install_exam_categories(apps.get_model("accounts", "ExamCategory"))


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_candidate_event"),
    ]

    operations = [
        migrations.RunPython(install, migrations.RunPython.noop),
    ]
