"""Final PDFs become generated documents (documents.GeneratedDocument) and rendering jobs
become jobs (documents.Job). The stored files stay where they are: the generated document
points at the same file, with the same SHA-256, so verification tokens and hashes keep
working."""

import django.db.models.deletion
from django.db import migrations, models


def forwards(apps, schema_editor):
    DocumentVersion = apps.get_model("commitments", "DocumentVersion")
    RenderJob = apps.get_model("commitments", "RenderJob")
    GeneratedDocument = apps.get_model("documents", "GeneratedDocument")
    Job = apps.get_model("documents", "Job")
    for version in DocumentVersion.objects.exclude(pdf_sha256="").exclude(pdf=""):
        final = GeneratedDocument.objects.create(
            kind="commitment",
            district_id=version.district_id,
            source_type="commitments.documentversion",
            source_id=str(version.pk),
            version=version.number,
            created_at=version.pdf_rendered_at or version.created_at,
            file=version.pdf.name,
            sha256=version.pdf_sha256,
            size=version.pdf_size or 0,
        )
        DocumentVersion.objects.filter(pk=version.pk).update(final=final)
    for old in RenderJob.objects.all():
        Job.objects.create(
            id=old.id,
            kind="commitment_pdf",
            district_id=old.district_id,
            payload={"version": str(old.version_id)},
            status=old.status,
            progress=old.progress,
            message=old.message,
            attempts=1 if old.started_at else 0,
            created_at=old.created_at,
            sent_at=old.created_at,
            started_at=old.started_at,
            finished_at=old.finished_at,
        )


def backwards(apps, schema_editor):
    DocumentVersion = apps.get_model("commitments", "DocumentVersion")
    for version in DocumentVersion.objects.exclude(final=None).select_related("final"):
        DocumentVersion.objects.filter(pk=version.pk).update(
            pdf=version.final.file.name,
            pdf_sha256=version.final.sha256,
            pdf_size=version.final.size,
            pdf_rendered_at=version.final.created_at,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("commitments", "0004_input_limits"),
        ("documents", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="documentversion",
            name="final",
            field=models.OneToOneField(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="documents.generateddocument",
            ),
        ),
        # the old fields go in the next migration: PostgreSQL does not alter a table that has
        # pending foreign-key checks from this one's updates
        migrations.RunPython(forwards, backwards),
    ]
