"""The outcome page: every number with its source and year, isolation between districts and
areas, the admin's forms, and a query count that does not grow with the data."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_scopes import scopes_disabled

from outcomes.models import DistrictTarget, Indicator, IndicatorValue
from villages.models import Village

pytestmark = pytest.mark.django_db


def url(side, name="outcomes", **kwargs):
    return reverse(name, kwargs={"district_slug": side.district.slug, **kwargs})


def put(
    side, value, *, source="ssgi", year=2024, month=None, kecamatan=None, village=None, note=""
):
    with scopes_disabled():
        return IndicatorValue.objects.create(
            district=side.district,
            kecamatan=kecamatan or (village.kecamatan if village else None),
            village=village,
            indicator=Indicator.objects.get(code="prevalensi_stunting"),
            year=year,
            month=month,
            value=Decimal(value),
            source=source,
            note=note,
        )


def page(client, user, side):
    client.force_login(user)
    response = client.get(url(side))
    assert response.status_code == 200
    return response.content.decode()


def test_each_number_shows_its_source_and_year(client, world):
    a = world.a
    put(a, "17.62", source="ssgi", year=2024)
    put(a, "6.10", source="eppgbm", year=2024, month=8)
    put(a, "31.20", kecamatan=a.kecamatan, year=2024, note="KECNOTE")
    with scopes_disabled():
        DistrictTarget.objects.create(
            district=a.district,
            indicator=Indicator.objects.get(code="prevalensi_stunting"),
            year=2026,
            value=Decimal("14"),
        )
    html = page(client, a.users["executive"], a)
    assert "17,62 %" in html  # the survey comes first, before the census of the same year
    assert "Sumber: SSGI, tahun 2024" in html
    assert "e-PPGBM / bulan timbang" in html and "08/2024" in html
    assert "31,2" in html and "Sangat tinggi" in html  # > 30 %: red band, named in words
    assert "Target kabupaten 2026 (ditetapkan kabupaten/kota): 14,00 %" in html
    assert "Target nasional 2024 (Perpres 72/2021): 14,00 %" in html
    assert "Perpres 72/2021 (2024)" in html
    assert "19,80 % (SSGI 2024)" in html  # the national value names its own survey
    assert "19,80 %" in html  # the national 2024 value beside the district's, in the table
    assert "Riskesdas 2013" in html  # the national series' sources are named


def test_another_districts_values_are_never_shown(client, world):
    put(world.b, "29.99", note="BNOTE")
    html = page(client, world.a.users["district_admin"], world.a)
    assert "29,99" not in html and "BNOTE" not in html


def test_camat_sees_his_kecamatan_and_the_district_only(client, world):
    a = world.a
    put(a, "18.50", note="DISTRICTNOTE")
    put(a, "22.00", kecamatan=a.kecamatan, note="OWNKEC")
    put(a, "26.00", kecamatan=a.other_kecamatan, note="OTHERKEC")
    with scopes_disabled():
        other_village = Village.objects.filter(kecamatan=a.other_kecamatan).first()
    put(a, "12.00", village=other_village, note="OTHERVILLAGE")
    html = page(client, a.users["camat"], a)
    assert "DISTRICTNOTE" in html and "OWNKEC" in html
    assert "OTHERKEC" not in html and "OTHERVILLAGE" not in html
    html = page(client, a.users["village_head"], a)
    assert "DISTRICTNOTE" in html
    assert "OWNKEC" not in html and "OTHERKEC" not in html


def test_the_page_queries_do_not_grow_with_the_data(client, world):
    a = world.a
    client.force_login(a.users["district_admin"])
    put(a, "20.00", year=2023)
    put(a, "9.00", village=a.village, year=2023)  # one of each kind of figure
    client.get(url(a))  # warm the session and caches
    with CaptureQueriesContext(connection) as small:
        assert client.get(url(a)).status_code == 200
    with scopes_disabled():
        villages = list(Village.objects.filter(district=a.district)[:6])
    for i, village in enumerate(villages):
        put(a, f"{10 + i}.5", village=village, year=2024)
        put(a, f"{20 + i}.5", village=village, year=2024, source="eppgbm")
    for year in range(2015, 2023):
        put(a, f"{30 - year % 10}.0", year=year, source="ssgi")
    put(a, "24.00", kecamatan=a.kecamatan, year=2024)
    put(a, "15.00", kecamatan=a.other_kecamatan, year=2024)
    with CaptureQueriesContext(connection) as large:
        assert client.get(url(a)).status_code == 200
    assert len(large) == len(small)
    assert len(small) <= 25


def test_admin_adds_a_value_and_bad_input_changes_nothing(client, world):
    a = world.a
    client.force_login(a.users["district_admin"])
    refused = client.post(
        url(a, "outcome_value_add"),
        {
            "indicator": "prevalensi_stunting",
            "area": a.kecamatan.code,
            "year": "2025",
            "source": "survey",
            "value": "20",
            "numerator": "45",
            "denominator": "250",
        },
    )
    assert refused.status_code == 200
    assert "18.00" in refused.content.decode()
    with scopes_disabled():
        assert not IndicatorValue.objects.exists()
    refused = client.post(
        url(a, "outcome_value_add"),
        {
            "indicator": "prevalensi_stunting",
            "area": world.b.village.code,
            "year": "2025",
            "source": "ssgi",
            "value": "20",
        },
    )
    assert refused.status_code == 200
    with scopes_disabled():
        assert not IndicatorValue.objects.exists()
    done = client.post(
        url(a, "outcome_value_add"),
        {
            "indicator": "prevalensi_stunting",
            "area": a.kecamatan.code,
            "year": "2025",
            "source": "survey",
            "value": "",
            "numerator": "45",
            "denominator": "250",
        },
    )
    assert done.status_code == 302
    with scopes_disabled():
        row = IndicatorValue.objects.get()
    assert (row.kecamatan_id, row.value, row.entered_by) == (
        a.kecamatan.pk,
        Decimal("18.00"),
        a.users["district_admin"],
    )
    edited = client.post(
        url(a, "outcome_value_edit", value_id=row.pk), {"value": "17,5", "note": "koreksi"}
    )
    assert edited.status_code == 302
    with scopes_disabled():
        row.refresh_from_db()
    assert (row.value, row.numerator, row.note) == (Decimal("17.50"), None, "koreksi")


def test_admin_sets_a_target(client, world):
    a = world.a
    client.force_login(a.users["district_admin"])
    response = client.post(
        url(a, "outcome_targets"),
        {"indicator": "prevalensi_stunting", "year": "2027", "value": "12,5"},
    )
    assert response.status_code == 302
    with scopes_disabled():
        assert list(DistrictTarget.objects.values_list("district_id", "year", "value")) == [
            (a.district.pk, 2027, Decimal("12.50"))
        ]


def test_band_tags_take_the_bkkbn_colour_of_their_value(client, world):
    """Each value's band tag is coloured like the chart's bars: blue below 10 %, green from 10,
    yellow from 20, red above 30 (a value below 10 % was tagged green, like 10–20 %). Counts
    print with thousands dots."""
    import re
    from html import unescape

    a = world.a
    with scopes_disabled():
        IndicatorValue.objects.create(
            district=a.district,
            indicator=Indicator.objects.get(code="prevalensi_stunting"),
            year=2026,
            month=2,
            value=Decimal("8.80"),
            numerator=6277,
            denominator=71331,
            source="eppgbm",
        )
    put(a, "12.00", kecamatan=a.kecamatan, year=2025)
    put(a, "22.40", source="ssgi", year=2024)
    put(a, "31.20", kecamatan=a.other_kecamatan, year=2025)
    html = page(client, a.users["executive"], a)
    tags = {
        tone: unescape(label)
        for tone, label in re.findall(r'class="tag tag-band-(\w+)">([^<]+)<', html)
    }
    assert tags == {
        "blue": "Rendah (< 10 %)",
        "green": "Sedang (10–20 %)",
        "yellow": "Tinggi (20–30 %)",
        "red": "Sangat tinggi (> 30 %)",
    }
    assert "6.277/71.331" in html and "6.277 dari 71.331 balita" in html


def test_a_value_edit_from_an_out_of_date_page_is_refused_and_keeps_what_was_typed(client, world):
    """Two admins open the same value; the first saves 18,0; the second's save of 16,0 from
    the page opened before is refused with who changed it, nothing is written, his 16,0 is
    still in the form, and saving again from the refreshed form goes through."""
    a = world.a
    row = put(a, "17.62", kecamatan=a.kecamatan, year=2024)
    admin = a.users["district_admin"]
    client.force_login(admin)
    edit = url(a, "outcome_value_edit", value_id=row.pk)
    opened = client.get(edit).content.decode()
    token = opened.split('name="edit_token" value="', 1)[1].split('"', 1)[0]

    first = client.post(edit, {"value": "18", "note": "", "edit_token": token})
    assert first.status_code == 302
    late = client.post(edit, {"value": "16", "note": "dari halaman lama", "edit_token": token})
    assert late.status_code == 200
    html = late.content.decode()
    assert "sudah diubah oleh" in html
    assert 'value="16"' in html  # what he typed is still there
    with scopes_disabled():
        row.refresh_from_db()
    assert row.value == Decimal("18.00")  # the first save stands

    fresh = html.split('name="edit_token" value="', 1)[1].split('"', 1)[0]
    assert fresh != token
    again = client.post(edit, {"value": "16", "note": "", "edit_token": fresh})
    assert again.status_code == 302
    with scopes_disabled():
        row.refresh_from_db()
    assert row.value == Decimal("16.00")
