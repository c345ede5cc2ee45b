from celery import shared_task
from django.db import transaction

from documents import jobs

OUTCOME_IMPORT = "outcome_import"
jobs.register(OUTCOME_IMPORT, "outcomes.tasks.apply_outcome_file")


@shared_task(base=jobs.JobTask)
def apply_outcome_file(job_id: str, district=None, claim_seconds=None) -> None:
    """Apply a confirmed file of indicator values, all or nothing (once: the upload is
    claimed)."""
    jobs.run(job_id, _apply, seconds=claim_seconds)


def _apply(running) -> None:
    from django.core.exceptions import ValidationError

    from .imports import apply_outcome_import
    from .models import OutcomeImport

    upload = OutcomeImport.objects.get(pk=running.job.payload["import"])
    # applied and finished in one transaction (see convergence.tasks)
    with transaction.atomic():
        try:
            plan = apply_outcome_import(upload, by=running.job.requested_by)
        except ValidationError as exc:
            raise jobs.Refused(exc.messages[0]) from None
        if not running.finish(result={"added": len(plan.added), "changed": len(plan.changed)}):
            raise jobs.Refused("tugas diambil alih")  # a later attempt holds it: undo
