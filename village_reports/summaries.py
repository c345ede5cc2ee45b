"""The village reporting numbers, read only: focus villages, report completeness and the
scorecard convergence rates.

Convention (the same in every app's summaries.py): each function takes `districts`, an
iterable of `District` instances (one district is `[district]`), and returns a dict keyed by
district id with one entry for every district given, in a fixed number of queries whatever
the number of districts or villages. A single-district page calls it inside the request's
scope (a camat's scope shows only his kecamatan's reports; pass `kecamatan_ids` to list only
those villages); a province or national roll-up inside `accounts.tenancy.rollup_scope`. The
values are frozen dataclasses holding numbers, codes and ids, never model instances.

A period is named by its year, kind and number (each district has its own period rows and
due dates). A village's state in a period is that of the newest version it sent (a draft is
not sent; a correction being drafted leaves the sent version in place); it is late when it was
first sent after the due date, or is not sent and the due date has passed, both in the
district's time zone (`ReportPeriod.is_late`).
"""

from collections import defaultdict
from dataclasses import dataclass, field, fields
from decimal import Decimal

from django.db.models import Count, Q

from lib import regioncodes
from villages.models import Village, VillageKind

from . import scorecard
from .models import FocusVillage, ReportKind, ReportPeriod, ReportStatus, VillageReport

STATES = ("verified", "submitted", "returned", "missing")


@dataclass(frozen=True)
class FocusVillages:
    year: int
    village_ids: frozenset[int]

    @property
    def count(self) -> int:
        return len(self.village_ids)


def focus_villages(districts, year: int) -> dict[int, FocusVillages]:
    """Each district's focus villages of `year` (none without a decree): one query."""
    ids = [d.pk for d in districts]
    found = defaultdict(set)
    for district_id, village_id in FocusVillage.objects.filter(
        district_id__in=ids, decree__year=year
    ).values_list("district_id", "village_id"):
        found[district_id].add(village_id)
    return {i: FocusVillages(year, frozenset(found[i])) for i in ids}


@dataclass(frozen=True)
class VillageState:
    """One village's report in one period."""

    village_id: int
    village_code: str
    kecamatan_id: int
    kecamatan_code: str
    focus: bool
    state: str  # one of STATES
    late: bool
    correcting: bool  # a correction is being drafted over the sent version
    # the sent version's id as text (a UUID's text unpickles in half the time of a UUID, and
    # the summary of an 850-village district is read from the cache on every view), None
    # when nothing was sent
    report_id: str | None


@dataclass(frozen=True)
class ReportCounts:
    """Villages by the state of their report: verified, waiting for verification (submitted),
    returned, not sent (missing); late counts across those states."""

    verified: int = 0
    submitted: int = 0
    returned: int = 0
    missing: int = 0
    late: int = 0
    all: int = 0

    @classmethod
    def of(cls, states) -> "ReportCounts":
        """The counts of some villages' states (the one place they are counted)."""
        counts = dict.fromkeys(STATES, 0)
        late = n = 0
        for v in states:  # one pass: 850 villages are counted on every view of a page
            if v.state in counts:
                counts[v.state] += 1
            late += bool(v.late)
            n += 1
        return cls(**counts, late=late, all=n)

    def as_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class Completeness:
    """One district's villages in one period, with their counts: all, per kecamatan (by id),
    and focus villages against the others."""

    period_id: int
    due_on: object
    villages: tuple[VillageState, ...]

    @property
    def total(self) -> ReportCounts:
        return ReportCounts.of(self.villages)

    @property
    def by_kecamatan(self) -> dict[int, ReportCounts]:
        groups = defaultdict(list)
        for v in self.villages:
            groups[v.kecamatan_id].append(v)
        return {k: ReportCounts.of(states) for k, states in groups.items()}

    @property
    def focus(self) -> ReportCounts:
        return ReportCounts.of(v for v in self.villages if v.focus)

    @property
    def other(self) -> ReportCounts:
        return ReportCounts.of(v for v in self.villages if not v.focus)


