"""The fixed cost of every logged-in page (issue 13, national scale): what the middleware does
before a view runs. An empty district page (the district profile: a form, nothing listed)
used to take nine queries: the session, the user, the user-session row (a SELECT, the user a
second time and an UPDATE in a savepoint: five), the district and the memberships. Now two."""

from datetime import timedelta

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from allauth.usersessions.models import UserSession
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.middleware import UserSessionsMiddleware

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _cache_in_redis():
    """The cuts measured here keep sessions and answers in the cache: in Redis, as deployed
    (without Redis the cache is a database table, and every cache read is a query)."""
    from tests.conftest import need

    need(bool(settings.REDIS_URL), "needs Redis for the cache: set REDIS_URL (.ci/run does)")


def page_queries(client, url):
    """The queries of one page, without those on the database cache table (the cache is Redis
    where REDIS_URL is set; without it, sessions and the throttle keys read the table)."""
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    table = settings.CACHES["database"]["LOCATION"]
    return [q["sql"] for q in captured.captured_queries if table not in q["sql"]]


def profile(world):
    return f"/{world.a.district.slug}/profil/"


def test_empty_district_page_takes_one_query(client, world):
    client.force_login(world.a.users["district_admin"])
    # the first one writes the session row and reads the memberships into the cache
    first = page_queries(client, profile(world))
    assert any('FROM "accounts_membership"' in s for s in first)
    # then only the user (AuthenticationMiddleware): his memberships come from the cache
    sql = page_queries(client, profile(world))
    assert len(sql) == 1, sql
    assert 'FROM "accounts_user"' in sql[0]


def test_a_membership_ended_takes_effect_on_the_next_request(client, world):
    admin = world.a.users["district_admin"]
    client.force_login(admin)
    assert client.get(profile(world)).status_code == 200  # memberships now in the cache
    membership = admin.memberships.get(district=world.a.district)
    membership.is_active = False
    membership.save(update_fields=["is_active"])
    assert client.get(profile(world)).status_code == 404


def test_a_role_granted_takes_effect_on_the_next_request(client, world):
    """An executive of A reads A's dashboard but not B's; made an admin of B, he reads B's on
    his very next page."""
    from accounts.models import Membership, Role

    user = world.a.users["executive"]
    client.force_login(user)
    url_b = f"/{world.b.district.slug}/profil/"
    assert client.get(url_b).status_code == 404
    Membership.objects.create(user=user, district=world.b.district, role=Role.DISTRICT_ADMIN)
    assert client.get(url_b).status_code == 200


def test_a_district_renamed_shows_on_the_next_page(client, world):
    client.force_login(world.a.users["district_admin"])
    assert client.get(profile(world)).status_code == 200
    district = world.a.district
    district.name = "Kabupaten Nama Baru"
    district.save(update_fields=["name"])
    assert "Kabupaten Nama Baru" in client.get(profile(world)).content.decode()


def test_a_national_viewer_looks_the_district_up_once(client, world):
    """A national role has no membership in the district: the district is one more query."""
    client.force_login(world.national_viewer)
    url = f"/{world.a.district.slug}/dasbor/"
    first = client.get(url)
    assert first.status_code == 200
    sql = page_queries(client, url)
    # user and district once each; the memberships from the cache
    assert sum('FROM "accounts_user"' in s for s in sql) == 1
    assert sum('FROM "accounts_membership"' in s for s in sql) == 0
    assert sum(s.startswith('SELECT "villages_district"') for s in sql) == 1
    assert not any("usersessions_usersession" in s for s in sql)


def test_the_session_row_is_written_at_login_and_then_every_five_minutes(client, world):
    admin = world.a.users["district_admin"]
    client.force_login(admin)
    client.get(profile(world))
    row = UserSession.objects.get(user=admin)
    first_seen = row.last_seen_at
    client.get(profile(world))
    row.refresh_from_db()
    assert row.last_seen_at == first_seen  # not written again within five minutes

    # five minutes later: the session's key in the cache has expired
    cache.delete(UserSessionsMiddleware.key(client.session.session_key))
    client.get(profile(world))
    row.refresh_from_db()
    assert row.last_seen_at > first_seen


def test_a_new_session_gets_its_row_on_its_first_page(client, world):
    admin = world.a.users["district_admin"]
    client.force_login(admin)
    client.get(profile(world))
    client.logout()
    client.force_login(admin)  # a new session key
    client.get(profile(world))
    assert UserSession.objects.filter(user=admin).count() == 2


def test_totp_is_checked_once_then_remembered_until_it_changes(client, world, settings):
    settings.MFA_REQUIRED = True
    admin = world.a.users["district_admin"]
    TOTP.activate(admin, generate_totp_secret())
    client.force_login(admin)
    assert client.get(profile(world)).status_code == 200
    # remembered: the same one query as without MFA
    assert len(page_queries(client, profile(world))) == 1
    # deleted by hand (no allauth view, no allauth signal): asked again at once
    Authenticator.objects.filter(user=admin).delete()
    response = client.get(profile(world))
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/totp/activate/"


def test_a_retired_district_is_not_entered_through_a_membership(client, world):
    with timezone.override("UTC"):
        district = world.a.district
        district.retired_at = timezone.now() - timedelta(days=1)
        district.save(update_fields=["retired_at"])
    client.force_login(world.a.users["district_admin"])
    assert client.get(profile(world)).status_code == 404
