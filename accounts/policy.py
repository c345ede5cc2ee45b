"""Who may do what: the one place that decides it.

A user's memberships in a district become an `Access`: the roles held there and the parts of
the district they cover. Views declare what they need with one decorator (`district_view`,
`national_view`, `user_view`, `public_view`); tests/accounts/test_url_access.py walks every
URL pattern and derives the expected answer from the same declarations.

What a role may do in general is a permission (`DISTRICT_PERMISSIONS`, checked by the view
decorators); what one user may do with one record is an object rule, `may_<verb>_<object>(access,
obj) -> bool`, below. This module sits below the feature apps and does not import them: the
rules read the record's attributes (ids and status values). A view refuses with `require`:
404 for a record the user may not see, 403 for one he sees but may not change.
tests/accounts/test_policy_table.py holds both, written out by hand.
"""

from dataclasses import dataclass, field
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseNotAllowed

from villages.models import Province

from .models import Membership, Role

DISTRICT_WIDE = frozenset(
    {
        Role.DISTRICT_ADMIN,
        Role.OPD_STAFF,
        Role.EXECUTIVE,
        Role.PROVINCE_VIEWER,
        Role.NATIONAL_VIEWER,
        Role.NATIONAL_ADMIN,
    }
)
READ_ONLY_ROLES = frozenset({Role.PROVINCE_VIEWER, Role.NATIONAL_VIEWER, Role.NATIONAL_ADMIN})
MFA_ROLES = frozenset(
    {Role.DISTRICT_ADMIN, Role.PROVINCE_VIEWER, Role.NATIONAL_VIEWER, Role.NATIONAL_ADMIN}
)

ALL_DISTRICT_ROLES = frozenset(Role)

