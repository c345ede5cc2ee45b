"""The province and national roll-ups and the snapshots under them (reports.snapshots,
reports.rollups): figures of a small province worked out by hand, who sees which province,
sorting, the XLSX, freshness, refreshing twice, and a refresh queued by a change."""

import io
from datetime import datetime, time, timedelta
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from convergence import services as convergence_services
from convergence.models import Deliverable
from outcomes.models import Indicator, IndicatorValue
from reports.models import DistrictSnapshot
from reports.snapshots import refresh_snapshot
from tests.convergence.objects import submit_complete, year_for
from village_reports import reports as village_reports
from village_reports.models import ReportKind, ReportPeriod, VillageReport
from villages.models import District, Province, Village

pytestmark = pytest.mark.django_db

# a year whose four village-report quarters are all past their due date, whenever this runs
YEAR = timezone.now().year - 2


def _prevalence(district, value, source, year):
    with scopes_disabled():
        IndicatorValue.objects.create(
            district=district,
            indicator=Indicator.objects.get(code="prevalensi_stunting"),
            year=year,
            value=Decimal(value),
            source=source,
        )


def _verify(side, deliverable):
    with scopes_disabled():
        submit_complete(deliverable, by=side.users["opd_staff"])
        convergence_services.verify_deliverable(
            deliverable=deliverable, by=side.users["district_admin"]
        )


def _deliverables(side, district_year, count):
    with scopes_disabled():
        return list(
            Deliverable.objects.filter(
                year_action__district_year=district_year,
            ).order_by("year_action__action__number", "template__number")[:count]
        )


@pytest.fixture
def province(world, django_capture_on_commit_callbacks):
    """Jawa Barat: Sumedang (world A) with its year, reports and figures; Kota Bandung with a
    prevalence figure only. Nusa Tenggara Timur: TTS (world B) with a figure."""
    a = world.a
    bandung = District.objects.get(code="32.73")
    # (the refreshes the changes queue run, as they would after the commit)
    with scopes_disabled(), django_capture_on_commit_callbacks(execute=True):
        district_year = year_for(a, YEAR)
        total = Deliverable.objects.filter(year_action__district_year=district_year).count()
        for deliverable in _deliverables(a, district_year, 2):
            _verify(a, deliverable)
        village_reports.create_periods(district=a.district, year=YEAR, by=a.users["district_admin"])
        q4 = ReportPeriod.objects.get(
            district=a.district, year=YEAR, kind=ReportKind.SCORECARD, number=4
        )
        # one of Sumedang's four villages sent its Q4 scorecard on time and had it verified
        sent = timezone.make_aware(datetime.combine(q4.due_on - timedelta(days=1), time(9)))
        VillageReport.objects.create(
            district=a.district,
            village=a.village,
            period=q4,
            status=VillageReport.Status.VERIFIED,
            data={},
            first_submitted_at=sent,
            submitted_at=sent,
        )
        _prevalence(a.district, "24.50", "ssgi", YEAR - 1)
        _prevalence(a.district, "8.80", "eppgbm", YEAR)
        _prevalence(bandung, "31.20", "ski", YEAR)
        _prevalence(world.b.district, "42.90", "ssgi", YEAR)
    for district in (a.district, bandung, world.b.district):
        refresh_snapshot(district, YEAR)
    return {"total": total, "bandung": bandung}


def _snapshot(district, year=YEAR):
    with scopes_disabled():
        return DistrictSnapshot.objects.get(district=district, year=year)


