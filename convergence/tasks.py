from celery import shared_task
from django.db import transaction

from documents import jobs

from .services import send_deadline_reminders


@shared_task(acks_late=True)
def deadline_reminders() -> int:
    """Daily (beat): reminders before and after due dates. Safe to rerun: each reminder is
    claimed by a unique row before it is sent."""
    return send_deadline_reminders()


BOARD_IMPORT = "board_import"
jobs.register(BOARD_IMPORT, "convergence.tasks.apply_board_file")


@shared_task(base=jobs.JobTask)
def apply_board_file(job_id: str, district=None, claim_seconds=None) -> None:
    """Apply a confirmed board file, all or nothing (once: the upload is claimed)."""
    jobs.run(job_id, _apply_board_file, seconds=claim_seconds)


def _apply_board_file(running) -> None:
    from django.core.exceptions import ValidationError

    from .imports import apply_import
    from .models import BoardImport

    upload = BoardImport.objects.select_related("district_year").get(
        pk=running.job.payload["import"]
    )
    # applied and finished in one transaction: a worker that dies between the two leaves
    # neither, so the next attempt applies it (not "already applied", shown as a failure)
    with transaction.atomic():
        try:
            plan = apply_import(upload, by=running.job.requested_by)
        except ValidationError as exc:
            raise jobs.Refused(exc.messages[0]) from None
        if not running.finish(result={"changed": len(plan.changes)}):
            raise jobs.Refused("tugas diambil alih")  # a later attempt holds it: undo
