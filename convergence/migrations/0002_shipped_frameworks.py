"""The two frameworks the portal ships with: the 8 aksi (2018 guidance, years up to 2024) and
the 2025 model. Their texts live in convergence/frameworks/*.json."""

from django.db import migrations

SHIPPED = ("8-aksi-2018", "model-2025")


def load(apps, schema_editor):
    from convergence.definitions import ensure_shipped_frameworks

    models = {
        name: apps.get_model("convergence", name)
        for name in ("Framework", "Action", "DeliverableTemplate", "Indicator", "GradeOption")
    }
    ensure_shipped_frameworks(models)


def unload(apps, schema_editor):
    apps.get_model("convergence", "Framework").objects.filter(code__in=SHIPPED).delete()


class Migration(migrations.Migration):
    dependencies = [("convergence", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
