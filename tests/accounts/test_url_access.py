"""Walk every URL pattern as anonymous, as users of another district and as every role, and
check the answer the policy declares: login redirect, 404, 403, 405 or 200.

A new view joins automatically: it must carry an access rule (accounts.policy decorators),
and its URL arguments must be known to `url_kwargs` below, or this test fails.
"""

from dataclasses import dataclass
from http.cookies import SimpleCookie

import pytest
from django.conf import settings
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from accounts.models import Invitation
from accounts.policy import DISTRICT_PERMISSIONS, NATIONAL_PERMISSIONS, AccessRule
from documents.models import Job
from outcomes.models import NationalOutcomeImport
from villages.models import RegionImport

pytestmark = pytest.mark.django_db


# The world and every URL argument are built once for the module (they were built for each
# test, and the arguments for each pattern), inside a transaction rolled back after the
# module's last test. Each test runs in a savepoint of it (pytest-django's django_db) and each
# request in one more (`_get`), so that every role, pattern and method meets the same world.
@pytest.fixture(scope="module")
def _built(django_db_setup, django_db_blocker, tmp_path_factory):
    from tests.conftest import world_for_module

    with world_for_module(django_db_blocker, tmp_path_factory) as (world, media):
        values = {
            "a": url_values(world, world.a),
            # A's district with B's objects
            "a_with_b": url_values(world, world.a, objects_side=world.b),
        }
        yield world, values, media


@pytest.fixture
def world(_built, _test_settings, settings):
    # the files the module's world stored (emblems, evidence, signed pages) stay readable
    settings.MEDIA_ROOT = _built[2]
    return _built[0]


@pytest.fixture
def values(_built):
    """URL argument values: "a" (district A, its objects), "a_with_b" (A, B's objects)."""
    return _built[1]


@dataclass
class Route:
    name: str
    callback: object
    converters: set[str]


def walk(patterns=None, converters=frozenset()):
    """Every URL pattern with the names of all its arguments, prefixes included."""
    for p in patterns if patterns is not None else get_resolver().url_patterns:
        names = converters | set(p.pattern.regex.groupindex)
        if isinstance(p, URLResolver):
            yield from walk(p.url_patterns, names)
        elif isinstance(p, URLPattern):
            yield Route(p.name, p.callback, set(names))


def own_patterns():
    return [p for p in walk() if not p.callback.__module__.startswith(("allauth", "django."))]


def _objects(side, tag):
    """Objects of one district that URLs can point at. A's year is 2026 and B's 2025, so that
    B's year named on A's pages does not exist there."""
    from tests.commitments.objects import commitment_objects
    from tests.convergence.objects import convergence_objects
    from tests.outcomes.outcome_objects import outcome_objects
    from tests.rembuk.objects import rembuk_objects
    from tests.reports.evaluation_objects import evaluation_objects
    from tests.village_reports.focus_objects import focus_objects
    from tests.village_reports.report_objects import report_objects

    year = 2026 if tag == "a" else 2025
    with scopes_disabled():
        conv = convergence_objects(side, year)
        focus = focus_objects(side, year)
        reports = report_objects(side, year)
        rembuk = rembuk_objects(side, year)
        commitments = commitment_objects(side, year)
        outcomes = outcome_objects(side, year)
        evaluation = evaluation_objects(side, year)
        job, _created = Job.objects.get_or_create(
            kind="commitment_pdf",
            district=side.district,
            payload={"walk": tag},
            defaults={"status": "done"},
        )
        invitation, _created = Invitation.objects.get_or_create(
            district=side.district,
            email=f"pending-{tag}@example.test",
            defaults={
                "role": "executive",
                "token_hash": f"{tag:0<64}",
                "expires_at": timezone.now() + timezone.timedelta(hours=1),
            },
        )
    return {
        "membership_id": side.memberships["camat"].id,
        "invitation_id": invitation.id,
        "job_id": job.id,
        **conv,
        **focus,
        **reports,
        **rembuk,
        **commitments,
        **outcomes,
        **evaluation,
    }


def url_values(world, side, objects_side=None):
    """Every URL argument's value: `side`'s district, the objects of `objects_side` (the
    same district unless given)."""
    objects = _objects(objects_side or side, "b" if (objects_side or side) is world.b else "a")
    national_job, _ = Job.national.get_or_create(kind="region_import", payload={"walk": True})
    job, _ = RegionImport.objects.get_or_create(
        original_name="x.csv", defaults={"file": "x", "job": national_job}
    )
    national_outcomes, _ = NationalOutcomeImport.objects.get_or_create(
        original_name="capaian-nasional.csv", defaults={"file": "x"}
    )
    return {
        "district_slug": side.district.slug,
        "province_code": side.district.province.code,
        "membership_id": objects["membership_id"],
        "invitation_id": objects["invitation_id"],
        "import_id": job.id,
        "national_job_id": national_job.id,
        "national_outcome_import_id": national_outcomes.id,
        "token": "not-a-real-token",
        "framework_code": "model-2025",
        "fmt": "xlsx",
        **{k: v for k, v in objects.items() if k not in ("membership_id", "invitation_id")},
    }


