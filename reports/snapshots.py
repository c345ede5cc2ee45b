"""Each district's roll-up figures, computed from the apps' summaries and kept as one
`DistrictSnapshot` row per district and year.

`refresh_snapshot` computes and writes a row (safe to run twice: update_or_create on the
district and year). `queue_refresh` is what the signals call when data under a snapshot
changes: once the change is committed, a task refreshes the district, at most one queued per
district at a time (a short cache key), run at once where tasks run in-process.
"""

from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone

from accounts.tenancy import district_scope
from convergence import summaries as convergence
from lib import charts
from outcomes import summaries as outcomes
from village_reports import summaries as village_reports

SCORECARD = "scorecard"
QUEUED_SECONDS = 60
COUNTDOWN_SECONDS = 30


def queued_key(district_id: int) -> str:
    return f"snapshot-queued:{district_id}"


def _percent(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(100 * part) / whole).quantize(Decimal("0.1"))


def due_period(periods, today):
    """The latest scorecard period whose reports were due by `today`; None before the first."""
    due = [p for p in periods if p.kind == SCORECARD and p.due_on <= today]
    return max(due, key=lambda p: p.number, default=None)


def figures_of(district, year: int | None = None) -> dict:
    """The snapshot's figures of `district` in `year` (by default its latest opened year, else
    this year in its time zone), from the summaries only, inside the district's scope."""
    today = district.local_now().date()
    if year is None:
        progress = convergence.year_progress([district])[district.pk]
        year = progress.year if progress else today.year
    found = {"year": year}

    actions = convergence.year_actions([district], year)[district.pk]
    if actions is not None:
        p = actions.progress
        found.update(
            deliverables_total=p.total,
            deliverables_verified=p.verified,
            deliverables_overdue=p.overdue,
            action_percent=p.verified_percent,
            self_percent=actions.score.self_percent if actions.score.self_graded else None,
            province_percent=(
                actions.score.province_percent if actions.score.province_graded else None
            ),
        )
    else:
        found.update(
            deliverables_total=0,
            deliverables_verified=0,
            deliverables_overdue=0,
            action_percent=None,
            self_percent=None,
            province_percent=None,
        )

    period = due_period(village_reports.periods([district], year)[district.pk], today)
    counts = None
    if period is not None:
        done = village_reports.completeness([district], year, SCORECARD, period.number)
        counts = done[district.pk].total if done[district.pk] else None
    found.update(
        report_period=period.number if period else None,
        report_due_on=period.due_on if period else None,
        reports_all=counts.all if counts else 0,
        reports_verified=counts.verified if counts else 0,
        reports_late=counts.late if counts else 0,
        report_percent=_percent(counts.verified, counts.all) if counts else None,
    )

    figures = [
        f
        for f in outcomes.district_figures([district], indicator=outcomes.STUNTING)[district.pk]
        if f.year <= year
    ]
    survey = outcomes.latest_of(f for f in figures if f.source in outcomes.SURVEYS)
    eppgbm = outcomes.latest_of(f for f in figures if f.source == outcomes.Source.EPPGBM)
    # a survey figure first (SSGI/SKI: what the province compares), else the latest of any
    latest = survey or outcomes.latest_of(figures)
    band = charts.prevalence_band(latest.value) if latest else None
    found.update(
        prevalence=latest.value if latest else None,
        prevalence_source=latest.source if latest else "",
        prevalence_source_label=latest.source_label if latest else "",
        prevalence_year=latest.year if latest else None,
        prevalence_band=band.tone if band else "",
        eppgbm_prevalence=eppgbm.value if eppgbm else None,
        eppgbm_year=eppgbm.year if eppgbm else None,
    )
    return found


def refresh_snapshot(district, year: int | None = None):
    """Compute and store `district`'s snapshot of `year` (see `figures_of`); running it twice
    leaves one row with the same figures."""
    from .models import DistrictSnapshot

    with district_scope(district), timezone.override(district.tz):
        figures = figures_of(district, year)
        snapshot, _created = DistrictSnapshot.objects.update_or_create(
            district=district,
            year=figures.pop("year"),
            defaults={**figures, "computed_at": timezone.now()},
        )
    return snapshot


def _send(district_id: int) -> None:
    from .tasks import refresh_district_snapshot

    if refresh_district_snapshot.app.conf.task_always_eager:
        refresh_district_snapshot.delay(district_id=district_id)
        return
    # one refresh queued per district: changes within the countdown are read by that one
    if cache.add(queued_key(district_id), 1, QUEUED_SECONDS):
        refresh_district_snapshot.apply_async(
            kwargs={"district_id": district_id}, countdown=COUNTDOWN_SECONDS
        )


def queue_refresh(district_id: int | None) -> None:
    """Refresh the district's snapshot once the current transaction commits (one callback per
    district and transaction, however many rows it changed)."""
    if district_id is None or getattr(settings, "SNAPSHOTS_ON_CHANGE", True) is False:
        return
    for _sids, func, _robust in connection.run_on_commit:
        if getattr(func, "snapshot_district", None) == district_id and not func.sent:
            return

    def send():
        send.sent = True
        _send(district_id)

    send.sent = False
    send.snapshot_district = district_id
    transaction.on_commit(send, robust=True)
