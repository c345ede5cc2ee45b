"""The role × permission table, typed out by hand from the domain (../shared/DOMAIN.md §3).

The URL walk (test_url_access.py) derives what it expects from accounts.policy, so a wrong
entry there is invisible to it. This table is written independently: changing who may do
what means changing the policy *and* this table, on purpose.

Columns: NA national admin, NV national viewer, PV province viewer, DA district admin
(Bappeda secretariat), OPD agency staff, EX executive (Sekda/Bupati/Wakil), CA camat,
VH village head, KPM village cadre. "X" holds the permission, "." does not.

Below the table, the object rules (accounts.policy.may_<verb>_<object>) case by case: for each
rule and record, exactly who may.
"""

from accounts.policy import DISTRICT_PERMISSIONS, NATIONAL_PERMISSIONS

COLUMNS = {
    "NA": "national_admin",
    "NV": "national_viewer",
    "PV": "province_viewer",
    "DA": "district_admin",
    "OPD": "opd_staff",
    "EX": "executive",
    "CA": "camat",
    "VH": "village_head",
    "KPM": "kpm",
}

DISTRICT_TABLE = """
                        NA  NV  PV  DA  OPD EX  CA  VH  KPM
district.view           X   X   X   X   X   X   X   X   X
jobs.view               X   X   X   X   X   X   X   X   X
jobs.retry              .   .   .   X   .   .   .   .   .
district.edit           .   .   .   X   .   .   .   .   .
members.manage          .   .   .   X   .   .   .   .   .
audit.view              .   .   .   X   .   .   .   .   .
regions.view            X   X   X   X   X   X   X   .   .
agencies.manage         .   .   .   X   .   .   .   .   .
convergence.view        X   X   X   X   X   X   .   .   .
convergence.work        .   .   .   X   X   .   .   .   .
convergence.manage      .   .   .   X   .   .   .   .   .
convergence.kecamatan_view X X  X   X   X   X   X   .   .
convergence.kecamatan_fill .  .  .   X   .   .   X   .   .
convergence.kecamatan_verify . . .   X   .   .   X   .   .
assessment.self         .   .   .   X   .   .   .   .   .
assessment.province     .   .   X   .   .   .   .   .   .
focus.view              X   X   X   X   X   X   X   .   .
focus.manage            .   .   .   X   .   .   .   .   .
villages.view           X   X   X   X   X   X   X   X   X
villages.fill           .   .   .   .   .   .   .   X   X
villages.verify         .   .   .   .   .   .   X   .   .
villages.completeness   X   X   X   X   X   X   X   .   .
villages.periods        .   .   .   X   .   .   .   .   .
villages.recap          .   .   .   X   .   .   .   .   .
villages.on_behalf      .   .   .   X   .   .   .   .   .
villages.profile        .   .   .   X   .   .   .   X   .
rembuk.view             X   X   X   X   X   X   X   X   X
rembuk.manage           .   .   .   X   .   .   X   X   .
commitments.view        X   X   X   X   X   X   X   X   X
commitments.manage      .   .   .   X   .   .   X   X   .
commitments.sign        .   .   .   X   X   X   X   X   X
commitments.follow      .   .   .   X   X   .   X   X   X
commitments.templates   .   .   .   X   .   .   .   .   .
commitments.issue       .   .   .   X   .   .   .   .   .
outcomes.view           X   X   X   X   X   X   X   X   X
outcomes.manage         .   .   .   X   .   .   .   .   .
dashboard.view          X   X   X   X   .   X   X   .   .
publication.manage      .   .   .   X   .   .   .   .   .
evaluation.view         X   X   X   X   .   X   .   .   .
evaluation.manage       .   .   .   X   .   .   .   .   .
evaluation.approve      .   .   .   .   .   X   .   .   .
"""

# memberships without a district
NATIONAL_TABLE = """
                        NA  NV  PV  DA  OPD EX  CA  VH  KPM
regions.import          X   .   .   .   .   .   .   .   .
frameworks.manage       X   .   .   .   .   .   .   .   .
outcomes.import_national X  .   .   .   .   .   .   .   .
"""


