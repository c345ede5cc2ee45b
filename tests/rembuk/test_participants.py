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


def people(session):
    with scopes_disabled():
        return list(
            Participant.objects.filter(session=session)
            .order_by("order")
            .values_list("name", "position", "organisation")
        )


def test_a_duplicate_is_the_same_name_position_and_organisation(client, world):
    side = world.a
    session = village_session(side, 2026)
    client.force_login(side.users["village_head"])
    page_url = url("rembuk_participants", side, session_id=session.pk)
    text = (
        "Siti Aminah; Ketua PKK; PKK\n"  # 1
        "Budi Santoso; Sekdes; Pemerintah Desa\n"  # 2
        "siti  AMINAH ;  ketua pkk; pkk\n"  # 3: line 1 again (case and spaces)
        "Siti Aminah; Bidan desa; Puskesmas\n"  # 4: same name, another person
        "Siti Aminah\n"  # 5: same name without position: another line
    )
    response = client.post(page_url, {"lines": text})
    assert response.status_code == 302 and response["Location"].endswith("#hasil")
    assert people(session) == [
        ("Siti Aminah", "Ketua PKK", "PKK"),
        ("Budi Santoso", "Sekdes", "Pemerintah Desa"),
        ("Siti Aminah", "Bidan desa", "Puskesmas"),
        ("Siti Aminah", "", ""),
    ]
    page = client.get(page_url).content.decode()
    assert "4 peserta ditambahkan." in page
    assert "1 dilewati:" in page and "1 ganda dalam tempelan" in page
    assert "sama dengan baris 1 tempelan ini" in page
    # the report is shown once
    assert "Hasil penambahan" not in client.get(page_url).content.decode()
    again = client.post(
        page_url,
        {"lines": "BUDI santoso; Sekdes; Pemerintah desa\nAgus Salim; Bidan desa"},
        follow=True,
    )
    assert people(session)[-1] == ("Agus Salim", "Bidan desa", "")
    assert len(people(session)) == 5
    page = again.content.decode()
    assert "1 peserta ditambahkan." in page and "1 sudah ada di daftar" in page
    assert "BUDI santoso; Sekdes; Pemerintah desa" in page  # the line as pasted
    assert "sudah ada di daftar peserta" in page


def test_bad_lines_are_skipped_shown_and_offered_again(client, world):
    side = world.a
    session = village_session(side, 2026)
    client.force_login(side.users["district_admin"])
    page_url = url("rembuk_participants", side, session_id=session.pk)
    response = client.post(
        page_url,
        {"lines": "Siti Aminah; Ketua PKK\n; tanpa nama\nA; b; c; d\nBudi; Camat\n"},
        follow=True,
    )
    assert people(session) == [("Siti Aminah", "Ketua PKK", ""), ("Budi", "Camat", "")]
    page = response.content.decode()
    assert "2 peserta ditambahkan." in page
    assert "2 baris tidak sah" in page
    assert "nama belum diisi" in page and "paling banyak tiga bagian" in page
    # the two bad lines are back in the box, to be corrected
    assert "; tanpa nama\nA; b; c; d</textarea>" in page


def test_a_paste_of_nobody_or_too_many_lines_is_refused(client, world):
    side = world.a
    session = village_session(side, 2026)
    client.force_login(side.users["district_admin"])
    page_url = url("rembuk_participants", side, session_id=session.pk)
    response = client.post(page_url, {"lines": "\n  \n"})
    assert response.status_code == 200 and 'class="error"' in response.content.decode()
    lines = "\n".join(f"Peserta {i}; Staf; OPD" for i in range(5001))
    response = client.post(page_url, {"lines": lines})
    assert response.status_code == 200
    assert "Paling banyak 5000 baris sekali tempel (yang ditempel: 5001)." in (
        response.content.decode()
    )
    assert people(session) == []


def test_more_than_five_hundred_in_one_paste(client, world):
    """The old cap was 500 per session and per paste; 700 people go in at once."""
    side = world.a
    session = village_session(side, 2026)
    client.force_login(side.users["district_admin"])
    lines = "\n".join(f"{i}. Peserta {i}; Kepala Desa {i}; Desa {i}" for i in range(1, 701))
    response = client.post(
        url("rembuk_participants", side, session_id=session.pk), {"lines": lines}
    )
    assert response.status_code == 302
    added = people(session)
    assert len(added) == 700
    assert added[0] == ("Peserta 1", "Kepala Desa 1", "Desa 1")
    assert added[-1] == ("Peserta 700", "Kepala Desa 700", "Desa 700")


def test_adding_participants_costs_the_same_queries_for_10_or_1000(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    side = world.a
    admin = side.users["district_admin"]
    counts = []
    for n in (10, 1000):
        with scopes_disabled():
            session = services.create_session(
                district=side.district,
                level=Level.DISTRICT,
                by=admin,
                title=f"Rembuk {n}",
                starts_at=timezone.now(),
                venue="Pendopo",
            )
            lines = [services.ParticipantLine(f"P {i}", "Staf", "OPD", i + 1) for i in range(n)]
            with CaptureQueriesContext(connection) as queries:
                new, skipped = services.add_participants(session, lines=lines, by=admin)
        assert (len(new), skipped) == (n, [])
        counts.append(len(queries))
    assert counts[0] == counts[1]


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


def test_two_people_of_the_same_name_check_in_each_as_himself(client, world):
    side = world.a
    session = session_now(side)
    admin = side.users["district_admin"]
    with scopes_disabled():
        pkk = services.add_participant(
            session, name="Siti Aminah", position="Ketua TP PKK", organisation="PKK", by=admin
        )
        midwife = services.add_participant(
            session, name="Siti Aminah", position="Bidan desa", organisation="Puskesmas", by=admin
        )
    client.post(
        checkin_url(session),
        {"name": "siti aminah", "position": "bidan desa", "organisation": "PUSKESMAS"},
    )
    with scopes_disabled():
        pkk.refresh_from_db()
        midwife.refresh_from_db()
    assert midwife.present and not pkk.present
    # without a position: the one of that name not yet present
    client.post(checkin_url(session), {"name": "Siti Aminah"})
    with scopes_disabled():
        pkk.refresh_from_db()
        assert pkk.present
        assert Participant.objects.filter(session=session).count() == 2


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
