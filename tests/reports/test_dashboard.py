"""The district dashboard on the district home: golden figures counted by hand from the objects
made here (action percentages, completeness per kecamatan with its lights, convergence rates,
village fund, plan budgets by fund source and in the RKPD, follow-ups, prevalence bands), the
same number of queries for a small and a larger district, district B's numbers never on A's
page, and the camat seeing only his kecamatan's rows."""

import datetime as dt
import re
import time
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_scopes import scopes_disabled

from accounts.policy import REGIONS_GENERATION
from commitments.models import CommitmentDocument, FollowUpStatus
from convergence import services as convergence_services
from convergence.models import Deliverable, Grade, Status
from convergence.models import Indicator as Indicator_
from lib import generations
from outcomes.models import STUNTING, DistrictTarget, Indicator, IndicatorValue, Source
from rembuk.models import Level, RkpdStatus
from tests.commitments.test_commitment_summaries import document, follow_up
from tests.convergence.objects import year_for
from tests.rembuk.test_rembuk_summaries import item, session
from tests.village_reports.test_village_report_summaries import focus, paud, report, villages_of
from village_reports import reports as village_reports_services
from village_reports.models import ReportKind, ReportPeriod, ReportStatus
from villages.models import Kecamatan, Village

pytestmark = pytest.mark.django_db

YEAR = 2026


def periods(side):
    """The side's year with one scorecard quarter and one semester, both begun, due yesterday
    (so that a report not sent is late, whatever day the test runs)."""
    today = side.district.local_now().date()
    with scopes_disabled():
        village_reports_services.create_periods(district=side.district, year=YEAR, by=None)
        ReportPeriod.objects.filter(district=side.district, year=YEAR, number__gt=1).delete()
        ReportPeriod.objects.filter(district=side.district, year=YEAR).update(
            starts_on=today - dt.timedelta(days=30),
            opens_on=today - dt.timedelta(days=10),
            due_on=today - dt.timedelta(days=1),
        )
        return (
            ReportPeriod.objects.get(district=side.district, kind=ReportKind.SCORECARD),
            ReportPeriod.objects.get(district=side.district, kind=ReportKind.SEMESTER),
        )


def semester(fund_budget, fund_spent):
    return {"fund_budget": fund_budget, "fund_spent": fund_spent}


def prevalence(side, value, *, kecamatan=None, source=Source.SSGI, year=YEAR - 2):
    with scopes_disabled():
        IndicatorValue.objects.create(
            district=side.district,
            kecamatan=kecamatan,
            indicator=Indicator.objects.get(code=STUNTING),
            year=year,
            value=Decimal(value),
            source=source,
        )


def set_actions(side):
    """Action 1: every deliverable verified; action 2: one of them verified, one submitted.
    Returns the deliverables per action (counted straight from the table)."""
    district_year = year_for(side, YEAR)
    with scopes_disabled():
        rows = Deliverable.objects.filter(year_action__district_year=district_year)
        one = list(rows.filter(year_action__action__number=1).order_by("template__number"))
        two = list(rows.filter(year_action__action__number=2).order_by("template__number"))
        Deliverable.objects.filter(pk__in=[d.pk for d in one]).update(status=Status.VERIFIED)
        Deliverable.objects.filter(pk=two[0].pk).update(status=Status.VERIFIED)
        if len(two) > 1:
            Deliverable.objects.filter(pk=two[1].pk).update(status=Status.SUBMITTED)
    return district_year, one, two