def parse(table: str) -> dict[str, set[str]]:
    header, *rows = [line.split() for line in table.strip().splitlines()]
    assert [COLUMNS[c] for c in header] == list(COLUMNS.values())
    parsed = {}
    for permission, *marks in rows:
        assert len(marks) == len(header), permission
        assert set(marks) <= {"X", "."}, permission
        assert permission not in parsed, f"{permission} twice"
        parsed[permission] = {
            COLUMNS[c] for c, mark in zip(header, marks, strict=True) if mark == "X"
        }
    return parsed


def as_strings(policy) -> dict[str, set[str]]:
    return {permission: {str(role) for role in roles} for permission, roles in policy.items()}


def test_every_district_permission_is_in_the_table_and_no_other():
    table, policy = parse(DISTRICT_TABLE), as_strings(DISTRICT_PERMISSIONS)
    assert sorted(set(policy) - set(table)) == [], "in the policy, missing from the table"
    assert sorted(set(table) - set(policy)) == [], "in the table, missing from the policy"


def test_district_permissions_are_held_by_exactly_the_roles_in_the_table():
    table, policy = parse(DISTRICT_TABLE), as_strings(DISTRICT_PERMISSIONS)
    wrong = {
        permission: {"policy": sorted(policy[permission]), "table": sorted(roles)}
        for permission, roles in table.items()
        if policy.get(permission) != roles
    }
    assert wrong == {}


def test_national_permissions_are_held_by_exactly_the_roles_in_the_table():
    assert as_strings(NATIONAL_PERMISSIONS) == parse(NATIONAL_TABLE)


def test_the_table_names_every_role():
    # a new role must get a column: otherwise nobody decided what it may do
    from accounts.models import Role

    assert {str(r) for r in Role} == set(COLUMNS.values())


# --- Object rules, case by case ---------------------------------------------------------------
# One district (id 1) with kecamatan 10 (villages 100 and 101) and 11 (village 110); agency 5.
# Each rule and record lists exactly the people who may; everyone else in PEOPLE may not.


def _people():
    from accounts.policy import Access

    def access(user_id, *roles, district_id=1, **areas):
        return Access(
            district_id=district_id,
            roles=frozenset(roles),
            user_id=user_id,
            **{k: frozenset(v) for k, v in areas.items()},
        )

    return {
        "admin": access(1, "district_admin"),
        "opd": access(2, "opd_staff", agency_ids={5}),
        "executive": access(3, "executive"),
        "camat": access(4, "camat", kecamatan_ids={10}),
        "head": access(5, "village_head", village_ids={100}, village_kecamatan_ids={10}),
        "kpm": access(6, "kpm", village_ids={100}, village_kecamatan_ids={10}),
        "province": access(7, "province_viewer"),
        "admin elsewhere": access(8, "district_admin", district_id=2),
    }


def _records():
    from types import SimpleNamespace as R

    open_year, locked_year = R(is_locked=False), R(is_locked=True)

    def action(lead, responsible=(), year=open_year):
        return R(
            district_year=year,
            lead_agency_id=lead,
            responsible=R(all=lambda: [R(pk=pk) for pk in responsible]),
        )

    def session(level, kecamatan=None, village=None):
        return R(district_id=1, level=level, kecamatan_id=kecamatan, village_id=village)

    def deliverable(lead, supporting, year=open_year):
        return R(
            year_action=action(lead, responsible=[9], year=year), supporting_agency_id=supporting
        )

    return {
        "village 100": R(id=100, kecamatan_id=10),
        "village 110": R(id=110, kecamatan_id=11),
        "kecamatan 10": R(id=10),
        "kecamatan 11": R(id=11),
        "part of kecamatan 10": R(kecamatan_id=10),
        "part of kecamatan 11": R(kecamatan_id=11),
        "draft of village 100": R(status="draft", village_id=100),
        "sent report of village 100": R(status="submitted", village_id=100),
        "action led by agency 5": action(5),
        "action naming user 2": action(6, responsible=[2]),
        "action of another agency": action(6, responsible=[9]),
        "action of a locked year": action(5, year=locked_year),
        "deliverable supported by agency 5": deliverable(6, 5),
        "deliverable of agency 6, supported by 7": deliverable(6, 7),
        "deliverable supported by agency 5, locked year": deliverable(6, 5, year=locked_year),
        "district session": session("district"),
        "session of kecamatan 10": session("kecamatan", 10),
        "session of kecamatan 11": session("kecamatan", 11),
        "session of village 100": session("village", 10, 100),
        "session of village 101": session("village", 10, 101),
        "follow-up owned by agency 5": R(
            owner_agency_id=5, owner_village_id=None, verifier_id=None
        ),
        "follow-up of village 100, camat verifies": R(
            owner_agency_id=None, owner_village_id=100, verifier_id=4
        ),
    }


