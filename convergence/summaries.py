"""The convergence numbers, read only: a year's progress and each action's status and scores.

Convention (the same in every app's summaries.py): each function takes `districts`, an
iterable of `District` instances (one district is `[district]`), and returns a dict keyed by
district id with one entry for every district given, in a fixed number of queries whatever
the number of districts or rows. A single-district page calls it inside the request's scope;
a province or national roll-up inside `accounts.tenancy.rollup_scope(districts)`. The values
are frozen dataclasses holding numbers, codes and ids, never model instances.

"Today" is each district's own date (its time zone): a deliverable is overdue when it is still
open (draft or returned) and its due date has passed there.
"""

from collections import defaultdict
from dataclasses import dataclass, field, fields
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Count, F, Max, Q, Window
from django.db.models.functions import RowNumber

from accounts.models import Role
from accounts.tenancy import each_district
from lib.worklists import first_of_each

from .models import OPEN_STATUSES, Deliverable, DistrictYear, Grade, Indicator, Status, YearAction


@dataclass(frozen=True, kw_only=True)
class DeliverableCounts:
    total: int = 0
    draft: int = 0
    submitted: int = 0
    returned: int = 0
    verified: int = 0
    overdue: int = 0

    @property
    def percent(self) -> int:
        """Verified deliverables in whole percent, as the pages show it."""
        return round(100 * self.verified / self.total) if self.total else 0

    @property
    def verified_percent(self) -> Decimal | None:
        """Verified deliverables in percent with one decimal (None without deliverables)."""
        if not self.total:
            return None
        return (Decimal(100 * self.verified) / self.total).quantize(Decimal("0.1"))

    def counts(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(DeliverableCounts)}


@dataclass(frozen=True, kw_only=True)
class YearProgress(DeliverableCounts):
    """A district year's deliverables by status."""

    district_id: int
    year: int
    is_locked: bool = False


@dataclass(frozen=True, kw_only=True)
class Score:
    """Self-assessment and province scores (points of the chosen grade × the indicator's
    weight, summed; an ungraded indicator scores 0) against the best possible score."""

    self_score: Decimal = Decimal(0)
    province_score: Decimal = Decimal(0)
    maximum: Decimal = Decimal(0)
    indicators: int = 0
    self_graded: int = 0
    province_graded: int = 0

    @property
    def difference(self) -> Decimal:
        return self.province_score - self.self_score

    @property
    def assessed(self) -> bool:
        return bool(self.self_graded or self.province_graded)

    def percent(self, value: Decimal) -> Decimal | None:
        if not self.maximum:
            return None
        return (100 * value / self.maximum).quantize(Decimal("0.1"))

    @property
    def self_percent(self) -> Decimal | None:
        return self.percent(self.self_score)

    @property
    def province_percent(self) -> Decimal | None:
        return self.percent(self.province_score)

    def __add__(self, other: "Score") -> "Score":
        return Score(
            **{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)}
        )


@dataclass(frozen=True, kw_only=True)
class ActionStatus(DeliverableCounts):
    """One action of a district year: its deliverables by status and its scores."""

    number: int
    code: str
    title: str
    lead_agency: str = ""  # the agency's short name
    score: Score = field(default_factory=Score)


@dataclass(frozen=True, kw_only=True)
class YearActions:
    """A district year's actions in framework order, and the year's total score with the
    performance class it reaches (only once every indicator is graded)."""

    progress: YearProgress
    actions: tuple[ActionStatus, ...]
    score: Score
    self_class: str = ""
    province_class: str = ""


def _ids(districts) -> dict[int, object]:
    return {d.pk: d for d in districts}


def _years(districts: dict, year: int | None) -> dict[int, DistrictYear]:
    """district id → its district year (`year`, or its latest when `year` is None)."""
    qs = DistrictYear.objects.filter(district_id__in=list(districts)).select_related("framework")
    if year is not None:
        qs = qs.filter(year=year)
    chosen = {}
    for district_year in qs.order_by("district_id", "-year"):
        chosen.setdefault(district_year.district_id, district_year)
    return chosen