def build_a(world):
    a = world.a
    set_actions(a)
    quarter, half = periods(a)
    v1, v2, v3, v4 = villages_of(a)  # Wado: v1, v2; Jatinunggal: v3, v4
    on_time = quarter.due_on - dt.timedelta(days=2)
    # Wado: v1 verified (focus), v2 waiting, both on time → yellow
    report(a, v1, quarter, ReportStatus.VERIFIED, sent_on=on_time, data=paud(10, 6))
    report(a, v2, quarter, ReportStatus.SUBMITTED, sent_on=on_time, data=paud(9, 9))
    # Jatinunggal: v3 verified, v4 not sent past the due date (late) → red
    report(a, v3, quarter, ReportStatus.VERIFIED, sent_on=on_time, data=paud(5, 1, na=1))
    focus(a, v1)
    # semester: the village fund of the verified reports only
    report(
        a, v1, half, ReportStatus.VERIFIED, sent_on=on_time, data=semester(85_000_000, 40_000_000)
    )
    report(
        a, v3, half, ReportStatus.VERIFIED, sent_on=on_time, data=semester(15_000_000, 5_000_000)
    )
    report(a, v2, half, ReportStatus.SUBMITTED, sent_on=on_time, data=semester(99_000_000, 1))
    # the rembuk plan
    district_rembuk = session(a, Level.DISTRICT, 5)
    item(a, district_rembuk, 300_000_000, "apbd", RkpdStatus.YES)
    item(a, district_rembuk, 150_000_000, "dak", RkpdStatus.NO)
    item(a, district_rembuk, 50_000_000, "apbd", RkpdStatus.UNKNOWN)
    item(a, district_rembuk, 20_000_000, "apbdes", RkpdStatus.YES)
    # follow-ups: the agency DINKES and the village v1
    made = document(a, CommitmentDocument.Status.SIGNED)
    follow_up(a, made, 1, FollowUpStatus.VERIFIED, due_days=-5)
    follow_up(a, made, 2, FollowUpStatus.DONE, due_days=-5)
    follow_up(a, made, 3, FollowUpStatus.IN_PROGRESS, due_days=-2)  # late
    follow_up(a, made, 4, FollowUpStatus.NOT_STARTED, due_days=10)
    follow_up(a, made, 5, FollowUpStatus.IN_PROGRESS, due_days=3, village=a.village)
    # prevalence: the district 24.5 % (SSGI), Wado 31.2 % (red), Jatinunggal 9.8 % (blue)
    prevalence(a, "24.5")
    prevalence(a, "31.2", kecamatan=a.kecamatan, source=Source.EPPGBM)
    prevalence(a, "9.8", kecamatan=a.other_kecamatan, source=Source.EPPGBM)
    return a, (v1, v2, v3, v4)


def build_b(world):
    """District B with numbers that must never show on A's page."""
    b = world.b
    year_for(b, YEAR)
    b_rembuk = session(b, Level.DISTRICT, 6)
    item(b, b_rembuk, 777_000_000, "province", RkpdStatus.YES)
    prevalence(b, "44.4")
    return b


def dashboard_of(client, user, district, **query):
    """The dashboard page (the executive's home shows the same, tested below)."""
    client.force_login(user)
    url = reverse("district_dashboard", kwargs={"district_slug": district.slug})
    response = client.get(url, query)
    assert response.status_code == 200
    return response, response.context["dashboard"]


