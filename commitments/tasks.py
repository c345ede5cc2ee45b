from celery import shared_task


@shared_task(acks_late=True)
def render_commitment_pdf(job_id: str) -> None:
    """Render a fully signed document's final PDF. Safe to run twice: only a queued job row is
    claimed, and a version that has its PDF keeps it."""
    from .services import render_final

    render_final(job_id)
