"""Participants: pasting a list, inviting the village heads, ticking attendance, and the public
self check-in behind the QR code."""

from datetime import datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from accounts.models import Role
from accounts.services import grant_membership
from rembuk import services
from rembuk.models import Attendance, Level, Participant
from tests.conftest import make_user
from tests.rembuk.objects import village_session

pytestmark = pytest.mark.django_db


def url(name, side, **kwargs):
    return reverse(name, kwargs={"district_slug": side.district.slug, **kwargs})


def names(session):
    with scopes_disabled():
        return list(Participant.objects.filter(session=session).values_list("name", flat=True))


def session_now(side, *, level=Level.DISTRICT, starts_in=timedelta(minutes=30), **fields):
    """A session starting soon, so that self check-in is open."""
    with scopes_disabled():
        return services.create_session(
            district=side.district,
            level=level,
            by=side.users["district_admin"],
            title="Rembuk Stunting Kabupaten",
            starts_at=timezone.now() + starts_in,
            venue="Pendopo",
            **fields,
        )


def test_parse_participant_lines():
    lines, errors = services.parse_participant_lines(
        "1. Dr. Siti Aminah; Kepala Dinas Kesehatan; Dinkes\n"
        "\n"
        "Budi Santoso\tCamat\tKecamatan Wado\n"
        "  Hj.  Rina ;  ; PKK \n"
        "2) Andi;\n"
    )
    assert errors == []
    assert [(p.name, p.position, p.organisation) for p in lines] == [
        ("Dr. Siti Aminah", "Kepala Dinas Kesehatan", "Dinkes"),
        ("Budi Santoso", "Camat", "Kecamatan Wado"),
        ("Hj. Rina", "", "PKK"),
        ("Andi", "", ""),
    ]
    _lines, errors = services.parse_participant_lines("; Camat\nA; b; c; d\n" + "x" * 201)
    assert len(errors) == 3
    assert errors[0].startswith("Baris 1")


def test_bulk_add_skips_names_already_listed(client, world):
    side = world.a
    session = village_session(side, 2026)
    client.force_login(side.users["village_head"])
    text = "Siti Aminah; Ketua PKK; PKK\nBudi Santoso; Sekdes; Pemerintah Desa\nsiti  AMINAH\n"
    response = client.post(url("rembuk_participants", side, session_id=session.pk), {"lines": text})
    assert response.status_code == 302
    assert names(session) == ["Siti Aminah", "Budi Santoso"]
    again = client.post(
        url("rembuk_participants", side, session_id=session.pk),
        {"lines": "Budi Santoso\nAgus Salim; Bidan desa"},
        follow=True,
    )
    assert names(session) == ["Siti Aminah", "Budi Santoso", "Agus Salim"]
    assert "1 nama sudah ada" in again.content.decode()


def test_bulk_add_with_a_bad_line_adds_nothing(client, world):
    side = world.a
    session = village_session(side, 2026)
    client.force_login(side.users["district_admin"])
    response = client.post(
        url("rembuk_participants", side, session_id=session.pk),
        {"lines": "Siti Aminah; Ketua PKK\n; tanpa nama\n"},
    )
    assert response.status_code == 200
    assert "Baris 2: nama belum diisi." in response.content.decode()
    assert names(session) == []


def test_add_all_village_heads_of_the_kecamatan(client, world):
    side = world.a
    other_head = make_user("kades2@sumedang.test", "Kades Tetangga")
    with scopes_disabled():
        # a second village of the same kecamatan, and one outside it
        from villages.models import Village

        neighbour = Village.objects.get(code="32.11.01.2002")
        grant_membership(
            user=other_head, role=Role.VILLAGE_HEAD, district=side.district, village=neighbour
        )
        outside = make_user("kades3@sumedang.test", "Kades Luar")
        grant_membership(
            user=outside, role=Role.VILLAGE_HEAD, district=side.district, village=side.other_village
        )
        session = services.create_session(
            district=side.district,
            level=Level.KECAMATAN,
            kecamatan=side.kecamatan,
            by=side.users["camat"],
            title="Rembuk Kecamatan Wado",
            starts_at=timezone.now(),
            venue="Kantor camat",
        )
    client.force_login(side.users["camat"])
    page = client.get(url("rembuk_participants", side, session_id=session.pk)).content.decode()
    assert "2 kepala desa/lurah punya akun" in page
    response = client.post(url("rembuk_add_village_heads", side, session_id=session.pk))
    assert response.status_code == 302
    with scopes_disabled():
        added = Participant.objects.filter(session=session)
        assert {p.user for p in added} == {side.users["village_head"], other_head}
        assert all(p.invited for p in added)
    client.post(url("rembuk_add_village_heads", side, session_id=session.pk))
    assert len(names(session)) == 2  # the second click adds nobody twice


