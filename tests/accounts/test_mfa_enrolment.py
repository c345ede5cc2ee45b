"""MFA enrolment is bound to the mailbox (accounts.enrolment): a password alone does not let
anyone enrol the first TOTP of an account. Through allauth's real views, with TOTP codes
computed here from the secret (RFC 6238, by hand)."""

import base64
import hashlib
import hmac
import re
import struct
import time

import pytest
from allauth.mfa.models import Authenticator
from django.core import mail
from django.test import Client
from django_scopes import scopes_disabled

from accounts import services
from accounts.models import AuditEvent
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

ACTIVATE = "/accounts/2fa/totp/activate/"
REQUEST = "/accounts/2fa/konfirmasi/"


def totp(secret: str, at: float | None = None) -> str:
    """RFC 6238: HMAC-SHA1 of the 30-second counter, dynamically truncated to six digits."""
    counter = int(at if at is not None else time.time()) // 30
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


def test_the_totp_helper_matches_rfc_6238():
    # RFC 6238 appendix B, SHA-1, secret "12345678901234567890", T = 59 s: 94287082 (8 digits)
    secret = base64.b32encode(b"12345678901234567890").decode()
    assert totp(secret, at=59) == "287082"


@pytest.fixture
def mfa_on(settings):
    settings.MFA_REQUIRED = True


def password_login(email) -> Client:
    client = Client()
    response = client.post("/accounts/login/", {"login": email, "password": PASSWORD})
    assert response.status_code == 302, response.content[:300]
    return client


def enrol(client) -> str:
    """Open allauth's activation page (reauthenticating with the password if it asks), read
    the secret it shows, and send the current code. Returns the secret."""
    page = client.get(ACTIVATE)
    if page.status_code == 302 and page["Location"].startswith("/accounts/reauthenticate/"):
        client.post(page["Location"], {"password": PASSWORD})
        page = client.get(ACTIVATE)
    assert page.status_code == 200, page.get("Location")
    secret = page.context["form"].secret
    assert secret in page.content.decode()  # shown for typing into an app
    response = client.post(ACTIVATE, {"code": totp(secret)})
    assert response.status_code == 302, response.content[:500]
    return secret


def actions_of(user) -> list[str]:
    with scopes_disabled():
        return list(
            AuditEvent.objects.filter(actor=user).order_by("at").values_list("action", flat=True)
        )


def test_a_password_alone_cannot_enrol_a_totp(world, mfa_on):
    admin = world.a.users["district_admin"]
    intruder = password_login(admin.email)
    # the portal sends him to enrol, and enrolment to the mailbox
    assert intruder.get(f"/{world.a.district.slug}/")["Location"] == ACTIVATE
    assert intruder.get(ACTIVATE)["Location"] == REQUEST
    # posting a code straight to allauth's view (any secret) creates nothing
    response = intruder.post(ACTIVATE, {"code": "123456"})
    assert response.status_code == 302 and response["Location"] == REQUEST
    assert not Authenticator.objects.filter(user=admin).exists()
    # the page offers to mail a link: to the owner's address, not to him
    assert intruder.post(REQUEST).status_code == 200
    assert [m.to for m in mail.outbox] == [[admin.email]]
    assert intruder.get(ACTIVATE)["Location"] == REQUEST


