from celery import shared_task
from django.db import transaction

from documents import jobs


@shared_task(acks_late=True)
def village_report_reminders() -> int:
    """Daily (beat): remind villages whose report is not sent, before and after its due date.
    Safe to rerun: each reminder is claimed by a unique row before it is sent."""
    from .reports import send_report_reminders

    return send_report_reminders()


FOCUS_IMPORT = "focus_import"
jobs.register(FOCUS_IMPORT, "village_reports.tasks.apply_focus_list")


@shared_task(base=jobs.JobTask)
def apply_focus_list(job_id: str, district=None, claim_seconds=None) -> None:
    """Apply a confirmed focus-village list, all or nothing (once: the upload is claimed)."""
    jobs.run(job_id, _apply_focus_list, seconds=claim_seconds)


def _apply_focus_list(running) -> None:
    from django.core.exceptions import ValidationError

    from .focus import apply_focus_import
    from .models import FocusImport

    upload = FocusImport.objects.get(pk=running.job.payload["import"])
    # applied and finished in one transaction (see convergence.tasks)
    with transaction.atomic():
        try:
            plan = apply_focus_import(upload, by=running.job.requested_by)
        except ValidationError as exc:
            raise jobs.Refused(exc.messages[0]) from None
        counts = {
            "added": len(plan.added),
            "changed": len(plan.changed),
            "removed": len(plan.removed),
        }
        if not running.finish(result=counts):
            raise jobs.Refused("tugas diambil alih")  # a later attempt holds it: undo