def _periods(districts, year: int, kind: str, number: int) -> dict[int, ReportPeriod]:
    return {
        p.district_id: p
        for p in ReportPeriod.objects.filter(
            district_id__in=[d.pk for d in districts], year=year, kind=kind, number=number
        )
    }


def effective_reports(reports) -> dict[int, tuple[VillageReport | None, bool]]:
    """village id → (the newest version that is not a draft, whether a correction is in
    draft). `reports` are all versions of one period per village."""
    by_village: dict[int, list] = {}
    for r in reports:
        by_village.setdefault(r.village_id, []).append(r)
    result = {}
    for village_id, rows in by_village.items():
        rows.sort(key=lambda r: -r.version)
        sent = [r for r in rows if r.status != ReportStatus.DRAFT]
        result[village_id] = (
            sent[0] if sent else None,
            rows[0].status == ReportStatus.DRAFT and bool(sent),
        )
    return result


def _sent_reports(periods, *fields_):
    """(period id, village id) → (the version the district sees, as a named tuple of pk,
    village_id, period_id, district_id, version, status and `fields_`; correcting), one
    query."""
    by_period = defaultdict(list)
    # named tuples, not model instances: an 850-village period is a thousand rows or more,
    # and building a model per row was most of the completeness page's time
    for r in VillageReport.objects.filter(period__in=list(periods)).values_list(
        "pk", "village_id", "period_id", "district_id", "version", "status", *fields_, named=True
    ):
        by_period[r.period_id].append(r)
    return {
        (period_id, village_id): found
        for period_id, rows in by_period.items()
        for village_id, found in effective_reports(rows).items()
    }


def completeness(
    districts, year: int, kind: str, number: int, *, kecamatan_ids=None
) -> dict[int, Completeness | None]:
    """Each active village of each district (of `kecamatan_ids` only, when given) with the
    state of its report in the period (year, kind, number), in village-code order: four
    queries. None where the district has no such period."""
    districts = {d.pk: d for d in districts}
    periods = _periods(districts.values(), year, kind, number)
    result: dict[int, Completeness | None] = dict.fromkeys(districts)
    if not periods:
        return result
    villages = Village.objects.active().filter(district_id__in=list(periods))
    if kecamatan_ids is not None:
        villages = villages.filter(kecamatan_id__in=list(kecamatan_ids))
    focus = set(
        FocusVillage.objects.filter(district_id__in=list(periods), decree__year=year).values_list(
            "village_id", flat=True
        )
    )
    sent = _sent_reports(periods.values(), "first_submitted_at")
    rows = defaultdict(list)
    today = {pk: d.local_now().date() for pk, d in districts.items()}
    for village in villages.values(
        "pk", "code", "district_id", "kecamatan_id", "kecamatan__code"
    ).order_by("kecamatan__code", "code"):
        district = districts[village["district_id"]]
        period = periods[village["district_id"]]
        report, correcting = sent.get((period.pk, village["pk"]), (None, False))
        rows[district.pk].append(
            VillageState(
                village_id=village["pk"],
                village_code=village["code"],
                kecamatan_id=village["kecamatan_id"],
                kecamatan_code=village["kecamatan__code"],
                focus=village["pk"] in focus,
                state=report.status if report else "missing",
                late=period.is_late(
                    today[district.pk], report and report.first_submitted_at, district.tz
                ),
                correcting=correcting,
                report_id=str(report.pk) if report else None,
            )
        )
    for district_id, period in periods.items():
        result[district_id] = Completeness(period.pk, period.due_on, tuple(rows[district_id]))
    return result


@dataclass(frozen=True)
class PeriodCounts:
    """Villages that sent a version of the period's report, and that had one verified."""

    sent: int = 0
    verified: int = 0