def test_the_link_from_the_mailbox_lets_the_owner_enrol(
    world, mfa_on, django_capture_on_commit_callbacks
):
    admin = world.a.users["district_admin"]
    owner = password_login(admin.email)
    intruder = password_login(admin.email)  # another session with the same password
    assert "konfirmasi lewat email" in owner.get(REQUEST).content.decode().lower()
    owner.post(REQUEST)
    body = mail.outbox[-1].body
    link = re.search(r"http://[^\s]+(/accounts/2fa/konfirmasi/[^/\s]+/)", body).group(1)
    # a GET (a mail scanner's) does not spend it
    assert owner.get(link).status_code == 200
    assert owner.get(link).status_code == 200
    response = owner.post(link)
    assert response["Location"] == ACTIVATE
    with django_capture_on_commit_callbacks(execute=True):  # allauth signals after the commit
        secret = enrol(owner)
    totp_row = Authenticator.objects.get(user=admin, type=Authenticator.Type.TOTP)
    assert totp_row.wrap().instance.data["secret"] == secret
    assert owner.get(f"/{world.a.district.slug}/").status_code == 200
    # the link was for one session once: spent, it lets nobody else in
    assert intruder.post(link).status_code == 404
    assert {"mfa_enrol_link_sent", "mfa_enrol_proven", "mfa_added"} <= set(actions_of(admin))
    with scopes_disabled():
        proven = AuditEvent.objects.get(actor=admin, action="mfa_enrol_proven")
    assert proven.data == {"via": "email"} and proven.district == world.a.district


def test_the_link_is_refused_to_another_user_and_after_a_password_change(world, mfa_on):
    admin = world.a.users["district_admin"]
    owner = password_login(admin.email)
    owner.post(REQUEST)
    link = re.search(r"(/accounts/2fa/konfirmasi/[^/\s]+/)", mail.outbox[-1].body).group(1)
    other = password_login(world.a.users["opd_staff"].email)
    assert other.post(link).status_code == 404
    assert other.get(ACTIVATE)["Location"] == REQUEST
    tampered = link[:-6] + ("A" if link[-6] != "A" else "B") + link[-5:]
    assert owner.post(tampered).status_code == 404
    admin.set_password("kata-sandi-baru-yang-panjang")
    admin.save()
    assert Client().post(link).status_code == 302  # anonymous: to the login page
    again = Client()
    again.post(
        "/accounts/login/", {"login": admin.email, "password": "kata-sandi-baru-yang-panjang"}
    )
    assert again.post(link).status_code == 404
    assert not Authenticator.objects.filter(user=admin).exists()


def test_links_are_mailed_at_most_three_times_an_hour(world, mfa_on):
    admin = world.a.users["district_admin"]
    client = password_login(admin.email)
    for _ in range(4):
        client.post(REQUEST)
    assert len(mail.outbox) == 3
    assert actions_of(admin).count("mfa_enrol_link_sent") == 3


def test_the_invitation_link_is_the_proof(world, mfa_on, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), scopes_disabled():
        _invitation, link = services.invite_member(
            district=world.a.district,
            email="admin.baru@example.test",
            full_name="Admin Baru",
            role="district_admin",
            by=world.a.users["district_admin"],
        )
    path = link.split("127.0.0.1:8000", 1)[-1]
    client = Client()
    response = client.post(
        path, {"full_name": "Admin Baru", "password1": PASSWORD, "password2": PASSWORD}
    )
    assert response.status_code == 302
    # straight on to enrolment: no e-mail round trip
    assert client.get(f"/{world.a.district.slug}/")["Location"] == ACTIVATE
    enrol(client)
    assert client.get(f"/{world.a.district.slug}/").status_code == 200
    user = Authenticator.objects.get(type=Authenticator.Type.TOTP).user
    assert user.email == "admin.baru@example.test"
    with scopes_disabled():
        proven = AuditEvent.objects.get(actor=user, action="mfa_enrol_proven")
    assert proven.data == {"via": "invitation"}
    # the proof is the session's: the same password in another browser proves nothing
    Authenticator.objects.filter(user=user).delete()
    other = password_login("admin.baru@example.test")
    assert other.get(ACTIVATE)["Location"] == REQUEST


def test_village_heads_enrol_through_the_mailbox_too(world):
    """Not forced to enrol, but nobody with only the password enrols for them (it would lock
    the owner out)."""
    head = world.a.users["village_head"]
    client = password_login(head.email)
    assert client.get(ACTIVATE)["Location"] == REQUEST
