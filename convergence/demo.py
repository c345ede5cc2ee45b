"""Demo convergence data for one district, made through the real services so that history,
audit log and evidence files are genuine:

- the previous year closed: every deliverable verified with evidence, graded by the district
  (self-assessment) and by the province, then locked;
- the current year in progress: deliverables in every state, some drafts overdue, due dates
  set relative to today (in the district's time zone) so the board looks the same any day.

Idempotent: a current year that exists is left alone; a previous year is completed from
whatever state it is in (so last year's demo year is closed when the calendar turns).

Each step is replayed at the moment it would have happened (lib.clock): a deliverable is
prepared and sent some days before its due date and verified (or returned) a few days later,
the previous year is graded and locked in January, the province grades it in February;
nothing is dated after today. The focus-village deliverable reports the focus decree of its
year (village_reports.demo seeds it first): one decree number, date and count everywhere.
"""

import functools
import logging
from datetime import date, timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Count
from django.utils.html import escape
from django.utils.text import slugify

from accounts.models import Membership, Role
from lib.clock import in_the_past, local, real_now, replaying
from village_reports.models import FocusDecree

from . import services
from .models import (
    Deliverable,
    DeliverableTemplate,
    DistrictYear,
    Grade,
    Indicator,
    KecamatanEntry,
    Status,
)

# The current year, deliverable by deliverable in board order (action, then deliverable
# number): the state it is left in and its due date in days from today. Frameworks with more
# deliverables reuse the plan from the start.
DRAFT, DRAFT_STARTED, SUBMITTED, RETURNED, VERIFIED = (
    "draft",
    "draft_started",
    "submitted",
    "returned",
    "verified",
)
CURRENT_PLAN = [
    (VERIFIED, -60),
    (VERIFIED, -45),
    (SUBMITTED, -10),
    (VERIFIED, -30),
    (RETURNED, -14),
    (SUBMITTED, -2),
    (VERIFIED, -40),
    (RETURNED, -20),
    (DRAFT_STARTED, -5),  # overdue, evidence uploaded but not sent
    (SUBMITTED, -7),
    (DRAFT, 35),
    (DRAFT_STARTED, 21),
    (DRAFT, -12),  # overdue, nothing done yet
    (DRAFT_STARTED, -3),  # overdue, data half filled
    (DRAFT, 6),
    (DRAFT, 1),
]

# Grades as positions in an indicator's options (0 = the best), per indicator in order.
# Province grades are the self grades moved by DELTA: mostly stricter, once more generous.
SELF_GRADES = [0, 0, 1, 0, 0, 1, 0, 1, 0, 0, 1, 0, 0, 0, 1, 0]
PROVINCE_DELTA = [0, 1, 0, 0, 1, -1, 0, 0, 1, 1, 0, 0, 1, 0, 0, 1]
# A weaker district grades itself lower across the board.
SELF_OFFSET = {"53.02": 1}
# Share of measured toddlers found stunted, by district (invented but plausible).
STUNTING_RATE = {"32.11": 0.088, "53.02": 0.312}

RETURN_REASONS = {
    DeliverableTemplate.Kind.DOCUMENT: (
        "Dokumen belum ditandatangani dan belum dibubuhi cap; unggah ulang versi final."
    ),
    DeliverableTemplate.Kind.DATA: (
        "Angka belum sesuai dengan rekapitulasi dari kecamatan; mohon diperiksa kembali."
    ),
}


def seed_convergence(district, users: dict) -> None:
    """`users`: "district_admin", "opd_staff" (of DINKES) and "province_viewer" (of the
    district's province). Runs with scopes disabled (the seed_demo command)."""
    today = district.local_now().date()
    _previous_year(district, users, today.year - 1, today)
    _current_year(district, users, today)


# --- helpers --------------------------------------------------------------------------------


@functools.cache
def _weasyprint():
    """WeasyPrint with one fetcher that fetches nothing and one font set, quiet: building
    these for every file is most of the time a demo PDF takes."""
    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
    import weasyprint  # slow to import; only the demo needs it here
    from weasyprint.text.fonts import FontConfiguration

    return weasyprint, weasyprint.URLFetcher(allowed_protocols=()), FontConfiguration()


def demo_pdf(title: str, line: str) -> bytes:
    """A small real PDF saying it is demo data."""
    weasyprint, fetcher, fonts = _weasyprint()
    html = (
        "<html><body style='font-family: sans-serif'>"
        f"<h1 style='font-size: 16pt'>Dokumen contoh: {escape(title)}</h1>"
        f"<p>{escape(line)}</p>"
        "<p>Berkas ini dibuat otomatis sebagai data contoh portal Konvergensi.</p>"
        "</body></html>"
    )
    return weasyprint.HTML(string=html, url_fetcher=fetcher).write_pdf(font_config=fonts)