def period_counts(districts, year: int, *, kecamatan_ids=None) -> dict[int, dict]:
    """Each district's periods of `year`: {(kind, number): PeriodCounts}, one query."""
    ids = [d.pk for d in districts]
    qs = VillageReport.objects.filter(district_id__in=ids, period__year=year).exclude(
        status=ReportStatus.DRAFT
    )
    if kecamatan_ids is not None:
        qs = qs.filter(village__kecamatan_id__in=list(kecamatan_ids))
    result: dict[int, dict] = {i: {} for i in ids}
    for row in qs.values("district_id", "period__kind", "period__number").annotate(
        sent=Count("village", distinct=True),
        verified=Count("village", filter=Q(status=ReportStatus.VERIFIED), distinct=True),
    ):
        result[row["district_id"]][(row["period__kind"], row["period__number"])] = PeriodCounts(
            row["sent"], row["verified"]
        )
    return result


@dataclass(frozen=True)
class ConvergenceRate:
    """A convergence rate summed over villages: Σ yes ÷ Σ (indicators × targets − n/a)."""

    received: int = 0
    expected: int = 0
    reports: int = 0

    @property
    def percent(self) -> Decimal | None:
        return scorecard.rate_percent(self.received, self.expected)

    def __add__(self, other: "ConvergenceRate") -> "ConvergenceRate":
        return ConvergenceRate(
            self.received + other.received,
            self.expected + other.expected,
            self.reports + other.reports,
        )


@dataclass(frozen=True)
class ConvergenceRates:
    """A district's scorecard rates in one quarter: all, per kecamatan (by id), focus villages
    and the others."""

    total: ConvergenceRate
    by_kecamatan: dict
    focus: ConvergenceRate
    other: ConvergenceRate
    by_village: dict = field(default_factory=dict)  # village id → its rate (verified only)


def convergence_rates(
    districts, year: int, number: int, *, kecamatan_ids=None
) -> dict[int, ConvergenceRates | None]:
    """Each district's village convergence rates in scorecard quarter `number` of `year`,
    from the verified scorecards (the version the district sees, when it is verified).

    The rate of a group of villages is NOT the average of their rates: it sums the numerators
    (Σ yes) and the denominators (indicators × targets − Σ n/a) of every village in the group
    and divides once (scorecard.py's rule), so that a village with many children weighs more
    than a village with few. Four queries; None where the district has no such quarter."""
    districts = {d.pk: d for d in districts}
    periods = _periods(districts.values(), year, ReportKind.SCORECARD, number)
    result: dict[int, ConvergenceRates | None] = dict.fromkeys(districts)
    if not periods:
        return result
    focus = {
        (d, v)
        for d, v in FocusVillage.objects.filter(
            district_id__in=list(periods), decree__year=year
        ).values_list("district_id", "village_id")
    }
    villages = Village.objects.filter(district_id__in=list(periods))
    if kecamatan_ids is not None:
        villages = villages.filter(kecamatan_id__in=list(kecamatan_ids))
    village_rows = {v["pk"]: v for v in villages.values("pk", "code", "kecamatan_id")}
    sent = _sent_reports(periods.values(), "data")
    totals = {i: defaultdict(ConvergenceRate) for i in periods}
    for (_period_id, village_id), (report, _correcting) in sent.items():
        village = village_rows.get(village_id)
        if village is None or report is None or report.status != ReportStatus.VERIFIED:
            continue
        kelurahan = regioncodes.village_kind(village["code"]) == VillageKind.KELURAHAN
        _rows, rate = scorecard.scorecard_rates(report.data, kelurahan=kelurahan)
        one = ConvergenceRate(rate.received, rate.expected, 1)
        sums = totals[report.district_id]
        sums["total"] += one
        sums[("kecamatan", village["kecamatan_id"])] += one
        sums["focus" if (report.district_id, village_id) in focus else "other"] += one
        sums[("village", village_id)] = one
    for district_id, sums in totals.items():
        result[district_id] = ConvergenceRates(
            total=sums["total"],
            by_kecamatan={
                k[1]: r for k, r in sums.items() if isinstance(k, tuple) and k[0] == "kecamatan"
            },
            focus=sums["focus"],
            other=sums["other"],
            by_village={
                k[1]: r for k, r in sums.items() if isinstance(k, tuple) and k[0] == "village"
            },
        )
    return result


