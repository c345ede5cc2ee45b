"""The two frameworks the portal ships with: the 8 aksi (2018 guidance, years up to 2024) and
the 2025 model. Their texts live in convergence/frameworks/*.json."""

from django.db import migrations
from django.utils import timezone

SHIPPED = ("8-aksi-2018", "model-2025")


def load(apps, schema_editor):
    from convergence.definitions import create_framework, shipped_definition, validate_definition

    models = {
        name: apps.get_model("convergence", name)
        for name in ("Framework", "Action", "DeliverableTemplate", "Indicator", "GradeOption")
    }
    for code in SHIPPED:
        if models["Framework"].objects.filter(code=code).exists():
            continue
        data = shipped_definition(code)
        errors = validate_definition(data)
        if errors:
            raise ValueError(f"{code}: {errors}")
        create_framework(data, models=models, status="published", published_at=timezone.now())


def unload(apps, schema_editor):
    apps.get_model("convergence", "Framework").objects.filter(code__in=SHIPPED).delete()


class Migration(migrations.Migration):
    dependencies = [("convergence", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
