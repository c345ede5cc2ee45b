from celery import shared_task

from documents import jobs
from documents.imports import apply_upload

OUTCOME_IMPORT = "outcome_import"
jobs.register(OUTCOME_IMPORT, "outcomes.tasks.apply_outcome_file")


@shared_task(base=jobs.JobTask)
def apply_outcome_file(job_id: str, district=None, claim_seconds=None) -> None:
    """Apply a confirmed file of indicator values, all or nothing (once: the upload is
    claimed)."""
    jobs.run(job_id, _apply, seconds=claim_seconds)


def _apply(running) -> None:
    from .imports import apply_outcome_import
    from .models import OutcomeImport

    apply_upload(
        running,
        OutcomeImport.objects,
        apply_outcome_import,
        result=lambda plan: {"added": len(plan.added), "changed": len(plan.changed)},
    )
