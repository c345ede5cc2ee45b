"""Demo focus villages and village reports (called by seed_demo; idempotent).

Each demo district gets an emblem (drawn here), a profile for its two demo villages (office
address, head, secretary), focus decrees for last year and this year, the report periods of
both years, and reports of its two demo villages in every state: verified, waiting for the
camat, returned with a remark, a draft, a correction (version 2), late and missing. A few
other villages of the kecamatan have sent reports too, so that the completeness view has
something to count.

Everything goes through the real workflow (village_reports.reports), replayed at the moment it would
have happened (lib.clock): a quarter's scorecard is sent a few days before its due date and
decided two days later, and nothing is dated after today. Which of this year's quarters have
reports depends on which ones have ended.
"""

import io
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import Role
from lib.clock import in_the_past, local, replaying
from villages.models import Village, VillageKind, VillageProfile
from villages.services import update_village_profile

from . import reports, scorecard
from .models import FocusDecree, FocusVillage, ReportKind, ReportPeriod, VillageReport

# The villages in each focus decree: the first demo village and ten others.
FOCUS_OTHERS = 10

# The two demo villages of each district: office address and the village secretary (invented).
VILLAGE_OFFICES = {
    "32.11": [
        ("Jalan Raya Wado–Malangbong Nomor 12, Cimungkal, Wado 45373", "Ujang Suherman"),
        ("Jalan Ganjarresik Nomor 4, Ganjarresik, Wado 45373", "Dede Kurniawan"),
    ],
    "53.02": [
        ("Jalan Gajah Mada Nomor 7, SoE 85511", "Yohanis Nenobais, S.Sos."),
        ("Jalan Cendana Nomor 21, SoE 85512", "Maria Sabu, S.E."),
    ],
}
OTHER_OFFICES = [("", "Agus Setiawan"), ("", "Siti Rohmah")]


def decree_number(district, year: int) -> str:
    """The number of the demo's focus decree for `year`: the one every page of the demo
    shows for it (the decree itself and the convergence deliverable that reports it)."""
    serial = 30 + (year % 10) * 7 + int(district.code.replace(".", "")) % 5
    return f"400.5/Kep.{serial}-Bappeda/{year}"


def decree_date(year: int) -> date:
    return date(year, 1, 20)


def seed_villages(district, users, villages, village_users):
    """`villages`: the two demo villages (the first a focus village, the second not);
    `village_users[i]` = {"head": user, "kpm": user} of villages[i]."""
    _profiles(district, villages, village_users, users[Role.DISTRICT_ADMIN])
    if VillageReport.objects.filter(district=district).exists():
        return
    now = district.local_now()
    this_year = now.year
    admin = users[Role.DISTRICT_ADMIN]
    camat = users[Role.CAMAT]
    _focus(district, villages, this_year, admin)
    for year in (this_year - 1, this_year):
        with replaying(in_the_past(local(date(year, 1, 6), 10, 0, district.tz))):
            reports.create_periods(district=district, year=year, by=admin)
    periods = {
        (p.year, p.kind, p.number): p for p in ReportPeriod.objects.filter(district=district)
    }
    focus_village, other_village = villages
    head0, kpm0 = village_users[0]["head"], village_users[0]["kpm"]
    head1 = village_users[1]["head"]
    last = this_year - 1
    files = _Files(district)

    # last year: everything verified, on time
    for number in range(1, 5):
        for village, by, seed in ((focus_village, kpm0, 1), (other_village, head1, 2)):
            period = periods[(last, ReportKind.SCORECARD, number)]
            _scorecard(village, period, by, camat, seed + number, "verified")
    for number in (1, 2):
        for village, by in ((focus_village, head0), (other_village, head1)):
            period = periods[(last, ReportKind.SEMESTER, number)]
            _semester(village, period, by, camat, "verified", files, first=village == focus_village)

    # this year, by the quarters that have ended: the focus village's last one came back
    # from the camat, the one before was verified and then corrected (version 2 waiting);
    # the other village sent its first one late, the second waits for the camat, later ones
    # are missing. The quarter in progress is a draft.
    today = now.date()
    quarters = [periods[(this_year, ReportKind.SCORECARD, n)] for n in range(1, 5)]
    ended = [p for p in quarters if p.ends_on < today]
    running = next((p for p in quarters if p.starts_on <= today <= p.ends_on), None)
    remark = (
        "Jumlah anak yang ditimbang tidak sama dengan data posyandu bulan terakhir; mohon "
        "dicek ulang bersama bidan desa."
    )
    for i, period in enumerate(ended):
        seed = 11 + period.number - 1
        if period is ended[-1]:
            _scorecard(focus_village, period, kpm0, camat, seed, "returned", remark=remark)
        elif len(ended) > 1 and period is ended[-2]:
            verified = _scorecard(focus_village, period, kpm0, camat, seed, "verified")
            _correct(verified, head0, today)
        else:
            _scorecard(focus_village, period, kpm0, camat, seed, "verified")
        if i == 0:
            _scorecard(other_village, period, head1, camat, 21, "verified", late_days=9)
        elif i == 1:
            _scorecard(other_village, period, head1, None, 22, "submitted")
    if running is not None:
        _scorecard(focus_village, running, kpm0, None, 14, "draft")
    first_half = periods[(this_year, ReportKind.SEMESTER, 1)]
    if first_half.ends_on < today:
        _semester(focus_village, first_half, head0, camat, "verified", files, first=True)
        _semester(other_village, first_half, head1, None, "draft", files, first=False)
    # a few other villages of the kecamatan sent the last ended quarter (their heads have no
    # demo login)
    if ended:
        others = list(
            Village.objects.active()
            .filter(kecamatan=focus_village.kecamatan)
            .exclude(pk__in=[v.pk for v in villages])
            .order_by("code")[:4]
        )
        for i, village in enumerate(others):
            state = ("verified", "submitted", "verified", "returned")[i]
            _scorecard(
                village, ended[-1], None, camat, 30 + i, state, remark="Lampirkan data posyandu."
            )