def test_golden_figures_counted_by_hand(client, world):
    a, (v1, v2, v3, v4) = build_a(world)
    build_b(world)
    district_year, one, two = set_actions(a)
    response, d = dashboard_of(client, a.users["executive"], a.district)
    page = response.content.decode()
    assert d["year"] == YEAR

    # actions: action 1 all verified, action 2 one of its deliverables
    rows = {r["action"].number: r for r in d["actions"]["rows"]}
    assert rows[1]["percent"] == Decimal("100.0")
    # the 2025 model (used from 2025 on) gives action 2 three deliverables: 1 ÷ 3 = 33.3 %
    assert len(two) == 3 and rows[2]["percent"] == Decimal("33.3")
    assert rows[3]["percent"] == Decimal("0.0")
    assert "100,0 %" in page

    # completeness per kecamatan, with the lights
    c = d["reports"]["completeness"]
    by_name = {r["name"]: r for r in c["rows"]}
    wado, jati = by_name["Wado"], by_name["Jatinunggal"]
    assert (wado["counts"].verified, wado["counts"].submitted, wado["counts"].late) == (1, 1, 0)
    assert (jati["counts"].verified, jati["counts"].missing, jati["counts"].late) == (1, 1, 1)
    assert (wado["light"]["colour"], jati["light"]["colour"]) == ("yellow", "red")
    assert c["focus"]["light"]["colour"] == "green"  # v1, verified
    assert (c["total"]["counts"].all, c["total"]["counts"].verified) == (4, 2)
    # the completeness page behind each number, filtered by state
    with scopes_disabled():
        quarter = ReportPeriod.objects.get(district=a.district, kind=ReportKind.SCORECARD)
    url = reverse(
        "completeness", kwargs={"district_slug": a.district.slug, "period_id": quarter.pk}
    )
    assert f"{url}?status=missing" in page and f"{url}?status=late" in page

    # convergence rates: verified scorecards only, summed: Wado 6/10, Jatinunggal 1/(5−1)
    rates = d["reports"]["rates"]
    r = {row["name"]: row for row in rates["rows"]}
    assert r["Wado"]["shown"] == "60,00 %"
    assert r["Jatinunggal"]["shown"] == "25,00 %"
    assert rates["focus"]["shown"] == "60,00 %"  # v1
    assert rates["other"]["shown"] == "25,00 %"  # v3 (v2 is not verified)
    assert rates["total"]["shown"] == "50,00 %"  # (6 + 1) ÷ (10 + 4)

    # village fund: v1 and v3 (verified), not v2
    fund = d["reports"]["fund"]
    assert fund["budget"] == "Rp 100.000.000" and fund["spent"] == "Rp 45.000.000"
    assert fund["share"] == "45,00 %"

    # the rembuk plan: APBD 350 M, DAK 150 M, APBDes 20 M; in the RKPD 300 M + 20 M
    plan = d["plan"]
    assert [row["amount"] for row in plan["rows"]] == [
        "Rp 350.000.000",
        "Rp 150.000.000",
        "Rp 20.000.000",
    ]
    assert plan["total"] == "Rp 520.000.000"
    assert plan["in_rkpd"] == "Rp 320.000.000"
    assert plan["in_rkpd_share"] == "61,54 %"  # 320 ÷ 520

    # follow-ups: done 2 (verified + done), in progress 2, not started 1, late 1
    f = d["follow_ups"]["total"]
    assert (f.completed, f.in_progress, f.not_started, f.late) == (2, 2, 1, 1)
    owners = {row["owner"].name: row["counts"] for row in d["follow_ups"]["owners"]}
    assert owners["DINKES"].completed == 2 and owners["DINKES"].late == 1
    assert owners[a.village.name].in_progress == 1
    assert "/tindak-lanjut/?status=late" in page

    # prevalence bands by kecamatan, with source and year
    p = {row["name"]: row for row in d["prevalence"]["rows"]}
    assert p["Wado"]["band"]["tag"] == "tag-band-red"
    assert p["Jatinunggal"]["band"]["tag"] == "tag-band-blue"
    (latest,) = d["prevalence"]["latest"]
    assert latest["figure"].value == Decimal("24.5") and latest["value"] == "24,50 %"
    assert latest["band"]["tag"] == "tag-band-yellow"
    assert "Sumber: SSGI, 2024" in page

    # B's numbers never on A's page
    assert "777.000.000" not in page and "44,40 %" not in page


def test_the_trend_names_the_source_of_the_national_values_and_of_each_target(client, world):
    a = world.a
    prevalence(a, "24.5")  # SSGI, 2024
    with scopes_disabled():
        DistrictTarget.objects.create(
            district=a.district,
            indicator=Indicator.objects.get(code=STUNTING),
            year=2030,
            value=Decimal("12"),
        )
    response, d = dashboard_of(client, a.users["executive"], a.district)
    page = response.content.decode()
    # the national series gathers several surveys: its 2024 value names SSGI 2024, beside the
    # district's own SSGI figure of that year
    assert '<td class="num" data-label="Nasional">19,80 % (SSGI 2024)</td>' in page
    assert '<td class="num" data-label="SSGI">24,50 %</td>' in page
    # each target line says who set it (the catalogue's Perpres 72/2021 and RPJMN 2025–2029)
    assert "Target nasional 2024 (Perpres 72/2021): 14,00 %" in page
    assert "Target nasional 2029 (RPJMN 2025–2029): 14,20 %" in page
    assert "Target kabupaten 2030 (ditetapkan kabupaten/kota): 12,00 %" in page


def test_the_camat_sees_only_his_kecamatan(client, world):
    a, (v1, v2, v3, v4) = build_a(world)
    _response, d = dashboard_of(client, a.users["camat"], a.district)
    assert d["camat"]
    assert "actions" not in d  # the board is not his to read
    assert [r["name"] for r in d["reports"]["completeness"]["rows"]] == [a.kecamatan.name]
    assert d["reports"]["completeness"]["total"]["counts"].all == 2
    assert [r["name"] for r in d["reports"]["rates"]["rows"]] == [a.kecamatan.name]
    assert [r["name"] for r in d["reports"]["fund"]["rows"]] == [a.kecamatan.name]
    assert d["reports"]["fund"]["budget"] == "Rp 85.000.000"
    assert [r["name"] for r in d["prevalence"]["rows"]] == [a.kecamatan.name]
    # the follow-ups of his villages only (v1 is in Wado), not the agency's
    assert [row["owner"].name for row in d["follow_ups"]["owners"]] == [a.village.name]
    assert d["follow_ups"]["total"].total == 1