EVERYONE_IN_DISTRICT = {"admin", "opd", "executive", "camat", "head", "kpm", "province"}
DISTRICT_WIDE_PEOPLE = {"admin", "opd", "executive", "province"}

OBJECT_RULES = [
    ("may_see_village", "village 100", EVERYONE_IN_DISTRICT | {"admin elsewhere"}),
    ("may_see_village", "village 110", DISTRICT_WIDE_PEOPLE | {"admin elsewhere"}),
    ("may_see_report", "draft of village 100", {"head", "kpm"}),
    ("may_see_report", "sent report of village 100", EVERYONE_IN_DISTRICT | {"admin elsewhere"}),
    ("may_fill_village", "village 100", {"head", "kpm"}),
    ("may_fill_village", "village 110", set()),
    ("may_verify_village", "village 100", {"camat"}),
    ("may_verify_village", "village 110", set()),
    ("may_forward_recap", "kecamatan 10", {"camat"}),
    ("may_forward_recap", "kecamatan 11", set()),
    ("may_verify_on_behalf", "village 100", {"admin", "admin elsewhere"}),
    ("may_verify_on_behalf", "village 110", {"admin", "admin elsewhere"}),
    ("may_edit_village_profile", "village 100", {"admin", "admin elsewhere", "head"}),
    ("may_edit_village_profile", "village 110", {"admin", "admin elsewhere"}),
    ("may_work_on_action", "action led by agency 5", {"admin", "admin elsewhere", "opd"}),
    ("may_work_on_action", "action naming user 2", {"admin", "admin elsewhere", "opd"}),
    ("may_work_on_action", "action of another agency", {"admin", "admin elsewhere"}),
    ("may_work_on_action", "action of a locked year", set()),
    ("may_verify_action", "action led by agency 5", {"admin", "admin elsewhere"}),
    ("may_verify_action", "action of a locked year", set()),
    ("may_comment_on_action", "action led by agency 5", {"admin", "admin elsewhere", "opd"}),
    ("may_comment_on_action", "action of a locked year", {"admin", "admin elsewhere"}),
    (
        "may_work_on_deliverable",
        "deliverable supported by agency 5",
        {"admin", "admin elsewhere", "opd"},
    ),
    (
        "may_work_on_deliverable",
        "deliverable of agency 6, supported by 7",
        {"admin", "admin elsewhere"},
    ),
    ("may_work_on_deliverable", "deliverable supported by agency 5, locked year", set()),
    (
        "may_comment_on_deliverable",
        "deliverable supported by agency 5",
        {"admin", "admin elsewhere", "opd"},
    ),
    (
        "may_comment_on_deliverable",
        "deliverable supported by agency 5, locked year",
        {"admin", "admin elsewhere"},
    ),
    # the 2025 model's kecamatan stage: a kecamatan's part of a deliverable
    (
        "may_see_kecamatan_entry",
        "part of kecamatan 10",
        DISTRICT_WIDE_PEOPLE | {"admin elsewhere", "camat"},
    ),
    ("may_see_kecamatan_entry", "part of kecamatan 11", DISTRICT_WIDE_PEOPLE | {"admin elsewhere"}),
    ("may_fill_kecamatan_entry", "part of kecamatan 10", {"admin", "admin elsewhere", "camat"}),
    ("may_fill_kecamatan_entry", "part of kecamatan 11", {"admin", "admin elsewhere"}),
    # the admin on behalf of a kecamatan without a camat account (the service checks which)
    ("may_verify_kecamatan_entry", "part of kecamatan 10", {"camat", "admin", "admin elsewhere"}),
    ("may_verify_kecamatan_entry", "part of kecamatan 11", {"admin", "admin elsewhere"}),
    ("may_manage_session", "district session", {"admin"}),
    ("may_manage_session", "session of kecamatan 10", {"admin", "camat"}),
    ("may_manage_session", "session of kecamatan 11", {"admin"}),
    ("may_manage_session", "session of village 100", {"admin", "camat", "head"}),
    ("may_manage_session", "session of village 101", {"admin", "camat"}),
    ("may_manage_document", "district session", {"admin"}),
    ("may_manage_document", "session of village 100", {"admin", "camat", "head"}),
    (
        "may_report_follow_up",
        "follow-up owned by agency 5",
        {"admin", "admin elsewhere", "opd"},
    ),
    (
        "may_report_follow_up",
        "follow-up of village 100, camat verifies",
        {"admin", "admin elsewhere", "head", "kpm"},
    ),
    ("may_verify_follow_up", "follow-up owned by agency 5", {"admin", "admin elsewhere"}),
    (
        "may_verify_follow_up",
        "follow-up of village 100, camat verifies",
        {"admin", "admin elsewhere", "camat"},
    ),
]
# "admin elsewhere" passes most rules: they do not look at the district, because the views
# reach a record only through the district in the URL (filter and scope) and the admin of
# another district never meets these villages, actions or follow-ups. Only the session rule
# checks the district itself.