def test_attendance_toggle(client, world):
    side = world.a
    session = village_session(side, 2026)
    with scopes_disabled():
        p = services.add_participant(session, name="Siti", by=side.users["district_admin"])
    client.force_login(side.users["village_head"])
    toggle = url("rembuk_attendance", side, participant_id=p.pk)
    response = client.post(toggle, {"present": "1"})
    assert response.status_code == 302
    assert response["Location"].endswith(f"#p-{p.pk}")
    with scopes_disabled():
        p.refresh_from_db()
    first = p.attended_at
    assert first is not None and p.attendance == Attendance.ORGANISER
    client.post(toggle, {"present": "1"})  # twice: the arrival time stays
    with scopes_disabled():
        p.refresh_from_db()
    assert p.attended_at == first
    page = client.get(url("rembuk_detail", side, session_id=session.pk)).content.decode()
    assert "1 dari 1 peserta hadir" in page
    client.post(toggle, {"present": "0"})
    with scopes_disabled():
        p.refresh_from_db()
    assert p.attended_at is None and p.attendance == ""
    # visible but not his to manage
    client.force_login(side.users["kpm"])
    assert client.post(toggle, {"present": "1"}).status_code == 403
    client.force_login(side.users["village_head"])
    assert client.get(toggle).status_code == 405


def test_remove_participant(client, world):
    side = world.a
    session = village_session(side, 2026)
    with scopes_disabled():
        p = services.add_participant(session, name="Salah Ketik", by=side.users["district_admin"])
    client.force_login(side.users["camat"])
    response = client.post(url("rembuk_participant_remove", side, participant_id=p.pk))
    assert response.status_code == 302 and names(session) == []


# --- Self check-in ----------------------------------------------------------------------------


def checkin_url(session):
    return reverse("rembuk_checkin", kwargs={"token": session.checkin_code})


def test_checkin_page_shows_only_the_session_and_a_form(client, world):
    side = world.b
    session = session_now(side)
    with scopes_disabled():
        services.add_participant(
            session, name="Rahasia Orang Lain", by=side.users["district_admin"]
        )
    page = client.get(checkin_url(session)).content.decode()
    assert session.title in page and "Pendopo" in page and "WITA" in page
    assert 'name="name"' in page
    assert "Rahasia Orang Lain" not in page


def test_checkin_matches_an_invited_participant_by_name(client, world):
    side = world.a
    session = session_now(side)
    with scopes_disabled():
        invited = services.add_participant(
            session, name="Dr. Siti  Aminah", position="", by=side.users["district_admin"]
        )
    response = client.post(
        checkin_url(session),
        {"name": "  dr. siti aminah ", "position": "Kepala Dinkes", "organisation": "Dinkes"},
        follow=True,
    )
    assert "Kehadiran Anda tercatat" in response.content.decode()
    with scopes_disabled():
        invited.refresh_from_db()
        assert invited.attended_at is not None and invited.attendance == Attendance.SELF
        assert invited.position == "Kepala Dinkes"  # filled in where the list left it blank
        assert Participant.objects.filter(session=session).count() == 1


def test_walk_in_checkin_is_added_once(client, world):
    side = world.a
    session = session_now(side)
    data = {"name": "Budi Santoso", "position": "Ketua Karang Taruna", "organisation": "Desa X"}
    assert client.post(checkin_url(session), data).status_code == 302
    with scopes_disabled():
        walk_in = Participant.objects.get(session=session)
    assert not walk_in.invited and walk_in.attendance == Attendance.SELF
    first = walk_in.attended_at
    client.post(checkin_url(session), {**data, "name": "BUDI   santoso"})
    with scopes_disabled():
        again = Participant.objects.get(session=session)  # still only one
    assert again.pk == walk_in.pk and again.attended_at == first