# permission -> roles that hold it inside a district
DISTRICT_PERMISSIONS: dict[str, frozenset[Role]] = {
    "district.view": ALL_DISTRICT_ROLES,
    # the status of a background job of the district (progress; its message only for the one
    # who asked and the admins, documents.views)
    "jobs.view": ALL_DISTRICT_ROLES,
    # send a failed or stuck job again (the secretariat keeps the portal running)
    "jobs.retry": frozenset({Role.DISTRICT_ADMIN}),
    "district.edit": frozenset({Role.DISTRICT_ADMIN}),
    "members.manage": frozenset({Role.DISTRICT_ADMIN}),
    "audit.view": frozenset({Role.DISTRICT_ADMIN}),
    "regions.view": frozenset(ALL_DISTRICT_ROLES - {Role.VILLAGE_HEAD, Role.KPM}),
    "agencies.manage": frozenset({Role.DISTRICT_ADMIN}),
    # the convergence board: everyone district-wide reads it; camat and villages do not
    "convergence.view": DISTRICT_WIDE,
    # upload evidence, fill data, submit, comment (OPD staff: on their own actions only)
    "convergence.work": frozenset({Role.DISTRICT_ADMIN, Role.OPD_STAFF}),
    # open/set up/lock years, verify or return, bulk import
    "convergence.manage": frozenset({Role.DISTRICT_ADMIN}),
    # the 2025 model's kecamatan stage: the district and the camat read it (a camat his own
    # kecamatan's rows); the kecamatan (its camat's account) or the district admin fills a row,
    # and only the camat of that kecamatan verifies or returns it
    "convergence.kecamatan_view": frozenset(DISTRICT_WIDE | {Role.CAMAT}),
    "convergence.kecamatan_fill": frozenset({Role.DISTRICT_ADMIN, Role.CAMAT}),
    "convergence.kecamatan_verify": frozenset({Role.DISTRICT_ADMIN, Role.CAMAT}),
    "assessment.self": frozenset({Role.DISTRICT_ADMIN}),
    "assessment.province": frozenset({Role.PROVINCE_VIEWER}),
    # focus villages: the district and the camat read the lists; the admin keeps them
    "focus.view": frozenset(DISTRICT_WIDE | {Role.CAMAT}),
    "focus.manage": frozenset({Role.DISTRICT_ADMIN}),
    # village reports. Object checks (village_reports.reports.village_for) narrow every one of these
    # to the user's own village (village head, KPM) or kecamatan (camat).
    "villages.view": ALL_DISTRICT_ROLES,
    "villages.fill": frozenset({Role.VILLAGE_HEAD, Role.KPM}),
    "villages.verify": frozenset({Role.CAMAT}),
    "villages.completeness": frozenset(DISTRICT_WIDE | {Role.CAMAT}),
    "villages.periods": frozenset({Role.DISTRICT_ADMIN}),
    # the camat's recap of his kecamatan's verified reports: the district accepts or returns it
    # (the camat forwards it with villages.verify)
    "villages.recap": frozenset({Role.DISTRICT_ADMIN}),
    # verify or return village reports on behalf of a kecamatan without an active camat account
    # (the service refuses where the kecamatan has one)
    "villages.on_behalf": frozenset({Role.DISTRICT_ADMIN}),
    # the village profile printed on its documents (office address, head, secretary): the
    # village head keeps his own village's, the district admin any village's
    "villages.profile": frozenset({Role.DISTRICT_ADMIN, Role.VILLAGE_HEAD}),
    # rembuk sessions and commitment documents. Object checks narrow these by level: a camat
    # keeps his kecamatan's (and its villages') sessions, a village head his village's; the
    # district's own sessions are read by everyone in the district.
    "rembuk.view": ALL_DISTRICT_ROLES,
    "rembuk.manage": frozenset({Role.DISTRICT_ADMIN, Role.CAMAT, Role.VILLAGE_HEAD}),
    "commitments.view": ALL_DISTRICT_ROLES,
    "commitments.manage": frozenset({Role.DISTRICT_ADMIN, Role.CAMAT, Role.VILLAGE_HEAD}),
    # sign: only where the user is a listed signatory (checked on the object)
    "commitments.sign": frozenset(ALL_DISTRICT_ROLES - READ_ONLY_ROLES),
    # follow-up: owners (OPD staff of the owner agency, the owner village) report progress;
    # the district admin verifies
    "commitments.follow": frozenset(
        {Role.DISTRICT_ADMIN, Role.OPD_STAFF, Role.CAMAT, Role.VILLAGE_HEAD, Role.KPM}
    ),
    # the district's own document templates (its wording, reused every year), and issuing one
    # village document to every village (or the focus villages, or a kecamatan): the
    # secretariat. Everyone who creates documents may start one from a template; each reads
    # the completion list of an issue for the villages he may see.
    "commitments.templates": frozenset({Role.DISTRICT_ADMIN}),
    "commitments.issue": frozenset({Role.DISTRICT_ADMIN}),
    # outcome data (prevalence, indicators, targets): everyone reads the district's figures
    # (a camat also his kecamatan's, a village head his village's: may_see_area); the admin
    # enters, imports and sets targets
    "outcomes.view": ALL_DISTRICT_ROLES,
    "outcomes.manage": frozenset({Role.DISTRICT_ADMIN}),
    # the district dashboard (reports/): the executive and the secretariat, the camat for his
    # kecamatan, and the read-only viewers above the district
    "dashboard.view": frozenset(
        {Role.EXECUTIVE, Role.DISTRICT_ADMIN, Role.CAMAT} | READ_ONLY_ROLES
    ),
    # what the district shows on its public page (/publik/<slug>/): the secretariat decides
    "publication.manage": frozenset({Role.DISTRICT_ADMIN}),
    # the annual evaluation (reports/): the secretariat writes it and requests its versions,
    # the Sekda approves one as the year's final version; they and the viewers above the
    # district read it
    "evaluation.view": frozenset({Role.DISTRICT_ADMIN, Role.EXECUTIVE} | READ_ONLY_ROLES),
    "evaluation.manage": frozenset({Role.DISTRICT_ADMIN}),
    "evaluation.approve": frozenset({Role.EXECUTIVE}),
}
# permission -> roles that hold it nationally (memberships without a district)
NATIONAL_PERMISSIONS: dict[str, frozenset[Role]] = {
    "regions.import": frozenset({Role.NATIONAL_ADMIN}),
    "frameworks.manage": frozenset({Role.NATIONAL_ADMIN}),
    # one file of outcome values for many districts (each district's own admin imports with
    # outcomes.manage)
    "outcomes.import_national": frozenset({Role.NATIONAL_ADMIN}),
}


