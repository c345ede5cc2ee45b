from celery import shared_task
from django.core.cache import cache

from accounts.tenancy import DistrictTask

from . import snapshots


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
