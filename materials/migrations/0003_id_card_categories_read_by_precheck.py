from django.db import migrations


def read_id_cards(apps, schema_editor):
    # The resident ID card category of the national template and of every province copy.
    MaterialCategory = apps.get_model("materials", "MaterialCategory")
    MaterialCategory.objects.filter(code="id-card").update(precheck="id_card")


class Migration(migrations.Migration):
    dependencies = [("materials", "0002_precheck_results_and_hints")]

    operations = [migrations.RunPython(read_id_cards, migrations.RunPython.noop)]
