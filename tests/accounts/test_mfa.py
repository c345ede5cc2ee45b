import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from django.utils import timezone
from django_scopes import scopes_disabled

from accounts.models import AuditEvent
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def mfa_on(settings):
    settings.MFA_REQUIRED = True


def test_admin_without_totp_must_enrol_first(client, world, mfa_on):
    admin = world.a.users["district_admin"]
    response = client.post("/accounts/login/", {"login": admin.email, "password": PASSWORD})
    assert response.status_code == 302
    response = client.get(f"/{world.a.district.slug}/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/totp/activate/"
    # with the password alone, enrolment first asks for proof of the mailbox
    # (tests/accounts/test_mfa_enrolment.py goes on from here)
    response = client.get("/accounts/2fa/totp/activate/")
    assert response["Location"] == "/accounts/2fa/konfirmasi/"
    assert client.get(f"/{world.a.district.slug}/")["Location"] == "/accounts/2fa/totp/activate/"


@pytest.mark.parametrize("who", ["province_viewer_a", "national_viewer", "national_admin"])
def test_province_and_national_roles_must_enrol(client, world, mfa_on, who):
    client.force_login(getattr(world, who))
    assert client.get("/").status_code == 302
    assert client.get("/").headers["Location"] == "/accounts/2fa/totp/activate/"


def test_village_head_is_not_forced(client, world, mfa_on):
    client.force_login(world.a.users["village_head"])
    response = client.get(f"/{world.a.district.slug}/", follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == f"/{world.a.district.slug}/desa/{world.a.village.pk}/"


def test_enrolled_admin_logs_in_with_a_totp_code(client, world, mfa_on):
    admin = world.a.users["district_admin"]
    secret = generate_totp_secret()
    TOTP.activate(admin, secret)
    response = client.post("/accounts/login/", {"login": admin.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/authenticate/"
    code = format_hotp_value(hotp_value(secret, int(timezone.now().timestamp()) // 30))
    response = client.post("/accounts/2fa/authenticate/", {"code": code})
    assert response.status_code == 302
    assert client.get(f"/{world.a.district.slug}/").status_code == 200
    assert Authenticator.objects.filter(user=admin).exists()


def test_a_wrong_authenticator_code_at_login_is_audited(client, world, mfa_on):
    admin = world.a.users["district_admin"]
    secret = generate_totp_secret()
    TOTP.activate(admin, secret)
    client.post("/accounts/login/", {"login": admin.email, "password": PASSWORD})
    now = int(timezone.now().timestamp()) // 30
    valid = {format_hotp_value(hotp_value(secret, now + d)) for d in (-1, 0, 1)}
    wrong = next(f"{n:06d}" for n in range(1_000_000) if f"{n:06d}" not in valid)
    response = client.post("/accounts/2fa/authenticate/", {"code": wrong})
    assert response.status_code == 200  # the form again, not logged in
    assert client.get(f"/{world.a.district.slug}/").status_code == 302
    with scopes_disabled():
        [event] = AuditEvent.objects.filter(action="mfa_failed")
    assert (event.actor, event.district, event.data) == (
        admin,
        world.a.district,
        {"reauthentication": False},
    )


def test_mfa_not_required_when_setting_is_off(client, world):
    client.force_login(world.a.users["district_admin"])
    assert client.get(f"/{world.a.district.slug}/").status_code == 200