def test_the_executive_home_is_the_dashboard_and_other_homes_link_to_it(client, world):
    build_a(world)
    a = world.a
    home = reverse("district_home", kwargs={"district_slug": a.district.slug})
    board = reverse("district_dashboard", kwargs={"district_slug": a.district.slug})
    client.force_login(a.users["executive"])
    response = client.get(home)
    assert response.context["dashboard"]["plan"]["total"] == "Rp 520.000.000"
    assert "Rp 520.000.000" in response.content.decode()
    for role in ("district_admin", "camat"):
        client.force_login(a.users[role])
        response = client.get(home)
        assert not response.context["dashboard_html"] and board in response.content.decode()
    # OPD staff and village heads keep the home they had, without the link
    for role in ("opd_staff",):
        client.force_login(a.users[role])
        response = client.get(home)
        assert not response.context["dashboard_html"]
        assert board not in response.content.decode()
        assert client.get(board).status_code == 403


def test_an_empty_district_says_so_in_every_section(client, world):
    response, d = dashboard_of(client, world.b.users["executive"], world.b.district)
    page = response.content.decode()
    for words in (
        "Belum ada angka prevalensi per kecamatan",
        "belum dibuka untuk aksi konvergensi",
        "Belum ada periode scorecard",
        "Belum ada rencana kegiatan rembuk",
        "Belum ada tindak lanjut komitmen",
        "Tidak ada tenggat mendatang",
    ):
        assert words in page


def more_data(side, n):
    """n more villages in the side's first kecamatan, each with reports, and more plan lines
    and follow-ups."""
    with scopes_disabled():
        quarter = ReportPeriod.objects.get(district=side.district, kind=ReportKind.SCORECARD)
        half = ReportPeriod.objects.get(district=side.district, kind=ReportKind.SEMESTER)
        made = [
            Village.objects.create(
                code=f"{side.kecamatan.code}.{2100 + i}",
                name=f"Desa {i}",
                kecamatan=side.kecamatan,
                district=side.district,
            )
            for i in range(n)
        ]
    for i, village in enumerate(made):
        status = ReportStatus.VERIFIED if i % 2 else ReportStatus.SUBMITTED
        report(side, village, quarter, status, sent_on=quarter.due_on, data=paud(3, 2))
        report(side, village, half, status, sent_on=half.due_on, data=semester(10, 5))
    focus(side, *made[::2])
    extra = session(side, Level.DISTRICT, 9)
    for i in range(n):
        item(side, extra, 1_000_000 + i, "other", RkpdStatus.NO)
    made_doc = document(side, CommitmentDocument.Status.SIGNED)
    for point in range(1, n + 1):
        follow_up(side, made_doc, point, FollowUpStatus.IN_PROGRESS, due_days=point - 3)
    for i in range(n):
        prevalence(side, str(10 + i), year=YEAR - 20 + i, source=Source.SKI)
        prevalence(side, str(20 + i), kecamatan=side.kecamatan, year=YEAR - 20 + i)


@pytest.mark.parametrize("role", ["executive", "camat", "district_admin"])
def test_queries_do_not_grow_with_the_data(client, world, role):
    a, _villages = build_a(world)
    user = a.users[role]
    client.force_login(user)
    page = "district_home" if role == "executive" else "district_dashboard"
    url = reverse(page, kwargs={"district_slug": a.district.slug})
    client.get(url)  # warm the caches of the session and the catalogue
    # both measured requests start cold: the dashboard built anew, and the memberships read
    # again (more_data's villages move the regions generation)
    generations.move(generations.DISTRICT_DATA, a.district.pk)
    cache.set(REGIONS_GENERATION, time.time_ns(), None)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    more_data(a, 12)  # (its saved rows move the district's generation)
    with CaptureQueriesContext(connection) as large:
        assert client.get(url).status_code == 200
    assert len(large) == len(small), [q["sql"][:120] for q in large]
    # nothing changed since: the kept dashboard, none of its forty queries
    with CaptureQueriesContext(connection) as kept:
        assert client.get(url).status_code == 200
    assert len(kept) <= 10 < len(small), [q["sql"][:120] for q in kept]


