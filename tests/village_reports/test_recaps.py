"""The reporting chain upward: the camat's recap of his kecamatan for a period, the district's
acceptance and the lock it puts on the period (for everyone), returns with a reason, who may
forward or see which recap; verification on behalf of a kecamatan without a camat; back-filled
submissions and verifications of an ended year.

World A (tests/conftest.py): kecamatan Wado (a.kecamatan, camat A) with Cimungkal (a.village,
village head and KPM A) and Ganjarresik; kecamatan Jatinunggal (a.other_kecamatan, no camat)
with Cimanintin (a.other_village) and the kelurahan Pawenang."""

import datetime as dt
import io
from datetime import UTC

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from lib import generations
from tests.village_reports.test_reports import full_data, periods, post
from village_reports import recaps, reports
from village_reports.models import (
    KecamatanRecap,
    RecapEvent,
    ReportEvent,
    VillageReport,
)
from villages.models import Village

pytestmark = pytest.mark.django_db

# Q1 2026: sending opens 22 March, due 10 April
SENDING_DAY = dt.date(2026, 3, 25)


def _village(side, code):
    return Village.objects.get(code=code)


def sent(side, village, period, by=None):
    report = reports.save_draft(village=village, period=period, posted=post(full_data()), by=by)
    return reports.submit_report(report=report, by=by, today=period.opens_on)


def verified(side, village, period):
    return reports.verify_report(
        report=sent(side, village, period, by=side.users["kpm"]), by=side.users["camat"]
    )


def url(name, side, period, kecamatan=None, **extra):
    kwargs = {"district_slug": side.district.slug, "period_id": period.pk, **extra}
    if kecamatan is not None:
        kwargs["kecamatan_id"] = kecamatan.pk
    return reverse(name, kwargs=kwargs)


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def test_forwarding_names_what_is_missing_and_applies_once(world):
    a = world.a
    period = periods(a)[("scorecard", 1)]
    camat = a.users["camat"]
    with scopes_disabled():
        ganjarresik = _village(a, "32.11.01.2002")
        cimungkal_report = verified(a, a.village, period)
        with pytest.raises(ValidationError) as refused:
            recaps.forward_recap(kecamatan=a.kecamatan, period=period, by=camat)
        assert refused.value.messages == [
            "Rekap belum dapat diteruskan: 1 desa belum terverifikasi: Ganjarresik (belum dikirim)."
        ]
        waiting = sent(a, ganjarresik, period)
        with pytest.raises(ValidationError) as refused:
            recaps.forward_recap(kecamatan=a.kecamatan, period=period, by=camat)
        assert "Ganjarresik (menunggu verifikasi)" in refused.value.messages[0]
        assert not KecamatanRecap.objects.exists()
        reports.verify_report(report=waiting, by=camat)

        recap = recaps.forward_recap(kecamatan=a.kecamatan, period=period, by=camat)
        assert recap.status == "forwarded" and recap.forwarded_by == camat
        assert recap.reports == {
            str(a.village.pk): [str(cimungkal_report.pk), 1],
            str(ganjarresik.pk): [str(waiting.pk), 1],
        }
        # a double click: refused, nothing applied twice
        with pytest.raises(ValidationError) as refused:
            recaps.forward_recap(kecamatan=a.kecamatan, period=period, by=camat)
        assert refused.value.messages == [
            "Rekap Kuartal 1 2026 Kec. Wado sudah diteruskan dan menunggu kabupaten."
        ]
        assert KecamatanRecap.objects.count() == 1
        assert list(RecapEvent.objects.values_list("to_status", flat=True)) == ["forwarded"]


def _forwarded(a, period):
    with scopes_disabled():
        verified(a, a.village, period)
        verified(a, _village(a, "32.11.01.2002"), period)
        return recaps.forward_recap(kecamatan=a.kecamatan, period=period, by=a.users["camat"])


