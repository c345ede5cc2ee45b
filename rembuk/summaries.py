"""The rembuk numbers, read only: sessions by level and the latest one, and the agreed
activity plans' totals by fund source and by RKPD status.

Convention (the same in every app's summaries.py): each function takes `districts`, an
iterable of `District` instances (one district is `[district]`), and returns a dict keyed by
district id with one entry for every district given, in a fixed number of queries whatever
the number of districts or rows. A single-district page calls it inside the request's scope;
a province or national roll-up inside `accounts.tenancy.rollup_scope(districts)`. The values
are frozen dataclasses holding numbers, codes and ids, never model instances. They count
every session of the district, whatever the caller may open.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, F, Min, Q, Sum, Window
from django.db.models.functions import RowNumber
from django.utils.translation import gettext as _

from .models import FundSource, Level, PlanItem, RembukSession, RkpdStatus


@dataclass(frozen=True)
class LatestSession:
    id: object  # UUID
    level: str
    title: str
    starts_at: datetime
    kecamatan_id: int | None
    village_id: int | None


@dataclass(frozen=True)
class Sessions:
    """A district's rembuk sessions of one year: how many at each level, and the latest."""

    by_level: dict = field(default_factory=dict)  # level → count (levels without one omitted)
    latest: LatestSession | None = None

    @property
    def total(self) -> int:
        return sum(self.by_level.values())


def sessions(districts, year: int) -> dict[int, Sessions]:
    """Each district's sessions of `year` by level (district, kecamatan, village), and the one
    that starts last: two queries."""
    ids = [d.pk for d in districts]
    these = RembukSession.objects.filter(district_id__in=ids, year=year)
    counts: dict[int, dict] = {i: {} for i in ids}
    for row in these.values("district_id", "level").annotate(n=Count("pk")).order_by():
        counts[row["district_id"]][row["level"]] = row["n"]
    latest = {
        row["district_id"]: LatestSession(
            id=row["pk"],
            level=row["level"],
            title=row["title"],
            starts_at=row["starts_at"],
            kecamatan_id=row["kecamatan_id"],
            village_id=row["village_id"],
        )
        # the first row of each district in this order (a window, not PostgreSQL's DISTINCT ON:
        # `make run` is SQLite)
        for row in these.annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("district_id")],
                order_by=[F("starts_at").desc(), F("pk").asc()],
            )
        )
        .filter(rank=1)
        .values("pk", "district_id", "level", "title", "starts_at", "kecamatan_id", "village_id")
    }
    return {
        i: Sessions(
            by_level={lv: counts[i][lv] for lv in Level.values if lv in counts[i]},
            latest=latest.get(i),
        )
        for i in ids
    }


@dataclass(frozen=True)
class PlanTotals:
    """The budgets of an activity plan (or of many): in all, by fund source (largest first;
    "" where no source was given) and by RKPD status; `unbudgeted` counts activities with no
    budget, which add nothing to the sums."""

    items: int = 0
    total: int = 0
    by_source: tuple[tuple[str, int], ...] = ()
    by_rkpd: dict = field(default_factory=dict)  # RKPD status → budget
    unbudgeted: int = 0

    @property
    def in_rkpd(self) -> int:
        return self.by_rkpd.get(RkpdStatus.YES, 0)

    @property
    def by_source_labels(self) -> list[tuple[str, int]]:
        labels = dict(FundSource.choices)
        return [
            (str(labels.get(source, _("Sumber belum diisi"))), amount)
            for source, amount in self.by_source
        ]


def plan_totals(districts, year: int, *, only_sessions=None) -> dict[int, PlanTotals]:
    """Each district's plan budgets of `year` (of `only_sessions` only, when given):
    three queries."""
    ids = [d.pk for d in districts]
    items = PlanItem.objects.filter(district_id__in=ids, session__year=year)
    if only_sessions is not None:
        items = items.filter(session__in=list(only_sessions))
    budgeted = items.filter(budget__isnull=False)
    counts = {
        row["district_id"]: row
        for row in items.values("district_id")
        .annotate(n=Count("pk"), unbudgeted=Count("pk", filter=Q(budget__isnull=True)))
        .order_by()
    }
    by_source: dict[int, list] = {i: [] for i in ids}
    # largest first; equal sums in the order their first activity appears in the plan
    for row in (
        budgeted.values("district_id", "fund_source")
        .annotate(amount=Sum("budget"), first=Min("order"))
        .order_by("district_id", "-amount", "first", "fund_source")
    ):
        by_source[row["district_id"]].append((row["fund_source"], row["amount"]))
    by_rkpd: dict[int, dict] = {i: {} for i in ids}
    for row in budgeted.values("district_id", "in_rkpd").annotate(amount=Sum("budget")).order_by():
        by_rkpd[row["district_id"]][row["in_rkpd"]] = row["amount"]
    return {
        i: PlanTotals(
            items=counts.get(i, {}).get("n", 0),
            total=sum(amount for _source, amount in by_source[i]),
            by_source=tuple(by_source[i]),
            by_rkpd=by_rkpd[i],
            unbudgeted=counts.get(i, {}).get("unbudgeted", 0),
        )
        for i in ids
    }


@dataclass(frozen=True)
class RkpdCounts:
    """The lines of the district rembuk's activity plans meant for one plan year, by whether
    they made it into the RKPD/Renja, with the budget of those that did."""

    items: int = 0
    in_rkpd: int = 0
    not_in_rkpd: int = 0
    unknown: int = 0
    budget_in_rkpd: int = 0


def rkpd_counts(districts, plan_year: int) -> dict[int, RkpdCounts]:
    """Each district's plan lines of its district-level rembuk sessions meant for
    `plan_year`, counted by RKPD/Renja status: one query."""
    ids = [d.pk for d in districts]
    rows = {
        row["district_id"]: row
        for row in PlanItem.objects.filter(
            district_id__in=ids, plan_year=plan_year, session__level=Level.DISTRICT
        )
        .values("district_id")
        .annotate(
            n=Count("pk"),
            yes=Count("pk", filter=Q(in_rkpd=RkpdStatus.YES)),
            no=Count("pk", filter=Q(in_rkpd=RkpdStatus.NO)),
            unknown=Count("pk", filter=Q(in_rkpd=RkpdStatus.UNKNOWN)),
            budget=Sum("budget", filter=Q(in_rkpd=RkpdStatus.YES)),
        )
        .order_by()
    }
    return {
        i: RkpdCounts(
            items=rows[i]["n"],
            in_rkpd=rows[i]["yes"],
            not_in_rkpd=rows[i]["no"],
            unknown=rows[i]["unknown"],
            budget_in_rkpd=rows[i]["budget"] or 0,
        )
        if i in rows
        else RkpdCounts()
        for i in ids
    }
