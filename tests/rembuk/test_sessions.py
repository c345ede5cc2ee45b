"""Sessions: who may create and manage them where, the create and edit forms (bad input changes
nothing), the list, and bounded queries on the list and the detail page."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_scopes import scopes_disabled

from accounts.models import AuditEvent
from rembuk import services
from rembuk.models import Level, Participant, PlanItem, RembukSession
from tests.rembuk.objects import village_session

pytestmark = pytest.mark.django_db


def url(name, side, **kwargs):
    return reverse(name, kwargs={"district_slug": side.district.slug, **kwargs})


def make_session(side, level, *, by=None, kecamatan=None, village=None, title=None, year=2026):
    with scopes_disabled():
        return services.create_session(
            district=side.district,
            level=level,
            kecamatan=kecamatan,
            village=village,
            by=by or side.users["district_admin"],
            title=title or f"Rembuk {level}",
            starts_at=datetime(year, 5, 20, 9, 0, tzinfo=side.district.tz),
            venue="Aula",
        )


def count_sessions(side):
    with scopes_disabled():
        return RembukSession.objects.filter(district=side.district).count()


def create_data(**overrides):
    data = {
        "level": "district",
        "kecamatan": "",
        "village": "",
        "title": "Rembuk Stunting Kabupaten 2026",
        "starts_at": "2026-05-20T09:00",
        "venue": "Pendopo",
        "chair": "Sekda",
        "agenda": "Hasil analisis situasi\nKomitmen",
        "year": "",
        "checkin_open": "on",
    }
    data.update(overrides)
    return data


def test_admin_creates_a_district_session_in_the_district_time_zone(client, world):
    side = world.b  # WITA, UTC+8
    client.force_login(side.users["district_admin"])
    response = client.post(url("rembuk_create", side), create_data())
    assert response.status_code == 302
    with scopes_disabled():
        session = RembukSession.objects.get(district=side.district)
        assert response["Location"] == url("rembuk_detail", side, session_id=session.pk)
        assert session.level == Level.DISTRICT and session.kecamatan is None
        assert session.starts_at == datetime(2026, 5, 20, 1, 0, tzinfo=UTC)
        assert session.year == 2026 and session.created_by == side.users["district_admin"]
        assert AuditEvent.objects.filter(district=side.district, action="rembuk_created").exists()
    page = client.get(response["Location"]).content.decode()
    assert "09:00 WITA" in page
    assert "Hasil analisis situasi" in page


def test_create_form_with_errors_changes_nothing(client, world):
    side = world.a
    client.force_login(side.users["district_admin"])
    for bad in [
        {"title": ""},
        {"starts_at": "besok pagi"},
        {"level": "kecamatan"},
        {"level": "village"},
        {"level": "province"},
        {"year": "1999"},
    ]:
        response = client.post(url("rembuk_create", side), create_data(**bad))
        assert response.status_code == 200, bad
        assert 'class="error"' in response.content.decode(), bad
    assert count_sessions(side) == 0


def test_camat_creates_only_in_his_kecamatan(client, world):
    side = world.a
    client.force_login(side.users["camat"])
    form = client.get(url("rembuk_create", side)).content.decode()
    assert side.village.name in form
    assert side.other_village.name not in form  # another kecamatan's village is not offered
    assert 'value="district"' not in form
    refused = client.post(
        url("rembuk_create", side), create_data(level="village", village=side.other_village.pk)
    )
    assert refused.status_code == 200 and count_sessions(side) == 0
    refused = client.post(
        url("rembuk_create", side),
        create_data(level="kecamatan", kecamatan=side.other_kecamatan.pk),
    )
    assert refused.status_code == 200 and count_sessions(side) == 0
    assert client.post(url("rembuk_create", side), create_data()).status_code == 200
    assert count_sessions(side) == 0
    ok = client.post(
        url("rembuk_create", side), create_data(level="kecamatan", kecamatan=side.kecamatan.pk)
    )
    assert ok.status_code == 302
    ok = client.post(
        url("rembuk_create", side), create_data(level="village", village=side.village.pk)
    )
    assert ok.status_code == 302
    with scopes_disabled():
        village = RembukSession.objects.get(level=Level.VILLAGE, district=side.district)
        assert village.kecamatan == side.kecamatan  # follows from the village


def test_village_head_creates_only_for_his_village(client, world):
    side = world.a
    client.force_login(side.users["village_head"])
    form = client.get(url("rembuk_create", side)).content.decode()
    assert 'value="kecamatan"' not in form and 'value="district"' not in form
    assert client.post(url("rembuk_create", side), create_data()).status_code == 200
    assert (
        client.post(
            url("rembuk_create", side), create_data(level="village", village=side.other_village.pk)
        ).status_code
        == 200
    )
    assert count_sessions(side) == 0
    ok = client.post(
        url("rembuk_create", side), create_data(level="village", village=side.village.pk)
    )
    assert ok.status_code == 302 and count_sessions(side) == 1


def test_may_create_and_may_manage_rules(world):
    from accounts.models import Membership
    from accounts.policy import access_for

    side = world.a

    def access(role):
        return access_for(
            list(Membership.objects.active().filter(user=side.users[role])), side.district
        )

    own = make_session(side, Level.VILLAGE, village=side.village)
    other = make_session(side, Level.VILLAGE, village=side.other_village)
    kec = make_session(side, Level.KECAMATAN, kecamatan=side.kecamatan)
    district = make_session(side, Level.DISTRICT)
    expected = {
        "district_admin": {own, other, kec, district},
        "camat": {own, kec},
        "village_head": {own},
        "kpm": set(),
        "opd_staff": set(),
        "executive": set(),
    }
    for role, managed in expected.items():
        a = access(role)
        assert {s for s in (own, other, kec, district) if services.may_manage(a, s)} == managed
    b_admin = access_for(
        list(Membership.objects.active().filter(user=world.b.users["district_admin"])),
        side.district,
    )
    assert b_admin is None
    camat = access("camat")
    assert services.may_create(camat, level=Level.KECAMATAN, kecamatan=side.kecamatan)
    assert not services.may_create(camat, level=Level.KECAMATAN, kecamatan=side.other_kecamatan)
    assert not services.may_create(camat, level=Level.DISTRICT)
    head = access("village_head")
    assert services.may_create(head, level=Level.VILLAGE, village=side.village)
    assert not services.may_create(head, level=Level.VILLAGE, village=side.other_village)
    assert not services.may_create(head, level=Level.KECAMATAN, kecamatan=side.kecamatan)


def test_camat_and_village_head_see_only_their_area(client, world):
    side = world.a
    own = make_session(side, Level.VILLAGE, village=side.village, title="Rembuk desa sendiri")
    other = make_session(
        side, Level.VILLAGE, village=side.other_village, title="Rembuk desa tetangga"
    )
    other_kec = make_session(
        side, Level.KECAMATAN, kecamatan=side.other_kecamatan, title="Rembuk kecamatan lain"
    )
    district = make_session(side, Level.DISTRICT, title="Rembuk kabupaten")
    for role in ("camat", "village_head", "kpm"):
        client.force_login(side.users[role])
        listing = client.get(url("rembuk_list", side)).content.decode()
        assert "Rembuk desa sendiri" in listing and "Rembuk kabupaten" in listing, role
        assert "Rembuk desa tetangga" not in listing and "Rembuk kecamatan lain" not in listing
        for hidden in (other, other_kec):
            assert client.get(url("rembuk_detail", side, session_id=hidden.pk)).status_code == 404
            assert client.get(url("rembuk_edit", side, session_id=hidden.pk)).status_code in (
                403,
                404,
            )
        assert client.get(url("rembuk_detail", side, session_id=own.pk)).status_code == 200
        # the district's own session: visible, but only the district admin manages it
        assert client.get(url("rembuk_detail", side, session_id=district.pk)).status_code == 200
    for role in ("camat", "village_head"):
        client.force_login(side.users[role])
        assert client.get(url("rembuk_edit", side, session_id=district.pk)).status_code == 403
        assert client.get(url("rembuk_edit", side, session_id=own.pk)).status_code == 200
        assert client.get(url("rembuk_edit", side, session_id=other.pk)).status_code == 404
    client.force_login(side.users["kpm"])
    assert client.get(url("rembuk_edit", side, session_id=own.pk)).status_code == 403
    # B's admin does not reach A's session through his own district either
    client.force_login(world.b.users["district_admin"])
    assert client.get(url("rembuk_detail", world.b, session_id=own.pk)).status_code == 404


def test_edit_session_and_bad_input_changes_nothing(client, world):
    side = world.a
    session = village_session(side, 2026)
    before = session.starts_at
    client.force_login(side.users["camat"])
    page = client.get(url("rembuk_edit", side, session_id=session.pk)).content.decode()
    assert 'value="2026-03-10T09:00"' in page  # the district's wall clock
    bad = {
        "title": "",
        "starts_at": "2026-03-11T10:30",
        "venue": "Aula kantor desa",
        "year": "2026",
    }
    response = client.post(url("rembuk_edit", side, session_id=session.pk), bad)
    assert response.status_code == 200 and 'class="error"' in response.content.decode()
    with scopes_disabled():
        session.refresh_from_db()
    assert session.venue == "Balai desa" and session.starts_at == before
    good = {**bad, "title": "Rembuk desa (diundur)"}
    response = client.post(url("rembuk_edit", side, session_id=session.pk), good)
    assert response.status_code == 302
    with scopes_disabled():
        session.refresh_from_db()
        assert session.title == "Rembuk desa (diundur)" and session.venue == "Aula kantor desa"
        assert session.starts_at == datetime(2026, 3, 11, 10, 30, tzinfo=side.district.tz)
        assert not session.checkin_open  # an unticked box closes self check-in
        event = AuditEvent.objects.filter(action="rembuk_changed").latest("at")
        assert "venue" in event.data["fields"]


def test_minutes_are_saved(client, world):
    side = world.a
    session = village_session(side, 2026)
    client.force_login(side.users["village_head"])
    response = client.post(
        url("rembuk_minutes", side, session_id=session.pk),
        {"chair": "Kepala Desa", "minutes": "Disepakati enam kegiatan.\n\nDitutup 12.00."},
    )
    assert response.status_code == 302
    page = client.get(url("rembuk_detail", side, session_id=session.pk)).content.decode()
    assert "Disepakati enam kegiatan." in page and "Kepala Desa" in page


def test_list_filters_by_year_and_level(client, world):
    side = world.a
    make_session(side, Level.DISTRICT, title="Rembuk kabupaten 2025", year=2025)
    make_session(side, Level.DISTRICT, title="Rembuk kabupaten 2026", year=2026)
    make_session(side, Level.VILLAGE, village=side.village, title="Rembuk desa 2026", year=2026)
    client.force_login(side.users["executive"])
    page = client.get(url("rembuk_list", side) + "?tahun=2026").content.decode()
    assert "Rembuk kabupaten 2026" in page and "Rembuk desa 2026" in page
    assert "Rembuk kabupaten 2025" not in page
    page = client.get(url("rembuk_list", side) + "?tahun=2026&tingkat=village").content.decode()
    assert "Rembuk desa 2026" in page and "Rembuk kabupaten 2026" not in page
    page = client.get(url("rembuk_list", side) + "?tahun=semua").content.decode()
    assert "Rembuk kabupaten 2025" in page and "Rembuk desa 2026" in page
    assert 'href="' + url("rembuk_create", side) not in page  # executives do not create


def _fill(session, side, n_people, n_items):
    admin = side.users["district_admin"]
    with scopes_disabled():
        services.add_participants(
            session,
            lines=[
                services.ParticipantLine(f"Peserta {i}", "Staf", "OPD") for i in range(n_people)
            ],
            by=admin,
        )
        for i in range(n_items):
            services.add_plan_item(
                session,
                by=admin,
                activity=f"Kegiatan {i}",
                lead_agency=side.agency,
                villages=[side.village, side.other_village],
                budget=1_000_000 * (i + 1),
            )


def _queries(client, path):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_detail_and_list_queries_do_not_grow_with_rows(client, world):
    side = world.a
    small = make_session(side, Level.DISTRICT, title="Kecil")
    big = make_session(side, Level.DISTRICT, title="Besar")
    _fill(small, side, 2, 1)
    _fill(big, side, 40, 15)
    client.force_login(side.users["district_admin"])
    client.get(url("rembuk_list", side))  # the first request of a login does a little more
    detail_small = _queries(client, url("rembuk_detail", side, session_id=small.pk))
    detail_big = _queries(client, url("rembuk_detail", side, session_id=big.pk))
    assert detail_big == detail_small
    assert detail_big <= 20
    list_few = _queries(client, url("rembuk_list", side))
    for i in range(12):
        _fill(make_session(side, Level.DISTRICT, title=f"Tambahan {i}"), side, 3, 2)
    list_many = _queries(client, url("rembuk_list", side))
    assert list_many == list_few
    with scopes_disabled():
        assert Participant.objects.filter(session=big).count() == 40
        assert PlanItem.objects.filter(session=big).count() == 15
