from celery import shared_task
from django.core.cache import cache

from accounts.tenancy import DistrictTask
from documents import jobs

from . import snapshots

jobs.register("evaluation_pdf", "reports.tasks.render_evaluation_pdf", queue="pdf")


@shared_task(base=DistrictTask, acks_late=True, typing=False)  # called with district_id=
def refresh_district_snapshot(district=None, year=None) -> None:
    """Refresh one district's roll-up snapshot (queued on a change of its data). Safe to run
    twice: the row is keyed by district and year."""
    # changes from now on queue another refresh; this one reads what is committed so far
    cache.delete(snapshots.queued_key(district.pk))
    snapshots.refresh_snapshot(district, year)


@shared_task(acks_late=True)
def refresh_all_snapshots() -> int:
    """Nightly (beat): every active district's snapshot of its current year, one district at
    a time, so that the roll-ups never show figures older than a day."""
    from villages.models import District

    count = 0
    for district in District.objects.active().order_by("code"):
        snapshots.refresh_snapshot(district)
        count += 1
    return count


@shared_task(base=jobs.JobTask)
def render_evaluation_pdf(job_id: str, district=None, claim_seconds=None) -> None:
    """Render a requested version of a district's annual evaluation (the `pdf` queue). Safe to
    run twice: only one attempt holds the job, and a version that has its PDF keeps it."""
    from .services import render_version

    render_version(job_id, claim_seconds=claim_seconds)


@shared_task(acks_late=True)
def render_yearly_evaluations(year: int | None = None) -> int:
    """January (beat): a draft of last year's evaluation for every district that has that year
    open or closed, one job each."""
    from django.utils import timezone

    from .services import queue_all

    return queue_all(year or timezone.now().year - 1)