@dataclass(frozen=True)
class Access:
    """What one user may see and do in one district."""

    district_id: int
    roles: frozenset[Role]
    user_id: int | None = None
    kecamatan_ids: frozenset[int] = field(default_factory=frozenset)
    village_ids: frozenset[int] = field(default_factory=frozenset)
    village_kecamatan_ids: frozenset[int] = field(default_factory=frozenset)
    agency_ids: frozenset[int] = field(default_factory=frozenset)

    def can(self, permission: str) -> bool:
        allowed = DISTRICT_PERMISSIONS.get(permission)
        if allowed is None:
            raise KeyError(f"unknown permission {permission!r}")
        return bool(self.roles & allowed)

    def has_role(self, *roles: Role) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def district_wide(self) -> bool:
        return bool(self.roles & DISTRICT_WIDE)

    @property
    def read_only(self) -> bool:
        return self.roles <= READ_ONLY_ROLES

    def scope(self) -> dict:
        """The django-scopes dimensions for this access.

        `None` in django-scopes means "every value"; it is given only for district-wide
        roles, decided here from the roles alone. A camat is limited to his kecamatan (every
        village in it); a village head or KPM to his village and its kecamatan. Both come as
        lists, never empty: a role that needs a scope cannot exist without one (see the
        Membership constraint). Every model scoped by village is also scoped by kecamatan
        (tests/accounts/test_tenancy.py checks it), so a camat's open village dimension never
        reaches beyond his kecamatan. A user who is both camat and village head is scoped as
        camat.
        """
        scope = {"district": self.district_id}
        if self.district_wide:
            scope["kecamatan"] = None
            scope["village"] = None
        elif self.kecamatan_ids:
            scope["kecamatan"] = sorted(self.kecamatan_ids)
            scope["village"] = None
        else:
            scope["kecamatan"] = sorted(self.village_kecamatan_ids) or [-1]
            scope["village"] = sorted(self.village_ids) or [-1]
        return scope


def memberships_of(request) -> list[Membership]:
    """The active memberships of the logged-in user, loaded once per request (and between
    requests from the cache: `cached_memberships`)."""
    cached = getattr(request, "_memberships", None)
    if cached is None:
        if not request.user.is_authenticated:
            cached = []
        else:
            cached = cached_memberships(request.user.pk)
        request._memberships = cached
    return cached


# The memberships with their district, province, kecamatan, village and agency are one query of
# seven joined tables whose planning alone takes PostgreSQL 1.5 ms: a quarter of an empty page.
# They are kept in the shared cache (Redis) per user, for at most MEMBERSHIPS_SECONDS:
# - a membership saved or deleted (granted, ended, its scope changed) forgets its user's entry
#   at once and again after the commit (accounts.signals), so a removed role is gone on the
#   next request;
# - a district, province, kecamatan, village or agency saved or deleted (renamed, retired, its
#   time zone changed) moves REGIONS_GENERATION on, which every entry is checked against (read
#   in the same round trip);
# - a bulk update that sends no signal (the national region import) shows within the minute.
# Without Redis the cache is a database table, where a read is a query: the query is made.
MEMBERSHIPS_SECONDS = 60
REGIONS_GENERATION = "memberships-regions-generation"


def memberships_key(user_id) -> str:
    return f"memberships:{user_id}"


def load_memberships(user_id) -> list[Membership]:
    return list(
        Membership.objects.active()
        .filter(user_id=user_id)
        .select_related("district__province", "province", "kecamatan", "village", "agency")
    )


def cached_memberships(user_id) -> list[Membership]:
    from django.conf import settings
    from django.core.cache import cache

    if not settings.REDIS_URL:
        return load_memberships(user_id)
    key = memberships_key(user_id)
    found = cache.get_many([key, REGIONS_GENERATION])
    generation = found.get(REGIONS_GENERATION, 0)
    entry = found.get(key)
    if entry is not None and entry[0] == generation:
        return entry[1]
    memberships = load_memberships(user_id)
    cache.set(key, (generation, memberships), MEMBERSHIPS_SECONDS)
    return memberships