@dataclass(frozen=True)
class Period:
    id: int
    kind: str
    number: int
    starts_on: object
    opens_on: object  # sending opens
    due_on: object


def periods(districts, year: int) -> dict[int, tuple[Period, ...]]:
    """Each district's report periods of `year`, by kind and number: one query."""
    ids = [d.pk for d in districts]
    found = defaultdict(list)
    for row in (
        ReportPeriod.objects.filter(district_id__in=ids, year=year)
        .values("pk", "district_id", "kind", "number", "starts_on", "opens_on", "due_on")
        .order_by("district_id", "kind", "number")
    ):
        found[row["district_id"]].append(
            Period(
                row["pk"],
                row["kind"],
                row["number"],
                row["starts_on"],
                row["opens_on"],
                row["due_on"],
            )
        )
    return {i: tuple(found[i]) for i in ids}


@dataclass(frozen=True)
class FundTotal:
    """Village-fund money for stunting in verified semester reports: budgeted, spent, and
    how many reports they come from."""

    budget: int = 0
    spent: int = 0
    reports: int = 0

    @property
    def spent_percent(self) -> Decimal | None:
        return scorecard.rate_percent(self.spent, self.budget)

    def __add__(self, other: "FundTotal") -> "FundTotal":
        return FundTotal(
            self.budget + other.budget, self.spent + other.spent, self.reports + other.reports
        )


@dataclass(frozen=True)
class VillageFund:
    total: FundTotal
    by_kecamatan: dict  # kecamatan id → FundTotal


def _rupiah(value) -> int:
    """A stored amount (whole rupiah; digits as text in older drafts), 0 when absent."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = str(value or "")
    return int(text) if text.isascii() and text.isdigit() else 0


def village_fund(
    districts, year: int, number: int, *, kecamatan_ids=None
) -> dict[int, VillageFund | None]:
    """Each district's village fund for stunting (fund_budget, fund_spent) summed over the
    verified semester reports of semester `number` of `year` (the version the district sees,
    when it is verified): three queries. None where the district has no such semester."""
    districts = {d.pk: d for d in districts}
    found_periods = _periods(districts.values(), year, ReportKind.SEMESTER, number)
    result: dict[int, VillageFund | None] = dict.fromkeys(districts)
    if not found_periods:
        return result
    villages = Village.objects.filter(district_id__in=list(found_periods))
    if kecamatan_ids is not None:
        villages = villages.filter(kecamatan_id__in=list(kecamatan_ids))
    kecamatan_of = dict(villages.values_list("pk", "kecamatan_id"))
    sent = _sent_reports(found_periods.values(), "data")
    totals = {i: defaultdict(FundTotal) for i in found_periods}
    for (_period_id, village_id), (report, _correcting) in sent.items():
        if village_id not in kecamatan_of or report is None:
            continue
        if report.status != ReportStatus.VERIFIED:
            continue
        data = report.data or {}
        one = FundTotal(_rupiah(data.get("fund_budget")), _rupiah(data.get("fund_spent")), 1)
        sums = totals[report.district_id]
        sums["total"] += one
        sums[kecamatan_of[village_id]] += one
    for district_id, sums in totals.items():
        result[district_id] = VillageFund(
            total=sums["total"],
            by_kecamatan={k: v for k, v in sums.items() if k != "total"},
        )
    return result


# --- the camat's work (his home page) ----------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class WaitingPeriod:
    """A period with reports of the camat's villages waiting for his verification."""

    period_id: int
    kind: str
    number: int
    year: int
    count: int