def _pdf(deliverable, district) -> SimpleUploadedFile:
    title = deliverable.template.title
    action = deliverable.year_action.action
    year = deliverable.year_action.district_year.year
    data = demo_pdf(f"{title} — {district.name}", f"{action.code}. {action.title} — tahun {year}")
    name = f"{slugify(title)[:80] or 'bukti'}.pdf"
    return SimpleUploadedFile(name, data, content_type="application/pdf")


def _clamp(day: date, year: int) -> date:
    return min(max(day, date(year, 1, 1)), date(year, 12, 31))


def _due(today: date, days: int) -> date:
    """`days` from today inside the year; an overdue date stays before today if it can."""
    day = _clamp(today + timedelta(days=days), today.year)
    if days < 0 and day >= today:
        day = today + timedelta(days=days)
    return day


def _values(deliverable, district, today: date, *, partial=False) -> dict[str, str]:
    """Plausible values for a data deliverable's fields (only the first one when partial),
    as known on `today`, the day they are entered: no date after it."""
    year = deliverable.year_action.district_year.year
    kecamatan = district.kecamatan.active().count() or 1
    targets = kecamatan * 2_950
    measured = round(targets * 0.93)
    this_year = real_now().astimezone(district.tz).year
    rate = STUNTING_RATE.get(district.code, 0.2) + (0.015 if year < this_year else 0)
    if "agustus" in deliverable.template.title.lower():
        measured = round(targets * 0.96)

    def on(month, day):
        return min(date(year, month, day), today).isoformat()

    decree = (
        FocusDecree.objects.filter(district=district, year=year)
        .annotate(villages=Count("entries"))
        .first()
    )
    known = {
        "jumlah_kecamatan": kecamatan,
        "jumlah_kecamatan_terverifikasi": kecamatan,
        "jumlah_desa_lokus": decree.villages if decree else 0,
        "nomor_sk": decree.number if decree else "",
        "tanggal_sk": decree.signed_on.isoformat() if decree and decree.signed_on else "",
        "jumlah_perangkat_daerah": 14,
        "jumlah_subkegiatan_ditandai": 63,
        "total_anggaran_ditandai": "48750000000",
        "jumlah_balita_sasaran": targets,
        "jumlah_balita_diukur": measured,
        "jumlah_balita_stunting": round(measured * rate),
        "jumlah_desa_melapor": kecamatan * 9,
        "jumlah_regulasi": 4,
        "nomor_regulasi_terbaru": f"Peraturan Bupati Nomor 17 Tahun {year}",
        "tanggal_regulasi_terbaru": on(3, 3),
        "jumlah_publikasi": 12,
        "tautan_publikasi": f"https://{district.slug}.go.id/berita/aksi-konvergensi-{year}",
        "tanggal_publikasi_terakhir": on(10, 28),
    }
    by_type = {
        "integer": 10,
        "decimal": "12.5",
        "rupiah": 1_250_000_000,
        "text": "Contoh isian",
        "date": on(6, 30),
    }
    fields = deliverable.template.fields[:1] if partial else deliverable.template.fields
    return {f["key"]: str(known.get(f["key"], by_type.get(f["type"], ""))) for f in fields}


def _deliverables(district_year):
    return list(
        Deliverable.objects.filter(year_action__district_year=district_year)
        .select_related(
            "template",
            "year_action__action",
            "year_action__lead_agency",
            "year_action__district_year",
        )
        .order_by("year_action__action__number", "template__number")
    )


def _worker(deliverable, users):
    """Who fills a deliverable in: the DINKES staff on DINKES-led actions, else the Bappeda
    staff; the secretariat (the district admin) verifies, as another person than the sender."""
    agency = deliverable.year_action.lead_agency
    return users["opd_staff"] if agency and agency.short_name == "DINKES" else _bappeda(users)


def _bappeda(users):
    return users.get("bappeda_staff") or users["district_admin"]


def _set_up(district_year, users, due_dates: dict):
    for year_action in district_year.actions.select_related("lead_agency", "action"):
        agency = year_action.lead_agency
        person = users["opd_staff"] if agency and agency.short_name == "DINKES" else None
        services.set_up_action(
            year_action=year_action,
            lead_agency=agency,
            responsible=[person or _bappeda(users)],
            due_dates=due_dates,
            by=users["district_admin"],
        )


def _prepare(deliverable, district, today, by, *, partial=False):
    """Fill a draft in: evidence for a document, values for data."""
    if deliverable.template.kind == DeliverableTemplate.Kind.DATA:
        services.save_data(
            deliverable=deliverable,
            values=_values(deliverable, district, today, partial=partial),
            note="" if partial else "Sumber: rekapitulasi perangkat daerah dan kecamatan.",
            by=by,
        )
    elif not deliverable.evidence.exists():
        services.upload_evidence(deliverable=deliverable, upload=_pdf(deliverable, district), by=by)