FORWARDED_LOCK = (
    "Rekap Kuartal 1 2026 Kec. Wado sedang diperiksa kabupaten: laporan desanya tidak dapat "
    "diubah sampai rekap diterima atau dikembalikan."
)
ACCEPTED_LOCK = (
    "Kuartal 1 2026 Kec. Wado sudah diterima kabupaten dan terkunci: laporan desanya tidak "
    "dapat diubah, dikirim, diverifikasi atau dikoreksi lagi."
)


def test_an_accepted_recap_locks_every_report_service_for_everyone(client, world):
    a = world.a
    ps = periods(a)
    period = ps[("scorecard", 1)]
    recap = _forwarded(a, period)
    with scopes_disabled():
        cimungkal = VillageReport.objects.get(village=a.village, period=period)
        # while the district looks at it, not even a correction starts
        with pytest.raises(ValidationError) as refused:
            reports.start_correction(report=cimungkal, by=a.users["village_head"])
        assert refused.value.messages == [FORWARDED_LOCK]

    client.force_login(a.users["district_admin"])
    accept = url("recap_accept", a, period, a.kecamatan)
    response = client.post(accept, follow=True)
    assert "Rekap diterima. Laporan kecamatan ini untuk periode ini terkunci." in messages_of(
        response
    )
    # the second click of a double click: refused with a message, nothing applied again
    response = client.post(accept, follow=True)
    assert messages_of(response) == ["Rekap ini sudah berstatus diterima kabupaten."]
    with scopes_disabled():
        recap.refresh_from_db()
        assert recap.status == "accepted" and recap.decided_by == a.users["district_admin"]
        assert list(recap.events.values_list("to_status", flat=True)) == [
            "forwarded",
            "accepted",
        ]
        # a village added to the kecamatan later, with a draft and a sent report typed in
        # directly, meets the lock as well
        first, second = (
            Village.objects.create(
                code=f"32.11.01.20{n}", name=f"Baru {n}", kecamatan=a.kecamatan, district=a.district
            )
            for n in (11, 12)
        )
        draft = VillageReport.objects.create(
            district=a.district, village=first, period=period, data=full_data()
        )
        submitted = VillageReport.objects.create(
            district=a.district, village=second, period=period, status="submitted"
        )
        other_period = ps[("scorecard", 2)]
        attempts = {
            "save": lambda: reports.save_draft(
                village=a.village, period=period, posted=post(full_data()), by=None
            ),
            "correct": lambda: reports.start_correction(report=cimungkal, by=None),
            "submit": lambda: reports.submit_report(report=draft, by=None, today=SENDING_DAY),
            "verify": lambda: reports.verify_report(report=submitted, by=a.users["camat"]),
            "return": lambda: reports.return_report(
                report=submitted, remark="Perbaiki", by=a.users["camat"]
            ),
            "upload": lambda: reports.upload_file(
                report=draft, slot="minutes", upload=None, by=None
            ),
        }
        for name, attempt in attempts.items():
            with pytest.raises(ValidationError) as refused:
                attempt()
            assert refused.value.messages == [ACCEPTED_LOCK], name
        assert VillageReport.objects.get(pk=submitted.pk).status == "submitted"
        assert VillageReport.objects.get(pk=draft.pk).status == "draft"
        # the other kecamatan and the other periods are not locked
        reports.save_draft(
            village=a.other_village, period=period, posted=post(full_data()), by=None
        )
        reports.save_draft(village=a.village, period=other_period, posted={}, by=None)

    # through the pages: the village head is told, and nothing changes
    client.force_login(a.users["village_head"])
    save = reverse(
        "village_report_save",
        kwargs={
            "district_slug": a.district.slug,
            "village_id": a.village.pk,
            "period_id": period.pk,
        },
    )
    response = client.post(save, post(full_data(t_households=99)), follow=True)
    assert ACCEPTED_LOCK in messages_of(response)
    assert "Periode ini terkunci" in response.content.decode()
    with scopes_disabled():
        assert VillageReport.objects.get(pk=cimungkal.pk).data["t_households"] == 14


