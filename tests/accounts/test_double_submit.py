"""Two clicks never apply twice: a form carries a one-time key, so a double click (or a resend
after a timeout) creates one document, one comment, one invitation; accepting an invitation
twice at the same moment answers calmly; and an edit from an out-of-date page is refused with
who changed it (rembuk sessions, commitment wording)."""

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django_scopes import scopes_disabled

from accounts.models import Invitation, User
from commitments.models import CommitmentDocument
from convergence.models import Comment
from tests.commitments.factories import make_document
from tests.commitments.test_documents import create_post
from tests.concurrency import race
from tests.conftest import PASSWORD
from tests.rembuk.objects import village_session

pytestmark = pytest.mark.django_db

KEY = "k3y-0f-th1s-f0rm-0nly"


def url(name, side, **kwargs):
    return reverse(name, kwargs={"district_slug": side.district.slug, **kwargs})


def _hidden(page: str, name: str) -> str:
    return re.search(rf'name="{name}" value="([^"]*)"', page).group(1)


def test_a_double_click_creates_one_commitment_document(client, world):
    side = world.a
    client.force_login(side.users["district_admin"])
    page = client.get(url("commitment_create", side)).content.decode()
    key = _hidden(page, "once")
    first = client.post(url("commitment_create", side), create_post(once=key))
    second = client.post(url("commitment_create", side), create_post(once=key))
    with scopes_disabled():
        made = list(CommitmentDocument.objects.filter(district=side.district))
    assert len(made) == 1
    assert first.status_code == second.status_code == 302
    assert second["Location"] == first["Location"]  # the repeat lands on the same document
    # a new form (new key) makes a new document
    client.post(url("commitment_create", side), create_post(once=KEY))
    with scopes_disabled():
        assert CommitmentDocument.objects.filter(district=side.district).count() == 2


def test_a_refused_form_can_be_corrected_and_sent_with_the_same_key(client, world):
    side = world.a
    client.force_login(side.users["district_admin"])
    refused = client.post(url("commitment_create", side), create_post(title=" ", once=KEY))
    assert refused.status_code == 200
    assert _hidden(refused.content.decode(), "once") == KEY  # the form keeps its key
    accepted = client.post(url("commitment_create", side), create_post(once=KEY))
    assert accepted.status_code == 302
    with scopes_disabled():
        assert CommitmentDocument.objects.filter(district=side.district).count() == 1


def test_a_double_click_posts_one_comment(client, world):
    from tests.convergence.objects import own_deliverable, year_for

    side = world.a
    with scopes_disabled():
        deliverable = own_deliverable(side, year_for(side, 2026))
    client.force_login(side.users["opd_staff"])
    target = url("deliverable_comment", side, deliverable_id=deliverable.pk)
    for _ in range(2):
        client.post(target, {"text": "Sudah diperbaiki.", "once": KEY})
    with scopes_disabled():
        assert Comment.objects.filter(deliverable=deliverable).count() == 1


def test_one_live_invitation_per_address(client, world, django_capture_on_commit_callbacks):
    side = world.a
    client.force_login(side.users["district_admin"])
    data = {
        "email": "Kades.Baru@example.test",
        "full_name": "Kades Baru",
        "role": "village_head",
        "village": side.other_village.id,
        "position": "",
    }
    for _click in range(2):  # the double click: applied once, one mail
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(url("member_invite", side), {**data, "once": KEY})
        assert response.status_code == 302
    # another admin, another form, the same address: refused with a message
    again = client.post(url("member_invite", side), {**data, "email": "kades.baru@example.test"})
    assert again.status_code == 200
    assert "sudah memiliki undangan yang masih berlaku" in again.content.decode()
    with scopes_disabled():
        assert Invitation.objects.filter(district=side.district).count() == 1
    assert len(mail.outbox) == 1


@pytest.mark.django_db(transaction=True)
def test_accepting_an_invitation_twice_at_once_answers_calmly(world, postgres):
    from accounts.services import invite_member

    side = world.a
    with scopes_disabled():
        _invitation, link = invite_member(
            district=side.district,
            email="kpm.baru@example.test",
            role="kpm",
            village=side.village,
            by=side.users["district_admin"],
        )
    path = link.split("127.0.0.1:8000", 1)[-1]
    form = {"full_name": "KPM Baru", "password1": PASSWORD, "password2": PASSWORD}

    def accept():
        return Client().post(path, form)

    first, second = race(accept, accept)
    assert first.status_code == 302
    assert not isinstance(second, Exception), second
    assert second.status_code in (404, 409)  # the link was used: never a server error
    assert User.objects.filter(email="kpm.baru@example.test").count() == 1


def test_a_stale_rembuk_edit_is_refused_and_keeps_what_was_typed(client, world):
    side = world.a
    session = village_session(side, 2026)
    admin, camat = side.users["district_admin"], side.users["camat"]
    edit = url("rembuk_edit", side, session_id=session.pk)
    client.force_login(camat)
    page = client.get(edit).content.decode()
    token = _hidden(page, "edit_token")
    form = {
        "title": session.title,
        "starts_at": "2026-03-10T09:00",
        "venue": "Aula kecamatan",
        "chair": "Camat Wado",
        "agenda": "Agenda yang diketik camat",
        "year": "2026",
    }
    other = Client()
    other.force_login(admin)
    assert other.post(edit, {**form, "venue": "Pendopo", "edit_token": token}).status_code == 302
    response = client.post(edit, {**form, "edit_token": token})
    assert response.status_code == 200
    text = response.content.decode()
    assert "sudah diubah oleh" in text and admin.full_name in text
    assert "Agenda yang diketik camat" in text and "Aula kecamatan" in text
    with scopes_disabled():
        session.refresh_from_db()
    assert session.venue == "Pendopo"


def test_a_stale_commitment_edit_is_refused(client, world):
    from tests.commitments.test_documents import content_post

    side = world.a
    with scopes_disabled():
        document = make_document(side)
    edit = url("commitment_edit", side, document_id=document.pk)
    client.force_login(side.users["district_admin"])
    token = _hidden(client.get(edit).content.decode(), "edit_token")
    assert client.post(edit, content_post(closing="Versi A.", edit_token=token)).status_code == 302
    response = client.post(edit, content_post(closing="Versi B yang diketik.", edit_token=token))
    assert response.status_code == 200
    assert "sudah diubah oleh" in response.content.decode()
    assert "Versi B yang diketik." in response.content.decode()
    with scopes_disabled():
        assert document.current_version.closing == "Versi A."