def url_kwargs(pattern, world, side, objects_side=None, values=None):
    values = values if values is not None else url_values(world, side, objects_side)
    missing = pattern.converters - set(values)
    assert not missing, f"{pattern.name}: add a value for {missing} to url_kwargs()"
    return {name: values[name] for name in pattern.converters}


def test_every_view_declares_its_access_rule():
    for p in own_patterns():
        rule = getattr(p.callback, "access_rule", None)
        assert isinstance(rule, AccessRule), f"view {p.name} has no accounts.policy decorator"
        if rule.kind == "district":
            assert rule.permission in DISTRICT_PERMISSIONS
            assert "district_slug" in p.converters, p.name
        if rule.kind == "national":
            assert rule.permission in NATIONAL_PERMISSIONS


def expected_district_status(rule, label, user, world, method):
    if user is None:
        return 302
    from accounts.models import Membership
    from accounts.policy import access_for

    memberships = list(Membership.objects.active().filter(user=user))
    access = access_for(memberships, world.a.district)
    if access is None:
        return 404
    if not access.can(rule.permission):
        return 403
    return 200 if method in rule.methods else 405


def _signed_in(client, user):
    """`client` as `user` (None: anonymous) with only that user's session cookie. Each user
    logs in once per test (a third of the walk's time went to logging in before every
    request); the session stays as it was because every request is rolled back."""
    sessions = client.__dict__.setdefault("_walk_sessions", {})
    if user is not None and user.pk not in sessions:
        client.cookies = SimpleCookie()  # (logging out would end the last user's session)
        client.force_login(user)
        sessions[user.pk] = client.cookies[settings.SESSION_COOKIE_NAME].value
    client.cookies = SimpleCookie()
    if user is not None:
        client.cookies[settings.SESSION_COOKIE_NAME] = sessions[user.pk]


def _get(client, user, url, method):
    """One request as `user`, rolled back afterwards so that every role meets the same world."""
    _signed_in(client, user)
    with transaction.atomic():
        response = client.get(url) if method == "GET" else client.post(url, {})
        transaction.set_rollback(True)
    assert_secure_headers(response, f"{method} {url}")
    return response


def assert_secure_headers(response, what):
    """The headers every answer carries (pages, redirects, errors); a stored file is served
    under its own sandboxing policy (lib.uploads)."""
    csp = response.headers.get("Content-Security-Policy", "")
    if csp.startswith("sandbox"):
        assert "default-src 'none'" in csp, what
    else:
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp, what
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, what
    assert response.headers.get("X-Frame-Options") == "DENY", what
    assert response.headers.get("X-Content-Type-Options") == "nosniff", what
    assert response.headers.get("Referrer-Policy") == "same-origin", what
    assert response.headers.get("Cross-Origin-Opener-Policy") == "same-origin", what


LANDING_PAGES = {"district_home", "village_home"}


def test_district_views_answer_each_role_as_declared(client, world, values):
    checked = 0
    walked = set()
    for p in own_patterns():
        rule = p.callback.access_rule
        if rule.kind != "district":
            continue
        walked.add(p.name)
        url = reverse(p.name, kwargs=url_kwargs(p, world, world.a, values=values["a"]))
        for label, user in [("anonymous", None), *world.everyone()]:
            for method in ("GET", "POST"):
                expected = expected_district_status(rule, label, user, world, method)
                response = _get(client, user, url, method)
                status = response.status_code
                if expected == 200 and method == "POST":
                    # a POST with no data either re-renders the form or redirects
                    assert status in (200, 302), f"{method} {url} as {label}: {status}"
                elif expected == 200 and status == 302:
                    # a landing page may send a user on to his own page in the same district
                    # (the village head from the district home to his village)
                    assert response["Location"].startswith(f"/{world.a.district.slug}/"), url
                    assert p.name in LANDING_PAGES, f"GET {url} as {label}: unexpected redirect"
                else:
                    assert status == expected, f"{method} {url} as {label}: {status} != {expected}"
                if expected == 302:
                    assert response["Location"].startswith(reverse("account_login"))
                checked += 1
    assert checked > 100
    assert "village_profile_edit" in walked  # the village profile (village head, admin)
    assert {"deliverable_link", "deliverable_unlink"} <= walked  # rembuk records (issue 15)


def _holder_of(permission, world):
    """A user of district A who holds `permission` there (the admin when possible)."""
    from accounts.models import Membership
    from accounts.policy import access_for

    candidates = [world.a.users["district_admin"], *world.a.users.values(), world.province_viewer_a]
    for user in candidates:
        access = access_for(list(Membership.objects.active().filter(user=user)), world.a.district)
        if access and access.can(permission):
            return user
    raise AssertionError(f"nobody in A holds {permission}")