def test_a_returned_recap_opens_the_period_again(client, world):
    a = world.a
    period = periods(a)[("scorecard", 1)]
    recap = _forwarded(a, period)
    client.force_login(a.users["district_admin"])
    back = url("recap_return", a, period, a.kecamatan)
    response = client.post(back, {"remark": "   "}, follow=True)
    assert messages_of(response) == ["Tuliskan alasan: apa yang harus diperbaiki kecamatan."]
    with scopes_disabled():
        assert KecamatanRecap.objects.get(pk=recap.pk).status == "forwarded"
    client.post(back, {"remark": "Angka sasaran Cimungkal tidak sesuai e-PPGBM."})
    with scopes_disabled():
        recap.refresh_from_db()
        assert (recap.status, recap.remark) == (
            "returned",
            "Angka sasaran Cimungkal tidak sesuai e-PPGBM.",
        )
        cimungkal = VillageReport.objects.get(village=a.village, period=period)
        correction = reports.start_correction(report=cimungkal, by=a.users["village_head"])
        # forwarding again waits for the correction
        with pytest.raises(ValidationError) as refused:
            recaps.forward_recap(kecamatan=a.kecamatan, period=period, by=a.users["camat"])
        assert "Cimungkal (draf)" in refused.value.messages[0]
        reports.submit_report(report=correction, by=a.users["kpm"], today=SENDING_DAY)
        reports.verify_report(report=correction, by=a.users["camat"])
    client.force_login(a.users["camat"])
    client.post(url("recap_forward", a, period, a.kecamatan))
    with scopes_disabled():
        recap.refresh_from_db()
        assert recap.status == "forwarded" and recap.remark == "" and recap.decided_at is None
        assert recap.reports[str(a.village.pk)] == [str(correction.pk), 2]
        assert list(recap.events.values_list("to_status", flat=True)) == [
            "forwarded",
            "returned",
            "forwarded",
        ]
    page = client.get(url("recap_list", a, period))
    assert "diteruskan ke kabupaten" in page.content.decode()


def test_who_may_forward_decide_and_see_which_recap(client, world):
    a, b = world.a, world.b
    period = periods(a)[("scorecard", 1)]
    _forwarded(a, period)
    # camat A: his kecamatan only; another kecamatan of his district is not found
    client.force_login(a.users["camat"])
    assert client.post(url("recap_forward", a, period, a.other_kecamatan)).status_code == 404
    page = client.get(url("recap_list", a, period)).content.decode()
    assert "Wado" in page and "Jatinunggal" not in page
    assert "Terima dan kunci" not in page
    # he cannot decide on it
    assert client.post(url("recap_accept", a, period, a.kecamatan)).status_code == 403
    # the admin sees every kecamatan and decides
    client.force_login(a.users["district_admin"])
    page = client.get(url("recap_list", a, period)).content.decode()
    assert "Wado" in page and "Jatinunggal" in page and "Terima dan kunci" in page
    # the village head neither sees the list nor forwards
    client.force_login(a.users["village_head"])
    assert client.get(url("recap_list", a, period)).status_code == 403
    assert client.post(url("recap_forward", a, period, a.kecamatan)).status_code == 403
    # district B: its camat and admin do not reach A's recap at all
    client.force_login(b.users["camat"])
    assert client.post(url("recap_forward", a, period, a.kecamatan)).status_code == 404
    client.force_login(b.users["district_admin"])
    assert client.post(url("recap_accept", a, period, a.kecamatan)).status_code == 404
    # admin A naming B's kecamatan: not found, and nothing changed
    client.force_login(a.users["district_admin"])
    assert client.post(url("recap_accept", a, period, b.kecamatan)).status_code == 404
    with scopes_disabled():
        assert KecamatanRecap.objects.get().status == "forwarded"


def test_recap_page_queries_do_not_grow_with_villages_and_recaps(client, world):
    a = world.a
    period = periods(a)[("scorecard", 1)]
    client.force_login(a.users["district_admin"])
    target = url("recap_list", a, period)
    client.get(target)
    # both views read the data afresh (the page's summary is kept under the district's data
    # generation: moved here, as any saved row would)
    generations.move(generations.DISTRICT_DATA, a.district.pk)
    with CaptureQueriesContext(connection) as small:
        assert client.get(target).status_code == 200
    _forwarded(a, period)
    with scopes_disabled():
        Village.objects.bulk_create(
            Village(
                code=f"32.11.02.20{n:02d}",
                name=f"Desa {n}",
                kecamatan=a.other_kecamatan,
                district=a.district,
            )
            for n in range(10, 40)
        )
    generations.move(generations.DISTRICT_DATA, a.district.pk)
    with CaptureQueriesContext(connection) as large:
        assert client.get(target).status_code == 200
    assert len(large) == len(small)


