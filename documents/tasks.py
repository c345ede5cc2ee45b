from celery import shared_task

from . import jobs


@shared_task(acks_late=True)
def sweep_jobs() -> int:
    """Every minute (beat): hand over again the jobs that wait for the broker or whose worker
    is gone. Safe to run twice: the claim decides who works."""
    return jobs.sweep()
