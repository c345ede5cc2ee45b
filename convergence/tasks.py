from celery import shared_task

from documents import jobs
from documents.imports import apply_upload

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
    from .imports import apply_import
    from .models import BoardImport

    apply_upload(
        running,
        BoardImport.objects.select_related("district_year"),
        apply_import,
        result=lambda plan: {"changed": len(plan.changes)},
    )
