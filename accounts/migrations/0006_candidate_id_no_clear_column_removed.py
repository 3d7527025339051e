from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_candidate_id_no_encrypted"),
    ]

    operations = [
        migrations.RemoveField(model_name="candidate", name="id_no"),
        migrations.AddIndex(
            model_name="candidate",
            index=models.Index(fields=["id_no_hash"], name="candidate_id_no_hash"),
        ),
    ]