def access_for(memberships: list[Membership], district) -> Access | None:
    """The user's access to `district`, or None when they have no business there."""
    roles: set[Role] = set()
    kecamatan_ids: set[int] = set()
    village_ids: set[int] = set()
    village_kecamatan_ids: set[int] = set()
    agency_ids: set[int] = set()
    for m in memberships:
        role = Role(m.role)
        if role in (Role.NATIONAL_VIEWER, Role.NATIONAL_ADMIN):
            roles.add(role)
        elif role == Role.PROVINCE_VIEWER and m.province_id == district.province_id:
            roles.add(role)
        elif m.district_id == district.id:
            roles.add(role)
            if role == Role.CAMAT:
                kecamatan_ids.add(m.kecamatan_id)
            elif role in (Role.VILLAGE_HEAD, Role.KPM):
                village_ids.add(m.village_id)
                village_kecamatan_ids.add(m.village.kecamatan_id)
            elif role == Role.OPD_STAFF:
                agency_ids.add(m.agency_id)
    if not roles:
        return None
    return Access(
        district_id=district.id,
        roles=frozenset(roles),
        user_id=memberships[0].user_id,
        kecamatan_ids=frozenset(kecamatan_ids),
        village_ids=frozenset(village_ids),
        village_kecamatan_ids=frozenset(village_kecamatan_ids),
        agency_ids=frozenset(agency_ids),
    )


def national_roles(memberships: list[Membership]) -> frozenset[Role]:
    return frozenset(Role(m.role) for m in memberships if m.district_id is None)


def needs_mfa(memberships: list[Membership]) -> bool:
    return any(Role(m.role) in MFA_ROLES for m in memberships)


@dataclass(frozen=True)
class AccessRule:
    """Declared on every view; read by the URL-walking test."""

    kind: str  # "district" | "national" | "rollup" | "user" | "public"
    permission: str | None = None
    methods: tuple[str, ...] = ("GET", "HEAD")


def _check_method(request, methods):
    if request.method not in methods:
        return HttpResponseNotAllowed(methods)
    return None


def district_view(permission: str, *, methods=("GET", "HEAD")):
    """A page under /<district-slug>/. DistrictMiddleware has already answered 404 to anyone
    without a membership there (and sent anonymous users to the login); this checks the role
    (403) and then the method (405)."""
    if permission not in DISTRICT_PERMISSIONS:
        raise KeyError(permission)

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, district_slug, **kwargs):
            access = getattr(request, "access", None)
            if access is None or request.district.slug != district_slug:
                raise Http404  # fail closed if the middleware did not run
            if not access.can(permission):
                raise PermissionDenied
            return _check_method(request, methods) or view(request, *args, **kwargs)

        wrapped.access_rule = AccessRule("district", permission, tuple(methods))
        return wrapped

    return decorator


def national_view(permission: str, *, methods=("GET", "HEAD")):
    allowed = NATIONAL_PERMISSIONS[permission]

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not national_roles(memberships_of(request)) & allowed:
                raise PermissionDenied
            return _check_method(request, methods) or view(request, *args, **kwargs)

        wrapped.access_rule = AccessRule("national", permission, tuple(methods))
        return wrapped

    return decorator


NATIONAL_READERS = frozenset({Role.NATIONAL_VIEWER, Role.NATIONAL_ADMIN})


def rollup_provinces(memberships: list[Membership]) -> frozenset[int] | None:
    """The provinces whose roll-up the user reads: None for every province (national viewer
    or admin), else the provinces he is a province viewer of (maybe none)."""
    if national_roles(memberships) & NATIONAL_READERS:
        return None
    return frozenset(m.province_id for m in memberships if m.role == Role.PROVINCE_VIEWER)


def rollup_view(level: str, *, methods=("GET", "HEAD")):
    """A province or national roll-up (reports/): read-only figures of many districts.

    `level="province"`: /provinsi/<province_code>/…, for the province's viewers and the
    national viewers; the view gets `province=` (an active province). Anybody else, and an
    unknown code, gets the same 404: an outsider learns nothing about which provinces exist.
    `level="national"`: the national viewers and admins; anybody else 403."""
    if level not in ("province", "national"):
        raise ValueError(level)

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            allowed = rollup_provinces(memberships_of(request))
            if level == "national":
                if allowed is not None:
                    raise PermissionDenied
            else:
                code = kwargs.pop("province_code")
                province = Province.objects.active().filter(code=code).first()
                if province is None or (allowed is not None and province.pk not in allowed):
                    raise Http404
                kwargs["province"] = province
            return _check_method(request, methods) or view(request, *args, **kwargs)

        wrapped.access_rule = AccessRule("rollup", level, tuple(methods))
        return wrapped

    return decorator