# --- on behalf of a kecamatan without a camat ---------------------------------------------------


def test_the_admin_verifies_on_behalf_of_a_kecamatan_without_a_camat(client, world):
    a = world.a
    period = periods(a)[("scorecard", 1)]
    with scopes_disabled():
        jatinunggal = sent(a, a.other_village, period, by=a.users["kpm"])
        wado = sent(a, a.village, period, by=a.users["kpm"])
    client.force_login(a.users["district_admin"])
    behalf = "report_on_behalf"
    response = client.post(
        reverse(behalf, kwargs={"district_slug": a.district.slug, "report_id": wado.pk}),
        {"keputusan": "verify"},
        follow=True,
    )
    # Wado has an active camat: he decides
    assert messages_of(response) == [
        "Kec. Wado memiliki akun camat yang aktif: laporan desanya diperiksa oleh camat, "
        "bukan atas nama kecamatan."
    ]
    # the report page offers the admin the on-behalf box only where there is no camat
    assert "Verifikasi atas nama kecamatan" not in response.content.decode()
    page = client.get(
        reverse(
            "village_report",
            kwargs={
                "district_slug": a.district.slug,
                "village_id": a.other_village.pk,
                "period_id": period.pk,
            },
        )
    )
    assert "Verifikasi atas nama kecamatan" in page.content.decode()
    response = client.post(
        reverse(behalf, kwargs={"district_slug": a.district.slug, "report_id": jatinunggal.pk}),
        {"keputusan": "verify"},
        follow=True,
    )
    assert messages_of(response) == ["Laporan diverifikasi atas nama kecamatan."]
    # in the history, next to the verification
    assert '· diverifikasi <span class="tag">atas nama kecamatan</span>' in (
        response.content.decode()
    )
    with scopes_disabled():
        assert VillageReport.objects.get(pk=wado.pk).status == "submitted"
        jatinunggal.refresh_from_db()
        assert jatinunggal.status == "verified"
        assert jatinunggal.decided_by == a.users["district_admin"]
        event = ReportEvent.objects.get(report=jatinunggal, to_status="verified")
        assert event.on_behalf and event.actor == a.users["district_admin"]
        # once Wado's camat account is ended, the admin may act for Wado too
        membership = a.memberships["camat"]
        membership.is_active = False
        membership.save()
    response = client.post(
        reverse(behalf, kwargs={"district_slug": a.district.slug, "report_id": wado.pk}),
        {"keputusan": "return", "remark": "Lampirkan daftar hadir."},
        follow=True,
    )
    assert messages_of(response) == ["Laporan dikembalikan atas nama kecamatan."]
    with scopes_disabled():
        wado.refresh_from_db()
        assert (wado.status, wado.remark) == ("returned", "Lampirkan daftar hadir.")
        assert ReportEvent.objects.get(report=wado, to_status="returned").on_behalf


def test_the_camat_is_never_recorded_as_on_behalf(world):
    a = world.a
    period = periods(a)[("scorecard", 1)]
    with scopes_disabled():
        report = verified(a, a.village, period)
        assert not ReportEvent.objects.get(report=report, to_status="verified").on_behalf


# --- back-filled dates of an ended year -------------------------------------------------------


