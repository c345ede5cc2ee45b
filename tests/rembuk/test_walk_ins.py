"""Whoever holds a session's check-in code cannot fill its list with made-up names: walk-ins
(participants without an invitation) are limited per address and per session, and the
organisers remove them, chosen or all at once."""

import pytest
from django.test import Client
from django_scopes import scopes_disabled

from accounts.models import AuditEvent
from rembuk import services
from rembuk.models import Participant
from tests.rembuk.test_participants import checkin_url, names, session_now, url

pytestmark = pytest.mark.django_db


def walk_in(client, session, name):
    return client.post(checkin_url(session), {"name": name, "organisation": "Tamu"})


def walk_ins(session) -> list[str]:
    with scopes_disabled():
        return list(
            Participant.objects.filter(session=session, invited=False).values_list(
                "name", flat=True
            )
        )


def test_one_address_adds_at_most_ten_walk_ins(world):
    session = session_now(world.a)
    phone = Client(REMOTE_ADDR="198.51.100.20")
    for i in range(10):
        assert walk_in(phone, session, f"Tamu Nomor {i}").status_code == 302
    refused = walk_in(phone, session, "Tamu Kesebelas")
    assert refused.status_code == 200
    assert "Terlalu banyak peserta tanpa undangan" in refused.content.decode()
    assert len(walk_ins(session)) == 10
    # another phone at the door is not refused with it
    assert walk_in(Client(REMOTE_ADDR="198.51.100.21"), session, "Tamu Lain").status_code == 302
    assert len(walk_ins(session)) == 11


def test_a_session_takes_at_most_thirty_walk_ins_in_ten_minutes(world):
    side = world.a
    session = session_now(side)
    with scopes_disabled():
        invited = services.add_participant(
            session, name="Dr. Siti Aminah", by=side.users["district_admin"]
        )
    for i in range(30):  # from thirty addresses: the per-address limit does not stop them
        client = Client(REMOTE_ADDR=f"198.51.100.{100 + i}")
        assert walk_in(client, session, f"Nama Karangan {i}").status_code == 302
    refused = walk_in(Client(REMOTE_ADDR="198.51.100.199"), session, "Nama Karangan Lagi")
    assert "Terlalu banyak peserta tanpa undangan" in refused.content.decode()
    assert len(walk_ins(session)) == 30
    # an invited guest still checks in
    response = walk_in(Client(REMOTE_ADDR="198.51.100.199"), session, "dr. siti aminah")
    assert response.status_code == 302
    with scopes_disabled():
        invited.refresh_from_db()
    assert invited.attended_at is not None


def test_check_in_posts_are_limited_per_address(world):
    session = session_now(world.a)
    phone = Client(REMOTE_ADDR="198.51.100.30")
    with scopes_disabled():
        services.add_participant(session, name="Budi Santoso", by=world.a.users["district_admin"])
    for _ in range(60):
        phone.post(checkin_url(session), {"name": "Budi Santoso"})
    response = phone.post(checkin_url(session), {"name": "Budi Santoso"})
    assert response.status_code == 429


def test_the_organiser_removes_chosen_walk_ins_or_all_of_them(client, world):
    side = world.a
    session = session_now(side)
    with scopes_disabled():
        services.add_participant(session, name="Tamu Undangan", by=side.users["district_admin"])
    for i, name in enumerate(["Palsu Satu", "Palsu Dua", "Tamu Sungguhan"]):
        walk_in(Client(REMOTE_ADDR=f"198.51.100.{40 + i}"), session, name)
    with scopes_disabled():
        ids = dict(Participant.objects.filter(session=session).values_list("name", "pk"))
    client.force_login(side.users["district_admin"])
    page = client.get(url("rembuk_participants", side, session_id=session.pk)).content.decode()
    assert "Hapus semua peserta tanpa undangan (3)" in page
    remove = url("rembuk_walk_ins_remove", side, session_id=session.pk)

    # an invited participant's id is ignored: this action removes walk-ins only
    response = client.post(
        remove, {"participant": [ids["Palsu Satu"], ids["Palsu Dua"], ids["Tamu Undangan"]]}
    )
    assert response.status_code == 302
    assert sorted(names(session)) == ["Tamu Sungguhan", "Tamu Undangan"]
    with scopes_disabled():
        event = AuditEvent.objects.get(action="rembuk_walk_ins_removed")
    assert event.data["count"] == 2 and sorted(event.data["names"]) == ["Palsu Dua", "Palsu Satu"]
    assert event.actor == side.users["district_admin"]

    client.post(remove, {"semua": "1"})
    assert names(session) == ["Tamu Undangan"]


def test_only_those_who_manage_the_session_remove_walk_ins(client, world):
    side = world.a
    session = session_now(side)  # a district session: the camat may read it, not change it
    walk_in(Client(REMOTE_ADDR="198.51.100.50"), session, "Tamu Palsu")
    remove = url("rembuk_walk_ins_remove", side, session_id=session.pk)
    client.force_login(side.users["camat"])
    assert client.post(remove, {"semua": "1"}).status_code == 403
    client.force_login(world.b.users["district_admin"])
    assert client.post(remove, {"semua": "1"}).status_code == 404
    assert names(session) == ["Tamu Palsu"]