def test_snapshot_figures_by_hand(world, province):
    s = _snapshot(world.a.district)
    total = province["total"]
    assert total > 2
    assert (s.deliverables_verified, s.deliverables_total) == (2, total)
    # 2 verified of `total` deliverables, in percent with one decimal
    assert s.action_percent == (Decimal(200) / total).quantize(Decimal("0.1"))
    # Q4 is the latest quarter due; Sumedang has 4 villages (Cimungkal, Ganjarresik,
    # Cimanintin, Pawenang): 1 verified → 25.0 %; the 3 that sent nothing are late
    with scopes_disabled():
        assert Village.objects.active().filter(district=world.a.district).count() == 4
    assert (s.report_period, s.reports_verified, s.reports_all, s.reports_late) == (4, 1, 4, 3)
    assert s.report_percent == Decimal("25.0")
    # the survey figure first (SSGI of the year before), the census figure kept beside it
    assert (s.prevalence, s.prevalence_source, s.prevalence_year) == (
        Decimal("24.50"),
        "ssgi",
        YEAR - 1,
    )
    assert s.prevalence_band == "yellow"  # 20 ≤ 24.50 ≤ 30
    assert (s.eppgbm_prevalence, s.eppgbm_year) == (Decimal("8.80"), YEAR)
    assert s.self_percent is None and s.province_percent is None  # nothing graded
    bandung = _snapshot(province["bandung"])
    assert bandung.action_percent is None and bandung.report_percent is None
    assert (bandung.prevalence, bandung.prevalence_band) == (Decimal("31.20"), "red")


def test_refreshing_twice_keeps_one_row_with_the_same_figures(world, province):
    first = _snapshot(world.a.district)
    refresh_snapshot(world.a.district, YEAR)
    with scopes_disabled():
        rows = list(DistrictSnapshot.objects.filter(district=world.a.district, year=YEAR))
    assert len(rows) == 1
    skip = {"computed_at", "_state"}
    assert {k: v for k, v in vars(rows[0]).items() if k not in skip} == {
        k: v for k, v in vars(first).items() if k not in skip
    }
    assert rows[0].computed_at >= first.computed_at


def test_a_verified_deliverable_refreshes_the_snapshot(
    world, province, django_capture_on_commit_callbacks
):
    a = world.a
    with scopes_disabled():
        district_year = year_for(a, YEAR)
        third = _deliverables(a, district_year, 3)[2]
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        _verify(a, third)
    # several rows changed (evidence, data, two transitions): one refresh for the district
    assert len([c for c in callbacks if getattr(c, "snapshot_district", None)]) == 1
    s = _snapshot(a.district)
    assert s.deliverables_verified == 3
    assert s.action_percent == (Decimal(300) / province["total"]).quantize(Decimal("0.1"))


def test_the_default_year_is_the_districts_latest_year(world, province):
    with scopes_disabled():
        year_for(world.a, YEAR + 1)
    snapshot = refresh_snapshot(world.a.district)
    assert snapshot.year == YEAR + 1
    # the later year's prevalence is the latest up to it: still SSGI of YEAR - 1
    assert (snapshot.prevalence, snapshot.prevalence_year) == (Decimal("24.50"), YEAR - 1)


def _page(client, user, url):
    client.force_login(user)
    return client.get(url)