def user_view(*, methods=("GET", "HEAD")):
    """Any logged-in user (their own account pages, the district chooser)."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            return _check_method(request, methods) or view(request, *args, **kwargs)

        wrapped.access_rule = AccessRule("user", None, tuple(methods))
        return wrapped

    return decorator


def public_view(*, methods=("GET", "HEAD")):
    """No login: pages that show only what their own unguessable link or the district's
    publication allows."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            return _check_method(request, methods) or view(request, *args, **kwargs)

        wrapped.access_rule = AccessRule("public", None, tuple(methods))
        return wrapped

    return decorator


# --- Object rules: may <verb> <object> ----------------------------------------------------------
# Status and level values are the feature apps' stored strings (this module cannot import
# their choices); tests/accounts/test_policy_table.py checks the rules case by case.

VILLAGE_ROLES = (Role.VILLAGE_HEAD, Role.KPM)


def require(allowed: bool, *, not_found: bool = False) -> None:
    """The one refusal: a record the user may not see is answered as if it did not exist
    (404, `not_found=True`); one he sees but may not act on, 403."""
    if not allowed:
        raise Http404 if not_found else PermissionDenied


# Villages and their reports


def may_see_village(access: Access, village) -> bool:
    """District-wide roles any village of the district, a camat those of his kecamatan, a
    village head or KPM his own."""
    if access.district_wide:
        return True
    return village.id in access.village_ids or village.kecamatan_id in access.kecamatan_ids


def may_see_report(access: Access, report) -> bool:
    """Of a village the user sees: drafts belong to the village until they are sent."""
    return report.status != "draft" or report.village_id in access.village_ids


def may_fill_village(access: Access, village) -> bool:
    """The village head or KPM of this very village fills its reports."""
    return access.has_role(*VILLAGE_ROLES) and village.id in access.village_ids


def may_verify_village(access: Access, village) -> bool:
    """The camat of the village's kecamatan verifies its reports."""
    return access.has_role(Role.CAMAT) and village.kecamatan_id in access.kecamatan_ids


def may_forward_recap(access: Access, kecamatan) -> bool:
    """The camat of this very kecamatan forwards its recap to the district."""
    return access.has_role(Role.CAMAT) and kecamatan.id in access.kecamatan_ids


def may_verify_on_behalf(access: Access, village) -> bool:
    """The district admin, for any village of the district; whether its kecamatan lacks an
    active camat account is the service's to check (village_reports.reports)."""
    return access.has_role(Role.DISTRICT_ADMIN)


def may_edit_village_profile(access: Access, village) -> bool:
    """The village head of this very village, or the district admin."""
    if access.has_role(Role.DISTRICT_ADMIN):
        return True
    return access.has_role(Role.VILLAGE_HEAD) and village.id in access.village_ids


# Outcome data by area


def may_see_area(access: Access, *, kecamatan_id: int | None, village_id: int | None) -> bool:
    """A figure of the district itself: everyone in the district. Of a kecamatan or a village:
    district-wide roles; a camat those of his kecamatan (and its villages); a village head or
    KPM only his village."""
    if access.district_wide or (kecamatan_id is None and village_id is None):
        return True
    if kecamatan_id in access.kecamatan_ids:
        return True
    return village_id is not None and village_id in access.village_ids


# Convergence actions


def may_work_on_action(access: Access | None, year_action) -> bool:
    """District admins work on every action of an open year; OPD staff on the actions their
    agency leads or that name them responsible."""
    if access is None or year_action.district_year.is_locked:
        return False
    if access.has_role(Role.DISTRICT_ADMIN):
        return True
    if not access.has_role(Role.OPD_STAFF):
        return False
    if year_action.lead_agency_id and year_action.lead_agency_id in access.agency_ids:
        return True
    return any(u.pk == access.user_id for u in year_action.responsible.all())


def may_work_on_deliverable(access: Access | None, deliverable) -> bool:
    """Whoever works on its action (above), and OPD staff of the agency it names as its
    supporting agency (OPD pendukung), while the year is open."""
    if may_work_on_action(access, deliverable.year_action):
        return True
    return (
        access is not None
        and not deliverable.year_action.district_year.is_locked
        and access.has_role(Role.OPD_STAFF)
        and deliverable.supporting_agency_id is not None
        and deliverable.supporting_agency_id in access.agency_ids
    )