def _overdue(districts: dict, via: str = "") -> Q:
    """Open deliverables past each district's own today (grouped by date: at most one term per
    time zone, not one per district). `via` reads them through a relation."""
    by_day: dict[date, list[int]] = defaultdict(list)
    for district in districts.values():
        by_day[district.local_now().date()].append(district.pk)
    due = Q(pk__in=[])
    for today, ids in by_day.items():
        due |= Q(**{f"{via}district_id__in": ids, f"{via}due_date__lt": today})
    return Q(**{f"{via}status__in": OPEN_STATUSES}) & due


COUNTED = ("total", *Status.values, "overdue")


def _counts(districts: dict, via: str = "") -> dict:
    """The aggregates of `DeliverableCounts`, over deliverables (or through `via`)."""
    counted = f"{via}pk"
    return {
        "total": Count(counted),
        **{s: Count(counted, filter=Q(**{f"{via}status": s})) for s in Status.values},
        "overdue": Count(counted, filter=_overdue(districts, via)),
    }


def year_progress(districts, year: int | None = None) -> dict[int, YearProgress | None]:
    """Each district's deliverables of `year` (of its latest year when `year` is None) by
    status, verified and overdue: two queries. None where the district has no such year."""
    districts = _ids(districts)
    years = _years(districts, year)
    result: dict[int, YearProgress | None] = dict.fromkeys(districts)
    if not years:
        return result
    rows = (
        Deliverable.objects.filter(year_action__district_year__in=list(years.values()))
        .values("year_action__district_year_id")
        .annotate(**_counts(districts))
    )
    counts = {row.pop("year_action__district_year_id"): row for row in rows}
    for district_id, district_year in years.items():
        result[district_id] = YearProgress(
            district_id=district_id,
            year=district_year.year,
            is_locked=district_year.is_locked,
            **counts.get(district_year.pk, {}),
        )
    return result


def year_actions(districts, year: int) -> dict[int, YearActions | None]:
    """Each district's actions of `year` with their deliverables by status and their
    self-assessment and province scores, and the year's totals: four queries. None where the
    district has not opened `year`."""
    districts = _ids(districts)
    years = _years(districts, year)
    result: dict[int, YearActions | None] = dict.fromkeys(districts)
    if not years:
        return result
    year_ids = [y.pk for y in years.values()]
    year_actions = list(
        YearAction.objects.filter(district_year_id__in=year_ids)
        .values(
            "district_year_id",
            "action_id",
            "action__number",
            "action__code",
            "action__title",
            "lead_agency__short_name",
        )
        .annotate(**_counts(districts, "deliverables__"))
        .order_by("district_year_id", "action__number")
    )
    indicators = defaultdict(list)  # action id → [(indicator id, weight, best points)]
    for row in (
        Indicator.objects.filter(action__framework_id__in={y.framework_id for y in years.values()})
        .values("pk", "action_id", "weight")
        .annotate(best=Max("options__points"))
    ):
        indicators[row["action_id"]].append((row["pk"], row["weight"], row["best"] or 0))
    points = {
        (g["district_year_id"], g["indicator_id"], g["source"]): g["option__points"]
        for g in Grade.objects.filter(district_year_id__in=year_ids).values(
            "district_year_id", "indicator_id", "source", "option__points"
        )
    }
    by_year = defaultdict(list)
    for row in year_actions:
        score = Score()
        for indicator_id, weight, best in indicators[row["action_id"]]:
            own = points.get((row["district_year_id"], indicator_id, Grade.Source.SELF))
            province = points.get((row["district_year_id"], indicator_id, Grade.Source.PROVINCE))
            score += Score(
                self_score=(own or 0) * weight,
                province_score=(province or 0) * weight,
                maximum=best * weight,
                indicators=1,
                self_graded=int(own is not None),
                province_graded=int(province is not None),
            )
        by_year[row["district_year_id"]].append(
            ActionStatus(
                number=row["action__number"],
                code=row["action__code"],
                title=row["action__title"],
                lead_agency=row["lead_agency__short_name"] or "",
                score=score,
                **{f: row[f] for f in COUNTED},
            )
        )
    for district_id, district_year in years.items():
        actions = tuple(by_year[district_year.pk])
        total = sum((a.score for a in actions), Score())
        framework = district_year.framework
        complete = total.indicators
        result[district_id] = YearActions(
            progress=YearProgress(
                district_id=district_id,
                year=district_year.year,
                is_locked=district_year.is_locked,
                **{f: sum(getattr(a, f) for a in actions) for f in COUNTED},
            ),
            actions=actions,
            score=total,
            self_class=framework.class_for(total.self_percent)
            if total.self_graded == complete
            else "",
            province_class=framework.class_for(total.province_percent)
            if total.province_graded == complete
            else "",
        )
    return result


