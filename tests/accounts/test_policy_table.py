"""The role × permission table, typed out by hand from the domain (../shared/DOMAIN.md §3).

The URL walk (test_url_access.py) derives what it expects from accounts.policy, so a wrong
entry there is invisible to it. This table is written independently: changing who may do
what means changing the policy *and* this table, on purpose.

Columns: NA national admin, NV national viewer, PV province viewer, DA district admin
(Bappeda secretariat), OPD agency staff, EX executive (Sekda/Bupati/Wakil), CA camat,
VH village head, KPM village cadre. "X" holds the permission, "." does not.
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
assessment.self         .   .   .   X   .   .   .   .   .
assessment.province     .   .   X   .   .   .   .   .   .
focus.view              X   X   X   X   X   X   X   .   .
focus.manage            .   .   .   X   .   .   .   .   .
villages.view           X   X   X   X   X   X   X   X   X
villages.fill           .   .   .   .   .   .   .   X   X
villages.verify         .   .   .   .   .   .   X   .   .
villages.completeness   X   X   X   X   X   X   X   .   .
villages.periods        .   .   .   X   .   .   .   .   .
villages.profile        .   .   .   X   .   .   .   X   .
rembuk.view             X   X   X   X   X   X   X   X   X
rembuk.manage           .   .   .   X   .   .   X   X   .
commitments.view        X   X   X   X   X   X   X   X   X
commitments.manage      .   .   .   X   .   .   X   X   .
commitments.sign        .   .   .   X   X   X   X   X   X
commitments.follow      .   .   .   X   X   .   X   X   X
"""

# memberships without a district
NATIONAL_TABLE = """
                        NA  NV  PV  DA  OPD EX  CA  VH  KPM
regions.import          X   .   .   .   .   .   .   .   .
frameworks.manage       X   .   .   .   .   .   .   .   .
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
