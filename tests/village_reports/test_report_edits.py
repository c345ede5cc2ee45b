"""A village report shared by the village head and the KPM: a save from an out-of-date page
is refused with who changed it and keeps what was typed; the camat's verify and return cannot
both succeed, nor can three verifies write three history rows (two real connections)."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django_scopes import scope, scopes_disabled

from accounts.models import Membership
from accounts.policy import access_for
from tests.concurrency import race
from village_reports import reports
from village_reports.models import ReportEvent, ReportKind, ReportPeriod, VillageReport

pytestmark = pytest.mark.django_db


def _period(side, year=2026, kind=ReportKind.SEMESTER, number=1):
    with scopes_disabled():
        reports.create_periods(district=side.district, year=year, by=side.users["district_admin"])
        return ReportPeriod.objects.get(district=side.district, year=year, kind=kind, number=number)


def _report_url(side, period):
    return reverse(
        "village_report",
        kwargs={
            "district_slug": side.district.slug,
            "village_id": side.village.pk,
            "period_id": period.pk,
        },
    )


def _save_url(side, period):
    return reverse(
        "village_report_save",
        kwargs={
            "district_slug": side.district.slug,
            "village_id": side.village.pk,
            "period_id": period.pk,
        },
    )


def _token(page: str) -> str:
    return page.split('name="edit_token" value="', 1)[1].split('"', 1)[0]


def test_the_kpms_stale_save_does_not_wipe_the_heads_budget(client, world):
    side = world.a
    period = _period(side)
    head, kpm = side.users["village_head"], side.users["kpm"]
    client.force_login(head)
    client.post(_save_url(side, period), {"fund_budget": "1000000", "perdes_status": "none"})
    # the KPM opens the report; then the head adds the spending figure
    client.force_login(kpm)
    kpm_token = _token(client.get(_report_url(side, period)).content.decode())
    client.force_login(head)
    head_token = _token(client.get(_report_url(side, period)).content.decode())
    assert head_token == kpm_token
    client.post(
        _save_url(side, period),
        {
            "fund_budget": "1000000",
            "fund_spent": "250000",
            "perdes_status": "none",
            "edit_token": head_token,
        },
    )
    # the KPM saves what he had on screen (without the spending figure)
    client.force_login(kpm)
    response = client.post(
        _save_url(side, period),
        {"fund_budget": "1200000", "perdes_status": "none", "edit_token": kpm_token},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "sudah diubah oleh" in page and head.full_name in page
    assert 'value="1.200.000"' in page  # the KPM's typed figure is still on the page
    with scopes_disabled():
        report = VillageReport.objects.get(village=side.village, period=period)
    assert report.data["fund_budget"] == 1_000_000
    assert report.data["fund_spent"] == 250_000


def _submitted(side, period):
    with scopes_disabled():
        return VillageReport.objects.create(
            district=side.district,
            village=side.village,
            period=period,
            status=VillageReport.Status.SUBMITTED,
            data={"t_pregnant": 1},
        )


def _camat_access(side):
    camat = side.users["camat"]
    memberships = list(
        Membership.objects.active()
        .filter(user=camat)
        .select_related("district", "province", "kecamatan", "village", "agency")
    )
    return camat, access_for(memberships, side.district)


@pytest.mark.django_db(transaction=True)
def test_verify_and_return_clicked_at_once_cannot_both_succeed(world, postgres):
    side = world.a
    period = _period(side, kind=ReportKind.SCORECARD)
    report = _submitted(side, period)
    camat, access = _camat_access(side)

    def decide(step):
        def run():
            with scope(**access.scope()):
                current = VillageReport.objects.select_related("period", "district", "village").get(
                    pk=report.pk
                )
                if step == "verify":
                    return reports.verify_report(report=current, by=camat)
                return reports.return_report(report=current, remark="kurang lengkap", by=camat)

        return run

    first, second = race(decide("verify"), decide("return"))
    assert isinstance(first, VillageReport)
    assert isinstance(second, ValidationError)
    with scopes_disabled():
        assert VillageReport.objects.get(pk=report.pk).status == VillageReport.Status.VERIFIED
        assert list(
            ReportEvent.objects.filter(report_id=report.pk).values_list("to_status", flat=True)
        ) == ["verified"]


@pytest.mark.django_db(transaction=True)
def test_two_verifies_at_once_write_one_history_row(world, postgres):
    side = world.a
    period = _period(side, kind=ReportKind.SCORECARD, number=2)
    report = _submitted(side, period)
    camat, access = _camat_access(side)

    def verify():
        with scope(**access.scope()):
            current = VillageReport.objects.select_related("period", "district", "village").get(
                pk=report.pk
            )
            return reports.verify_report(report=current, by=camat)

    first, second = race(verify, verify)
    assert isinstance(first, VillageReport) and isinstance(second, ValidationError)
    with scopes_disabled():
        assert ReportEvent.objects.filter(report_id=report.pk).count() == 1


def test_a_scorecard_cannot_be_sent_before_the_end_of_its_quarter(client, world):
    import datetime as dt

    from tests.village_reports.test_reports import full_data, post

    side = world.a
    year = side.district.local_now().year + 1  # a quarter that has not ended yet
    period = _period(side, year=year, kind=ReportKind.SCORECARD, number=1)
    assert period.opens_on == dt.date(year, 3, 22)  # the last ten days of the quarter
    client.force_login(side.users["kpm"])
    response = client.post(
        _save_url(side, period), {**post(full_data()), "kirim": "1"}, follow=True
    )
    assert f"baru dapat dikirim mulai 22 Maret {year}" in response.content.decode()
    with scopes_disabled():
        report = VillageReport.objects.get(village=side.village, period=period)
        assert report.status == VillageReport.Status.DRAFT  # kept as a draft, not sent
        with pytest.raises(ValidationError, match="baru dapat dikirim"):
            reports.submit_report(report=report, by=None, today=dt.date(year, 3, 21))
        sent = reports.submit_report(report=report, by=None, today=dt.date(year, 3, 22))
    assert sent.status == VillageReport.Status.SUBMITTED
