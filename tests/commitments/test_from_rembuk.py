"""A commitment document made from a rembuk session takes the session's date (in the
district's time zone), venue, year and area, and its title follows the year."""

from datetime import UTC, date, datetime

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled

from commitments.models import CommitmentDocument
from rembuk import services as rembuk
from rembuk.models import Level

pytestmark = pytest.mark.django_db


def url(name, side, **kwargs):
    return reverse(name, kwargs={"district_slug": side.district.slug, **kwargs})


def test_the_form_starts_from_the_rembuk(world, client):
    side = world.b  # WITA (UTC+8)
    with scopes_disabled():
        # held on 30 December 2026 at 17:30 UTC = 31 December 01:30 WITA, for the plans of 2027
        session = rembuk.create_session(
            district=side.district,
            level=Level.DISTRICT,
            by=side.users["district_admin"],
            title="Rembuk Stunting 2027",
            starts_at=datetime(2026, 12, 30, 17, 30, tzinfo=UTC),
            venue="Aula Bappeda",
            year=2027,
        )
    client.force_login(side.users["district_admin"])
    page = client.get(url("commitment_create", side) + f"?rembuk={session.pk}")
    initial = page.context["form"].initial
    assert initial["year"] == 2027
    assert initial["signed_on"] == date(2026, 12, 31)
    assert initial["place"] == "Aula Bappeda"
    assert initial["rembuk"] == str(session.pk)
    assert initial["level"] == "district"
    name = side.district.name.upper()
    assert initial["title"] == (f"KOMITMEN BERSAMA PERCEPATAN PENURUNAN STUNTING {name} TAHUN 2027")
    # the plan year in the points follows too (the template's "{next_year}")
    assert "tahun 2028" in initial["points"]


def test_a_village_rembuk_makes_a_village_document(world, client):
    side = world.a  # WIB
    with scopes_disabled():
        session = rembuk.create_session(
            district=side.district,
            level=Level.VILLAGE,
            village=side.village,
            by=side.users["village_head"],
            title="Rembuk Desa Cimungkal",
            starts_at=datetime(2026, 3, 10, 2, 0, tzinfo=UTC),  # 09:00 WIB
            venue="Balai Desa Cimungkal",
        )
    client.force_login(side.users["village_head"])
    initial = (
        client.get(url("commitment_create", side) + f"?rembuk={session.pk}").context["form"].initial
    )
    assert (initial["template"], initial["level"], initial["village"]) == (
        "village",
        "village",
        side.village.pk,
    )
    assert (initial["year"], initial["signed_on"], initial["place"]) == (
        2026,
        date(2026, 3, 10),
        "Balai Desa Cimungkal",
    )
    assert initial["title"] == "KOMITMEN DESA CIMUNGKAL DALAM PENCEGAHAN STUNTING TAHUN 2026"


def test_a_rembuk_of_another_district_or_a_bad_id_is_ignored(world, client):
    with scopes_disabled():
        other = rembuk.create_session(
            district=world.b.district,
            level=Level.DISTRICT,
            by=world.b.users["district_admin"],
            title="Rembuk B",
            starts_at=datetime(2024, 5, 1, 2, 0, tzinfo=UTC),
            venue="Tempat B",
        )
    side = world.a
    client.force_login(side.users["district_admin"])
    today = side.district.local_now().date()
    for value in (str(other.pk), "bukan-uuid"):
        initial = (
            client.get(url("commitment_create", side) + f"?rembuk={value}").context["form"].initial
        )
        assert initial["rembuk"] == ""
        assert initial["year"] == today.year and initial["place"] == "Sumedang"


def test_the_template_title_follows_the_year_chosen(world, client):
    side = world.a
    client.force_login(side.users["district_admin"])
    base = {
        "template": "district",
        "level": "district",
        "kecamatan": "",
        "village": "",
        "rembuk": "",
        "year": "2027",
        "preamble": "Kami yang bertanda tangan di bawah ini berkomitmen untuk:",
        "points": "Satu.",
        "closing": "",
        "place": "Sumedang",
        "signed_on": "2026-12-31",
    }
    template_2026 = "KOMITMEN BERSAMA PERCEPATAN PENURUNAN STUNTING KABUPATEN SUMEDANG TAHUN 2026"
    own = "Komitmen Kami Tahun 2026"
    for title in (template_2026, own):
        response = client.post(url("commitment_create", side), {**base, "title": title})
        assert response.status_code == 302
    with scopes_disabled():
        titles = sorted(
            d.current_version.title
            for d in CommitmentDocument.objects.filter(district=side.district)
        )
    assert titles == [
        "KOMITMEN BERSAMA PERCEPATAN PENURUNAN STUNTING KABUPATEN SUMEDANG TAHUN 2027",
        own,  # written by the organiser: kept
    ]