def _kecamatan_stage(deliverable, admin):
    """Every kecamatan's part of a deliverable with a kecamatan stage entered and verified by
    its camat (the admin where the demo gave the kecamatan no camat account), so that the
    district can verify the deliverable."""
    if not deliverable.template.kecamatan_stage:
        return
    services.ensure_kecamatan_entries(deliverable.year_action.district_year)
    camat = {
        m.kecamatan_id: m.user
        for m in Membership.objects.active()
        .filter(district=deliverable.district, role=Role.CAMAT)
        .select_related("user")
    }
    entries = KecamatanEntry.objects.filter(
        deliverable=deliverable,
        status__in=(KecamatanEntry.Status.DRAFT, KecamatanEntry.Status.RETURNED),
    ).select_related(
        "kecamatan", "deliverable__template", "deliverable__year_action__district_year"
    )
    for entry in entries:
        by = camat.get(entry.kecamatan_id, admin)
        entry = services.fill_kecamatan_entry(
            entry=entry, note="Data sasaran dan cakupan layanan kecamatan (e-PPGBM).", by=by
        )
        services.verify_kecamatan_entry(
            entry=entry, by=by, on_behalf=entry.kecamatan_id not in camat
        )


# --- the previous year: closed and scored ---------------------------------------------------


def _at(day: date, hour: int, minute: int, district, *, margin=timedelta(minutes=10)):
    """hh:mm on `day` in the district, or a little before now if that lies ahead."""
    return in_the_past(local(day, hour, minute, district.tz), margin=margin)


def _previous_year(district, users, year, today):
    """Opened in the first week of the year; every deliverable prepared and sent the week
    before its due date and verified two days before it (one sent back once on the way);
    self-assessed and locked in January of this year, graded by the province in February."""
    admin = users["district_admin"]
    district_year = DistrictYear.objects.filter(district=district, year=year).first()
    fresh = district_year is None
    if fresh:
        with replaying(_at(date(year, 1, 6), 9, 0, district)):
            district_year = services.open_year(district=district, year=year, by=admin)
            _set_up(district_year, users, {})
    if not district_year.is_locked:
        deliverables = _deliverables(district_year)
        for index, deliverable in enumerate(deliverables):
            worker = _worker(deliverable, users)
            due = deliverable.due_date
            if deliverable.status in (Status.DRAFT, Status.RETURNED):
                with replaying(_at(due - timedelta(days=6), 10, 0, district)):
                    if not deliverable.evidence.exists():  # data deliverables get a source file
                        services.upload_evidence(
                            deliverable=deliverable, upload=_pdf(deliverable, district), by=worker
                        )
                    if deliverable.template.kind == DeliverableTemplate.Kind.DATA:
                        _prepare(deliverable, district, due - timedelta(days=6), worker)
                with replaying(_at(due - timedelta(days=5), 10, 30, district)):
                    deliverable = services.submit_deliverable(deliverable=deliverable, by=worker)
                if fresh and index == 1:  # one round trip in the history
                    with replaying(_at(due - timedelta(days=4), 14, 0, district)):
                        deliverable = services.return_deliverable(
                            deliverable=deliverable,
                            reason=RETURN_REASONS[deliverable.template.kind],
                            by=admin,
                        )
                    with replaying(_at(due - timedelta(days=3), 11, 0, district)):
                        deliverable = services.submit_deliverable(
                            deliverable=deliverable, by=worker
                        )
            if deliverable.status == Status.SUBMITTED:
                with replaying(_at(due - timedelta(days=2), 14, 0, district)):
                    _kecamatan_stage(deliverable, admin)
                    services.verify_deliverable(deliverable=deliverable, by=admin)
        with replaying(_at(date(year + 1, 1, 14), 10, 0, district, margin=timedelta(hours=3))):
            _grade(district_year, district, Grade.Source.SELF, admin)
        with replaying(_at(date(year + 1, 1, 20), 15, 0, district, margin=timedelta(hours=2))):
            services.lock_year(district_year=district_year, by=admin)
    if district_year.province_closed_at is None:
        with replaying(_at(date(year + 1, 2, 10), 10, 0, district, margin=timedelta(hours=1))):
            _grade(district_year, district, Grade.Source.PROVINCE, users["province_viewer"])
            services.close_province_grading(
                district_year=district_year, by=users["province_viewer"]
            )


