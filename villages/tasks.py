"""The national region import as a job (documents.jobs): the upload is kept with its row, the
job imports it and keeps the summary and the errors."""

from celery import shared_task
from django.db import transaction

from accounts.audit import record
from documents import jobs
from documents.models import Job
from lib.tabular import MAX_LISTED_ERRORS
from lib.uploads import clean_file_name

from .models import RegionImport
from .services import RegionImportError, import_regions, parse_region_file

KIND = "region_import"
jobs.register(KIND, "villages.tasks.run_region_import")


@transaction.atomic
def start_region_import(*, upload, partial: bool, by) -> RegionImport:
    """Keep the uploaded list and queue its import."""
    region_import = RegionImport(
        original_name=clean_file_name(upload.name, "wilayah", 200), partial=partial, created_by=by
    )
    region_import.file.save(f"{region_import.id}.upload", upload, save=False)
    region_import.save()
    region_import.job = jobs.create(
        kind=KIND, district=None, by=by, payload={"import": str(region_import.id)}
    )
    region_import.save(update_fields=["job"])
    return region_import


@shared_task(base=jobs.JobTask)
def run_region_import(job_id: str, district=None, claim_seconds=None) -> None:
    """Import an uploaded region list. Safe to run twice: only one attempt holds the job, and
    the import itself changes nothing on a second run of the same list."""
    jobs.run(job_id, _import, national=True, seconds=claim_seconds)


def _import(running: jobs.Running) -> None:
    region_import = RegionImport.objects.get(pk=running.job.payload["import"])
    newer = RegionImport.objects.filter(
        created_at__gt=region_import.created_at, job__status=Job.Status.DONE
    )
    if newer.exists():  # run late (the broker was down): it would undo the newer list
        running.fail(
            "daftar yang lebih baru sudah diimpor; unggah lagi bila daftar ini memang dimaksud"
        )
        return
    with region_import.file.open("rb") as handle:
        data = handle.read()
    running.progress(10, "membaca berkas")
    try:
        rows = parse_region_file(data, region_import.original_name)
        running.progress(30, f"{len(rows)} baris")
        result = import_regions(rows, partial=region_import.partial)
    except RegionImportError as exc:
        running.fail(
            f"{len(exc.errors)} kesalahan; basis data tidak berubah",
            result={"errors": exc.errors[:MAX_LISTED_ERRORS]},
        )
        return
    running.finish(message=result.summary)
    record(
        "regions_imported",
        actor=region_import.created_by,
        target=region_import.original_name,
        summary=result.summary,
        partial=region_import.partial,
    )
