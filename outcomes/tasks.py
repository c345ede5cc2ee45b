from celery import shared_task

from documents import jobs
from documents.imports import apply_upload

OUTCOME_IMPORT = "outcome_import"
jobs.register(OUTCOME_IMPORT, "outcomes.tasks.apply_outcome_file")
NATIONAL_OUTCOME_IMPORT = "outcome_national_import"
jobs.register(NATIONAL_OUTCOME_IMPORT, "outcomes.tasks.apply_national_outcome_file")


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


@shared_task(base=jobs.JobTask)
def apply_national_outcome_file(job_id: str, district=None, claim_seconds=None) -> None:
    """Apply a confirmed national file of values for many districts, all or nothing, in one
    transaction (once: the upload is claimed). A national job: each district is entered
    inside the work (outcomes.imports.apply_national_outcome_import)."""
    jobs.run(job_id, _apply_national, national=True, seconds=claim_seconds)


def _apply_national(running) -> None:
    from .imports import apply_national_outcome_import
    from .models import NationalOutcomeImport

    apply_upload(
        running,
        NationalOutcomeImport.objects,
        apply_national_outcome_import,
        result=lambda plan: {
            "added": sum(len(part.plan.added) for part in plan.parts),
            "changed": sum(len(part.plan.changed) for part in plan.parts),
            "districts": plan.counts(),
        },
    )
