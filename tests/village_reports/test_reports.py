"""The village reporting chain: convergence rates against hand-computed values, validation with
messages at the field, draft → sent → returned → sent → verified → correction, who may see
which village, completeness and lateness in the district's time zone, reminders."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_scopes import scopes_disabled

from lib import generations
from village_reports import reports, scorecard
from village_reports.demo import scorecard_data
from village_reports.models import (
    ReportEvent,
    ReportKind,
    ReportPeriod,
    VillageReminder,
    VillageReport,
)
from villages.models import Village

pytestmark = pytest.mark.django_db

G = {g.key: g for g in scorecard.GROUPS}


def answers(group, values):
    """{indicator key: (yes, no, na)} → data keys."""
    data = {}
    for indicator in G[group].indicators:
        yes, no, na = values[indicator.key]
        data[scorecard.answer_key(G[group], indicator, "yes")] = yes
        data[scorecard.answer_key(G[group], indicator, "no")] = no
        data[scorecard.answer_key(G[group], indicator, "na")] = na
    return data


PREGNANT = {
    "anc": (9, 1, 0),
    "iron": (8, 2, 0),
    "postnatal": (7, 3, 0),
    "counselling": (10, 0, 0),
    "visit": (1, 1, 8),  # only the 2 at-risk mothers are due a home visit
    "water": (8, 2, 0),
    "latrine": (7, 3, 0),
    "insurance": (10, 0, 0),
}
CHILDREN = {
    k: (3, 1, 0)
    for k in (
        "immunisation",
        "weighing",
        "length",
        "counselling",
        "water",
        "latrine",
        "insurance",
        "parenting",
    )
} | {"visit": (1, 0, 3), "birth_cert": (4, 0, 0)}


def full_data(**overrides):
    data = {
        "t_households": 14,
        "t_pregnant": 10,
        "t_pregnant_risk": 2,
        "t_children": 4,
        "t_children_poor": 1,
        "t_children_2_6": 5,
        "g_green": 3,
        "g_yellow": 0,
        "g_red": 1,
        "f_development": 400_000_000,
        "f_empowerment": 100_000_000,
        "f_stunting": 75_000_000,
        "sign_head": "Asep Saepudin",
        "sign_secretary": "Dedi Kurnia",
        **answers("pregnant", PREGNANT),
        **answers("children", CHILDREN),
        **answers("paud", {"paud": (0, 0, 5)}),  # not applicable to all five
    }
    data.update(overrides)
    return data


def test_rates_against_hand_computed_values():
    rates, total = scorecard.scorecard_rates(full_data())
    pregnant, children, paud = rates
    # pregnant: yes 9+8+7+10+1+8+7+10 = 60; should 8 × 10 − 8 = 72 → 83.33 %
    assert (pregnant.received, pregnant.expected, pregnant.percent) == (60, 72, Decimal("83.33"))
    # children: yes 8 × 3 + 1 + 4 = 29; should 10 × 4 − 3 = 37 → 78.38 %
    assert (children.received, children.expected, children.percent) == (29, 37, Decimal("78.38"))
    # PAUD: 1 × 5 − 5 = 0 services due: no rate, and it does not pull the total down
    assert (paud.received, paud.expected, paud.percent) == (0, 0, None)
    # village: 89 ÷ 109 = 81.65 %
    assert (total.received, total.expected, total.percent) == (89, 109, Decimal("81.65"))
    visit = G["pregnant"].indicators[4]
    assert scorecard.indicator_percent(full_data(), G["pregnant"], visit) == Decimal("50.00")
    assert scorecard.fund_share(full_data()) == Decimal("15.00")  # 75 ÷ 500 million


def test_demo_scorecards_are_consistent():
    for seed in range(40):
        data = scorecard_data(seed, head="A", secretary="B")
        assert scorecard.submit_errors("scorecard", data, files=set(), today=dt.date.today()) == {}


def test_submit_rules_point_at_the_field():
    data = full_data(**{"s_pregnant_anc_yes": 11, "t_pregnant_risk": 12, "g_green": 9})
    data["s_children_weighing_no"] = 2  # 3 + 2 + 0 ≠ 4
    del data["f_stunting"]
    data["sign_secretary"] = ""
    errors = scorecard.submit_errors("scorecard", data, files=set(), today=dt.date(2026, 7, 1))
    assert "melebihi jumlah sasaran Ibu hamil (10)" in errors["s_pregnant_anc_yes"]
    assert "Tidak boleh lebih dari jumlah ibu hamil (10)" in errors["t_pregnant_risk"]
    assert "Hijau + kuning + merah (10) melebihi jumlah anak 0–23 bulan (4)" in errors["g_red"]
    assert (
        "harus sama dengan jumlah sasaran Anak 0–23 bulan (4)" in errors["s_children_weighing_no"]
    )
    assert errors["f_stunting"].startswith("Wajib diisi")
    assert "sign_secretary" in errors
    assert len(errors) == 6


def test_semester_rules():
    today = dt.date(2026, 7, 1)
    data = {
        "perdes_status": "enacted",
        "perdes_date": "2026-08-01",
        "fund_budget": 100,
        "fund_spent": 150,
        "rembuk_participants": 12,
    }
    errors = scorecard.submit_errors("semester", data, files=set(), today=today)
    assert set(errors) == {
        "perdes_number",
        "perdes_date",
        "perdes_file",
        "fund_spent",
        "rembuk_date",
    }
    assert "tidak boleh melebihi anggaran" in errors["fund_spent"]
    ok = {"perdes_status": "drafting", "fund_budget": 100, "fund_spent": 100}
    assert scorecard.submit_errors("semester", ok, files=set(), today=today) == {}


def test_draft_refuses_only_what_cannot_be_stored():
    values, errors = scorecard.clean_draft(
        "scorecard",
        {"t_pregnant": "12", "t_children": "dua", "g_red": "-1", "f_stunting": "Rp 1.500.000"},
    )
    assert values == {"t_pregnant": 12, "f_stunting": 1_500_000}
    assert errors == {
        "t_children": "Isi dengan angka bulat, tanpa huruf.",
        "g_red": "Tidak boleh negatif.",
    }


# --- the chain --------------------------------------------------------------------------------


def periods(side, year=2026):
    with scopes_disabled():
        reports.create_periods(district=side.district, year=year, by=side.users["district_admin"])
        return {
            (p.kind, p.number): p
            for p in ReportPeriod.objects.filter(district=side.district, year=year)
        }


def post(data):
    return {k: str(v) for k, v in data.items()}


def page(client, side, village, period):
    return reverse(
        "village_report",
        kwargs={
            "district_slug": side.district.slug,
            "village_id": village.pk,
            "period_id": period.pk,
        },
    )


def test_draft_submit_return_resubmit_verify_correct(client, world):
    a = world.a
    period = periods(a)[("scorecard", 1)]
    client.force_login(a.users["kpm"])
    save = reverse(
        "village_report_save",
        kwargs={
            "district_slug": a.district.slug,
            "village_id": a.village.pk,
            "period_id": period.pk,
        },
    )
    # a half-filled draft saves
    response = client.post(save, {"t_pregnant": "10"})
    assert response.status_code == 302
    # sending it is refused, with the messages at the fields, and the draft kept
    response = client.post(save, {"t_pregnant": "10", "kirim": "1"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "belum dapat dikirim" in body and "Wajib diisi" in body
    with scopes_disabled():
        report = VillageReport.objects.get(village=a.village, period=period)
        assert report.status == "draft" and report.data == {"t_pregnant": 10}
    # text in a number field: nothing saved
    response = client.post(save, {**post(full_data()), "t_children": "empat"})
    assert response.status_code == 200 and "Isi dengan angka bulat" in response.content.decode()
    with scopes_disabled():
        assert VillageReport.objects.get(pk=report.pk).data == {"t_pregnant": 10}
    # complete and send
    response = client.post(save, {**post(full_data()), "kirim": "1"})
    assert response.status_code == 302
    with scopes_disabled():
        report.refresh_from_db()
    assert report.status == "submitted" and report.first_submitted_at
    # while the camat looks at it, the village cannot change it
    response = client.post(save, post(full_data(t_households=99)), follow=True)
    assert "menunggu verifikasi camat" in response.content.decode()

    # the camat returns it; a remark is required
    client.force_login(a.users["camat"])
    ret = reverse(
        "report_return", kwargs={"district_slug": a.district.slug, "report_id": report.pk}
    )
    client.post(ret, {"remark": "  "})
    with scopes_disabled():
        assert VillageReport.objects.get(pk=report.pk).status == "submitted"
    client.post(ret, {"remark": "Data imunisasi belum sesuai register posyandu."})
    # the village head sees the remark on his village page and corrects
    client.force_login(a.users["village_head"])
    home = client.get(
        reverse("district_home", kwargs={"district_slug": a.district.slug}), follow=True
    )
    assert "Data imunisasi belum sesuai register posyandu." in home.content.decode()
    client.post(save, {**post(full_data(t_households=15)), "kirim": "1"})
    client.force_login(a.users["camat"])
    client.post(
        reverse("report_verify", kwargs={"district_slug": a.district.slug, "report_id": report.pk})
    )
    with scopes_disabled():
        report.refresh_from_db()
        assert report.status == "verified" and report.data["t_households"] == 15
        steps = list(
            ReportEvent.objects.filter(report=report).values_list("from_status", "to_status")
        )
    assert steps == [
        ("draft", "submitted"),
        ("submitted", "returned"),
        ("returned", "submitted"),
        ("submitted", "verified"),
    ]
    # a verified report is locked; a correction is a new version
    client.force_login(a.users["village_head"])
    response = client.post(save, post(full_data(t_households=16)), follow=True)
    assert "terkunci" in response.content.decode()
    client.post(
        reverse("report_correct", kwargs={"district_slug": a.district.slug, "report_id": report.pk})
    )
    with scopes_disabled():
        v1, v2 = VillageReport.objects.filter(village=a.village, period=period).order_by("version")
    assert (v1.status, v2.status, v2.version) == ("verified", "draft", 2)
    assert v2.data == v1.data and v2.first_submitted_at == v1.first_submitted_at
    # the district still sees the verified version while the correction is a draft
    client.force_login(a.users["district_admin"])
    response = client.get(page(client, a, a.village, period))
    assert "v2" not in response.content.decode() or "draf" not in response.content.decode()
    with scopes_disabled():
        view = reports.completeness(
            district=a.district, period=period, access=_access(a, "district_admin")
        )
    row = next(v for v in view.villages if v.village == a.village)
    assert row.state == "verified" and row.correcting and row.report.version == 1


def _access(side, role):
    from accounts.models import Membership
    from accounts.policy import access_for

    return access_for(
        list(Membership.objects.active().filter(user=side.users[role])), side.district
    )


def test_camat_cannot_act_on_a_draft_and_the_district_cannot_see_it(client, world):
    a = world.a
    period = periods(a)[("scorecard", 2)]
    with scopes_disabled():
        draft = reports.save_draft(
            village=a.village, period=period, posted=post(full_data()), by=a.users["kpm"]
        )
    url = reverse(
        "report_version", kwargs={"district_slug": a.district.slug, "report_id": draft.pk}
    )
    for role in ("camat", "district_admin", "executive"):
        client.force_login(a.users[role])
        assert client.get(url).status_code == 404, role
    client.force_login(a.users["camat"])
    verify = reverse(
        "report_verify", kwargs={"district_slug": a.district.slug, "report_id": draft.pk}
    )
    assert client.post(verify).status_code == 404
    client.force_login(a.users["kpm"])
    assert client.get(url).status_code == 200


# --- isolation ----------------------------------------------------------------------------------


def test_a_village_head_reaches_only_his_village(client, world):
    a = world.a
    ps = periods(a)
    period = ps[("scorecard", 1)]
    with scopes_disabled():
        other = reports.save_draft(
            village=a.other_village, period=period, posted=post(full_data()), by=None
        )
        reports.submit_report(report=other, by=None, today=dt.date(2026, 3, 25))
    client.force_login(a.users["village_head"])
    slug = a.district.slug
    urls = [
        reverse("village_page", kwargs={"district_slug": slug, "village_id": a.other_village.pk}),
        page(client, a, a.other_village, period),
        reverse("report_version", kwargs={"district_slug": slug, "report_id": other.pk}),
        reverse("report_pdf", kwargs={"district_slug": slug, "report_id": other.pk}),
    ]
    for url in urls:
        assert client.get(url).status_code == 404, url
    save = reverse(
        "village_report_save",
        kwargs={"district_slug": slug, "village_id": a.other_village.pk, "period_id": period.pk},
    )
    for url, data in (
        (save, {**post(full_data()), "kirim": "1"}),
        (reverse("report_correct", kwargs={"district_slug": slug, "report_id": other.pk}), {}),
        (reverse("report_upload", kwargs={"district_slug": slug, "report_id": other.pk}), {}),
    ):
        assert client.post(url, data).status_code == 404, url
    with scopes_disabled():
        assert VillageReport.objects.filter(village=a.other_village).count() == 1
        other.refresh_from_db()
        assert other.status == "submitted" and other.version == 1
    # and a village of another district does not exist for him
    b_village = reverse(
        "village_page", kwargs={"district_slug": slug, "village_id": world.b.village.pk}
    )
    assert client.get(b_village).status_code == 404
    # his own pages answer
    own = reverse("village_page", kwargs={"district_slug": slug, "village_id": a.village.pk})
    assert client.get(own).status_code == 200


def test_a_camat_sees_only_his_kecamatan(client, world):
    a = world.a
    period = periods(a)[("scorecard", 1)]
    with scopes_disabled():
        other = reports.save_draft(
            village=a.other_village, period=period, posted=post(full_data()), by=None
        )
        reports.submit_report(report=other, by=None, today=dt.date(2026, 3, 25))
    client.force_login(a.users["camat"])
    slug = a.district.slug
    assert client.get(page(client, a, a.other_village, period)).status_code == 404
    verify = reverse("report_verify", kwargs={"district_slug": slug, "report_id": other.pk})
    assert client.post(verify).status_code == 404
    response = client.get(
        reverse("completeness", kwargs={"district_slug": slug, "period_id": period.pk})
    )
    body = response.content.decode()
    assert a.village.name in body and a.other_village.name not in body
    with scopes_disabled():
        assert VillageReport.objects.get(pk=other.pk).status == "submitted"
    # the district admin sees both kecamatan, but cannot verify (the camat does)
    client.force_login(a.users["district_admin"])
    body = client.get(
        reverse("completeness", kwargs={"district_slug": slug, "period_id": period.pk})
    ).content.decode()
    assert a.village.name in body and a.other_village.name in body
    assert client.post(verify).status_code == 403


# --- completeness and lateness ------------------------------------------------------------------


def _sent_at(side, period, moment):
    with scopes_disabled():
        report = reports.save_draft(
            village=side.village, period=period, posted=post(full_data()), by=None
        )
        reports.submit_report(report=report, by=None, today=period.due_on)
        VillageReport.objects.filter(pk=report.pk).update(
            first_submitted_at=moment, submitted_at=moment
        )


def test_lateness_is_judged_in_the_district_time_zone(world):
    due = dt.date(2026, 4, 10)
    moment = dt.datetime(2026, 4, 10, 16, 30, tzinfo=dt.UTC)  # 23:30 WIB, 00:30 WITA next day
    late = {}
    for side in (world.a, world.b):
        period = periods(side)[("scorecard", 1)]
        assert period.due_on == due
        _sent_at(side, period, moment)
        with scopes_disabled():
            view = reports.completeness(
                district=side.district, period=period, access=_access(side, "district_admin")
            )
        late[side.district.time_zone] = next(
            v for v in view.villages if v.village == side.village
        ).late
    assert late == {"Asia/Jakarta": False, "Asia/Makassar": True}


def test_completeness_counts_and_focus_first_in_bounded_queries(client, world):
    a = world.a
    period = periods(a)[("scorecard", 1)]
    client.force_login(a.users["district_admin"])
    url = reverse("completeness", kwargs={"district_slug": a.district.slug, "period_id": period.pk})
    client.get(url)
    # read afresh, as the view after the reports below is (the summary is kept under the
    # district's data generation, which the saved reports move)
    generations.move(generations.DISTRICT_DATA, a.district.pk)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    with scopes_disabled():
        villages = list(Village.objects.filter(district=a.district).order_by("code"))
        for i, village in enumerate(villages[:8]):
            report = reports.save_draft(
                village=village, period=period, posted=post(full_data()), by=None
            )
            if i % 2:
                reports.submit_report(report=report, by=None, today=period.due_on)
        from village_reports.models import FocusDecree, FocusVillage

        decree = FocusDecree.objects.create(district=a.district, year=2026, number="1")
        FocusVillage.objects.create(decree=decree, district=a.district, village=villages[-1])
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
    view = response.context["view"]
    sent = len(villages[:8]) // 2
    assert sent >= 2
    assert view.totals["submitted"] == sent and view.totals["all"] == len(villages)
    assert view.totals["missing"] == len(villages) - sent  # drafts are not sent
    kecamatan = next(k for k in view.kecamatan if k.kecamatan == villages[-1].kecamatan)
    assert kecamatan.villages[0].village == villages[-1] and kecamatan.villages[0].focus
    # the export has one row per village
    export = client.get(
        reverse(
            "completeness_export", kwargs={"district_slug": a.district.slug, "period_id": period.pk}
        )
    )
    assert export.status_code == 200 and export["Content-Type"].startswith(
        "application/vnd.openxml"
    )
    # the dashboard's focus and other-village rows drill down to those villages only
    focus = client.get(url, {"lokus": "1"})
    assert [s.village_id for s in focus.context["view"].states] == [villages[-1].pk]
    assert "Hanya desa lokus." in focus.content.decode()
    others = client.get(url, {"lokus": "0", "status": "submitted"}).context["view"].states
    submitted = {v.pk for i, v in enumerate(villages[:8]) if i % 2}  # sent above
    assert {s.village_id for s in others} == submitted - {villages[-1].pk}
    assert len(client.get(url, {"lokus": "x"}).context["view"].states) == len(villages)


def test_the_dashboards_focus_rows_link_to_their_own_villages():
    from reports.dashboard import _counts_row
    from village_reports.summaries import ReportCounts

    counts = ReportCounts.of([])
    row = _counts_row("Desa lokus", counts, "/kab-x/laporan-desa/9/", focus=True)
    assert row["links"]["returned"] == "/kab-x/laporan-desa/9/?status=returned&lokus=1"
    assert row["link"] == "/kab-x/laporan-desa/9/?lokus=1"
    other = _counts_row("Desa lainnya", counts, "/kab-x/laporan-desa/9/", focus=False)
    assert other["links"]["late"] == "/kab-x/laporan-desa/9/?status=late&lokus=0"


def test_scorecard_pdf_is_served_to_the_district(client, world):
    a = world.a
    period = periods(a)[("scorecard", 1)]
    with scopes_disabled():
        report = reports.save_draft(
            village=a.village, period=period, posted=post(full_data()), by=None
        )
        reports.submit_report(report=report, by=None, today=period.due_on)
    client.force_login(a.users["executive"])
    response = client.get(
        reverse("report_pdf", kwargs={"district_slug": a.district.slug, "report_id": report.pk})
    )
    assert response.status_code == 200 and response.content.startswith(b"%PDF")


def test_upload_refuses_a_disguised_file_and_keeps_nothing(client, world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    a = world.a
    period = periods(a)[("semester", 1)]
    client.force_login(a.users["village_head"])
    with scopes_disabled():
        report = reports.save_draft(
            village=a.village, period=period, posted={"perdes_status": "enacted"}, by=None
        )
    url = reverse(
        "report_upload", kwargs={"district_slug": a.district.slug, "report_id": report.pk}
    )
    fake = SimpleUploadedFile(
        "perdes.pdf", b"bukan pdf sama sekali", content_type="application/pdf"
    )
    response = client.post(url, {"slot": "perdes", "file": fake}, follow=True)
    assert "Jenis berkas tidak diterima" in response.content.decode()
    with scopes_disabled():
        assert not report.files.exists()


# --- periods ------------------------------------------------------------------------------------


def test_default_periods_and_due_dates():
    got = {(p["kind"], p["number"]): p["due_on"] for p in reports.default_periods(2026)}
    assert got[("scorecard", 1)] == dt.date(2026, 4, 10)
    assert got[("scorecard", 4)] == dt.date(2027, 1, 10)
    assert got[("semester", 1)] == dt.date(2026, 7, 15)
    assert got[("semester", 2)] == dt.date(2027, 1, 15)  # the second semester is due in January


def test_due_date_before_the_period_is_refused(world):
    a = world.a
    period = periods(a)[("scorecard", 2)]
    with scopes_disabled(), pytest.raises(ValidationError):
        reports.set_due_dates(district=a.district, due={period.pk: dt.date(2026, 3, 1)}, by=None)
    with scopes_disabled():
        period.refresh_from_db()
    assert period.due_on == dt.date(2026, 7, 10)


# --- reminders ----------------------------------------------------------------------------------


def test_reminders_before_and_after_never_twice_and_not_when_sent(world):
    a = world.a
    period = periods(a)[("scorecard", 1)]  # due 10 April 2026
    # 9 April, 12:00 WIB: one day before
    now = dt.datetime(2026, 4, 9, 5, 0, tzinfo=dt.UTC)
    assert reports.send_report_reminders(now=now) == 1
    assert mail.outbox[-1].subject.endswith("batas kirim 1 hari lagi")
    assert set(mail.outbox[-1].to) == {a.users["village_head"].email, a.users["kpm"].email}
    assert reports.send_report_reminders(now=now) == 0  # never twice
    # sent before the due date: no reminder after it
    _sent_at(a, period, dt.datetime(2026, 4, 10, 3, 0, tzinfo=dt.UTC))
    assert reports.send_report_reminders(now=dt.datetime(2026, 4, 11, 5, 0, tzinfo=dt.UTC)) == 0
    with scopes_disabled():
        assert VillageReminder.objects.count() == 1


def test_reminder_after_the_due_date_in_the_district_time_zone(world):
    b = world.b
    periods(b)
    # 16:30 UTC on 11 April is 00:30 on 12 April in WITA: two days late, no threshold; on
    # 10 April at 16:30 UTC it is 11 April 00:30 WITA: one day late
    assert reports.send_report_reminders(now=dt.datetime(2026, 4, 10, 16, 30, tzinfo=dt.UTC)) == 1
    assert mail.outbox[-1].subject.endswith("terlambat 1 hari")
    assert b.users["village_head"].email in mail.outbox[-1].to


@pytest.mark.django_db(transaction=True)
def test_reminder_job_through_a_real_worker_sends_once(world, celery_worker):
    from village_reports.tasks import village_report_reminders

    side = world.a
    with scopes_disabled():
        tomorrow = side.district.local_now().date() + dt.timedelta(days=1)
        ReportPeriod.objects.create(
            district=side.district,
            year=tomorrow.year,
            kind=ReportKind.SCORECARD,
            number=1,
            starts_on=tomorrow - dt.timedelta(days=90),
            ends_on=tomorrow - dt.timedelta(days=10),
            due_on=tomorrow,
        )
    first = village_report_reminders.apply_async(ignore_result=False).get(timeout=60)
    second = village_report_reminders.apply_async(ignore_result=False).get(timeout=60)
    # world.b's village has no period: only A's village head and KPM, once
    assert (first, second) == (1, 0)


# --- the long form on a phone: errors summed up on top; rupiah as typed ----------------------


def _save_url(side, period):
    return reverse(
        "village_report_save",
        kwargs={
            "district_slug": side.district.slug,
            "village_id": side.village.pk,
            "period_id": period.pk,
        },
    )


def test_a_refused_send_lists_every_error_on_top_with_a_link_to_its_field(client, world):
    import re

    a = world.a
    period = periods(a)[("scorecard", 1)]
    client.force_login(a.users["kpm"])
    data = post(full_data())
    data["s_pregnant_anc_no"] = "5"  # 9 + 5 + 0 ≠ 10 pregnant women
    data["f_stunting"] = ""  # required
    data["sign_secretary"] = ""
    response = client.post(_save_url(a, period), {**data, "kirim": "1"})
    assert response.status_code == 200
    body = response.content.decode()
    summary = body[body.index('class="card error-summary"') :]
    summary = summary[: summary.index("</section>")]
    links = re.findall(r'<a href="#([^"]+)">([^<]+)</a>', summary)
    # in the order of the form, each with its field's name
    assert [anchor for anchor, _text in links] == [
        "f-s_pregnant_anc_no",
        "f-f_stunting",
        "f-sign_secretary",
    ]
    assert links[0][1].startswith(
        "Ibu hamil · Pemeriksaan kehamilan minimal 4 kali (tidak): Ya + tidak + tidak berlaku (14)"
    )
    assert links[1][1].startswith("Dialokasikan untuk kegiatan pencegahan stunting: Wajib diisi")
    assert "3 isian perlu diperbaiki" in summary
    # the summary comes before the form, and every link lands on an input of the form
    assert body.index("error-summary") < body.index('<form method="post" action="/')
    for anchor, _text in links:
        assert re.search(rf'<input [^>]*id="{anchor}"', body), anchor
    # what was typed stays on the page
    assert 'name="s_pregnant_anc_no" value="5"' in body


def test_semester_summary_links_a_missing_file_to_its_message(client, world):
    a = world.a
    period = periods(a)[("semester", 1)]
    client.force_login(a.users["village_head"])
    save = _save_url(a, period)
    data = {
        "perdes_status": "enacted",
        "perdes_number": "5/2026",
        "perdes_date": "2026-02-01",
        "fund_budget": "Rp 400.000.000",
        "fund_spent": "100.000.000",
    }
    body = client.post(save, {**data, "kirim": "1"}).content.decode()
    assert '<a href="#e-perdes_file">Berkas Perdes: Unggah berkas Perdes' in body
    assert 'id="e-perdes_file"' in body


def test_rupiah_fields_take_indonesian_thousands(client, world):
    """Typed as a village secretary types them; cents and ambiguous amounts are refused at the
    field, and what was typed stays."""
    a = world.a
    period = periods(a)[("scorecard", 1)]
    client.force_login(a.users["kpm"])
    save = _save_url(a, period)
    typed = {
        "f_development": "400.000.000",
        "f_empowerment": "Rp 100.000.000",
        "f_stunting": "75000000",
    }
    assert client.post(save, typed).status_code == 302
    with scopes_disabled():
        report = VillageReport.objects.get(village=a.village, period=period)
    assert {k: report.data[k] for k in typed} == {
        "f_development": 400_000_000,
        "f_empowerment": 100_000_000,
        "f_stunting": 75_000_000,
    }
    response = client.post(save, {**typed, "f_development": "400.000,50"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "Rupiah tidak memakai sen" in body and 'value="400.000,50"' in body
    response = client.post(save, {**typed, "f_empowerment": "100,000,000"})
    assert "Pakai titik untuk memisahkan ribuan" in response.content.decode()
    with scopes_disabled():
        report.refresh_from_db()
    assert report.data["f_development"] == 400_000_000  # nothing changed by the refused saves


# --- a kelurahan speaks of a lurah and Dana Kelurahan, never of a kepala desa or Dana Desa --

KELURAHAN = "32.11.02.1002"  # Pawenang, Jatinunggal: the 4-digit part starts with 1
DESA_ONLY = ("dana desa", "kepala desa", "sekretaris desa", "perdes", "peraturan desa")


def lurah_of(side, code=KELURAHAN):
    from accounts.models import Role
    from accounts.services import grant_membership
    from tests.conftest import make_user

    with scopes_disabled():
        village = Village.objects.get(code=code)
        user = make_user(f"lurah.{village.name.lower()}@sumedang.test", f"Lurah {village.name}")
        grant_membership(user=user, role=Role.VILLAGE_HEAD, district=side.district, village=village)
    return user, village


def _visible_text(html: str) -> str:
    import re

    body = html[html.index("<main") : html.index("</main>")]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)).lower()


def test_a_kelurahan_fills_its_reports_in_its_own_words(client, world):
    a = world.a
    user, village = lurah_of(a)
    assert village.kind == "kelurahan" and a.village.kind == "desa"
    all_periods = periods(a)
    client.force_login(user)

    home = client.get(
        reverse("village_home", kwargs={"district_slug": a.district.slug}), follow=True
    )
    assert "Kelurahan saya" in home.content.decode() and "Desa saya" not in home.content.decode()

    scorecard_page = client.get(page(client, a, village, all_periods[("scorecard", 1)]))
    text = _visible_text(scorecard_page.content.decode())
    for words in (
        "5. penggunaan dana kelurahan untuk pencegahan stunting",
        "bidang pembangunan sarana dan prasarana kelurahan",
        "bidang pemberdayaan masyarakat kelurahan",
        "nama sekretaris kelurahan",
        "nama lurah",
    ):
        assert words in text, words
    assert not [w for w in DESA_ONLY if w in text]

    semester = all_periods[("semester", 1)]
    save = reverse(
        "village_report_save",
        kwargs={
            "district_slug": a.district.slug,
            "village_id": village.pk,
            "period_id": semester.pk,
        },
    )
    refused = client.post(save, {"perdes_status": "enacted", "kirim": "1"})
    text = _visible_text(refused.content.decode())
    for words in (
        "keputusan lurah tentang stunting",
        "status keputusan lurah tentang stunting",
        "anggaran dana kelurahan untuk stunting (rp)",
        "realisasi belanja dana kelurahan untuk stunting (rp)",
        "rembuk stunting kelurahan",
        "keputusan lurah yang sudah ditetapkan harus bernomor.",
        "isi tanggal penetapan keputusan lurah.",
    ):
        assert words in text, words
    assert not [w for w in DESA_ONLY if w in text]

    # a desa keeps its own words
    client.force_login(a.users["village_head"])
    text = _visible_text(client.get(page(client, a, a.village, semester)).content.decode())
    assert "peraturan desa (perdes) tentang stunting" in text and "dana desa" in text


def test_a_long_completeness_list_is_shown_by_kecamatan(client, world, monkeypatch):
    """More village rows than COMPLETENESS_ROWS (100; 1 here, so that the test district's few
    villages are "many") and no kecamatan chosen: one row per kecamatan with its counts and a
    link to its villages; the totals stay those of every village, in the same queries."""
    from village_reports import report_views

    a = world.a
    period = periods(a)[("scorecard", 1)]
    client.force_login(a.users["district_admin"])
    url = reverse("completeness", kwargs={"district_slug": a.district.slug, "period_id": period.pk})
    with CaptureQueriesContext(connection) as full:
        client.get(url)
    monkeypatch.setattr(report_views, "COMPLETENESS_ROWS", 1)
    with scopes_disabled():
        villages = list(Village.objects.active().filter(district=a.district).order_by("code"))
        report = reports.save_draft(
            village=villages[0], period=period, posted=post(full_data()), by=None
        )
        reports.submit_report(report=report, by=None, today=period.due_on)
        by_kecamatan = {}
        for v in villages:
            by_kecamatan.setdefault(v.kecamatan, []).append(v)
    with CaptureQueriesContext(connection) as collapsed:
        response = client.get(url)
    assert len(collapsed) <= len(full)
    page = response.content.decode()
    assert response.context["collapsed"]
    # every kecamatan a row with a link to its villages, no village listed
    for kecamatan in by_kecamatan:
        assert f'href="?kecamatan={kecamatan.pk}"' in page
    for v in villages:
        assert f"/desa/{v.pk}/laporan/" not in page
    # the first village sent, all the others missing (hand count: 1 and len - 1)
    view = response.context["view"]
    assert view.totals["all"] == len(villages)
    assert view.totals["submitted"] == 1 and view.totals["missing"] == len(villages) - 1
    first = next(k for k in view.kecamatan if k.kecamatan == villages[0].kecamatan)
    assert first.counts.submitted == 1
    assert first.counts.all == len(by_kecamatan[villages[0].kecamatan])
    # the collapsed page is kept as its counts: a second village sent shows on the next view
    with scopes_disabled():
        report = reports.save_draft(
            village=villages[1], period=period, posted=post(full_data()), by=None
        )
        reports.submit_report(report=report, by=None, today=period.due_on)
    again = client.get(url).context["view"]
    assert again.totals["submitted"] == 2 and again.totals["missing"] == len(villages) - 2

    # one kecamatan chosen: its villages listed, as before
    one = client.get(f"{url}?kecamatan={villages[0].kecamatan_id}")
    assert not one.context["collapsed"]
    assert villages[0].name in one.content.decode()


def test_the_kept_village_page_shows_each_change_on_the_next_view(client, world):
    """The village page keeps what it reads of the village's rows under the district's data
    generation (report_views.village_page): a second view reads them from the cache, and a
    saved draft, a sent report and a new office address show on the very next view."""
    a = world.a
    period = periods(a)[("scorecard", 1)]
    village_page = reverse(
        "village_page", kwargs={"district_slug": a.district.slug, "village_id": a.village.pk}
    )

    def state_of_q1(html):  # the state tag on the Q1 line of "Semua laporan"
        listing = html[html.index('id="h-all"') :]
        line = listing[listing.index(page(client, a, a.village, period)) :]
        line = line[line.index('<span class="tag') :]
        return line[line.index(">") + 1 : line.index("</span>")]

    client.force_login(a.users["village_head"])
    with CaptureQueriesContext(connection) as first:
        assert state_of_q1(client.get(village_page).content.decode()) == "belum dikirim"
    with CaptureQueriesContext(connection) as second:
        assert state_of_q1(client.get(village_page).content.decode()) == "belum dikirim"
    assert len(second) < len(first)  # the periods, reports, profile, commitments: not read

    client.force_login(a.users["kpm"])
    client.post(_save_url(a, period), {"t_pregnant": "10"})
    client.force_login(a.users["village_head"])
    assert state_of_q1(client.get(village_page).content.decode()) == "draf"
    client.force_login(a.users["kpm"])
    client.post(_save_url(a, period), {**post(full_data()), "kirim": "1"})
    client.force_login(a.users["village_head"])
    assert state_of_q1(client.get(village_page).content.decode()) == "menunggu verifikasi"

    client.post(
        reverse(
            "village_profile_edit",
            kwargs={"district_slug": a.district.slug, "village_id": a.village.pk},
        ),
        {"office_address": "Jl. Raya Desa No. 7", "head_name": "", "secretary_name": ""},
    )
    assert "Jl. Raya Desa No. 7" in client.get(village_page).content.decode()
