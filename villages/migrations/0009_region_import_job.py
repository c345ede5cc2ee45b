"""A region import's status, summary and errors move to its job (documents.Job)."""

import django.db.models.deletion
from django.db import migrations, models


def forwards(apps, schema_editor):
    RegionImport = apps.get_model("villages", "RegionImport")
    Job = apps.get_model("documents", "Job")
    for old in RegionImport.objects.all():
        job = Job.objects.create(
            kind="region_import",
            district=None,
            requested_by_id=old.created_by_id,
            payload={"import": str(old.pk)},
            status=old.status,
            progress=100 if old.status in ("done", "failed") else 0,
            message=old.summary,
            result={"errors": old.errors} if old.errors else {},
            attempts=0 if old.status == "queued" else 1,
            created_at=old.created_at,
            sent_at=old.created_at,
            finished_at=old.finished_at,
        )
        RegionImport.objects.filter(pk=old.pk).update(job=job)


class Migration(migrations.Migration):
    dependencies = [
        ("villages", "0008_reporting_moves_out"),
        ("documents", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="regionimport",
            name="job",
            field=models.OneToOneField(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="documents.job",
            ),
        ),
        # the old columns go in the next migration (PostgreSQL keeps this one's foreign-key
        # checks pending until the end of its transaction)
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