@dataclass(frozen=True, kw_only=True)
class WaitingReport:
    id: object  # UUID of the version sent
    village_id: int
    village_name: str
    period_id: int
    kind: str
    number: int
    year: int
    submitted_at: object  # aware datetime


@dataclass(frozen=True, kw_only=True)
class VerificationWork:
    """The village reports sent and waiting for the camat: how many per period, and the first
    ones, longest waiting first."""

    count: int = 0
    periods: tuple[WaitingPeriod, ...] = ()
    reports: tuple[WaitingReport, ...] = ()

    @property
    def more(self) -> int:
        return self.count - len(self.reports)


def work_of(district, access, *, limit: int = 10) -> VerificationWork:
    """The reports of the villages of `access`'s kecamatan waiting for his verification: two
    queries (counts per period, the first `limit` reports), none for a user who verifies no
    village (accounts.policy.may_verify_village: a camat, his kecamatan only)."""
    if not access.can("villages.verify") or not access.kecamatan_ids:
        return VerificationWork()
    waiting = VillageReport.objects.filter(
        district_id=district.pk,
        status=ReportStatus.SUBMITTED,
        village__kecamatan_id__in=sorted(access.kecamatan_ids),
    )
    periods = tuple(
        WaitingPeriod(
            period_id=row["period_id"],
            kind=row["period__kind"],
            number=row["period__number"],
            year=row["period__year"],
            count=row["n"],
        )
        for row in waiting.values("period_id", "period__kind", "period__number", "period__year")
        .annotate(n=Count("pk"))
        .order_by("period__year", "period__kind", "period__number")
    )
    reports = tuple(
        WaitingReport(
            id=row["pk"],
            village_id=row["village_id"],
            village_name=row["village__name"],
            period_id=row["period_id"],
            kind=row["period__kind"],
            number=row["period__number"],
            year=row["period__year"],
            submitted_at=row["submitted_at"],
        )
        for row in waiting.values(
            "pk",
            "village_id",
            "village__name",
            "period_id",
            "period__kind",
            "period__number",
            "period__year",
            "submitted_at",
        ).order_by("submitted_at", "village__name", "pk")[:limit]
    )
    return VerificationWork(count=sum(p.count for p in periods), periods=periods, reports=reports)


@dataclass(frozen=True)
class FocusEntry:
    village_id: int
    code: str
    name: str
    kecamatan_id: int
    kecamatan_name: str


@dataclass(frozen=True)
class FocusList:
    """A year's focus villages with their names (public: names of places, never of people),
    and the decree that names them."""

    year: int
    decree_number: str = ""
    decree_signed_on: object = None
    villages: tuple[FocusEntry, ...] = ()

    @property
    def count(self) -> int:
        return len(self.villages)


def focus_list(districts, year: int) -> dict[int, FocusList]:
    """Each district's focus villages of `year` with their village and kecamatan names, by
    kecamatan and village code, and the decree's number and date: one query."""
    ids = [d.pk for d in districts]
    found = defaultdict(list)
    decrees = {}
    for row in (
        FocusVillage.objects.filter(district_id__in=ids, decree__year=year)
        .values(
            "district_id",
            "village_id",
            "village__code",
            "village__name",
            "village__kecamatan_id",
            "village__kecamatan__name",
            "decree__number",
            "decree__signed_on",
        )
        .order_by("village__kecamatan__code", "village__code")
    ):
        decrees[row["district_id"]] = (row["decree__number"], row["decree__signed_on"])
        found[row["district_id"]].append(
            FocusEntry(
                village_id=row["village_id"],
                code=row["village__code"],
                name=row["village__name"],
                kecamatan_id=row["village__kecamatan_id"],
                kecamatan_name=row["village__kecamatan__name"],
            )
        )
    return {i: FocusList(year, *decrees.get(i, ("", None)), villages=tuple(found[i])) for i in ids}
