import re

import pytest

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_login_is_audited_in_the_users_district_only(client, world):
    user = world.a.users["camat"]
    client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    client.post("/accounts/login/", {"login": user.email, "password": "wrong-password"})
    client.force_login(world.a.users["district_admin"])
    page = client.get(f"/{world.a.district.slug}/audit/?aksi=login").content.decode()
    assert "camat@sumedang.test" in page
    client.force_login(world.b.users["district_admin"])
    page = client.get(f"/{world.b.district.slug}/audit/").content.decode()
    assert "camat@sumedang.test" not in page


def test_audit_log_is_for_district_admins(client, world):
    client.force_login(world.a.users["executive"])
    assert client.get(f"/{world.a.district.slug}/audit/").status_code == 403


# f-string action codes and where the values of their placeholder come from, by
# (source file, placeholder). A new f-string code must be added here, or the test below fails.
def _fstring_values():
    from convergence import services as convergence_services
    from convergence.models import Grade
    from village_reports import reports

    return {
        ("convergence/services.py", "step"): set(convergence_services.TRANSITIONS),
        ("convergence/services.py", "source"): set(Grade.Source.values),
        ("village_reports/reports.py", "step"): set(reports.TRANSITIONS),
    }


# functions that pass their own `action` argument on to record()
FORWARDERS = {"record_for_user"}


def recorded_codes():
    """Every action code that the code base can write with accounts.audit.record(), read from
    the source: string literals, both arms of `a if x else b`, f-strings with their values."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    fstrings = _fstring_values()
    codes, unknown = set(), []
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root)
        if relative.parts[0] in {".venv", "tests", "bench"} or "migrations" in relative.parts:
            continue
        tree = ast.parse(path.read_text())
        for function in [tree, *ast.walk(tree)]:
            if not isinstance(function, ast.FunctionDef | ast.Module):
                continue
            for node in ast.walk(function):
                if not (isinstance(node, ast.Call) and node.args):
                    continue
                name = getattr(node.func, "id", getattr(node.func, "attr", ""))
                if name not in {"record", *FORWARDERS}:
                    continue
                for arg in _alternatives(node.args[0]):
                    where = f"{relative}:{node.lineno}"
                    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                        codes.add(arg.value)
                    elif isinstance(arg, ast.JoinedStr):
                        codes |= _expand(arg, fstrings, str(relative), where, unknown)
                    elif isinstance(arg, ast.Name) and getattr(function, "name", "") in FORWARDERS:
                        continue  # the forwarder's callers are read as calls of their own
                    elif isinstance(function, ast.FunctionDef):
                        unknown.append(f"{where}: {ast.unparse(arg)}")
    return codes, unknown


def _alternatives(node):
    import ast

    if isinstance(node, ast.IfExp):
        return [*_alternatives(node.body), *_alternatives(node.orelse)]
    return [node]


def _expand(node, fstrings, relative, where, unknown):
    import ast

    prefixes = {""}
    for part in node.values:
        if isinstance(part, ast.Constant):
            prefixes = {p + part.value for p in prefixes}
            continue
        values = fstrings.get((relative, ast.unparse(part.value)))
        if values is None:
            unknown.append(f"{where}: {ast.unparse(node)} (add its values to _fstring_values)")
            return set()
        prefixes = {p + v for p in prefixes for v in values}
    return prefixes


def test_every_recorded_action_has_a_label():
    from accounts.audit import ACTION_LABELS

    codes, unknown = recorded_codes()
    assert not unknown, f"action codes the test cannot read: {unknown}"
    # a few that the source is known to write, as a check on the reading itself
    assert {
        "login",
        "mfa_added",
        "deliverable_verify",
        "grade_province",
        "village_report_verify",
        "village_report_return",
        "commitment_follow_up_returned",
        "rembuk_rkpd_set",
    } <= codes
    assert len(codes) > 60
    missing = codes - set(ACTION_LABELS)
    assert not missing, f"codes with no label in accounts.audit.ACTION_LABELS: {sorted(missing)}"
    stale = set(ACTION_LABELS) - codes
    assert not stale, f"labels of codes nothing records any more: {sorted(stale)}"


def test_audit_log_shows_words_not_codes(client, world):
    """A camat verifies a village report: the district admin reads what happened in words,
    and the filter offers the same words."""
    from django_scopes import scopes_disabled

    from tests.village_reports.report_objects import report_objects
    from village_reports import reports
    from village_reports.models import VillageReport

    a = world.a
    with scopes_disabled():
        report = VillageReport.objects.get(pk=report_objects(a, 2026)["report_id"])
        reports.verify_report(report=report, by=a.users["camat"])
    client.force_login(a.users["district_admin"])
    page = client.get(f"/{a.district.slug}/audit/").content.decode()
    table = page[page.index("<table") : page.index("</table>")]
    assert "laporan desa diverifikasi" in table
    assert "peran diberikan" in table  # the world's memberships
    assert "village_report_verify" not in table and "role_granted" not in table
    option = re.search(r'<option value="village_report_verify"[^>]*>([^<]*)</option>', page)
    assert option.group(1).strip() == "laporan desa diverifikasi (1)"
    filtered = client.get(f"/{a.district.slug}/audit/?aksi=village_report_verify")
    text = filtered.content.decode()
    assert "laporan desa diverifikasi" in text and "peran diberikan" not in text.split("<table")[1]


def test_audit_filter_speaks_english(client, world):
    client.force_login(world.a.users["district_admin"])
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = client.get(f"/{world.a.district.slug}/audit/").content.decode()
    assert 'lang="en"' in page and "Event type" in page
    option = re.search(r'<option value="login"[^>]*>([^<]*)</option>', page)
    assert option.group(1).strip() == "signed in (1)"  # force_login is a login
    table = page[page.index("<table") : page.index("</table>")]
    assert "role granted" in table and "peran diberikan" not in table
