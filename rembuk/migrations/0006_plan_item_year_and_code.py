import django.core.validators
from django.db import migrations, models
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
        ("rembuk", "0005_stored_file_base"),
    ]

    operations = [
        migrations.AddField(
            model_name="planitem",
            name="plan_year",
            field=models.PositiveSmallIntegerField(null=True, verbose_name="tahun rencana"),
        ),
        migrations.RunPython(plan_year_after_rembuk, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="planitem",
            name="plan_year",
            field=models.PositiveSmallIntegerField(verbose_name="tahun rencana"),
        ),
        migrations.AddField(
            model_name="planitem",
            name="programme_code",
            field=models.CharField(
                blank=True,
                max_length=40,
                validators=[
                    django.core.validators.RegexValidator(
                        "^[0-9X]{1,2}(\\.[0-9X]{1,4}){1,5}$",
                        "Tulis kode nomenklatur dengan titik, misalnya 1.02.02.2.02.0005.",
                    )
                ],
                verbose_name="kode program/kegiatan/subkegiatan",
            ),
        ),
    ]