# --- the district's emblem ----------------------------------------------------------------------


def demo_emblem(district) -> bytes:
    """A plain shield with the district's initials, drawn for the demo (a district uploads
    its own emblem on its profile page)."""
    from PIL import Image, ImageDraw, ImageFont

    size = 240
    image = Image.new("RGBA", (size, size), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    shield = [(20, 16), (220, 16), (220, 120), (120, 228), (20, 120)]
    green, gold = (11, 110, 79, 255), (222, 176, 42, 255)
    draw.polygon(shield, fill=green, outline=gold, width=10)
    star = [(120, 42), (133, 78), (170, 78), (140, 100), (151, 136), (120, 114)]
    star += [(89, 136), (100, 100), (70, 78), (107, 78)]
    draw.polygon(star, fill=gold)
    words = [w for w in district.name.split() if w not in ("Kabupaten", "Kota")]
    initials = "".join(w[0] for w in words).upper()[:3]
    font = ImageFont.load_default(size=44)
    box = draw.textbbox((0, 0), initials, font=font)
    draw.text(((size - (box[2] - box[0])) / 2, 150), initials, font=font, fill="white")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def ensure_emblem(district) -> None:
    """Give a demo district an emblem, so that its letterheads show one; a district's own
    emblem is never replaced."""
    if district.emblem:
        return
    name = f"{district.code.replace('.', '')}.png"  # as the profile form names an upload
    district.emblem.save(name, ContentFile(demo_emblem(district)), save=True)


# --- village profiles -----------------------------------------------------------------------------


def _profiles(district, villages, village_users, admin) -> None:
    """Office address and names of the demo villages, set early in last year; a profile that
    exists (perhaps edited since) is left as it is."""
    offices = VILLAGE_OFFICES.get(district.code, OTHER_OFFICES)
    moment = in_the_past(local(date(district.local_now().year - 1, 1, 8), 9, 0, district.tz))
    for village, users, (address, secretary) in zip(villages, village_users, offices, strict=True):
        if VillageProfile.objects.filter(village=village).exists():
            continue
        with replaying(moment):
            update_village_profile(
                village=village,
                office_address=address,
                head_name=users["head"].full_name,
                secretary_name=secretary,
                by=admin,
            )


def _signers(village) -> tuple[str, str]:
    """(head, secretary) as the village's scorecard prints them: its profile's names, or for
    a village without one (those without a demo login) names of the same kind."""
    profile = VillageProfile.objects.filter(village=village).first()
    if profile and profile.head_name:
        return profile.head_name, profile.secretary_name
    names = ["Ahmad", "Budi", "Cecep", "Dadang", "Endang", "Firman", "Gugun", "Hendra"]
    n = int(village.code[-2:])
    return f"{names[n % len(names)]} Hidayat", f"{names[(n + 3) % len(names)]} Permana"


# --- focus villages -------------------------------------------------------------------------------


def _focus(district, villages, year, admin):
    """Decrees for last year and this year, signed on 20 January. The first demo village is a
    focus village in both; the second in neither. Other focus villages are spread over the
    kecamatan."""
    pool = list(
        Village.objects.active()
        .filter(district=district)
        .exclude(pk=villages[1].pk)
        .order_by("kecamatan__code", "code")
    )
    step = max(1, len(pool) // 12)
    others = [v for v in pool[::step] if v.pk != villages[0].pk]
    for offset, y in enumerate((year - 1, year)):
        signed_on = decree_date(y)
        with replaying(in_the_past(local(signed_on + timedelta(days=3), 10, 0, district.tz))):
            decree, _created = FocusDecree.objects.get_or_create(
                district=district,
                year=y,
                defaults={
                    "number": decree_number(district, y),
                    "signed_on": signed_on,
                    "updated_by": admin,
                },
            )
            chosen = [villages[0], *others[offset : offset + FOCUS_OTHERS]]
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


# --- reports --------------------------------------------------------------------------------------


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


@dataclass
class _Plan:
    """When a report is drafted, sent and decided: sent three days before the due date (or
    `late_days` after it), never before its period ends nor after today; decided two days
    later."""

    drafted: object
    sent: object
    decided: object

    @classmethod
    def of(cls, period, late_days=0):
        tz = period.district.tz
        sent_on = period.due_on + timedelta(days=late_days or -3)
        sent_on = max(sent_on, period.ends_on + timedelta(days=1))
        sent = in_the_past(local(sent_on, 9, 30, tz), margin=timedelta(hours=2))
        return cls(
            drafted=sent - timedelta(days=1, hours=1),
            sent=sent,
            decided=in_the_past(sent + timedelta(days=2), margin=timedelta(hours=1)),
        )


def _scorecard(village, period, by, camat, seed, state, *, remark="", late_days=0):
    head, secretary = _signers(village)
    data = scorecard_data(seed, head=head, secretary=secretary)
    plan = _Plan.of(period, late_days)
    with replaying(plan.drafted):
        report = reports.save_draft(village=village, period=period, posted=_post(data), by=by)
    return _through(report, plan, by, camat, state, remark=remark)


def _correct(report, by, today):
    """A verified scorecard corrected a week and a half later (version 2, waiting for the
    camat): the amount for stunting was mistyped."""
    started = in_the_past(report.decided_at + timedelta(days=10), margin=timedelta(minutes=40))
    with replaying(started):
        correction = reports.start_correction(report=report, by=by)
        data = dict(correction.data)
        data["f_stunting"] = data["f_stunting"] + 5_000_000
        correction.data = data
        correction.save(update_fields=["data"])
    with replaying(in_the_past(started + timedelta(hours=2), margin=timedelta(minutes=20))):
        reports.submit_report(report=correction, by=by, today=today)
    return correction


class _Files:
    """The demo's Perdes and rembuk-minutes PDFs."""

    def __init__(self, district):
        self.district = district

    def upload(self, report, slot, title, by):
        from convergence.demo import demo_pdf

        village, period = report.village, report.period
        body = demo_pdf(f"{title} {village.name}", f"Dokumen contoh {period.label}.")
        upload = SimpleUploadedFile(f"{slot}.pdf", body, content_type="application/pdf")
        reports.upload_file(report=report, slot=slot, upload=upload, by=by)


def perdes(village, period, *, first: bool) -> dict:
    """The village regulation on stunting as a semester report states it. A kelurahan has no
    village regulation. The first demo village has none last year and drafts one this year
    (its commitment this year is to enact it); the other enacted its own in November two
    years ago: one Perdes, with one number, in every report."""
    if village.kind == VillageKind.KELURAHAN:
        return {"perdes_status": "none"}
    this_year = period.district.local_now().year
    if first:
        return {"perdes_status": "drafting" if period.year == this_year else "none"}
    enacted = date(this_year - 2, 11, 14)
    return {
        "perdes_status": "enacted",
        "perdes_number": f"{4 + int(village.code[-2:]) % 5} Tahun {enacted.year}",
        "perdes_date": enacted.isoformat(),
    }


# those present at the first demo village's rembuk in commitments.demo: the village head and
# six of the seven others listed
VILLAGE_REMBUK_PRESENT = 7


def village_rembuk_day(district) -> date:
    """The day of this year's rembuk stunting of the first demo village (commitments.demo
    holds it): the semester report that covers that day reports it."""
    return district.local_now().date() - timedelta(days=12)


def _semester(village, period, by, camat, state, files, *, first: bool):
    """A semester report: the Perdes (`perdes`), the village fund, and the village rembuk
    when one was held in the semester: last year's in September; this year's is the first
    demo village's session of commitments.demo, in the semester it falls in."""
    district = period.district
    posted = {
        **perdes(village, period, first=first),
        "fund_budget": "85000000",
        "fund_spent": str(38_500_000 + period.number * 21_000_000),
    }
    if period.year < district.local_now().year:
        rembuk = (date(period.year, 9, 12), 38)
    else:
        rembuk = (village_rembuk_day(district), VILLAGE_REMBUK_PRESENT) if first else None
    if rembuk and period.starts_on <= rembuk[0] <= period.ends_on:
        posted |= {"rembuk_date": rembuk[0].isoformat(), "rembuk_participants": rembuk[1]}
    plan = _Plan.of(period)
    with replaying(plan.drafted):
        report = reports.save_draft(village=village, period=period, posted=_post(posted), by=by)
        if state != "draft":
            if posted["perdes_status"] == "enacted":
                files.upload(report, "perdes", "Peraturan Desa", by)
            if "rembuk_date" in posted:
                files.upload(report, "minutes", "Berita Acara Rembuk", by)
    return _through(report, plan, by, camat, state)


def _through(report, plan, by, camat, state, *, remark=""):
    """Take a draft to `state` with the real workflow, each step at its planned moment."""
    if state == "draft":
        return report
    with replaying(plan.sent):
        report = reports.submit_report(report=report, by=by, today=plan.sent.date())
    if state in ("verified", "returned"):
        with replaying(plan.decided):
            if state == "verified":
                report = reports.verify_report(report=report, by=camat)
            else:
                report = reports.return_report(report=report, remark=remark, by=camat)
    return report