def test_backfilled_submission_and_verification_use_the_actual_dates(world):
    a = world.a
    # Q4 2025: 1 October to 31 December, due 10 January 2026; typed on 10 February 2026
    period = periods(a, 2025)[("scorecard", 4)]
    typed_on = dt.date(2026, 2, 10)
    kpm, camat = a.users["kpm"], a.users["camat"]
    with scopes_disabled():
        draft = reports.save_draft(
            village=a.village, period=period, posted=post(full_data()), by=kpm
        )
        for wrong, message in [
            (dt.date(2025, 9, 30), "Tanggal sebenarnya harus antara 1 Oktober 2025 dan hari ini."),
            (dt.date(2026, 2, 11), "Tanggal sebenarnya harus antara 1 Oktober 2025 dan hari ini."),
        ]:
            with pytest.raises(ValidationError) as refused:
                reports.submit_report(report=draft, by=kpm, today=typed_on, happened_on=wrong)
            assert refused.value.messages == [message]
        before = timezone.now()
        report = reports.submit_report(
            report=draft, by=kpm, today=typed_on, happened_on=dt.date(2026, 1, 8)
        )
        # noon in Sumedang (WIB, UTC+7) is 05:00 UTC
        actual_sent = dt.datetime(2026, 1, 8, 5, 0, tzinfo=UTC)
        assert report.first_submitted_at == actual_sent == report.submitted_at
        assert report.backfilled
        assert not report.is_late()  # 8 January ≤ due 10 January
        with pytest.raises(ValidationError) as refused:
            reports.verify_report(
                report=report, by=camat, today=typed_on, happened_on=dt.date(2026, 1, 7)
            )
        assert refused.value.messages == [
            "Tanggal sebenarnya tidak boleh sebelum laporan dikirim (8 Januari 2026)."
        ]
        report = reports.verify_report(
            report=report, by=camat, today=typed_on, happened_on=dt.date(2026, 1, 9)
        )
        assert report.decided_at == dt.datetime(2026, 1, 9, 5, 0, tzinfo=UTC)
        events = list(ReportEvent.objects.filter(report=report).order_by("at"))
        assert [(e.to_status, e.at, e.backfilled) for e in events] == [
            ("submitted", actual_sent, True),
            ("verified", dt.datetime(2026, 1, 9, 5, 0, tzinfo=UTC), True),
        ]
        assert all(e.recorded_at >= before for e in events)  # when it was typed

        # the export shows the actual dates; the completeness view does not call it late
        from accounts.models import Membership
        from accounts.policy import access_for
        from village_reports.printing import reports_xlsx

        access = access_for(
            list(Membership.objects.active().filter(user=a.users["district_admin"])), a.district
        )
        view = reports.completeness(district=a.district, period=period, access=access)
        row = next(v for v in view.villages if v.village == a.village)
        assert not row.late
        from openpyxl import load_workbook

        sheet = load_workbook(io.BytesIO(reports_xlsx(view, period))).active
        values = [c.value for r in sheet.iter_rows() for c in r]
        assert "2026-01-08 12:00" in values and "2026-01-09 12:00" in values


def test_backfilling_is_only_for_an_ended_year(world):
    a = world.a
    period = periods(a)[("scorecard", 1)]
    with scopes_disabled():
        draft = reports.save_draft(
            village=a.village, period=period, posted=post(full_data()), by=None
        )
        with pytest.raises(ValidationError) as refused:
            reports.submit_report(
                report=draft, by=None, today=SENDING_DAY, happened_on=dt.date(2026, 3, 24)
            )
        assert refused.value.messages == [
            "Tanggal sebenarnya hanya dapat diisi untuk tahun yang sudah berakhir; "
            "Kuartal 1 2026 masih berjalan."
        ]
        assert VillageReport.objects.get(pk=draft.pk).status == "draft"


