"""The commitment numbers, read only: documents by status and the district's latest, the
signatures of the current versions, and the follow-ups by status, late, by owner and by
document.

Convention (the same in every app's summaries.py): each function takes `districts`, an
iterable of `District` instances (one district is `[district]`), and returns a dict keyed by
district id with one entry for every district given, in a fixed number of queries whatever
the number of districts or rows. A single-district page calls it inside the request's scope;
a province or national roll-up inside `accounts.tenancy.rollup_scope(districts)`. The values
are frozen dataclasses holding numbers, codes and ids, never model instances. `year`, when
given, keeps the documents of that year (and their signatures and follow-ups); they count
every document of the district, whatever the caller may open.

A follow-up is late when its due date has passed in its district's time zone and it is neither
done nor verified (`FollowUp.is_overdue`).
"""

from collections import defaultdict
from dataclasses import dataclass, field, fields
from datetime import date, timedelta

from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
    Window,
)
from django.db.models.functions import RowNumber

from accounts.models import Role
from lib.worklists import first_of_each
from rembuk.models import Level

from .models import (
    FOLLOW_UP_FINISHED,
    CommitmentDocument,
    DocumentVersion,
    FollowUp,
    FollowUpStatus,
    Signatory,
    Signature,
)


def _ids(districts) -> dict[int, object]:
    return {d.pk: d for d in districts}


def _of_year(qs, year: int | None, path: str = ""):
    return qs if year is None else qs.filter(**{f"{path}year": year})


# --- Documents --------------------------------------------------------------------------------


@dataclass(frozen=True)
class LatestDocument:
    """The district's own (district-level) commitment that its home page shows: a signed one
    first, then the newest."""

    id: object  # UUID
    status: str
    title: str  # of its current version
    year: int

    @property
    def status_label(self) -> str:
        return CommitmentDocument.Status(self.status).label

    @property
    def is_signed(self) -> bool:
        return self.status == CommitmentDocument.Status.SIGNED


@dataclass(frozen=True)
class Documents:
    by_status: dict = field(default_factory=dict)  # status → count (absent statuses omitted)
    latest: LatestDocument | None = None

    @property
    def total(self) -> int:
        return sum(self.by_status.values())