def test_object_rules_allow_exactly_the_people_listed():
    from accounts import policy

    people, records = _people(), _records()
    wrong = []
    for rule, record, allowed in OBJECT_RULES:
        for who, access in people.items():
            if getattr(policy, rule)(access, records[record]) != (who in allowed):
                wrong.append(f"{rule}({who}, {record}) should be {who in allowed}")
    assert wrong == []


def test_an_action_rule_without_access_refuses():
    from accounts import policy

    action = _records()["action led by agency 5"]
    assert policy.may_work_on_action(None, action) is False
    assert policy.may_verify_action(None, action) is False


CREATE_SESSION = [
    # (level, kecamatan id, village (id, kecamatan id)) -> who may create it
    (("district", None, None), {"admin"}),
    (("kecamatan", 10, None), {"admin", "camat"}),
    (("kecamatan", 11, None), {"admin"}),
    (("village", None, (100, 10)), {"admin", "camat", "head"}),
    (("village", None, (101, 10)), {"admin", "camat"}),
    (("village", None, (110, 11)), {"admin"}),
]


def test_who_may_create_which_session():
    from types import SimpleNamespace as R

    from accounts import policy

    people = _people()
    del people["admin elsewhere"]  # (creation happens in the district of the URL)
    wrong = []
    for (level, kecamatan, village), allowed in CREATE_SESSION:
        kwargs = {
            "level": level,
            "kecamatan": R(id=kecamatan) if kecamatan else None,
            "village": R(id=village[0], kecamatan_id=village[1]) if village else None,
        }
        for who, access in people.items():
            if policy.may_create_session(access, **kwargs) != (who in allowed):
                wrong.append(f"{who} creating {level} {kecamatan or village}: {who in allowed}")
    assert wrong == []
    assert {w for w, a in people.items() if policy.may_create_any_session(a)} == {
        "admin",
        "camat",
        "head",
    }


def test_the_rules_read_the_values_the_apps_store():
    """accounts cannot import the feature apps' choices, so the strings must stay in step."""
    from rembuk.models import Level
    from village_reports.models import VillageReport

    assert VillageReport.Status.DRAFT == "draft"
    assert (Level.DISTRICT, Level.KECAMATAN, Level.VILLAGE) == ("district", "kecamatan", "village")


def test_one_refusal():
    import pytest
    from django.core.exceptions import PermissionDenied
    from django.http import Http404

    from accounts.policy import require

    require(True)
    require(True, not_found=True)
    with pytest.raises(PermissionDenied):
        require(False)
    with pytest.raises(Http404):
        require(False, not_found=True)
