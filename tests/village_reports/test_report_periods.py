"""A district's report-period settings (due days after each quarter and semester, how many last
days sending is open) and the daily job that creates each year's periods from them, in each
district's own time zone, once."""

import datetime as dt
from datetime import UTC

import pytest
from django.conf import settings
from django.urls import reverse
from django_scopes import scopes_disabled

from village_reports import reports, tasks
from village_reports.models import ReportPeriod, ReportSettings

pytestmark = pytest.mark.django_db


def _dates(district, year):
    return {
        (p.kind, p.number): (p.opens_on, p.due_on)
        for p in ReportPeriod.objects.filter(district=district, year=year)
    }


def test_the_district_sets_how_its_periods_are_made(client, world):
    a = world.a
    client.force_login(a.users["district_admin"])
    setup = reverse("period_setup", kwargs={"district_slug": a.district.slug})
    form = {
        "pengaturan": "1",
        "tahun": "2027",
        "scorecard_due_days": "20",
        "semester_due_days": "31",
        "sending_days": "5",
        "auto_create": "1",
    }
    # out of range or not a number: a message, nothing saved
    for key, value, message in [
        ("sending_days", "0", "Pengiriman dibuka 1 sampai 31 hari terakhir periode."),
        (
            "scorecard_due_days",
            "91",
            "Batas kirim harus 0 sampai 90 hari setelah periode berakhir.",
        ),
        ("semester_due_days", "dua", "Isi jumlah hari dengan angka bulat."),
    ]:
        response = client.post(setup, {**form, key: value}, follow=True)
        assert message in [str(m) for m in response.context["messages"]]
    with scopes_disabled():
        assert not ReportSettings.objects.exists()
    client.post(setup, form)
    client.post(setup, {"create": "1", "tahun": "2027"})
    with scopes_disabled():
        # 2027 by hand: Q1 ends 31 March → sending from 27 March (its last 5 days), due 20 April;
        # Q4 ends 31 December → from 27 December, due 20 January 2028; S1 ends 30 June → from
        # 26 June, due 31 July; S2 ends 31 December → due 31 January 2028
        assert _dates(a.district, 2027) == {
            ("scorecard", 1): (dt.date(2027, 3, 27), dt.date(2027, 4, 20)),
            ("scorecard", 2): (dt.date(2027, 6, 26), dt.date(2027, 7, 20)),
            ("scorecard", 3): (dt.date(2027, 9, 26), dt.date(2027, 10, 20)),
            ("scorecard", 4): (dt.date(2027, 12, 27), dt.date(2028, 1, 20)),
            ("semester", 1): (dt.date(2027, 6, 26), dt.date(2027, 7, 31)),
            ("semester", 2): (dt.date(2027, 12, 27), dt.date(2028, 1, 31)),
        }
        # district B keeps the defaults: Q1 from 22 March, due 10 April; S1 due 15 July
        reports.create_periods(district=world.b.district, year=2027, by=None)
        defaults = _dates(world.b.district, 2027)
        assert defaults[("scorecard", 1)] == (dt.date(2027, 3, 22), dt.date(2027, 4, 10))
        assert defaults[("semester", 1)] == (dt.date(2027, 6, 21), dt.date(2027, 7, 15))
    page = client.get(f"{setup}?tahun=2027").content.decode()
    assert 'name="sending_days" min="1" max="31" value="5"' in page


def test_each_year_begins_with_its_periods_in_the_districts_own_time_zone(world):
    a, b = world.a, world.b  # Sumedang: WIB (UTC+7); Timor Tengah Selatan: WITA (UTC+8)
    with scopes_disabled():
        # both use village reports (they have last year's periods); B chose 20 days
        reports.create_periods(district=a.district, year=2026, by=None)
        reports.create_periods(district=b.district, year=2026, by=None)
        ReportSettings.objects.create(district=b.district, scorecard_due_days=20)
        # 16:30 UTC on 31 December 2026: 23:30 in Sumedang, already 00:30 on 1 January 2027
        # in Timor Tengah Selatan
        made = reports.create_periods_automatically(
            now=dt.datetime(2026, 12, 31, 16, 30, tzinfo=UTC)
        )
        assert made == 6
        assert not ReportPeriod.objects.filter(district=a.district, year=2027).exists()
        assert _dates(b.district, 2027)[("scorecard", 1)] == (
            dt.date(2027, 3, 22),
            dt.date(2027, 4, 20),
        )
        # an hour later it is 2027 in Sumedang too; B is not made twice
        later = dt.datetime(2026, 12, 31, 17, 5, tzinfo=UTC)
        assert reports.create_periods_automatically(now=later) == 6
        assert reports.create_periods_automatically(now=later) == 0
        assert ReportPeriod.objects.filter(year=2027).count() == 12
        # a district that turned it off gets none; one that never used reports gets none
        ReportSettings.objects.filter(district=b.district).update(auto_create=False)
        assert (
            reports.create_periods_automatically(now=dt.datetime(2027, 12, 31, 17, 5, tzinfo=UTC))
            == 6
        )
        assert not ReportPeriod.objects.filter(district=b.district, year=2028).exists()
        assert set(ReportPeriod.objects.values_list("district_id", flat=True)) == {
            a.district.pk,
            b.district.pk,
        }


def test_the_job_is_scheduled_daily_just_after_midnight_wib():
    entry = settings.CELERY_BEAT_SCHEDULE["village-report-periods"]
    assert entry["task"] == "village_reports.tasks.create_report_periods"
    assert entry["schedule"].hour == {17} and entry["schedule"].minute == {5}
    assert tasks.create_report_periods.name == entry["task"]