def test_province_page_shows_its_districts_with_sources_and_freshness(client, world, province):
    url = reverse("province_rollup", kwargs={"province_code": "32"}) + f"?tahun={YEAR}"
    response = _page(client, world.province_viewer_a, url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Kabupaten Sumedang" in html and "Kota Bandung" in html
    assert world.b.district.name not in html
    assert "24,50 %" in html and f"SSGI, {YEAR - 1}" in html and "tag-band-yellow" in html
    assert "31,20 %" in html and f"SKI, {YEAR}" in html and "tag-band-red" in html
    assert "25,0 %" in html  # Sumedang's village reports
    assert "Angka per " in html
    dashboard = reverse("district_dashboard", kwargs={"district_slug": world.a.district.slug})
    assert f'href="{dashboard}?tahun={YEAR}"' in html


PROVINCE_NOTE = (
    "Belum dihitung: rekap kabupaten/kota untuk tahun ini belum dibuat, jadi belum ada angka "
    "— bukan 0 %."
)
NATIONAL_NOTE = (
    "Belum dihitung: belum ada rekap kabupaten/kota di provinsi itu untuk tahun ini, jadi "
    "belum ada angka — bukan 0 %."
)
SHORT = '<a class="muted" href="#belum-dihitung">belum dihitung*</a>'
SHORT_EN = '<a class="muted" href="#belum-dihitung">not computed yet*</a>'


def test_a_district_without_snapshot_says_so(client, world, province):
    url = reverse("province_rollup", kwargs={"province_code": "32"}) + f"?tahun={YEAR + 5}"
    html = _page(client, world.province_viewer_a, url).content.decode()
    # both districts of Jawa Barat lack the year: each row says so briefly and points to the
    # one note under the table that says why, so the row does not read as 0 %
    for name in ("Kabupaten Sumedang", "Kota Bandung"):
        row = html[html.index(f">{name}<") :]
        assert SHORT in row[: row.index("</tr>")]
    assert html.count(SHORT) == 2
    assert html.count(PROVINCE_NOTE) == 1
    assert html.count("bukan 0 %") == 1  # the long explanation once, not once per row
    assert html.count('id="belum-dihitung"') == 1
    assert html.index(PROVINCE_NOTE) > html.index("</table>")
    assert f'<p id="belum-dihitung" class="muted">* {PROVINCE_NOTE}</p>' in html
    assert "2 kabupaten/kota belum dihitung." in html
    assert "Angka belum dihitung untuk tahun ini." in html
    # a spreadsheet row has no footnote: the export keeps the reason in the row
    export = reverse("province_rollup_export", kwargs={"province_code": "32"})
    text = _xlsx_text(_page(client, world.province_viewer_a, export + f"?tahun={YEAR + 5}"))
    row = next(line for line in text.splitlines() if line.startswith("Kabupaten Sumedang"))
    assert row.endswith(
        f"{YEAR + 5}{' ' * 17}belum dihitung: rekap kabupaten/kota ini untuk tahun ini belum "
        "dibuat, jadi belum ada angka (bukan 0 %)."
    )
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    english = client.get(url).content.decode().replace("&#x27;", "'")
    assert english.count(SHORT_EN) == 2
    assert (
        english.count(
            "* Not computed yet: the district's summary for this year has not been made, so "
            "there are no figures yet — not 0 %."
        )
        == 1
    )


def test_the_note_is_absent_when_every_district_has_figures(client, world, province):
    url = reverse("province_rollup", kwargs={"province_code": "32"}) + f"?tahun={YEAR}"
    html = _page(client, world.province_viewer_a, url).content.decode()
    assert "belum dihitung" not in html.lower()
    assert "belum-dihitung" not in html
    html = _page(client, world.national_viewer, reverse("national_rollup") + f"?tahun={YEAR}")
    html = html.content.decode()
    assert "belum-dihitung" not in html and NATIONAL_NOTE not in html


def test_a_province_without_snapshots_says_so_nationally(client, world, province):
    url = reverse("national_rollup") + f"?tahun={YEAR + 5}"
    html = _page(client, world.national_viewer, url).content.decode()
    for name in ("Jawa Barat", "Nusa Tenggara Timur"):
        row = html[html.index(f">{name}<") :]
        assert SHORT in row[: row.index("</tr>")]
    assert html.count(SHORT) == 2
    assert html.count(NATIONAL_NOTE) == 1
    assert html.count("bukan 0 %") == 1
    assert html.index(NATIONAL_NOTE) > html.index("</table>")
    assert f'<p id="belum-dihitung" class="muted">* {NATIONAL_NOTE}</p>' in html
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    english = client.get(url).content.decode()
    assert english.count(SHORT_EN) == 2
    assert (
        english.count(
            "* Not computed yet: no district summary in the province has been made for this "
            "year, so there are no figures yet — not 0 %."
        )
        == 1
    )
    client.post("/i18n/setlang/", {"language": "id", "next": "/"})
    export = reverse("national_rollup_export") + f"?tahun={YEAR + 5}"
    text = _xlsx_text(_page(client, world.national_viewer, export))
    assert (
        "belum dihitung: belum ada rekap kabupaten/kota di provinsi ini untuk tahun ini, jadi "
        "belum ada angka (bukan 0 %)."
    ) in text


def _names(html, names):
    return sorted(names, key=html.index)


def test_sorting_with_missing_values_last(client, world, province):
    with scopes_disabled():
        extra = District.objects.create(
            code="32.99",
            name="Kabupaten Contoh",
            slug="kab-contoh",
            province_id=Province.objects.get(code="32").pk,
        )
    names = ["Kabupaten Sumedang", "Kota Bandung", extra.name]
    base = reverse("province_rollup", kwargs={"province_code": "32"}) + f"?tahun={YEAR}"
    client.force_login(world.province_viewer_a)
    down = client.get(base + "&urut=prevalensi&arah=turun").content.decode()
    # 31.20 before 24.50; the district without a snapshot last
    assert _names(down, names) == ["Kota Bandung", "Kabupaten Sumedang", extra.name]
    up = client.get(base + "&urut=prevalensi&arah=naik").content.decode()
    assert _names(up, names) == ["Kabupaten Sumedang", "Kota Bandung", extra.name]
    by_action = client.get(base + "&urut=aksi&arah=naik").content.decode()
    # only Sumedang has opened the year: Bandung and the new district (name order) after it
    assert _names(by_action, names) == ["Kabupaten Sumedang", extra.name, "Kota Bandung"]
    by_name = client.get(base + "&urut=nama&arah=turun").content.decode()
    assert _names(by_name, names) == ["Kota Bandung", "Kabupaten Sumedang", extra.name]
    # the head of the sorted column links to the other direction
    assert "urut=prevalensi&amp;arah=naik" in down


def _xlsx_text(response) -> str:
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    return "\n".join(
        " ".join("" if c is None else str(c) for c in row)
        for row in book.active.iter_rows(values_only=True)
    )


def test_province_export_holds_only_the_province(client, world, province):
    url = reverse("province_rollup_export", kwargs={"province_code": "32"}) + f"?tahun={YEAR}"
    text = _xlsx_text(_page(client, world.province_viewer_a, url))
    assert "Kabupaten Sumedang" in text and "Kota Bandung" in text
    assert world.b.district.name not in text
    assert "24.5" in text and "SSGI" in text and "31.2" in text
    other = reverse("province_rollup_export", kwargs={"province_code": "53"})
    assert _page(client, world.province_viewer_a, other).status_code == 404


def test_province_viewer_sees_only_his_province(client, world, province):
    client.force_login(world.province_viewer_a)
    assert client.get(reverse("province_rollup", kwargs={"province_code": "53"})).status_code == 404
    assert client.get(reverse("province_rollup", kwargs={"province_code": "99"})).status_code == 404
    assert client.get(reverse("national_rollup")).status_code == 403
    assert client.get(reverse("national_rollup_export")).status_code == 403
    client.force_login(world.national_viewer)
    assert client.get(reverse("province_rollup", kwargs={"province_code": "53"})).status_code == 200
    assert client.get(reverse("province_rollup", kwargs={"province_code": "99"})).status_code == 404


def test_national_page_aggregates_by_hand(client, world, province):
    url = reverse("national_rollup") + f"?tahun={YEAR}"
    response = _page(client, world.national_viewer, url)
    assert response.status_code == 200
    html = response.content.decode()
    row = html[html.rindex("<tr>", 0, html.index(">Jawa Barat<")) :]
    row = row[: row.index("</tr>")]
    # Jawa Barat: prevalence median of 24.50 and 31.20 = (24.50 + 31.20) / 2 = 27.85, lowest
    # 24.50, highest 31.20, years YEAR-1 to YEAR; 2 of its 2 districts have a snapshot
    assert "27,85 %" in row and "24,50 %" in row and "31,20 %" in row
    assert f"{YEAR - 1}–{YEAR}" in row
    assert "2 dari 2 kab/kota" in row
    # actions: only Sumedang has the year, so the mean is its own figure
    assert str(_snapshot(world.a.district).action_percent).replace(".", ",") + " %" in row
    assert "rata-rata 1 kab/kota" in row
    assert "tag-band-yellow" in row  # 27.85: 20–30
    assert f'href="/provinsi/32/?tahun={YEAR}"' in row
    ntt = html[html.index(">Nusa Tenggara Timur<") :]
    assert "42,90 %" in ntt[: ntt.index("</tr>")]
    text = _xlsx_text(
        _page(client, world.national_viewer, reverse("national_rollup_export") + f"?tahun={YEAR}")
    )
    assert "Jawa Barat" in text and "27.85" in text


def _many_districts(count):
    province = Province.objects.get(code="32")
    with scopes_disabled():
        for n in range(count):
            district = District.objects.create(
                code=f"32.{n + 1:02d}",
                name=f"Kabupaten Uji {n}",
                slug=f"kab-uji-{n}",
                province=province,
            )
            DistrictSnapshot.objects.create(
                district=district,
                year=YEAR,
                action_percent=Decimal(n),
                prevalence=Decimal(10 + n),
                prevalence_source="ssgi",
                prevalence_source_label="SSGI",
                prevalence_year=YEAR,
            )


@pytest.mark.parametrize("extra", [0, 10])
def test_query_count_does_not_grow_with_districts(
    client, world, province, extra, django_assert_max_num_queries
):
    _many_districts(extra)
    client.force_login(world.national_viewer)
    client.get("/")  # the session's first request records it (allauth's user sessions)
    pages = [
        reverse("province_rollup", kwargs={"province_code": "32"}),
        reverse("province_rollup_export", kwargs={"province_code": "32"}),
        reverse("national_rollup"),
        reverse("national_rollup_export"),
    ]
    for url in pages:
        with django_assert_max_num_queries(16):
            assert client.get(url + f"?tahun={YEAR}").status_code == 200


def test_the_kept_tables_show_a_new_snapshot_and_a_renamed_district_on_the_next_view(
    client, world, province
):
    """The province and national tables are kept, rendered, under the roll-ups' generation: a
    snapshot written (Bandung's figure changed and refreshed) or a district renamed shows on
    the very next view; the second view of an unchanged table reads no snapshot."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    bandung = District.objects.get(code="32.73")
    province_url = reverse("province_rollup", kwargs={"province_code": "32"}) + f"?tahun={YEAR}"
    assert "31,20 %" in _page(client, world.national_viewer, province_url).content.decode()
    with CaptureQueriesContext(connection) as again:
        client.get(province_url)
    assert not any("reports_districtsnapshot" in q["sql"] for q in again)

    with scopes_disabled():
        IndicatorValue.objects.filter(district=bandung, year=YEAR).update(value=Decimal("28.40"))
        refresh_snapshot(bandung, YEAR)  # what the queued job does
    html = client.get(province_url).content.decode()
    assert "28,40 %" in html and "31,20 %" not in html

    bandung.name = "Kota Bandung Raya"
    bandung.save()
    assert "Kota Bandung Raya" in client.get(province_url).content.decode()

    # Jawa Barat's median: (24.50 + 28.40) / 2 = 26.45, then (24.50 + 20.00) / 2 = 22.25
    national_url = reverse("national_rollup") + f"?tahun={YEAR}"
    assert "26,45 %" in client.get(national_url).content.decode()
    with scopes_disabled():
        IndicatorValue.objects.filter(district=bandung, year=YEAR).update(value=Decimal("20.00"))
        refresh_snapshot(bandung, YEAR)
    html = client.get(national_url).content.decode()
    assert "22,25 %" in html and "26,45 %" not in html