def test_district_views_refuse_objects_of_another_district(client, world, values):
    """A user of A allowed on the page, naming B's objects: 404, never 200 or 403."""
    for p in own_patterns():
        rule = p.callback.access_rule
        if rule.kind != "district" or set(p.converters) == {"district_slug"}:
            continue
        user = _holder_of(rule.permission, world)
        url = reverse(
            p.name,
            kwargs=url_kwargs(p, world, world.a, objects_side=world.b, values=values["a_with_b"]),
        )
        for method in ("GET", "POST"):
            response = _get(client, user, url, method)
            if method not in rule.methods:
                # refused before any lookup, whatever the id: reveals nothing
                assert response.status_code == 405
                continue
            assert response.status_code == 404, f"{method} {url}: {response.status_code}"


def test_national_views(client, world, values):
    for p in own_patterns():
        rule = p.callback.access_rule
        if rule.kind != "national":
            continue
        url = reverse(p.name, kwargs=url_kwargs(p, world, world.a, values=values["a"]))
        for label, user in [("anonymous", None), *world.everyone()]:
            response = _get(client, user, url, "GET")
            if user is None:
                expected = 302
            elif label == "national_admin":
                expected = 200 if "GET" in rule.methods else 405
            else:
                expected = 403
            assert response.status_code == expected, f"{url} as {label}: {response.status_code}"


ROLLUP_READERS = {"province": {"province_viewer_a", "national_viewer", "national_admin"}}
ROLLUP_READERS["national"] = {"national_viewer", "national_admin"}


def test_rollup_views(client, world, values):
    """Province roll-ups: A's province for its viewer and the national readers, 404 for anyone
    else (as for an unknown province); national roll-ups: the national readers, else 403."""
    walked = set()
    for p in own_patterns():
        rule = p.callback.access_rule
        if rule.kind != "rollup":
            continue
        walked.add(rule.permission)
        url = reverse(p.name, kwargs=url_kwargs(p, world, world.a, values=values["a"]))
        for label, user in [("anonymous", None), *world.everyone()]:
            for method in ("GET", "POST"):
                response = _get(client, user, url, method)
                if user is None:
                    expected = 302
                elif label in ROLLUP_READERS[rule.permission]:
                    expected = 200 if method in rule.methods else 405
                else:
                    expected = 404 if rule.permission == "province" else 403
                status = response.status_code
                assert status == expected, f"{method} {url} as {label}: {status} != {expected}"
                if expected == 302:
                    assert response["Location"].startswith(reverse("account_login"))
        if rule.permission == "province":
            # B's province and a province that does not exist: the same 404 for A's viewer
            for code in (world.b.district.province.code, "99"):
                other = reverse(p.name, kwargs={"province_code": code})
                assert _get(client, world.province_viewer_a, other, "GET").status_code == 404
            other = reverse(p.name, kwargs={"province_code": world.b.district.province.code})
            assert _get(client, world.province_viewer_b, other, "GET").status_code == 200
    assert walked == {"province", "national"}


def test_user_and_public_views(client, world, values):
    for p in own_patterns():
        rule = p.callback.access_rule
        if rule.kind not in ("user", "public"):
            continue
        url = reverse(p.name, kwargs=url_kwargs(p, world, world.a, values=values["a"]))
        answers = set()
        for label, user in [("anonymous", None), *world.everyone()]:
            response = _get(client, user, url, "GET")
            # (/healthz answers 503 when a service is down: see below)
            assert response.status_code < 500 or p.name == "healthz", f"{url} as {label}"
            if rule.kind == "user" and user is None:
                assert response.status_code == 302
                assert response["Location"].startswith(reverse("account_login"))
            if rule.kind == "public":
                answers.add(response.status_code)
        if p.name == "healthz":
            # deliberately public, for load balancers (config/health.py): no login, no personal
            # data; 200 or 503 by the services' state (no worker runs here), the same for all
            assert len(answers) == 1 and answers <= {200, 503}, f"{url}: {answers}"
        elif rule.kind == "public" and (not p.converters or p.converters == {"district_slug"}):
            # /ping/, the public index and a district's public page (nothing published yet):
            # the same page for everyone
            assert answers == {200}, f"{url}: {answers}"
        elif rule.kind == "public":
            # an unknown token gets the same plain answer for everyone
            assert answers == {404}, f"{url}: {answers}"


def test_third_party_pages_do_not_fail(client, world):
    """allauth's pages (login, reset, MFA, sessions) answer anonymous and logged-in users."""
    for p in walk():
        if not p.callback.__module__.startswith("allauth") or p.converters:
            continue
        url = reverse(p.name)
        for user in (None, world.a.users["village_head"]):
            response = _get(client, user, url, "GET")
            assert response.status_code < 500, f"{url}: {response.status_code}"


def test_unknown_district_and_foreign_district_look_the_same(client, world):
    client.force_login(world.a.users["district_admin"])
    foreign = client.get(f"/{world.b.district.slug}/")
    unknown = client.get("/kab-tidak-ada/")
    assert foreign.status_code == unknown.status_code == 404
    assert world.b.district.name not in foreign.content.decode()
