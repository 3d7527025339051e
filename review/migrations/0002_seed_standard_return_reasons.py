from django.db import migrations

# A copy, not an import: a migration must not change when the code does.
REASONS = (
    "图片不清晰",
    "图片不完整或被裁切",
    "证件已过期",
    "材料类型不符",
    "缺少反面",
    "信息与报名信息不一致",
    "印章不符合要求",
    "缺少首次注册证明",
)


def seed(apps, schema_editor):
    ReturnReason = apps.get_model("review", "ReturnReason")
    for order, text in enumerate(REASONS, start=1):
        ReturnReason.objects.get_or_create(
            province=None, text=text, defaults={"order": order * 10}
        )


def unseed(apps, schema_editor):
    ReturnReason = apps.get_model("review", "ReturnReason")
    ReturnReason.objects.filter(province=None, text__in=REASONS).delete()


class Migration(migrations.Migration):
    dependencies = [("review", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
