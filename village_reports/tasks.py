from celery import shared_task

from documents import jobs
from documents.imports import apply_upload


@shared_task(acks_late=True)
def village_report_reminders() -> int:
    """Daily (beat): remind villages whose report is not sent, before and after its due date.
    Safe to rerun: each reminder is claimed by a unique row before it is sent."""
    from .reports import send_report_reminders

    return send_report_reminders()


@shared_task(acks_late=True)
def create_report_periods() -> int:
    """Daily (beat): each district's report periods for its year, made from its settings as
    the year begins. Safe to rerun: existing periods are kept."""
    from .reports import create_periods_automatically

    return create_periods_automatically()


FOCUS_IMPORT = "focus_import"
jobs.register(FOCUS_IMPORT, "village_reports.tasks.apply_focus_list")


@shared_task(base=jobs.JobTask)
def apply_focus_list(job_id: str, district=None, claim_seconds=None) -> None:
    """Apply a confirmed focus-village list, all or nothing (once: the upload is claimed)."""
    jobs.run(job_id, _apply_focus_list, seconds=claim_seconds)


def _apply_focus_list(running) -> None:
    from .focus import apply_focus_import
    from .models import FocusImport

    apply_upload(
        running,
        FocusImport.objects,
        apply_focus_import,
        result=lambda plan: {
            "added": len(plan.added),
            "changed": len(plan.changed),
            "removed": len(plan.removed),
        },
    )
