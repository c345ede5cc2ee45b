"""A region import's status, summary and errors move to its job (documents.Job)."""

import django.db.models.deletion
from django.db import migrations, models


def forwards(apps, schema_editor):
    RegionImport = apps.get_model("villages", "RegionImport")
    Job = apps.get_model("documents", "Job")
    for old in RegionImport.objects.all():
        # a list that had not run (or stopped) before the upgrade is not run late by the
        # sweep: it could undo a newer list imported since; the page asks for it again
        unfinished = old.status in ("queued", "running")
        job = Job.objects.create(
            kind="region_import",
            district=None,
            requested_by_id=old.created_by_id,
            payload={"import": str(old.pk)},
            status="failed" if unfinished else old.status,
            progress=100 if old.status in ("done", "failed") else 0,
            message=(
                "tidak selesai sebelum pembaruan portal; unggah lagi bila masih diperlukan"
                if unfinished
                else old.summary
            ),
            result={"errors": old.errors} if old.errors else {},
            attempts=0 if old.status == "queued" else 1,
            created_at=old.created_at,
            sent_at=old.created_at,
            finished_at=old.finished_at or (old.created_at if unfinished else None),
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