def _grade(district_year, district, source, by):
    done = set(
        Grade.objects.filter(district_year=district_year, source=source).values_list(
            "indicator_id", flat=True
        )
    )
    indicators = (
        Indicator.objects.filter(action__framework_id=district_year.framework_id)
        .select_related("action")
        .prefetch_related("options")
        .order_by("action__number", "number")
    )
    year_actions = {ya.action_id: ya for ya in district_year.actions.all()}
    offset = SELF_OFFSET.get(district.code, 0)
    for index, indicator in enumerate(indicators):
        if indicator.pk in done:
            continue
        options = list(indicator.options.all())
        if not options:
            continue
        own = min(SELF_GRADES[index % len(SELF_GRADES)] + offset, len(options) - 1)
        if source == Grade.Source.SELF:
            position = own
            year_action = year_actions.get(indicator.action_id)
            evidence = (
                [e for d in year_action.deliverables.all() for e in d.evidence.all()]
                if year_action
                else []
            )
            justification = (
                f"Seluruh keluaran {indicator.action.code} terverifikasi Bappeda; "
                f"bukti pelaksanaan terlampir ({len(evidence)} berkas)."
            )
        else:
            evidence = []
            position = own + PROVINCE_DELTA[index % len(PROVINCE_DELTA)]
            position = max(0, min(position, len(options) - 1))
            justification = (
                "Sesuai dengan penilaian mandiri."
                if position == own
                else "Bukti belum menunjukkan pelaksanaan di seluruh desa lokus."
                if position > own
                else "Pelaksanaan melampaui kriteria; nilai dinaikkan."
            )
        services.grade_indicator(
            district_year=district_year,
            indicator=indicator,
            option=options[position],
            source=source,
            justification=justification,
            evidence=evidence,
            by=by,
        )


# --- the current year: in progress ----------------------------------------------------------

# per state: days before the due date that the deliverable was prepared, sent, and decided
# (verified or returned; None: not yet)
TIMING = {
    VERIFIED: (6, 5, 3),
    SUBMITTED: (4, 3, None),
    RETURNED: (6, 5, 2),
    DRAFT_STARTED: (4, None, None),
}


def _current_year(district, users, today):
    year = today.year
    if DistrictYear.objects.filter(district=district, year=year).exists():
        return  # the demo's (or someone's) year in progress: left as it is
    admin = users["district_admin"]
    with replaying(_at(date(year, 1, 5), 9, 0, district)):
        district_year = services.open_year(district=district, year=year, by=admin)
    deliverables = _deliverables(district_year)
    plan = [CURRENT_PLAN[i % len(CURRENT_PLAN)] for i in range(len(deliverables))]
    due = {d.pk: _due(today, days) for d, (_state, days) in zip(deliverables, plan, strict=True)}
    with replaying(_at(date(year, 1, 5), 9, 30, district)):
        _set_up(district_year, users, due)
    by_state = {}
    decided_at = {}
    for deliverable, (state, _days) in zip(deliverables, plan, strict=True):
        by_state.setdefault(state, []).append(deliverable)
        if state == DRAFT:
            continue
        worker = _worker(deliverable, users)
        prepared, sent, decided = TIMING[state]
        day = due[deliverable.pk]
        # a deliverable due later is being worked on now
        prepared_on = min(day - timedelta(days=prepared), today - timedelta(days=2))
        with replaying(_at(prepared_on, 10, 0, district)):
            _prepare(deliverable, district, prepared_on, worker, partial=state == DRAFT_STARTED)
        if sent is None:
            continue
        with replaying(_at(day - timedelta(days=sent), 10, 30, district)):
            deliverable = services.submit_deliverable(deliverable=deliverable, by=worker)
        if decided is None:
            decided_at[deliverable.pk] = day - timedelta(days=sent)
            continue
        decided_at[deliverable.pk] = day - timedelta(days=decided)
        with replaying(_at(decided_at[deliverable.pk], 14, 0, district)):
            if state == VERIFIED:
                _kecamatan_stage(deliverable, admin)
                services.verify_deliverable(deliverable=deliverable, by=admin)
            else:
                services.return_deliverable(
                    deliverable=deliverable,
                    reason=RETURN_REASONS[deliverable.template.kind],
                    by=admin,
                )
    overdue = [d for d in by_state.get(DRAFT, []) if due[d.pk] < today]
    comments = [
        (by_state.get(SUBMITTED, [])[:1], admin, "Sudah kami terima; sedang diperiksa tim TPPS."),
        (
            by_state.get(RETURNED, [])[-1:],
            None,
            "Baik, sedang kami perbaiki dan akan kami kirim ulang minggu ini.",
        ),
        (
            overdue[:1],
            admin,
            "Tenggatnya sudah lewat; mohon segera diunggah atau kabari kendalanya.",
        ),
    ]
    for chosen, author, text in comments:
        for deliverable in chosen:
            # the day after what it answers: the sending, the return, or the missed due date
            after = decided_at.get(deliverable.pk, due[deliverable.pk])
            with replaying(_at(after + timedelta(days=1), 9, 0, district)):
                services.add_comment(
                    deliverable=deliverable, text=text, by=author or _worker(deliverable, users)
                )
