"""Confirming an uploaded import starts one job that applies it (the focus-village list, the
board's deliverable data): a second confirmation finds the job that is already there."""

from django.db import transaction

from . import jobs
from .models import Job, JobStatus


@transaction.atomic
def start_import(upload_row, *, kind: str, by) -> Job:
    """The job applying `upload_row` (a FocusImport or a BoardImport with a `job` field): a new
    one, unless one is queued, running or done (a double click, a second tab)."""
    locked = type(upload_row).objects.select_for_update().get(pk=upload_row.pk)
    if locked.job_id is not None:
        job = Job.objects.get(pk=locked.job_id)
        if job.status != JobStatus.FAILED:
            return job
    job = jobs.create(
        kind=kind, district=locked.district, by=by, payload={"import": str(locked.pk)}
    )
    type(upload_row).objects.filter(pk=locked.pk).update(job=job)
    job.refresh_from_db()
    return job