def test_a_year_switch_and_no_leak_across_districts(client, world):
    build_a(world)
    build_b(world)
    response, d = dashboard_of(client, world.b.users["executive"], world.b.district)
    page = response.content.decode()
    assert "Rp 520.000.000" not in page and "Rp 777.000.000" in page
    _r, d = dashboard_of(client, world.a.users["executive"], world.a.district, tahun=YEAR - 1)
    assert d["year"] == YEAR - 1 and d["actions"]["year_actions"] is None
    assert d["plan"]["totals"].items == 0
    # nonsense is the current year
    _r, d = dashboard_of(client, world.a.users["executive"], world.a.district, tahun="x")
    assert d["year"] == YEAR


def test_follow_up_numbers_drill_down_by_state_and_owner(client, world):
    a, _villages = build_a(world)
    _response, d = dashboard_of(client, a.users["executive"], a.district)
    rows = {row["owner"].name: row for row in d["follow_ups"]["owners"]}
    # counted by hand in build_a: DINKES has 2 finished (verified, done) and 1 late
    for link, expected in (
        (rows["DINKES"]["links"]["finished"], 2),
        (rows["DINKES"]["links"]["late"], 1),
        (rows["DINKES"]["links"]["in_progress"], 1),
        (rows[a.village.name]["links"]["in_progress"], 1),
        (rows[a.village.name]["links"]["finished"], 0),
        (d["follow_ups"]["links"]["finished"], 2),
    ):
        response = client.get(link)
        assert response.status_code == 200
        assert len(response.context["follow_ups"]) == expected, link
    # an owner that is not a code is ignored (the whole list)
    response = client.get(d["follow_ups"]["link"] + "?pemilik=x1")
    assert len(response.context["follow_ups"]) == 5


def test_completeness_numbers_drill_down_by_state_and_kecamatan(client, world):
    a, (v1, v2, v3, v4) = build_a(world)
    _response, d = dashboard_of(client, a.users["executive"], a.district)
    rows = {r["name"]: r for r in d["reports"]["completeness"]["rows"]}

    def villages(link):
        response = client.get(link)
        assert response.status_code == 200
        return [v.village.pk for k in response.context["view"].kecamatan for v in k.villages]

    # counted by hand in build_a
    assert villages(rows["Wado"]["link"]) == [v1.pk, v2.pk]  # v1 first: a focus village
    assert villages(rows["Wado"]["links"]["submitted"]) == [v2.pk]
    assert villages(rows["Jatinunggal"]["links"]["late"]) == [v4.pk]
    assert villages(rows["Jatinunggal"]["links"]["verified"]) == [v3.pk]
    assert sorted(villages(d["reports"]["completeness"]["total"]["link"])) == sorted(
        [v1.pk, v2.pk, v3.pk, v4.pk]
    )
    # a camat asking for another kecamatan still sees only his own
    client.force_login(a.users["camat"])
    assert villages(rows["Jatinunggal"]["link"]) == [v1.pk, v2.pk]


def test_the_assessment_self_against_province_by_hand(client, world):
    a = world.a
    district_year = year_for(a, YEAR)
    with scopes_disabled():
        indicators = list(
            Indicator_.objects.filter(action__framework=district_year.framework, action__number=1)
            .prefetch_related("options")
            .order_by("number")
        )
        first = indicators[0]
        best, second = sorted(first.options.all(), key=lambda o: -o.points)[:2]
        for source, option, by in (
            (Grade.Source.SELF, best, a.users["district_admin"]),
            (Grade.Source.PROVINCE, second, world.province_viewer_a),
        ):
            convergence_services.grade_indicator(
                district_year=district_year,
                indicator=first,
                option=option,
                source=source,
                justification="Sesuai dokumen",
                by=by,
            )
        maximum = sum(max(o.points for o in i.options.all()) * i.weight for i in indicators)
    _response, d = dashboard_of(client, a.users["executive"], a.district)
    row = next(r for r in d["actions"]["score_rows"] if r["action"].number == 1)
    assert row["self"] == formats_number(best.points * first.weight)
    assert row["province"] == formats_number(second.points * first.weight)
    assert row["maximum"] == formats_number(maximum)
    assert d["actions"]["score_svg"] is not None


def formats_number(value):
    """Two decimals, Indonesian: 12 → '12,00' (written out here, not by lib.formats)."""
    whole, fraction = f"{value:.2f}".split(".")
    return f"{int(whole):,}".replace(",", ".") + "," + fraction


FOLDED_NAMES = ["Cibugel", "Darmaraja", "Situraja", "Tomo", "Ujungjaya"]


