import re
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.utils import timezone
from django_scopes import scopes_disabled

from accounts.models import AuditEvent, Invitation, Membership, User
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


def invite(client, world, **data):
    client.force_login(world.a.users["district_admin"])
    payload = {
        "email": "kades.baru@example.test",
        "full_name": "Kades Baru",
        "role": "village_head",
        "village": world.a.other_village.id,
        "position": "",
    }
    payload.update(data)
    return client.post(f"/{world.a.district.slug}/pengguna/undang/", payload)


def link_from_mail():
    body = mail.outbox[-1].body
    return re.search(r"http://[^\s]+/undangan/([^/\s]+)/", body).group(0)


def test_invitee_sets_password_and_lands_in_the_district(client, world):
    response = invite(client, world)
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["kades.baru@example.test"]
    link = link_from_mail()
    path = link.split("127.0.0.1:8000", 1)[-1]
    client.logout()
    page = client.get(path)
    assert page.status_code == 200 and "Kades Baru" in page.content.decode()
    response = client.post(
        path, {"full_name": "Kades Baru", "password1": PASSWORD, "password2": PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == f"/{world.a.district.slug}/"
    user = User.objects.get(email="kades.baru@example.test")
    assert EmailAddress.objects.get(user=user).verified
    m = Membership.objects.get(user=user)
    assert m.role == "village_head" and m.village == world.a.other_village
    # the link works once
    client.logout()
    assert client.get(path).status_code == 404
    # and the new person can log in by email and password
    login = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert login.status_code == 302
    with scopes_disabled():
        actions = set(
            AuditEvent.objects.filter(district=world.a.district).values_list("action", flat=True)
        )
    assert {"invitation_sent", "invitation_accepted", "login"} <= actions


def test_link_expires_after_24_hours(client, world):
    invite(client, world)
    path = link_from_mail().split("127.0.0.1:8000", 1)[-1]
    with scopes_disabled():
        inv = Invitation.objects.get()
        assert abs(inv.expires_at - inv.created_at - timedelta(hours=24)) < timedelta(seconds=5)
        inv.expires_at = timezone.now() - timedelta(seconds=1)
        inv.save()
    client.logout()
    response = client.get(path)
    assert response.status_code == 404
    assert "tidak berlaku" in response.content.decode()


def test_invitation_scope_must_be_in_the_district(client, world):
    response = invite(client, world, village=world.b.village.id)
    assert response.status_code == 200
    assert "village" in response.context["form"].errors
    response = invite(client, world, role="camat", village="")
    assert "kecamatan" in response.context["form"].errors
    with scopes_disabled():
        assert not Invitation.objects.exists()
    assert mail.outbox == []


def test_weak_password_is_refused_and_nothing_is_created(client, world):
    invite(client, world)
    path = link_from_mail().split("127.0.0.1:8000", 1)[-1]
    client.logout()
    response = client.post(
        path, {"full_name": "X", "password1": "12345678", "password2": "12345678"}
    )
    assert response.status_code == 200
    assert not User.objects.filter(email="kades.baru@example.test").exists()


def test_existing_user_accepts_after_login(client, world):
    existing = world.b.users["opd_staff"]
    invite(client, world, email=existing.email, role="executive", village="")
    path = link_from_mail().split("127.0.0.1:8000", 1)[-1]
    client.logout()
    assert "sudah punya akun" in client.get(path).content.decode()
    client.force_login(existing)
    response = client.post(path)
    assert response.status_code == 302
    assert Membership.objects.filter(
        user=existing, district=world.a.district, role="executive"
    ).exists()


def test_admin_changes_role_and_ends_membership(client, world):
    client.force_login(world.a.users["district_admin"])
    m = world.a.memberships["kpm"]
    url = f"/{world.a.district.slug}/pengguna/{m.id}/"
    response = client.post(url, {"role": "village_head", "village": world.a.other_village.id})
    assert response.status_code == 302
    m.refresh_from_db()
    assert m.role == "village_head" and m.village == world.a.other_village
    response = client.post(url + "cabut/")
    assert response.status_code == 302
    m.refresh_from_db()
    assert not m.is_active
    with scopes_disabled():
        assert {"role_changed", "membership_ended"} <= set(
            AuditEvent.objects.values_list("action", flat=True)
        )
    # the ended member can no longer enter the district
    client.force_login(world.a.users["kpm"])
    assert client.get(f"/{world.a.district.slug}/").status_code == 404


def test_admin_cannot_demote_himself(client, world):
    admin_m = world.a.memberships["district_admin"]
    client.force_login(world.a.users["district_admin"])
    response = client.post(
        f"/{world.a.district.slug}/pengguna/{admin_m.id}/", {"role": "executive"}
    )
    assert response.status_code == 200
    admin_m.refresh_from_db()
    assert admin_m.role == "district_admin"


def test_no_public_signup(client, world):
    response = client.get("/accounts/signup/")
    assert response.status_code in (200, 403)
    client.post(
        "/accounts/signup/",
        {"email": "x@example.test", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert not User.objects.filter(email="x@example.test").exists()