def test_logged_in_participant_checks_in_with_one_click(client, world):
    side = world.a
    session = session_now(side, level=Level.VILLAGE, village=side.village)
    head = side.users["village_head"]
    with scopes_disabled():
        services.add_village_heads(session, by=side.users["district_admin"])
    client.force_login(head)
    page = client.get(checkin_url(session)).content.decode()
    assert "Anda terdaftar sebagai peserta" in page and head.full_name in page
    client.post(checkin_url(session), {"me": "1"})
    with scopes_disabled():
        mine = Participant.objects.get(session=session, user=head)
    assert mine.present
    page = client.get(checkin_url(session)).content.decode()
    assert "sudah tercatat hadir" in page


def test_checkin_refused_when_closed_or_outside_the_window(client, world):
    side = world.a
    closed = session_now(side, checkin_open=False)
    over = session_now(side, starts_in=timedelta(days=-2))
    early = session_now(side, starts_in=timedelta(days=3))
    for session, text in [
        (closed, "ditutup oleh panitia"),
        (over, "sudah berakhir"),
        (early, "dua jam sebelum"),
    ]:
        page = client.get(checkin_url(session)).content.decode()
        assert text in page and 'name="name"' not in page
        response = client.post(checkin_url(session), {"name": "Penyusup"})
        assert response.status_code == 200
        assert names(session) == []
        with scopes_disabled(), pytest.raises(services.ValidationError):
            services.check_in(session, code=session.checkin_code, name="Penyusup")


def test_checkin_window_in_the_district_time_zone(world):
    side = world.b  # WITA
    with scopes_disabled():
        session = services.create_session(
            district=side.district,
            level=Level.DISTRICT,
            by=side.users["district_admin"],
            title="Rembuk",
            starts_at=datetime(2026, 3, 10, 9, 0, tzinfo=side.district.tz),
            venue="Soe",
        )

    def at(day, hour, minute=0):
        return datetime(2026, 3, day, hour, minute, tzinfo=side.district.tz)

    assert session.checkin_state(at(10, 6, 59)) == "early"
    assert session.checkin_state(at(10, 7, 0)) == "open"
    assert session.checkin_state(at(10, 23, 59)) == "open"
    assert session.checkin_state(at(11, 0, 0)) == "over"


def test_checkin_needs_the_right_code_and_unknown_codes_are_404(client, world):
    side = world.a
    session = session_now(side)
    assert client.get(reverse("rembuk_checkin", kwargs={"token": "tidak-ada"})).status_code == 404
    assert (
        client.post(reverse("rembuk_checkin", kwargs={"token": "tidak-ada"}), {"name": "A"})
    ).status_code == 404
    with scopes_disabled(), pytest.raises(services.ValidationError):
        services.check_in(session, code="salah", name="A")
    # a renewed code retires the old link
    old = checkin_url(session)
    client.force_login(side.users["district_admin"])
    client.post(url("rembuk_checkin_settings", side, session_id=session.pk), {"action": "renew"})
    client.logout()
    assert client.get(old).status_code == 404
    with scopes_disabled():
        session.refresh_from_db()
    assert client.get(checkin_url(session)).status_code == 200


def test_managers_see_the_qr_code_others_do_not(client, world):
    side = world.a
    session = village_session(side, 2026)
    client.force_login(side.users["village_head"])
    page = client.get(url("rembuk_detail", side, session_id=session.pk)).content.decode()
    assert 'src="data:image/svg+xml' in page
    assert session.checkin_code in page
    client.force_login(side.users["kpm"])
    page = client.get(url("rembuk_detail", side, session_id=session.pk)).content.decode()
    assert session.checkin_code not in page and "data:image/svg+xml" not in page


def test_name_form_on_a_logged_in_phone_checks_in_the_named_person(client, world):
    side = world.a
    session = session_now(side, level=Level.VILLAGE, village=side.village)
    head = side.users["village_head"]
    with scopes_disabled():
        services.add_village_heads(session, by=side.users["district_admin"])
    client.force_login(head)
    client.post(checkin_url(session), {"name": "Tamu Lain", "organisation": "Karang Taruna"})
    with scopes_disabled():
        mine = Participant.objects.get(session=session, user=head)
        guest = Participant.objects.get(session=session, name="Tamu Lain")
    assert not mine.present
    assert guest.present and guest.user is None and not guest.invited
