"""The two frameworks the portal ships with: the 8 aksi (2018 guidance, years up to 2024) and
the 2025 model. Their texts live in convergence/frameworks/*.json."""

from django.db import migrations

from convergence.definitions import MODEL_NAMES, SHIPPED, ensure_shipped_frameworks


def load(apps, schema_editor):
    ensure_shipped_frameworks({name: apps.get_model("convergence", name) for name in MODEL_NAMES})


def unload(apps, schema_editor):
    apps.get_model("convergence", "Framework").objects.filter(code__in=SHIPPED).delete()


class Migration(migrations.Migration):
    dependencies = [("convergence", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