def documents(districts, year: int | None = None) -> dict[int, Documents]:
    """Each district's commitment documents by status, and its latest district-level one:
    two queries."""
    ids = list(_ids(districts))
    these = _of_year(CommitmentDocument.objects.filter(district_id__in=ids), year)
    counts: dict[int, dict] = {i: {} for i in ids}
    for row in these.values("district_id", "status").annotate(n=Count("pk")).order_by():
        counts[row["district_id"]][row["status"]] = row["n"]
    title = (
        DocumentVersion.objects.filter(document=OuterRef("pk")).order_by("-number").values("title")
    )
    signed_first = Case(
        When(status=CommitmentDocument.Status.SIGNED, then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
    latest = {
        row["district_id"]: LatestDocument(
            id=row["pk"], status=row["status"], title=row["title"] or "", year=row["year"]
        )
        # the first row of each district in this order (a window, not PostgreSQL's DISTINCT ON:
        # `make run` is SQLite)
        for row in these.filter(level=Level.DISTRICT)
        .annotate(
            title=Subquery(title[:1]),
            rank=Window(
                RowNumber(),
                partition_by=[F("district_id")],
                order_by=[signed_first.asc(), F("created_at").desc()],
            ),
        )
        .filter(rank=1)
        .values("pk", "district_id", "status", "title", "year")
    }
    statuses = CommitmentDocument.Status.values
    return {
        i: Documents(
            by_status={s: counts[i][s] for s in statuses if s in counts[i]},
            latest=latest.get(i),
        )
        for i in ids
    }


# --- Signatures -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Signatures:
    """The places to sign on the documents' current versions, and how many are signed."""

    signed: int = 0
    total: int = 0

    @property
    def waiting(self) -> int:
        return self.total - self.signed


def signatures(districts, year: int | None = None) -> dict[int, Signatures]:
    """Each district's signatures on current (not void) versions: one query."""
    ids = list(_ids(districts))
    places = _of_year(
        Signatory.objects.filter(district_id__in=ids, version__voided_at__isnull=True),
        year,
        "version__document__",
    )
    found = {
        row["district_id"]: Signatures(signed=row["signed"], total=row["total"])
        for row in places.values("district_id")
        .annotate(total=Count("pk"), signed=Count("signature"))
        .order_by()
    }
    return {i: found.get(i, Signatures()) for i in ids}


# --- Follow-ups -------------------------------------------------------------------------------


@dataclass(frozen=True)
class FollowUpCounts:
    not_started: int = 0
    in_progress: int = 0
    done: int = 0  # done, waiting for verification
    verified: int = 0
    missed: int = 0
    late: int = 0  # past due and neither done nor verified, across the statuses above

    @property
    def total(self) -> int:
        return sum(getattr(self, s) for s in FollowUpStatus.values)

    @property
    def completed(self) -> int:
        """Done, verified or waiting for verification."""
        return self.done + self.verified

    def __add__(self, other: "FollowUpCounts") -> "FollowUpCounts":
        return FollowUpCounts(
            **{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)}
        )


@dataclass(frozen=True)
class Owner:
    kind: str  # "agency" or "village"
    id: int
    name: str  # the agency's short name, or the village's name


@dataclass(frozen=True)
class FollowUps:
    all: FollowUpCounts = field(default_factory=FollowUpCounts)
    by_owner: dict = field(default_factory=dict)  # Owner → FollowUpCounts
    by_document: dict = field(default_factory=dict)  # document id → {status: count}
    # (document id, point) → FollowUpCounts: one roll-up line per point, however many owners
    # (every village, several agencies) track it
    by_point: dict = field(default_factory=dict)


def _late(districts: dict) -> Q:
    """Past each district's own today (one term per date, not per district), not finished."""
    by_day: dict[date, list[int]] = defaultdict(list)
    for district in districts.values():
        by_day[district.local_now().date()].append(district.pk)
    due = Q(pk__in=[])
    for today, ids in by_day.items():
        due |= Q(district_id__in=ids, due_on__lt=today)
    return due & ~Q(status__in=FOLLOW_UP_FINISHED)


def follow_ups(districts, year: int | None = None) -> dict[int, FollowUps]:
    """Each district's follow-ups by status and late: in all, by owner (agency or village),
    by document and by point of a document: one query."""
    districts = _ids(districts)
    rows = (
        _of_year(FollowUp.objects.filter(district_id__in=list(districts)), year, "document__")
        .values(
            "district_id",
            "document_id",
            "point",
            "owner_agency_id",
            "owner_agency__short_name",
            "owner_village_id",
            "owner_village__name",
            "status",
        )
        .annotate(n=Count("pk"), late=Count("pk", filter=_late(districts)))
        .order_by()
    )
    totals = {i: FollowUpCounts() for i in districts}
    owners: dict[int, dict] = {i: defaultdict(FollowUpCounts) for i in districts}
    by_document: dict[int, dict] = {i: defaultdict(dict) for i in districts}
    by_point: dict[int, dict] = {i: defaultdict(FollowUpCounts) for i in districts}
    for row in rows:
        one = FollowUpCounts(**{row["status"]: row["n"]}, late=row["late"])
        district_id = row["district_id"]
        totals[district_id] += one
        if row["owner_agency_id"]:
            owner = Owner("agency", row["owner_agency_id"], row["owner_agency__short_name"])
        else:
            owner = Owner("village", row["owner_village_id"], row["owner_village__name"])
        owners[district_id][owner] += one
        per_status = by_document[district_id][row["document_id"]]
        per_status[row["status"]] = per_status.get(row["status"], 0) + row["n"]
        by_point[district_id][(row["document_id"], row["point"])] += one
    return {
        i: FollowUps(
            all=totals[i],
            by_owner=dict(sorted(owners[i].items(), key=lambda kv: (kv[0].kind, kv[0].name))),
            by_document={
                doc: {s: counts[s] for s in FollowUpStatus.values if s in counts}
                for doc, counts in by_document[i].items()
            },
            by_point=dict(sorted(by_point[i].items(), key=lambda kv: (str(kv[0][0]), kv[0][1]))),
        )
        for i in districts
    }


# --- one person's work (the home page) --------------------------------------------------------

FOLLOW_UP_AHEAD_DAYS = 30


@dataclass(frozen=True, kw_only=True)
class ToSign:
    """A commitment document waiting for the user's signature."""

    document_id: object  # UUID
    title: str
    year: int
    position: str  # the place he signs in


@dataclass(frozen=True, kw_only=True)
class FollowUpItem:
    id: object  # UUID
    point: int
    text: str
    owner: str
    due_on: date
    status: str


@dataclass(frozen=True, kw_only=True)
class CommitmentWork:
    """What waits for one user among the commitments: documents to sign (he is a listed
    signatory of the current version of a document being signed, and has not signed),
    follow-ups reported done and waiting for his verification (the district admin, or the
    verifier a follow-up names), and his agency's or village's unfinished follow-ups due within
    FOLLOW_UP_AHEAD_DAYS days or late. Each: the count in all and the first rows."""

    to_sign_count: int = 0
    to_sign: tuple[ToSign, ...] = ()
    to_verify_count: int = 0
    to_verify: tuple[FollowUpItem, ...] = ()
    own_count: int = 0
    own: tuple[FollowUpItem, ...] = ()

    @property
    def any(self) -> bool:
        return bool(self.to_sign_count or self.to_verify_count or self.own_count)


def work_of(district, access, *, limit: int = 10) -> CommitmentWork:
    """The commitments waiting for `access`'s user in `district`: four queries (count and
    rows of the documents to sign, counts and rows of the follow-ups numbered per list by a
    window), whatever the data; read-only roles sign nothing and verify nothing."""
    if access.read_only or access.user_id is None:  # (None would match unlinked places)
        return CommitmentWork()
    places = Signatory.objects.filter(
        district_id=district.pk,
        user_id=access.user_id,
        signature__isnull=True,
        version__voided_at__isnull=True,
        version__document__status=CommitmentDocument.Status.SIGNING,
    )
    to_sign_count = places.count()
    to_sign = tuple(
        ToSign(
            document_id=row["version__document_id"],
            title=row["version__title"],
            year=row["version__document__year"],
            position=row["position"],
        )
        for row in places.values(
            "version__document_id", "version__title", "version__document__year", "position"
        ).order_by("version__signed_on", "version__title", "pk")[:limit]
    )
    today = district.local_now().date()
    kinds = {}
    if access.can("commitments.follow"):
        may_verify = Q(verifier_id=access.user_id)
        if access.has_role(Role.DISTRICT_ADMIN):
            may_verify = Q(pk__isnull=False)
        kinds[0] = may_verify & Q(status=FollowUpStatus.DONE)
        owned = Q(owner_agency_id__in=sorted(access.agency_ids)) | Q(
            owner_village_id__in=sorted(access.village_ids)
        )
        kinds[1] = (
            owned
            & ~Q(status__in=(*FOLLOW_UP_FINISHED, FollowUpStatus.MISSED))
            & Q(due_on__lte=today + timedelta(days=FOLLOW_UP_AHEAD_DAYS))
        )
    if not kinds:
        return CommitmentWork(to_sign_count=to_sign_count, to_sign=to_sign)
    counts, rows = first_of_each(
        FollowUp.objects.filter(district_id=district.pk),
        kinds,
        order_by=["due_on", "point", "pk"],
        limit=limit,
        fields=[
            "pk",
            "point",
            "text",
            "due_on",
            "status",
            "owner_agency__short_name",
            "owner_village__name",
        ],
    )
    lists = defaultdict(list)
    for row in rows:
        lists[row["which"]].append(
            FollowUpItem(
                id=row["pk"],
                point=row["point"],
                text=row["text"],
                owner=row["owner_agency__short_name"] or row["owner_village__name"] or "",
                due_on=row["due_on"],
                status=row["status"],
            )
        )
    return CommitmentWork(
        to_sign_count=to_sign_count,
        to_sign=to_sign,
        to_verify_count=counts.get(0, 0),
        to_verify=tuple(lists[0]),
        own_count=counts.get(1, 0),
        own=tuple(lists[1]),
    )


# --- Signed documents, for the public page ----------------------------------------------------


@dataclass(frozen=True)
class SignedDocument:
    """A fully signed commitment document as the public may see it: no signatory's name or
    NIP, only how many signed, and the token of its public verification page."""

    id: object  # UUID
    title: str
    signed_on: date
    year: int
    level: str
    area: str  # the kecamatan's or village's name; "" for the district's own
    signatures: int
    verify_token: str  # "" while the final PDF is not there

    @property
    def level_label(self) -> str:
        return Level(self.level).label


@dataclass(frozen=True)
class SignedDocuments:
    total: int = 0
    latest: tuple = ()  # SignedDocument, the newest first, at most `limit`


def signed_documents(districts, *, limit: int = 30) -> dict[int, SignedDocuments]:
    """Each district's fully signed commitment documents (their current version), the newest
    signing date first, at most `limit` of them, and how many there are: one query."""
    ids = list(_ids(districts))
    signed = (
        Signature.objects.filter(signatory__version=OuterRef("pk"))
        .values("signatory__version")
        .annotate(n=Count("pk"))
        .values("n")
    )
    rows = (
        DocumentVersion.objects.filter(
            district_id__in=ids, document__status=CommitmentDocument.Status.SIGNED
        )
        .annotate(
            rank=Window(
                RowNumber(), partition_by=[F("document_id")], order_by=[F("number").desc()]
            ),
            signatures=Subquery(signed[:1], output_field=IntegerField()),
        )
        .filter(rank=1)
        .values(
            "document_id",
            "district_id",
            "title",
            "signed_on",
            "document__year",
            "document__level",
            "document__kecamatan__name",
            "document__village__name",
            "signatures",
            "final_id",
            "verify_token",
        )
    )
    found = defaultdict(list)
    for row in rows:
        found[row["district_id"]].append(
            SignedDocument(
                id=row["document_id"],
                title=row["title"],
                signed_on=row["signed_on"],
                year=row["document__year"],
                level=row["document__level"],
                area=row["document__village__name"] or row["document__kecamatan__name"] or "",
                signatures=row["signatures"] or 0,
                verify_token=row["verify_token"] if row["final_id"] else "",
            )
        )
    result = {}
    for i in ids:
        rows_i = sorted(found[i], key=lambda d: (d.signed_on, d.title), reverse=True)
        result[i] = SignedDocuments(total=len(rows_i), latest=tuple(rows_i[:limit]))
    return result
