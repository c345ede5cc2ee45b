from django.db import migrations
from django.db.models import F, OuterRef, Subquery


def plan_year_after_rembuk(apps, schema_editor):
    """Lines entered before plan years existed were meant for the year after their rembuk."""
    PlanItem = apps.get_model("rembuk", "PlanItem")
    RembukSession = apps.get_model("rembuk", "RembukSession")
    year = RembukSession._base_manager.filter(pk=OuterRef("session_id")).values("year")
    PlanItem._base_manager.update(plan_year=Subquery(year[:1]))
    PlanItem._base_manager.update(plan_year=F("plan_year") + 1)


class Migration(migrations.Migration):
    dependencies = [
        ("rembuk", "0006_plan_item_year_and_code"),
    ]

    operations = [
        migrations.RunPython(plan_year_after_rembuk, migrations.RunPython.noop),
    ]
