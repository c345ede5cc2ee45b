"""Confirming an uploaded import starts one job that applies it (the focus-village list, the
board's deliverable data): a second confirmation finds the job that is already there."""

from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect

from . import jobs
from .models import Job, JobStatus


@transaction.atomic
def start_import(upload_row, *, kind: str, by) -> Job:
    """The job applying `upload_row` (a FocusImport or a BoardImport with a `job` field): a new
    one, unless one is queued, running or done (a double click, a second tab). An upload with
    no district (the national outcome import) gets a national job."""
    locked = type(upload_row).objects.select_for_update().get(pk=upload_row.pk)
    district = getattr(locked, "district", None)
    if locked.job_id is not None:
        job = (Job.objects if district is not None else Job.national).get(pk=locked.job_id)
        if job.status != JobStatus.FAILED:
            return job
    job = jobs.create(
        kind=kind,
        district=district,
        by=by,
        payload={"import": str(locked.pk)},
    )
    type(upload_row).objects.filter(pk=locked.pk).update(job=job)
    job.refresh_from_db()
    return job


def confirm_import(request, upload_row, *, kind: str, done):
    """The confirmation (POST) of an import's preview: start or find the job that applies it.
    Returns the job and a response: `done(job)` when it was applied within this request (tasks
    in-process), back to the preview page (which polls the job) while it is on its way, or None
    when it failed (its reason is shown on the page, which offers to confirm again)."""
    job = start_import(upload_row, kind=kind, by=request.user)
    upload_row.refresh_from_db()
    if job.status == JobStatus.DONE:
        return job, done(job)
    if job.status == JobStatus.FAILED:
        messages.error(request, job.message)
        return job, None
    return job, redirect(request.path)


def apply_upload(running, rows, apply, *, result) -> None:
    """The work of an import job: the confirmed upload (from `rows`, by the job's payload)
    applied by `apply(upload, by=…)` and the job finished with `result(plan)`, in ONE
    transaction, so that a worker dying between the two leaves neither (the next attempt
    applies it, instead of finding it "already applied" and showing a failure). A refusal
    (ValidationError) is the job's failure message; a later attempt that took the job over
    undoes this one."""
    from django.core.exceptions import ValidationError

    upload = rows.get(pk=running.job.payload["import"])
    with transaction.atomic():
        try:
            plan = apply(upload, by=running.job.requested_by)
        except ValidationError as exc:
            raise jobs.Refused(exc.messages[0]) from None
        if not running.finish(result=result(plan)):
            raise jobs.Refused("tugas diambil alih")
