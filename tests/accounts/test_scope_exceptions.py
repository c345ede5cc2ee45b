"""A district is entered only through accounts/tenancy.py. Every `scopes_disabled()` elsewhere
in the application (migrations, management commands and the benchmarks aside: they are run by an
operator, not reached by a request) must be on this short list, each with its reason. A new one
fails here until someone writes down why the tenancy module cannot serve it."""

import re
from pathlib import Path

from tests.conftest import project_folders

ROOT = Path(__file__).resolve().parents[2]

# path -> (how many times, why the tenancy module does not serve it)
ALLOWED = {
    # the module that opens every scope: found_by_token, each_district
    "accounts/tenancy.py": (2, "the tenancy module itself"),
    # an audit event may be national (district None) or written before a scope exists (a
    # failed login); the log is append-only and never read back here
    "accounts/audit.py": (1, "append-only write of a national or pre-scope event"),
    # accepting an invitation: the invited person has no membership yet, so no scope can be
    # built for him; the row is found by its unguessable id and locked
    "accounts/services.py": (1, "invitation accepted before any membership exists"),
}

PATTERN = re.compile(r"(?:\bwith\s+|@)scopes_disabled\(")


def _occurrences() -> dict[str, int]:
    found = {}
    for app in project_folders():
        for path in (ROOT / app).rglob("*.py"):
            parts = path.relative_to(ROOT).parts
            if "migrations" in parts or ("management" in parts and "commands" in parts):
                continue
            count = len(PATTERN.findall(path.read_text()))
            if count:
                found[path.relative_to(ROOT).as_posix()] = count
    return found


def test_scopes_are_disabled_only_where_the_list_says_why():
    found = _occurrences()
    allowed = {path: count for path, (count, _why) in ALLOWED.items()}
    assert found == allowed, (
        "scopes_disabled() outside accounts/tenancy.py: enter the district through the tenancy "
        f"module, or add the place to ALLOWED with its reason. Found {found}"
    )


def test_the_list_is_short():
    assert sum(count for count, _why in ALLOWED.values()) <= 4