@dataclass(frozen=True, kw_only=True)
class DeliverableLine:
    """One deliverable of a district year as a report lists it."""

    action_number: int
    number: int
    title: str
    due_date: date
    status: str
    submitted_at: object = None  # aware datetimes, None until it happens
    verified_at: object = None

    @property
    def status_label(self) -> str:
        return str(Status(self.status).label)


def deliverables(districts, year: int) -> dict[int, tuple[DeliverableLine, ...]]:
    """Each district's deliverables of `year` in action and template order: one query."""
    ids = list(_ids(districts))
    found = defaultdict(list)
    for row in (
        Deliverable.objects.filter(district_id__in=ids, year_action__district_year__year=year)
        .values(
            "district_id",
            "year_action__action__number",
            "template__number",
            "template__title",
            "due_date",
            "status",
            "submitted_at",
            "verified_at",
        )
        .order_by("district_id", "year_action__action__number", "template__number")
    ):
        found[row["district_id"]].append(
            DeliverableLine(
                action_number=row["year_action__action__number"],
                number=row["template__number"],
                title=row["template__title"],
                due_date=row["due_date"],
                status=row["status"],
                submitted_at=row["submitted_at"],
                verified_at=row["verified_at"],
            )
        )
    return {i: tuple(found[i]) for i in ids}


@dataclass(frozen=True, kw_only=True)
class Deadline:
    """An open deliverable (draft or returned) due today or later."""

    id: object  # UUID
    action_number: int
    title: str
    due_date: date
    status: str


def next_deadlines(districts, year: int | None = None, *, limit: int = 5) -> dict[int, tuple]:
    """Each district's next `limit` open deliverables of `year` (of its latest year when None)
    due from its own today on, earliest first: two queries (a window numbers the rows of each
    district, so the rows read do not grow with the data)."""
    districts = _ids(districts)
    years = _years(districts, year)
    result: dict[int, tuple] = {i: () for i in districts}
    if not years:
        return result
    by_day: dict[date, list[int]] = defaultdict(list)
    for district in districts.values():
        by_day[district.local_now().date()].append(district.pk)
    ahead = Q(pk__in=[])
    for today, ids in by_day.items():
        ahead |= Q(district_id__in=ids, due_date__gte=today)
    rows = (
        Deliverable.objects.filter(
            ahead,
            year_action__district_year__in=list(years.values()),
            status__in=OPEN_STATUSES,
        )
        .annotate(
            place=Window(
                RowNumber(),
                partition_by=F("district_id"),
                order_by=[F("due_date").asc(), F("year_action__action__number").asc(), "pk"],
            )
        )
        .filter(place__lte=limit)
        .values("pk", "district_id", "due_date", "status", "template__title")
        .annotate(action_number=F("year_action__action__number"))
        .order_by("district_id", "due_date", "action_number", "pk")
    )
    found = defaultdict(list)
    for row in rows:
        found[row["district_id"]].append(
            Deadline(
                id=row["pk"],
                action_number=row["action_number"],
                title=row["template__title"],
                due_date=row["due_date"],
                status=row["status"],
            )
        )
    return {i: tuple(found[i]) for i in districts}


# --- one person's work (the home page) --------------------------------------------------------

WORK_AHEAD_DAYS = 30


@dataclass(frozen=True, kw_only=True)
class WorkItem:
    """A deliverable on someone's list: where it is and when it is due."""

    id: object  # UUID
    year: int
    action_number: int
    action_title: str
    title: str
    due_date: date
    status: str


@dataclass(frozen=True, kw_only=True)
class WorkList:
    """The first rows of a list and how many there are in all."""

    count: int = 0
    items: tuple[WorkItem, ...] = ()

    @property
    def more(self) -> int:
        return self.count - len(self.items)


