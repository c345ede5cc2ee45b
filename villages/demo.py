"""Demo focus villages and village reports (called by seed_demo; idempotent).

Each demo district gets focus decrees for last year and this year, the report periods of both
years, and reports of its two demo villages in every state: verified, waiting for the camat,
returned with a remark, a draft, a correction (version 2), late and missing. A few other
villages of the kecamatan have sent reports too, so that the completeness view has something
to count. Reports go through the real workflow (villages.reports) and are then given plausible
dates."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import Role

from . import reports, scorecard
from .models import (
    FocusDecree,
    FocusVillage,
    ReportEvent,
    ReportKind,
    ReportPeriod,
    Village,
    VillageReport,
)


def seed_villages(district, users, villages, village_users):
    """`villages`: the two demo villages (the first a focus village, the second not);
    `village_users[i]` = {"head": user, "kpm": user} of villages[i]."""
    if VillageReport.objects.filter(district=district).exists():
        return
    this_year = district.local_now().year
    admin = users[Role.DISTRICT_ADMIN]
    camat = users[Role.CAMAT]
    _focus(district, villages, this_year, admin)
    for year in (this_year - 1, this_year):
        reports.create_periods(district=district, year=year, by=admin)
    periods = {
        (p.year, p.kind, p.number): p for p in ReportPeriod.objects.filter(district=district)
    }
    focus_village, other_village = villages
    head0, kpm0 = village_users[0]["head"], village_users[0]["kpm"]
    head1 = village_users[1]["head"]
    last = this_year - 1

    # last year: everything verified, on time
    for number in range(1, 5):
        for village, by, seed in ((focus_village, kpm0, 1), (other_village, head1, 2)):
            _scorecard(
                village,
                periods[(last, ReportKind.SCORECARD, number)],
                by,
                camat,
                seed + number,
                "verified",
            )
    for number in (1, 2):
        for village, by in ((focus_village, head0), (other_village, head1)):
            _semester(village, periods[(last, ReportKind.SEMESTER, number)], by, camat, "verified")

    sc = lambda n: periods[(this_year, ReportKind.SCORECARD, n)]  # noqa: E731
    sem = lambda n: periods[(this_year, ReportKind.SEMESTER, n)]  # noqa: E731
    # the focus village: Q1 verified, Q2 verified then corrected (v2 waiting), Q3 returned,
    # Q4 a draft; semester 1 verified
    _scorecard(focus_village, sc(1), kpm0, camat, 11, "verified")
    q2 = _scorecard(focus_village, sc(2), kpm0, camat, 12, "verified")
    correction = reports.start_correction(report=q2, by=head0)
    data = dict(correction.data)
    data["f_stunting"] = data["f_stunting"] + 5_000_000
    correction.data = data
    correction.save(update_fields=["data"])
    reports.submit_report(report=correction, by=head0, today=district.local_now().date())
    _scorecard(
        focus_village,
        sc(3),
        kpm0,
        camat,
        13,
        "returned",
        remark="Jumlah anak yang ditimbang tidak sama dengan data posyandu bulan September; "
        "mohon dicek ulang bersama bidan desa.",
    )
    _scorecard(focus_village, sc(4), kpm0, None, 14, "draft")
    _semester(focus_village, sem(1), head0, camat, "verified")
    # the other village: Q1 verified but late, Q2 waiting for the camat, Q3 missing,
    # semester 1 a draft
    _scorecard(other_village, sc(1), head1, camat, 21, "verified", late_days=9)
    _scorecard(other_village, sc(2), head1, None, 22, "submitted")
    _semester(other_village, sem(1), head1, None, "draft")
    # a few other villages of the kecamatan (filed by their own heads, who have no demo login)
    others = list(
        Village.objects.active()
        .filter(kecamatan=focus_village.kecamatan)
        .exclude(pk__in=[v.pk for v in villages])
        .order_by("code")[:4]
    )
    for i, village in enumerate(others):
        state = ("verified", "submitted", "verified", "returned")[i]
        _scorecard(village, sc(3), None, camat, 30 + i, state, remark="Lampirkan data posyandu.")


def _focus(district, villages, year, admin):
    """Decrees for last year and this year. The first demo village is a focus village in
    both; the second in neither. Other focus villages are spread over the kecamatan."""
    pool = list(
        Village.objects.active()
        .filter(district=district)
        .exclude(pk=villages[1].pk)
        .order_by("kecamatan__code", "code")
    )
    step = max(1, len(pool) // 12)
    others = [v for v in pool[::step] if v.pk != villages[0].pk]
    for offset, y in enumerate((year - 1, year)):
        decree, _created = FocusDecree.objects.get_or_create(
            district=district,
            year=y,
            defaults={
                "number": f"400.5/Kep.{37 + offset * 11}-Bappeda/{y}",
                "signed_on": date(y, 1, 20 + offset),
                "updated_by": admin,
            },
        )
        chosen = [villages[0], *others[offset : offset + 10]]
        for i, village in enumerate(chosen):
            FocusVillage.objects.get_or_create(
                decree=decree,
                village=village,
                defaults={
                    "district": district,
                    "prevalence": Decimal("18.40") + Decimal(i * 7 % 13) - offset,
                    "prevalence_source": f"e-PPGBM Agustus {y - 1}",
                    "stunted_children": 14 + (i * 5) % 23,
                    "figures": {"keluarga miskin (%)": str(11 + i % 9)},
                },
            )


def scorecard_data(seed: int, *, head="", secretary="") -> dict:
    """A complete, consistent scorecard: every indicator's yes + no + n/a equals its target,
    and home visits apply only to the at-risk."""
    pregnant, risk = 7 + seed % 5, 1 + seed % 3
    children, poor = 15 + seed % 9, 2 + seed % 4
    paud = 22 + seed % 11
    green = children - poor - 1
    data = {
        "t_households": pregnant + children + 2,
        "t_pregnant": pregnant,
        "t_pregnant_risk": risk,
        "t_children": children,
        "t_children_poor": poor,
        "t_children_2_6": paud,
        "g_green": green,
        "g_yellow": 1,
        "g_red": poor,
        "f_development": 420_000_000 + seed * 3_000_000,
        "f_empowerment": 110_000_000,
        "f_stunting": 60_000_000 + seed * 1_500_000,
        "sign_head": head,
        "sign_secretary": secretary,
    }
    for group in scorecard.GROUPS:
        target = data[group.target]
        for k, indicator in enumerate(group.indicators):
            if indicator.key == "visit":
                at_risk = risk if group.key == "pregnant" else poor
                na, yes = target - at_risk, max(0, at_risk - 1)
            else:
                na, yes = 0, max(0, target - (seed + k) % 4)
            data[scorecard.answer_key(group, indicator, "yes")] = yes
            data[scorecard.answer_key(group, indicator, "na")] = na
            data[scorecard.answer_key(group, indicator, "no")] = target - yes - na
    return data


def _post(data: dict) -> dict:
    return {key: str(value) for key, value in data.items()}


def _scorecard(village, period, by, camat, seed, state, *, remark="", late_days=0):
    if village.is_kelurahan:
        head, secretary = f"Lurah {village.name}", f"Sekretaris Kelurahan {village.name}"
    else:
        head, secretary = f"Kepala Desa {village.name}", f"Sekretaris Desa {village.name}"
    data = scorecard_data(seed, head=head, secretary=secretary)
    report = reports.save_draft(village=village, period=period, posted=_post(data), by=by)
    return _through(report, period, by, camat, state, remark=remark, late_days=late_days)


def _semester(village, period, by, camat, state):
    signed = date(period.year - 1, 11, 14)
    posted = {
        "perdes_status": "enacted",
        "perdes_number": f"7 Tahun {signed.year}",
        "perdes_date": signed.isoformat(),
        "fund_budget": "85000000",
        "fund_spent": str(38_500_000 + period.number * 21_000_000),
        "rembuk_date": date(period.year, 3 if period.number == 1 else 9, 12).isoformat(),
        "rembuk_participants": "42",
    }
    report = reports.save_draft(village=village, period=period, posted=posted, by=by)
    if state != "draft":
        from convergence.demo import demo_pdf

        decision = "Keputusan Lurah" if village.is_kelurahan else "Peraturan Desa"
        for slot, title in (("perdes", decision), ("minutes", "Berita Acara Rembuk")):
            body = demo_pdf(f"{title} {village.name}", f"Dokumen contoh {period.label}.")
            upload = SimpleUploadedFile(f"{slot}.pdf", body, content_type="application/pdf")
            reports.upload_file(report=report, slot=slot, upload=upload, by=by)
    return _through(report, period, by, camat, state)


def _through(report, period, by, camat, state, *, remark="", late_days=0):
    """Take a draft to `state` with the real workflow, then date it plausibly: sent a few
    days before the due date (or `late_days` after), decided two days later."""
    if state == "draft":
        return report
    today = period.district.local_now().date()
    reports.submit_report(report=report, by=by, today=today)
    if state == "verified":
        reports.verify_report(report=report, by=camat)
    elif state == "returned":
        reports.return_report(report=report, remark=remark, by=camat)
    sent_on = period.due_on + timedelta(days=late_days or -3)
    sent = datetime.combine(min(sent_on, today), time(9, 30), tzinfo=period.district.tz)
    decided = min(sent + timedelta(days=2), period.district.local_now())
    VillageReport.objects.filter(pk=report.pk).update(
        first_submitted_at=sent,
        submitted_at=sent,
        decided_at=decided if state in ("verified", "returned") else None,
    )
    events = list(ReportEvent.objects.filter(report=report).order_by("at", "pk"))
    for event in events:
        event.at = sent if event.to_status == "submitted" else decided
        event.save(update_fields=["at"])
    report.refresh_from_db()
    return report
