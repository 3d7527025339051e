"""ID numbers encrypted at rest: every existing number is encrypted under the newest key of
YISHEN_ID_KEYS and hashed with YISHEN_ID_HASH_KEY (accounts/idcrypt.py), in batches, then the
clear column goes (0006, its own transaction: PostgreSQL alters no table with
updates pending in the same one). Reversible (decrypts back) while the keys are configured."""

from django.db import migrations, models

from accounts.idcrypt import id_no_decrypt, id_no_digest, id_no_encrypt

BATCH = 2000


def _batches(Candidate):
    last = 0
    while True:
        rows = list(Candidate.objects.filter(pk__gt=last).order_by("pk")[:BATCH])
        if not rows:
            return
        yield rows
        last = rows[-1].pk


def encrypt(apps, schema_editor):
    Candidate = apps.get_model("accounts", "Candidate")
    for rows in _batches(Candidate):
        for row in rows:
            row.id_no_cipher = id_no_encrypt(row.id_no)
            row.id_no_hash = id_no_digest(row.id_no)
        Candidate.objects.bulk_update(rows, ["id_no_cipher", "id_no_hash"])


def decrypt(apps, schema_editor):
    Candidate = apps.get_model("accounts", "Candidate")
    for rows in _batches(Candidate):
        for row in rows:
            row.id_no = id_no_decrypt(row.id_no_cipher)
        Candidate.objects.bulk_update(rows, ["id_no"])


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_staff_account_proxy"),
    ]

    operations = [
        migrations.AddField(
            model_name="candidate",
            name="id_no_cipher",
            field=models.CharField(
                blank=True, editable=False, max_length=200, verbose_name="证件号码（密文）"
            ),
        ),
        migrations.AddField(
            model_name="candidate",
            name="id_no_hash",
            field=models.CharField(
                blank=True, editable=False, max_length=64, verbose_name="证件号码摘要"
            ),
        ),
        # A default for the way back (the column is re-added before the numbers return).
        migrations.AlterField(
            model_name="candidate",
            name="id_no",
            field=models.CharField(default="", max_length=32, verbose_name="证件号码"),
        ),
        migrations.RunPython(encrypt, decrypt, elidable=False),
    ]