@dataclass(frozen=True, kw_only=True)
class ConvergenceWork:
    """What waits for one user on the convergence board of his district's open years.

    to_verify: submitted deliverables (the district admin verifies them). Of the deliverables
    he works on (OPD staff: the actions his agency leads or that name him responsible) late:
    open past due; returned: sent back to him, not yet late; due_soon: drafts due within
    WORK_AHEAD_DAYS days."""

    to_verify: WorkList = field(default_factory=WorkList)
    late: WorkList = field(default_factory=WorkList)
    returned: WorkList = field(default_factory=WorkList)
    due_soon: WorkList = field(default_factory=WorkList)

    @property
    def any(self) -> bool:
        return any(getattr(self, f.name).count for f in fields(self))


WORK_KINDS = ("to_verify", "late", "returned", "due_soon")


def work_of(district, access, *, limit: int = 10) -> ConvergenceWork:
    """The deliverables waiting for `access`'s user in `district` (only open years), at most
    `limit` of each list, earliest due first: two queries (one counts, one reads the rows
    numbered per list by a window), none for a user with nothing to do on the board.

    An OPD user's lists hold only his own deliverables (accounts.policy.may_work_on_deliverable:
    the actions his agency leads or that name him responsible, and the deliverables his agency
    supports); the list to verify only the district admin's."""
    today = district.local_now().date()
    kinds: dict[str, Q] = {}
    if access.has_role(Role.DISTRICT_ADMIN):
        kinds["to_verify"] = Q(status=Status.SUBMITTED)
    if access.has_role(Role.OPD_STAFF) and access.user_id is not None:
        agencies = sorted(access.agency_ids)
        own = (
            Q(year_action__lead_agency_id__in=agencies)
            | Q(supporting_agency_id__in=agencies)
            | Q(
                year_action__in=YearAction.objects.filter(
                    district_id=district.pk, responsible=access.user_id
                ).values("pk")
            )
        )
        kinds["late"] = own & Q(status__in=OPEN_STATUSES, due_date__lt=today)
        kinds["returned"] = own & Q(status=Status.RETURNED, due_date__gte=today)
        kinds["due_soon"] = own & Q(
            status=Status.DRAFT,
            due_date__gte=today,
            due_date__lte=today + timedelta(days=WORK_AHEAD_DAYS),
        )
    if not kinds:
        return ConvergenceWork()
    numbers = {kind: number for number, kind in enumerate(WORK_KINDS)}
    counts, rows = first_of_each(
        Deliverable.objects.filter(
            district_id=district.pk, year_action__district_year__status=DistrictYear.Status.OPEN
        ),
        {numbers[k]: condition for k, condition in kinds.items()},
        order_by=["due_date", "year_action__action__number", "pk"],
        limit=limit,
        fields=[
            "pk",
            "due_date",
            "status",
            "template__title",
            "year_action__action__number",
            "year_action__action__title",
            "year_action__district_year__year",
        ],
    )
    items = defaultdict(list)
    for row in rows:
        items[row["which"]].append(
            WorkItem(
                id=row["pk"],
                year=row["year_action__district_year__year"],
                action_number=row["year_action__action__number"],
                action_title=row["year_action__action__title"],
                title=row["template__title"],
                due_date=row["due_date"],
                status=row["status"],
            )
        )
    return ConvergenceWork(
        **{
            kind: WorkList(count=counts.get(numbers[kind], 0), items=tuple(items[numbers[kind]]))
            for kind in kinds
        }
    )


def districts_with_year(year: int):
    """Each district that has `year` open or locked (closed), entered one at a time inside its
    scope and time zone (accounts.tenancy.each_district): the annual evaluation's --all and
    its January schedule."""
    return each_district(DistrictYear, year=year)


def opened_years(district) -> dict[int, bool]:
    """The years the district has opened, newest first: year → whether it is locked (closed)."""
    rows = DistrictYear.objects.filter(district=district).order_by("-year")
    return {
        year: status == DistrictYear.Status.LOCKED
        for year, status in rows.values_list("year", "status")
    }
