"""Focus villages and the village reports move to their own app, village_reports: only the
migration state moves, the tables keep their names (the models set db_table), and the content
types follow them."""

from django.db import migrations

MOVED = [
    "focusdecree",
    "focusvillage",
    "focusimport",
    "reportperiod",
    "villagereport",
    "reportevent",
    "reportfile",
    "villagereminder",
]


def move_content_types(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="villages", model__in=MOVED).update(
        app_label="village_reports"
    )


def move_back(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="village_reports", model__in=MOVED).update(
        app_label="villages"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("villages", "0007_village_profile"),
        ("village_reports", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveConstraint(
                    model_name='focusdecree',
                    name='focus_decree_unique_year',
                ),
                migrations.RemoveField(
                    model_name='focusimport',
                    name='created_by',
                ),
                migrations.RemoveField(
                    model_name='focusimport',
                    name='district',
                ),
                migrations.RemoveConstraint(
                    model_name='focusvillage',
                    name='focus_village_unique',
                ),
                migrations.RemoveField(
                    model_name='reportevent',
                    name='actor',
                ),
                migrations.RemoveField(
                    model_name='reportevent',
                    name='district',
                ),
                migrations.RemoveField(
                    model_name='reportevent',
                    name='report',
                ),
                migrations.RemoveField(
                    model_name='reportfile',
                    name='district',
                ),
                migrations.RemoveField(
                    model_name='reportfile',
                    name='report',
                ),
                migrations.RemoveField(
                    model_name='reportfile',
                    name='uploaded_by',
                ),
                migrations.RemoveConstraint(
                    model_name='reportperiod',
                    name='report_period_unique',
                ),
                migrations.RemoveConstraint(
                    model_name='villagereminder',
                    name='village_reminder_once',
                ),
                migrations.RemoveIndex(
                    model_name='villagereport',
                    name='villages_vi_period__17a5f7_idx',
                ),
                migrations.RemoveConstraint(
                    model_name='villagereport',
                    name='village_report_unique_version',
                ),
                migrations.RemoveConstraint(
                    model_name='villagereport',
                    name='village_report_one_open',
                ),
                migrations.RemoveField(
                    model_name='focusdecree',
                    name='district',
                ),
                migrations.RemoveField(
                    model_name='focusdecree',
                    name='updated_by',
                ),
                migrations.DeleteModel(
                    name='FocusImport',
                ),
                migrations.RemoveField(
                    model_name='focusvillage',
                    name='decree',
                ),
                migrations.RemoveField(
                    model_name='focusvillage',
                    name='district',
                ),
                migrations.RemoveField(
                    model_name='focusvillage',
                    name='village',
                ),
                migrations.DeleteModel(
                    name='ReportEvent',
                ),
                migrations.DeleteModel(
                    name='ReportFile',
                ),
                migrations.RemoveField(
                    model_name='reportperiod',
                    name='district',
                ),
                migrations.RemoveField(
                    model_name='villagereminder',
                    name='period',
                ),
                migrations.RemoveField(
                    model_name='villagereminder',
                    name='village',
                ),
                migrations.RemoveField(
                    model_name='villagereport',
                    name='created_by',
                ),
                migrations.RemoveField(
                    model_name='villagereport',
                    name='decided_by',
                ),
                migrations.RemoveField(
                    model_name='villagereport',
                    name='district',
                ),
                migrations.RemoveField(
                    model_name='villagereport',
                    name='period',
                ),
                migrations.RemoveField(
                    model_name='villagereport',
                    name='updated_by',
                ),
                migrations.RemoveField(
                    model_name='villagereport',
                    name='village',
                ),
                migrations.DeleteModel(
                    name='FocusDecree',
                ),
                migrations.DeleteModel(
                    name='FocusVillage',
                ),
                migrations.DeleteModel(
                    name='VillageReminder',
                ),
                migrations.DeleteModel(
                    name='ReportPeriod',
                ),
                migrations.DeleteModel(
                    name='VillageReport',
                ),
    
            ],
        ),
        migrations.RunPython(move_content_types, move_back),
    ]