def more_kecamatan(side, n, quarter, half):
    """n more kecamatan of the side's district (names from FOLDED_NAMES), each with one desa
    whose scorecard (PAUD 2 of 4) and semester report (Rp 10 M budget, Rp 2 M spent) are
    verified."""
    made = []
    with scopes_disabled():
        for i, name in enumerate(FOLDED_NAMES[:n]):
            code = f"{side.district.code}.{3 + i:02d}"
            kecamatan = Kecamatan.objects.create(code=code, name=name, district=side.district)
            made.append(
                Village.objects.create(
                    code=f"{code}.2001",
                    name=f"Desa {name}",
                    kecamatan=kecamatan,
                    district=side.district,
                )
            )
    on_time = quarter.due_on - dt.timedelta(days=2)
    for village in made:
        report(side, village, quarter, ReportStatus.VERIFIED, sent_on=on_time, data=paud(4, 2))
        report(
            side,
            village,
            half,
            ReportStatus.VERIFIED,
            sent_on=on_time,
            data=semester(10_000_000, 2_000_000),
        )


def village_reports_section(page):
    """The dashboard's village-report section: the folds in it, and the rest of it."""
    section = re.search(r'<section[^>]*id="laporan-desa".*?</section>', page, re.S).group()
    fold = re.compile(r'<details class="fold">.*?</details>', re.S)
    return fold.findall(section), fold.sub("", section)


def row_heads(html):
    return re.findall(r'<th scope="row">([^<]*)</th>', html)


def test_more_than_six_kecamatan_fold_their_rows_under_the_totals(client, world):
    a, _villages = build_a(world)
    quarter, half = periods(a)
    more_kecamatan(a, 5, quarter, half)  # with Wado and Jatinunggal: 7 kecamatan, 9 villages
    response, d = dashboard_of(client, a.users["executive"], a.district)
    reports = d["reports"]
    assert [reports[t]["folded"] for t in ("completeness", "rates", "fund")] == [True] * 3

    folds, outside = village_reports_section(response.content.decode())
    kecamatan = sorted(["Wado", "Jatinunggal", *FOLDED_NAMES])
    # completeness, rates, fund: every kecamatan has a verified scorecard and semester report
    assert len(folds) == 3
    for fold in folds:
        assert "<summary>Per kecamatan (7)</summary>" in fold
        assert 'class="compact stack tiles"' in fold
        assert row_heads(fold) == kecamatan
    # the totals stay in view, the kecamatan rows do not
    assert row_heads(outside) == [
        "Desa lokus",
        "Desa lainnya",
        "Semua desa/kelurahan",
        "Desa lokus",
        "Desa lainnya",
        "Semua desa/kelurahan",
        "Jumlah",
    ]
    # the totals counted by hand: 4 villages of build_a and 5 here, 2 + 5 verified
    c = reports["completeness"]
    assert (c["total"]["counts"].all, c["total"]["counts"].verified) == (9, 7)
    assert (c["focus"]["counts"].all, c["other"]["counts"].all) == (1, 8)
    # rates: (6 + 1 + 5 × 2) ÷ (10 + 4 + 5 × 4) = 17 ÷ 34; other: (1 + 10) ÷ (4 + 20)
    assert reports["rates"]["total"]["shown"] == "50,00 %"
    assert reports["rates"]["other"]["shown"] == "45,83 %"
    # fund: Rp 100 M + 5 × 10 M budgeted, Rp 45 M + 5 × 2 M spent
    assert (reports["fund"]["budget"], reports["fund"]["spent"]) == (
        "Rp 150.000.000",
        "Rp 55.000.000",
    )
    assert reports["fund"]["share"] == "36,67 %"
    assert "Rp 150.000.000" in outside and "36,67 %" in outside


def test_six_kecamatan_are_not_folded(client, world):
    a, _villages = build_a(world)
    quarter, half = periods(a)
    more_kecamatan(a, 4, quarter, half)  # 6 kecamatan: FOLD_ROWS, not more
    response, d = dashboard_of(client, a.users["executive"], a.district)
    reports = d["reports"]
    assert [reports[t]["folded"] for t in ("completeness", "rates", "fund")] == [False] * 3

    folds, outside = village_reports_section(response.content.decode())
    assert folds == [] and "Per kecamatan (" not in outside
    kecamatan = sorted(["Wado", "Jatinunggal", *FOLDED_NAMES[:4]])
    totals = ["Desa lokus", "Desa lainnya", "Semua desa/kelurahan"]
    assert row_heads(outside) == [*kecamatan, *totals, *kecamatan, *totals, *kecamatan, "Jumlah"]
    assert "tiles" not in outside