def may_verify_action(access: Access | None, year_action) -> bool:
    """The district admin verifies or returns deliverables while the year is open."""
    return (
        access is not None
        and access.has_role(Role.DISTRICT_ADMIN)
        and not year_action.district_year.is_locked
    )


def may_see_kecamatan_entry(access: Access, entry) -> bool:
    """A kecamatan's part of a deliverable: district-wide roles, and the camat of that
    kecamatan."""
    return access.district_wide or entry.kecamatan_id in access.kecamatan_ids


def may_fill_kecamatan_entry(access: Access, entry) -> bool:
    """The district admin, or the camat of that kecamatan (the kecamatan's account)."""
    if access.has_role(Role.DISTRICT_ADMIN):
        return True
    return access.has_role(Role.CAMAT) and entry.kecamatan_id in access.kecamatan_ids


def may_verify_kecamatan_entry(access: Access, entry) -> bool:
    """The camat of that very kecamatan verifies or returns its part; the district admin only
    on behalf of a kecamatan without an active camat account, which is the service's to check
    (convergence.services.verify_kecamatan_entry)."""
    return is_camat_of(access, entry) or access.has_role(Role.DISTRICT_ADMIN)


def is_camat_of(access: Access, entry) -> bool:
    """The user is the camat of the kecamatan of `entry` (else he acts on its behalf)."""
    return access.has_role(Role.CAMAT) and entry.kecamatan_id in access.kecamatan_ids


def may_comment_on_action(access: Access, year_action) -> bool:
    """Whoever works on the action, and the district admin even after the year is locked."""
    return access.has_role(Role.DISTRICT_ADMIN) or may_work_on_action(access, year_action)


def may_comment_on_deliverable(access: Access, deliverable) -> bool:
    """As on its action, and the staff of its supporting agency while they work on it."""
    return may_comment_on_action(access, deliverable.year_action) or may_work_on_deliverable(
        access, deliverable
    )


# Rembuk sessions and commitment documents (a district, kecamatan or village `level`)


def may_manage_session(access: Access, session) -> bool:
    """District admin: every session. Camat: kecamatan and village sessions in his kecamatan.
    Village head: his village's sessions. Nobody else, and the district's own sessions belong
    to the district admin."""
    if access.district_id != session.district_id:
        return False
    if access.has_role(Role.DISTRICT_ADMIN):
        return True
    if session.level == "district":
        return False
    if access.has_role(Role.CAMAT) and session.kecamatan_id in access.kecamatan_ids:
        return True
    return (
        access.has_role(Role.VILLAGE_HEAD)
        and session.level == "village"
        and session.village_id in access.village_ids
    )


def may_manage_document(access: Access, document) -> bool:
    """A commitment document belongs to its level as a session does: the same rule."""
    return may_manage_session(access, document)


def may_create_session(access: Access, *, level: str, kecamatan=None, village=None) -> bool:
    """District admin: any level. Camat: his kecamatan, or a village in it. Village head: his
    village."""
    if access.has_role(Role.DISTRICT_ADMIN):
        return True
    if level == "kecamatan":
        return (
            access.has_role(Role.CAMAT)
            and kecamatan is not None
            and kecamatan.id in access.kecamatan_ids
        )
    if level == "village" and village is not None:
        if access.has_role(Role.CAMAT) and village.kecamatan_id in access.kecamatan_ids:
            return True
        return access.has_role(Role.VILLAGE_HEAD) and village.id in access.village_ids
    return False


def may_create_any_session(access: Access) -> bool:
    return access.has_role(Role.DISTRICT_ADMIN, Role.CAMAT, Role.VILLAGE_HEAD)


# Commitment follow-up


def may_report_follow_up(access: Access, follow_up) -> bool:
    """The owner reports progress: OPD staff of the owner agency, the owner village's head or
    KPM; the district admin on anyone's behalf."""
    if access.has_role(Role.DISTRICT_ADMIN):
        return True
    if follow_up.owner_agency_id and follow_up.owner_agency_id in access.agency_ids:
        return True
    return bool(follow_up.owner_village_id and follow_up.owner_village_id in access.village_ids)


def may_verify_follow_up(access: Access, follow_up) -> bool:
    """The district admin, or the verifier the follow-up names."""
    return access.has_role(Role.DISTRICT_ADMIN) or (
        follow_up.verifier_id is not None and follow_up.verifier_id == access.user_id
    )
