from celery import shared_task

from documents import jobs

jobs.register("commitment_pdf", "commitments.tasks.render_commitment_pdf", queue="pdf")


@shared_task(base=jobs.JobTask)
def render_commitment_pdf(job_id: str, district=None, claim_seconds=None) -> None:
    """Render a fully signed document's final PDF (the `pdf` queue). Safe to run twice: only
    one attempt holds the job, and a version that has its PDF keeps it."""
    from .services import render_final

    render_final(job_id, claim_seconds=claim_seconds)
