"""The indicator catalogue the portal ships with (Perpres 72/2021) and the national series and
targets; the texts live in outcomes/catalogues/*.json."""

from django.db import migrations

from outcomes.catalogue import MODEL_NAMES, SHIPPED, ensure_catalogues


def load(apps, schema_editor):
    ensure_catalogues({name: apps.get_model("outcomes", name) for name in MODEL_NAMES})


def unload(apps, schema_editor):
    apps.get_model("outcomes", "NationalFigure").objects.all().delete()
    apps.get_model("outcomes", "Indicator").objects.filter(catalogue__code__in=SHIPPED).delete()
    apps.get_model("outcomes", "Catalogue").objects.filter(code__in=SHIPPED).delete()


class Migration(migrations.Migration):
    dependencies = [("outcomes", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