def test_backfilled_dates_through_the_pages(client, world):
    a = world.a
    period = periods(a, 2024)[("semester", 2)]  # July–December 2024, due 15 January 2025
    client.force_login(a.users["village_head"])
    save = reverse(
        "village_report_save",
        kwargs={
            "district_slug": a.district.slug,
            "village_id": a.village.pk,
            "period_id": period.pk,
        },
    )
    data = {"perdes_status": "drafting", "fund_budget": "100", "fund_spent": "50"}
    response = client.post(
        save, {**data, "kirim": "1", "tanggal_sebenarnya": "kemarin"}, follow=True
    )
    assert "Tanggal tidak valid: kemarin (format TTTT-BB-HH)." in messages_of(response)
    client.post(save, {**data, "kirim": "1", "tanggal_sebenarnya": "2025-01-20"})
    with scopes_disabled():
        report = VillageReport.objects.get(village=a.village, period=period)
        assert report.status == "submitted" and report.backfilled
        # 20 January 2025, after the due date of 15 January: late by its actual date
        assert report.is_late()
        assert report.first_submitted_at == dt.datetime(2025, 1, 20, 5, 0, tzinfo=UTC)
    client.force_login(a.users["camat"])
    response = client.post(
        reverse("report_verify", kwargs={"district_slug": a.district.slug, "report_id": report.pk}),
        {"tanggal_sebenarnya": "2025-01-22"},
        follow=True,
    )
    body = response.content.decode()
    # the history: the actual date, and when it was typed
    assert '22 Jan 2025 <span class="tag">diisi belakangan, dicatat ' in body
    assert '20 Jan 2025 <span class="tag">diisi belakangan, dicatat ' in body
    with scopes_disabled():
        report.refresh_from_db()
        assert report.decided_at == dt.datetime(2025, 1, 22, 5, 0, tzinfo=UTC)


# --- two connections at once ----------------------------------------------------------------------


def _scoped(side, role):
    from accounts.models import Membership
    from accounts.policy import access_for

    access = access_for(
        list(Membership.objects.active().filter(user=side.users[role])), side.district
    )
    return access.scope()


def _both_verified(a, period):
    with scopes_disabled():
        verified(a, a.village, period)
        verified(a, _village(a, "32.11.01.2002"), period)


@pytest.mark.django_db(transaction=True)
def test_two_forwards_at_once_make_one_recap(world, postgres):
    from django_scopes import scope

    from tests.concurrency import race

    a = world.a
    period = periods(a)[("scorecard", 1)]
    _both_verified(a, period)
    camat_scope = _scoped(a, "camat")

    def forward():
        with scope(**camat_scope):
            return recaps.forward_recap(kecamatan=a.kecamatan, period=period, by=a.users["camat"])

    first, second = race(forward, forward)
    assert isinstance(first, KecamatanRecap) and isinstance(second, ValidationError)
    assert "sudah diteruskan" in second.messages[0]
    with scopes_disabled():
        assert KecamatanRecap.objects.count() == 1 and RecapEvent.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_correction_started_while_forwarding_is_never_lost_under_the_recap(world, postgres):
    """Whichever comes first wins: a correction begun first stops the forwarding (it names the
    draft); a forwarding begun first stops the correction."""
    from django_scopes import scope

    from tests.concurrency import race

    a = world.a
    ps = periods(a)
    camat_scope, head_scope = _scoped(a, "camat"), _scoped(a, "village_head")

    def forward(period):
        def run():
            with scope(**camat_scope):
                return recaps.forward_recap(
                    kecamatan=a.kecamatan, period=period, by=a.users["camat"]
                )

        return run

    def correct(period):
        def run():
            with scope(**head_scope):
                report = VillageReport.objects.get(village=a.village, period=period)
                return reports.start_correction(report=report, by=a.users["village_head"])

        return run

    one = ps[("scorecard", 1)]
    _both_verified(a, one)
    first, second = race(correct(one), forward(one))
    assert isinstance(first, VillageReport) and first.version == 2
    assert isinstance(second, ValidationError) and "Cimungkal (draf)" in second.messages[0]

    two = ps[("scorecard", 2)]
    _both_verified(a, two)
    first, second = race(forward(two), correct(two))
    assert isinstance(first, KecamatanRecap)
    assert isinstance(second, ValidationError)
    assert second.messages == [
        "Rekap Kuartal 2 2026 Kec. Wado sedang diperiksa kabupaten: laporan desanya tidak "
        "dapat diubah sampai rekap diterima atau dikembalikan."
    ]
    with scopes_disabled():
        assert not KecamatanRecap.objects.filter(period=one).exists()
        assert VillageReport.objects.filter(period=two).count() == 2  # no correction made
