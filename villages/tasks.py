from celery import shared_task
from django.utils import timezone

from accounts.audit import record
from lib.tabular import MAX_LISTED_ERRORS

from .models import RegionImport
from .services import RegionImportError, import_regions, parse_region_file


@shared_task(acks_late=True)
def run_region_import(import_id: str) -> None:
    """Import an uploaded region list. Safe to run twice: only a queued row is claimed."""
    claimed = RegionImport.objects.filter(pk=import_id, status=RegionImport.Status.QUEUED).update(
        status=RegionImport.Status.RUNNING
    )
    if not claimed:
        return
    job = RegionImport.objects.get(pk=import_id)
    try:
        with job.file.open("rb") as handle:
            data = handle.read()
        rows = parse_region_file(data, job.original_name)
        result = import_regions(rows, partial=job.partial)
    except RegionImportError as exc:
        job.status = RegionImport.Status.FAILED
        job.errors = exc.errors[:MAX_LISTED_ERRORS]
        job.summary = f"{len(exc.errors)} kesalahan; basis data tidak berubah"
    except Exception:
        job.status = RegionImport.Status.FAILED
        job.summary = "kesalahan tak terduga; basis data tidak berubah"
        job.finished_at = timezone.now()
        job.save(update_fields=["status", "summary", "finished_at"])
        raise
    else:
        job.status = RegionImport.Status.DONE
        job.summary = result.summary
        record(
            "regions_imported",
            actor=job.created_by,
            target=job.original_name,
            summary=result.summary,
            partial=job.partial,
        )
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "summary", "errors", "finished_at"])
