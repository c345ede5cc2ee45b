"""The village reporting chain: periods set by the district, reports filed by the village head
or the KPM, verified or returned by the camat, seen by the district.

Views, tasks and the demo call these; each owns its transaction and records what it did in the
audit log. Who may see which village is decided here (`village_for`, `visible`), so that a
village head can only ever reach his own village and a camat his own kecamatan.
"""

import calendar
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.functional import cached_property
from django.utils.translation import gettext as _

from accounts.audit import record
from accounts.models import Membership, Role
from accounts.policy import VILLAGE_ROLES, may_see_village, require
from accounts.tenancy import across_districts, district_scope, each_district
from documents import transitions
from documents.files import store_upload
from lib import generations
from lib.stale import check_fresh
from lib.text import clean_one
from villages.models import District, Kecamatan, Village

from . import scorecard, summaries
from .models import (
    KecamatanRecap,
    RecapStatus,
    ReportEvent,
    ReportFile,
    ReportKind,
    ReportPeriod,
    ReportSettings,
    ReportStatus,
    VillageReminder,
    VillageReport,
)

Status = ReportStatus
# --- Periods ----------------------------------------------------------------------------------


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def settings_for(district: District) -> ReportSettings:
    """The district's period settings, or the defaults (unsaved) when it has none."""
    found = ReportSettings.objects.filter(district=district).first()
    return found or ReportSettings(district=district)


def default_periods(year: int, settings: ReportSettings | None = None) -> list[dict]:
    """Quarters for the scorecard and semesters for the village report, due the district's
    number of days after each ends (by default the 10th after the quarter, 15 July and
    15 January of the next year); each can be sent from the last days of its period (by
    default the last ten)."""
    settings = settings or ReportSettings()
    opens_before = timedelta(days=settings.sending_days - 1)
    periods = []
    for q in range(1, 5):
        ends = _month_end(year, q * 3)
        periods.append(
            {
                "kind": ReportKind.SCORECARD,
                "number": q,
                "starts_on": date(year, q * 3 - 2, 1),
                "ends_on": ends,
                "opens_on": ends - opens_before,
                "due_on": ends + timedelta(days=settings.scorecard_due_days),
            }
        )
    for s in (1, 2):
        ends = _month_end(year, s * 6)
        periods.append(
            {
                "kind": ReportKind.SEMESTER,
                "number": s,
                "starts_on": date(year, s * 6 - 5, 1),
                "ends_on": ends,
                "opens_on": ends - opens_before,
                "due_on": ends + timedelta(days=settings.semester_due_days),
            }
        )
    return periods


@transaction.atomic
def create_periods(*, district: District, year: int, by) -> int:
    """The year's periods from the district's settings; existing ones are kept as they are.
    Returns how many were made."""
    made = 0
    for spec in default_periods(year, settings_for(district)):
        _period, created = ReportPeriod.objects.get_or_create(
            district=district,
            year=year,
            kind=spec["kind"],
            number=spec["number"],
            defaults={k: spec[k] for k in ("starts_on", "ends_on", "opens_on", "due_on")},
        )
        made += created
    if made:
        record("report_periods_created", actor=by, district=district, target=str(year), count=made)
    return made


# limits of the settings: a due date at most a quarter after the period, sending open for at
# least the period's last day and at most its last month
DUE_DAYS_MAX = 90
SENDING_DAYS_MAX = 31


@transaction.atomic
def save_report_settings(
    *,
    district: District,
    scorecard_due_days: int,
    semester_due_days: int,
    sending_days: int,
    auto_create: bool,
    by,
) -> ReportSettings:
    """The district's period settings; they shape the periods created from now on (existing
    periods keep their dates, which the district changes one by one)."""
    for value in (scorecard_due_days, semester_due_days):
        if not 0 <= value <= DUE_DAYS_MAX:
            raise ValidationError(
                _("Batas kirim harus 0 sampai %(max)s hari setelah periode berakhir.")
                % {"max": DUE_DAYS_MAX}
            )
    if not 1 <= sending_days <= SENDING_DAYS_MAX:
        raise ValidationError(
            _("Pengiriman dibuka 1 sampai %(max)s hari terakhir periode.")
            % {"max": SENDING_DAYS_MAX}
        )
    settings, _created = ReportSettings.objects.select_for_update().get_or_create(district=district)
    settings.scorecard_due_days = scorecard_due_days
    settings.semester_due_days = semester_due_days
    settings.sending_days = sending_days
    settings.auto_create = auto_create
    settings.updated_by = by
    settings.save()
    record(
        "report_settings_changed",
        actor=by,
        district=district,
        scorecard_due_days=scorecard_due_days,
        semester_due_days=semester_due_days,
        sending_days=sending_days,
        auto_create=auto_create,
    )
    return settings


def create_periods_automatically(*, now=None) -> int:
    """Daily (beat): each district that uses village reports (it has periods or saved settings)
    and has not turned this off gets the periods of its current year, in its own time zone, as
    soon as that year begins. Safe to rerun: existing periods are kept. Returns how many were
    made. Which districts have work is the one query across districts (two: periods and
    settings), as for the reminders."""
    now = now or timezone.now()
    using = {district_id for (district_id,) in across_districts(ReportPeriod)}
    chosen = dict(across_districts(ReportSettings, "auto_create"))
    years = {}
    for district_id, year in across_districts(ReportPeriod, "year", year__gte=now.year - 1):
        years.setdefault(district_id, set()).add(year)
    wanted = {d for d in using | set(chosen) if chosen.get(d, True)}
    made = 0
    for district in District.objects.filter(pk__in=wanted).order_by("code"):
        year = now.astimezone(district.tz).year
        if year in years.get(district.pk, set()):
            continue
        with district_scope(district):
            made += create_periods(district=district, year=year, by=None)
    return made


@transaction.atomic
def set_due_dates(
    *, district: District, due: dict[int, date], by, opens: dict[int, date] | None = None
) -> int:
    """New due dates (and sending dates, `opens`) by period id. A due date before the period
    starts, or sending that opens before the period starts or after its due date, is refused;
    then nothing changes."""
    opens = opens or {}
    periods = {
        p.pk: p
        for p in ReportPeriod.objects.filter(district=district, pk__in=set(due) | set(opens))
    }
    changed = 0
    for pk in set(due) | set(opens):
        period = periods.get(pk)
        if period is None:
            raise ValidationError(_("Periode tidak dikenal."))
        due_on, opens_on = due.get(pk, period.due_on), opens.get(pk, period.opens_on)
        if due_on < period.starts_on:
            raise ValidationError(
                _("%(period)s: batas kirim tidak boleh sebelum periode dimulai (%(start)s).")
                % {"period": period.label, "start": period.starts_on.strftime("%d-%m-%Y")}
            )
        if not period.starts_on <= opens_on <= due_on:
            raise ValidationError(
                _(
                    "%(period)s: pengiriman harus dibuka antara awal periode (%(start)s) dan "
                    "batas kirim (%(due)s)."
                )
                % {
                    "period": period.label,
                    "start": period.starts_on.strftime("%d-%m-%Y"),
                    "due": due_on.strftime("%d-%m-%Y"),
                }
            )
        if (period.due_on, period.opens_on) != (due_on, opens_on):
            record(
                "report_period_due_changed",
                actor=by,
                district=district,
                target=period.label,
                old=period.due_on.isoformat(),
                new=due_on.isoformat(),
                opens_old=period.opens_on.isoformat(),
                opens_new=opens_on.isoformat(),
            )
            period.due_on, period.opens_on = due_on, opens_on
            period.save(update_fields=["due_on", "opens_on"])
            changed += 1
    return changed


# --- Who sees which village -------------------------------------------------------------------


def village_for(access, district: District, village_id: int) -> Village:
    """The village if this user may see it: district-wide roles any village of the district,
    a camat those of his kecamatan, a village head or KPM his own. Otherwise 404, the same
    answer as for a village that does not exist."""
    village = (
        Village.objects.filter(pk=village_id, district=district).select_related("kecamatan").first()
    )
    require(village is not None and may_see_village(access, village), not_found=True)
    return village


def own_villages(access, district: District) -> list[Village]:
    return list(
        Village.objects.filter(district=district, pk__in=access.village_ids).select_related(
            "kecamatan"
        )
    )


# --- Reports ------------------------------------------------------------------------------------


def versions(village: Village, period: ReportPeriod) -> list[VillageReport]:
    """All versions, newest first."""
    return list(
        VillageReport.objects.filter(village=village, period=period)
        .select_related("period", "district")
        .prefetch_related("files")
        .order_by("-version")
    )


def _current_open(village, period):
    return (
        VillageReport.objects.select_for_update(of=("self",))
        .filter(village=village, period=period)
        .order_by("-version")
        .first()
    )


def check_unlocked(*, kecamatan_id: int, period: ReportPeriod) -> None:
    """Refuse any change to a report of the kecamatan's villages for `period` while the camat's
    recap of it is with the district or has been accepted (for everyone: the village, the
    camat, the district admin). Called once the report's row is locked, so that it reads the
    recap as the camat's forwarding (which locks those rows first) left it."""
    recap = (
        KecamatanRecap.objects.filter(kecamatan_id=kecamatan_id, period=period)
        .select_related("kecamatan")
        .first()
    )
    if recap is None or not recap.locks:
        return
    names = {"period": period.label, "kecamatan": recap.kecamatan.name}
    if recap.status == RecapStatus.ACCEPTED:
        raise ValidationError(
            _(
                "%(period)s Kec. %(kecamatan)s sudah diterima kabupaten dan terkunci: laporan "
                "desanya tidak dapat diubah, dikirim, diverifikasi atau dikoreksi lagi."
            )
            % names
        )
    raise ValidationError(
        _(
            "Rekap %(period)s Kec. %(kecamatan)s sedang diperiksa kabupaten: laporan desanya "
            "tidak dapat diubah sampai rekap diterima atau dikembalikan."
        )
        % names
    )


def _check_report_unlocked(report: VillageReport) -> None:
    check_unlocked(kecamatan_id=report.village.kecamatan_id, period=report.period)


@transaction.atomic
def save_draft(
    *, village: Village, period: ReportPeriod, posted, by, expected: str | None = None
) -> VillageReport:
    """Save what was typed. Only text where a number belongs is refused (with a message at
    the field); everything else waits for submitting. `expected` is the edit token of the page
    it was typed on: the village head and the KPM share the draft, and a save from a page that
    the other's save has overtaken is refused instead of overwriting it (lib.stale)."""
    values, errors = scorecard.clean_draft(period.kind, posted)
    if errors:
        raise ValidationError(errors)
    report = _current_open(village, period)
    check_unlocked(kecamatan_id=village.kecamatan_id, period=period)
    check_fresh(report, expected)
    if report is None:
        report = VillageReport(
            district_id=village.district_id, village=village, period=period, created_by=by
        )
    elif report.status == Status.SUBMITTED:
        raise ValidationError(
            _("Laporan ini sedang menunggu verifikasi camat; belum dapat diubah.")
        )
    elif report.status == Status.VERIFIED:
        raise ValidationError(
            _("Laporan ini sudah terverifikasi dan terkunci. Buat koreksi untuk mengubahnya.")
        )
    report.data = values
    report.updated_by = by
    report.save()
    return report


def _check_editable(report: VillageReport):
    if not report.is_editable:
        raise ValidationError(
            _("Laporan berstatus %(status)s tidak dapat diubah.")
            % {"status": report.get_status_display()}
        )


SLOTS = dict(scorecard.SEMESTER_FILES)


@transaction.atomic
def upload_file(*, report: VillageReport, slot: str, upload, by) -> ReportFile:
    report = VillageReport.objects.select_for_update().get(pk=report.pk)
    _check_editable(report)
    _check_report_unlocked(report)
    if slot not in SLOTS or report.kind != ReportKind.SEMESTER:
        raise ValidationError(_("Tempat berkas tidak dikenal."))
    if upload is None:
        raise ValidationError(_("Pilih berkas yang akan diunggah."))
    stored = store_upload(
        ReportFile(report=report, district_id=report.district_id, slot=slot),
        upload,
        by=by,
        default_name=slot,
    )
    record(
        "village_file_uploaded",
        actor=by,
        district=report.district,
        target=f"{report.village} · {report.period.label}",
        file=stored.original_name,
        sha256=stored.sha256,
    )
    return stored


@transaction.atomic
def remove_file(*, stored: ReportFile, by):
    locked = VillageReport.objects.select_for_update().get(pk=stored.report_id)
    _check_editable(locked)
    _check_report_unlocked(locked)
    name, path, storage = stored.original_name, stored.file.name, stored.file.storage
    stored.delete()
    # an earlier version may share the stored file (a correction copies the rows)
    if not ReportFile.objects.filter(file=path).exists():
        transaction.on_commit(lambda: storage.delete(path), robust=True)
    record(
        "village_file_removed",
        actor=by,
        district=stored.report.district,
        target=str(stored.report),
        file=name,
    )


def errors_for_submit(report: VillageReport, today: date) -> dict[str, str]:
    files = {f.slot for f in report.files.all()}
    return scorecard.submit_errors(
        report.kind, report.data, files=files, today=today, kelurahan=report.village.is_kelurahan
    )


REMARK_MAX = 2000  # characters: the camat's remark when he returns a report

TRANSITIONS = {
    "submit": ((Status.DRAFT, Status.RETURNED), Status.SUBMITTED),
    "verify": ((Status.SUBMITTED,), Status.VERIFIED),
    "return": ((Status.SUBMITTED,), Status.RETURNED),
}


def _move(
    report: VillageReport,
    step: str,
    *,
    by,
    remark: str = "",
    actual: datetime | None = None,
    on_behalf: bool = False,
) -> VillageReport:
    """Two clicks or two users cannot both succeed: the row is locked and its status read
    under the lock (documents.transitions says why a conditional update is not enough here).
    `actual`: when it really happened, for a back-filled step (else now)."""
    sources, target = TRANSITIONS[step]

    def stamp(locked, now):
        when = actual or now
        fields: dict = {"updated_at": now, "updated_by": by}
        if actual is not None:
            fields["backfilled"] = True
        if target == Status.SUBMITTED:
            fields["submitted_at"] = when
            if locked.first_submitted_at is None:
                fields["first_submitted_at"] = when
        else:
            fields.update(decided_at=when, decided_by=by, remark=remark)
        return fields

    def check(locked):
        check_unlocked(kecamatan_id=report.village.kecamatan_id, period=report.period)
        if actual is not None and target != Status.SUBMITTED and locked.submitted_at:
            sent_on = locked.submitted_at.astimezone(report.district.tz).date()
            if actual.astimezone(report.district.tz).date() < sent_on:
                raise ValidationError(
                    _("Tanggal sebenarnya tidak boleh sebelum laporan dikirim (%(date)s).")
                    % {"date": formats.date_format(sent_on, "j F Y")}
                )

    return transitions.move(
        report,
        sources=sources,
        target=target,
        refused=lambda locked: ValidationError(
            _("Laporan ini sudah berstatus %(status)s.") % {"status": locked.get_status_display()}
        ),
        check=check,
        fields=stamp,
        history=lambda locked, from_status, now: ReportEvent.objects.create(
            report=report,
            district_id=report.district_id,
            from_status=from_status,
            to_status=target,
            remark=remark,
            actor=by,
            at=actual or now,
            recorded_at=now,
            backfilled=actual is not None,
            on_behalf=on_behalf,
        ),
        audit=lambda locked: record(
            f"village_report_{step}",
            actor=by,
            district=report.district,
            target=f"{report.village} · {report.period.label} v{report.version}",
            remark=remark,
            **({"actual": actual.isoformat()} if actual else {}),
            **({"on_behalf": True} if on_behalf else {}),
        ),
    )


def actual_moment(report: VillageReport, happened_on: date | None, today: date):
    """The moment a back-filled step happened: noon of `happened_on` in the district's zone.
    Only for a year that has ended, on or after the period's start and not after today."""
    if happened_on is None:
        return None
    period = report.period
    if period.year >= today.year:
        raise ValidationError(
            _(
                "Tanggal sebenarnya hanya dapat diisi untuk tahun yang sudah berakhir; "
                "%(period)s masih berjalan."
            )
            % {"period": period.label}
        )
    if not period.starts_on <= happened_on <= today:
        raise ValidationError(
            _("Tanggal sebenarnya harus antara %(start)s dan hari ini.")
            % {"start": formats.date_format(period.starts_on, "j F Y")}
        )
    return datetime.combine(happened_on, time(12, 0), tzinfo=report.district.tz)


def kecamatan_has_camat(kecamatan_id: int) -> bool:
    """An active camat account for the kecamatan: then only he verifies its reports."""
    return Membership.objects.active().filter(role=Role.CAMAT, kecamatan_id=kecamatan_id).exists()


def _check_on_behalf(report: VillageReport) -> None:
    if kecamatan_has_camat(report.village.kecamatan_id):
        raise ValidationError(
            _(
                "Kec. %(kecamatan)s memiliki akun camat yang aktif: laporan desanya diperiksa "
                "oleh camat, bukan atas nama kecamatan."
            )
            % {"kecamatan": report.village.kecamatan.name}
        )


@transaction.atomic
def submit_report(
    *, report: VillageReport, by, today: date, happened_on: date | None = None
) -> VillageReport:
    """Send a report to the camat: from near the end of its period (`today` in the district's
    time zone), and only when every rule of the form holds. `happened_on`: the date it was
    actually sent, when a district catches up on an ended year (back-filled; lateness and
    exports use that date)."""
    if not report.period.is_open_for_sending(today):
        raise ValidationError(
            _(
                "%(period)s baru dapat dikirim mulai %(date)s, menjelang akhir periodenya. "
                "Sampai saat itu simpan sebagai draf."
            )
            % {
                "period": report.period.label,
                "date": formats.date_format(report.period.opens_on, "j F Y"),
            }
        )
    actual = actual_moment(report, happened_on, today)
    errors = errors_for_submit(report, today)
    if errors:
        raise ValidationError(errors)
    return _move(report, "submit", by=by, actual=actual)


@transaction.atomic
def verify_report(
    *,
    report: VillageReport,
    by,
    happened_on: date | None = None,
    today: date | None = None,
    on_behalf: bool = False,
) -> VillageReport:
    """The camat verifies; the district admin may do it on behalf of a kecamatan that has no
    active camat account (`on_behalf`, shown in the report's history). `happened_on`: the date
    it was actually verified, for an ended year (back-filled)."""
    if on_behalf:
        _check_on_behalf(report)
    today = today or report.district.local_now().date()
    actual = actual_moment(report, happened_on, today)
    return _move(report, "verify", by=by, actual=actual, on_behalf=on_behalf)


@transaction.atomic
def return_report(
    *, report: VillageReport, remark: str, by, on_behalf: bool = False
) -> VillageReport:
    remark = clean_one(remark, REMARK_MAX, "remark").strip()
    if not remark:
        raise ValidationError(_("Tuliskan catatan: apa yang harus diperbaiki desa."))
    if on_behalf:
        _check_on_behalf(report)
    return _move(report, "return", by=by, remark=remark, on_behalf=on_behalf)


@transaction.atomic
def start_correction(*, report: VillageReport, by) -> VillageReport:
    """A verified report stays locked; a correction is a new version holding a copy of its
    data and files, which goes through the chain again."""
    latest = _current_open(report.village, report.period)
    check_unlocked(kecamatan_id=report.village.kecamatan_id, period=report.period)
    if latest.pk != report.pk or report.status != Status.VERIFIED:
        raise ValidationError(_("Hanya versi terakhir yang sudah terverifikasi dapat dikoreksi."))
    correction = VillageReport.objects.create(
        district_id=report.district_id,
        village_id=report.village_id,
        period_id=report.period_id,
        version=report.version + 1,
        data=dict(report.data),
        created_by=by,
        first_submitted_at=report.first_submitted_at,
    )
    for stored in report.files.all():
        ReportFile.objects.create(
            report=correction,
            district_id=stored.district_id,
            slot=stored.slot,
            file=stored.file.name,
            original_name=stored.original_name,
            content_type=stored.content_type,
            size=stored.size,
            sha256=stored.sha256,
            uploaded_by=stored.uploaded_by,
            uploaded_at=stored.uploaded_at,
        )
    ReportEvent.objects.create(
        report=correction,
        district_id=report.district_id,
        from_status="",
        to_status=Status.DRAFT,
        remark=_("Koreksi atas versi %(n)s") % {"n": report.version},
        actor=by,
    )
    record(
        "village_report_correction",
        actor=by,
        district=report.district,
        target=f"{report.village} · {report.period.label} v{correction.version}",
    )
    return correction


# --- Completeness -----------------------------------------------------------------------------
# The states and their counts come from summaries.completeness; this adds the rows to show and
# link (villages and the reports' own fields).


@dataclass
class VillageRow:
    village: Village
    report: VillageReport | None  # the version the district sees (never a draft)
    status: summaries.VillageState

    @property
    def focus(self) -> bool:
        return self.status.focus

    @property
    def correcting(self) -> bool:
        return self.status.correcting

    @property
    def late(self) -> bool:
        return self.status.late

    @property
    def state(self) -> str:
        return self.status.state


@dataclass
class KecamatanRow:
    kecamatan: Kecamatan
    villages: list[VillageRow] = field(default_factory=list)
    # the counts, when the row carries no villages (a page of one line per kecamatan)
    counted: summaries.ReportCounts | None = None

    @cached_property
    def counts(self) -> summaries.ReportCounts:
        if self.counted is not None:
            return self.counted
        return summaries.ReportCounts.of(v.status for v in self.villages)

    @property
    def late(self) -> int:
        return self.counts.late


@dataclass
class Completeness:
    period: ReportPeriod
    today: date
    kecamatan: list[KecamatanRow]
    # the states of the villages shown (those matching the filter): the totals
    states: tuple[summaries.VillageState, ...] = ()
    # their counts instead, when the rows carry no villages (a page of one line per kecamatan)
    counted: summaries.ReportCounts | None = None

    @property
    def villages(self) -> list[VillageRow]:
        return [v for k in self.kecamatan for v in k.villages]

    @property
    def totals(self) -> dict:
        counts = (
            self.counted if self.counted is not None else summaries.ReportCounts.of(self.states)
        )
        return counts.as_dict()

    @property
    def shown(self) -> int:
        """How many villages match the filter."""
        return self.counted.all if self.counted is not None else len(self.states)


# a change through a path that moves no generation shows within this time (as on the dashboard)
COMPLETENESS_SECONDS = 60


def completeness(
    *,
    district: District,
    period: ReportPeriod,
    access,
    state=None,
    kecamatan_id=None,
    counts_over: int | None = None,
    focus: bool | None = None,
) -> Completeness:
    """Every village of the district (or of the camat's kecamatan; of `kecamatan_id` only,
    when the user may see it), focus villages first, with the state of its report (`state`:
    only the villages in that state, or "late"): six queries whatever the number of
    villages.

    `counts_over`: when more villages than that match and no kecamatan is asked, the rows
    carry only their states (`village` and `report` are None), which is all a page of one
    line per kecamatan shows; the villages and their reports are not read."""
    today = district.local_now().date()
    kecamatan_ids = None if access.district_wide else access.kecamatan_ids
    if kecamatan_id is not None and (kecamatan_ids is None or kecamatan_id in kecamatan_ids):
        kecamatan_ids = [kecamatan_id]

    def build():
        return summaries.completeness(
            [district], period.year, period.kind, period.number, kecamatan_ids=kecamatan_ids
        )[district.pk]

    # 850 villages' reports read for every view of the page: kept under the district's data
    # generation (lib.generations: every saved report, event and village of the district moves
    # it) and the day (what is late), as the dashboard and the board are
    parts = (
        "completeness",
        period.pk,
        today.isoformat(),
        ",".join(map(str, sorted(kecamatan_ids))) if kecamatan_ids is not None else "all",
    )

    def matching() -> list[summaries.VillageState]:
        summary = generations.kept(
            generations.DISTRICT_DATA, district.pk, parts, build, seconds=COMPLETENESS_SECONDS
        )
        return [
            status
            for status in summary.villages
            if not (
                state == "late"
                and not status.late
                or state in summaries.STATES
                and status.state != state
                # `focus`: only the year's focus villages (True) or only the others (False)
                or focus is not None
                and status.focus != focus
            )
        ]

    if counts_over is not None and kecamatan_id is None:
        # the page of one line per kecamatan is kept as its counts (a few dozen rows), not
        # rebuilt from 850 villages' states on every view; False: not that many villages
        def by_kecamatan():
            shown = matching()
            return len(shown) > counts_over and _counts_only(district, period, today, shown)

        counted = generations.kept(
            generations.DISTRICT_DATA,
            district.pk,
            (*parts, "by-kecamatan", state or "-", focus, counts_over),
            by_kecamatan,
            seconds=COMPLETENESS_SECONDS,
        )
        if counted:
            return counted
    shown = matching()
    villages = Village.objects.active().filter(district=district).select_related("kecamatan")
    if kecamatan_ids is not None:
        villages = villages.filter(kecamatan_id__in=kecamatan_ids)
    villages = {v.pk: v for v in villages}
    sent = {
        str(r.pk): r
        for r in VillageReport.objects.filter(period=period)
        .exclude(status=Status.DRAFT)
        .only(
            "id",
            "village_id",
            "version",
            "status",
            "first_submitted_at",
            "submitted_at",
            "decided_at",
            "remark",
            "period_id",
            "district_id",
        )
    }
    rows: dict[int, KecamatanRow] = {}
    for status in shown:
        village = villages[status.village_id]
        report = sent.get(status.report_id)
        if report is not None:
            report.period = period
            report.district = district
        rows.setdefault(village.kecamatan_id, KecamatanRow(village.kecamatan)).villages.append(
            VillageRow(village, report, status)
        )
    for k in rows.values():
        k.villages.sort(key=lambda v: (not v.focus, v.village.code))
    return Completeness(period, today, list(rows.values()), tuple(shown))


def _counts_only(district, period, today, shown) -> Completeness:
    """One row per kecamatan with the counts of its matching villages, in kecamatan-code
    order (the summary's), without reading the villages or their reports: the rows carry
    their counts, not the villages."""
    names = Kecamatan.objects.filter(
        district=district, pk__in={s.kecamatan_id for s in shown}
    ).in_bulk()
    states: dict[int, list] = {}
    for status in shown:
        states.setdefault(status.kecamatan_id, []).append(status)
    rows = [
        KecamatanRow(names[k], counted=summaries.ReportCounts.of(of_kecamatan))
        for k, of_kecamatan in states.items()
    ]
    return Completeness(period, today, rows, counted=summaries.ReportCounts.of(shown))


# --- The village's own page -------------------------------------------------------------------


@dataclass
class PeriodLine:
    period: ReportPeriod
    current: VillageReport | None  # newest version, drafts included
    sent: VillageReport | None  # newest version that was sent

    @property
    def state(self) -> str:
        return self.current.status if self.current else "missing"

    def is_late(self, today: date, tz) -> bool:
        """Sent after the due date, or not sent and past it (in the district's zone)."""
        first = next(
            (r.first_submitted_at for r in (self.current, self.sent) if r and r.first_submitted_at),
            None,
        )
        return self.period.is_late(today, first, tz)


def village_periods(village: Village, year: int) -> list[PeriodLine]:
    periods = list(
        ReportPeriod.objects.filter(district_id=village.district_id, year=year).order_by(
            "due_on", "kind", "number"
        )
    )
    reports = list(
        VillageReport.objects.filter(village=village, period__in=periods).order_by("-version")
    )
    lines = []
    for period in periods:
        mine = [r for r in reports if r.period_id == period.id]
        sent = next((r for r in mine if r.status != Status.DRAFT), None)
        lines.append(PeriodLine(period, mine[0] if mine else None, sent))
    return lines


# --- Reminders --------------------------------------------------------------------------------

REMINDER_THRESHOLDS = (-7, -1, 1, 7)


def send_report_reminders(*, now=None) -> int:
    """Email village heads and KPM whose report for a period is not yet sent (or came back)
    7 and 1 days before its due date and 1 and 7 days after, judged in the district's own
    time zone. Each (period, village, threshold) is claimed by a unique row in the same
    transaction as the send: never twice, and a failed send is retried the next run."""
    now = now or timezone.now()
    sent = 0
    window_start = (now - timedelta(days=9)).date()
    window_end = (now + timedelta(days=9)).date()
    for district in each_district(ReportPeriod, due_on__range=(window_start, window_end)):
        sent += _remind_district(district, now.astimezone(district.tz).date())
    return sent


def _remind_district(district: District, today: date) -> int:
    due_dates = {today - timedelta(days=t): t for t in REMINDER_THRESHOLDS}
    periods = list(ReportPeriod.objects.filter(district=district, due_on__in=list(due_dates)))
    if not periods:
        return 0
    people: dict[int, list[str]] = {}
    for m in (
        Membership.objects.active()
        .filter(district=district, role__in=VILLAGE_ROLES)
        .select_related("user")
    ):
        if m.user.is_active and m.user.email not in people.get(m.village_id, []):
            people.setdefault(m.village_id, []).append(m.user.email)
    if not people:
        return 0  # nobody to remind in this district
    villages = {
        v.id: v for v in Village.objects.active().filter(district=district, pk__in=list(people))
    }
    sent = 0
    for period in periods:
        threshold = due_dates[period.due_on]
        done = set(
            VillageReminder.objects.filter(period=period, threshold=threshold).values_list(
                "village_id", flat=True
            )
        )
        filed = set(
            VillageReport.objects.filter(
                period=period, status__in=(Status.SUBMITTED, Status.VERIFIED)
            ).values_list("village_id", flat=True)
        )
        for village_id, village in villages.items():
            if village_id in done or village_id in filed:
                continue
            recipients = people[village_id]
            try:
                with transaction.atomic():
                    VillageReminder.objects.create(
                        period=period, village=village, threshold=threshold, recipients=recipients
                    )
                    _send_reminder(district, village, period, threshold, recipients)
            except IntegrityError:
                continue  # another run claimed it first
            sent += 1
    return sent


def _send_reminder(district, village, period, threshold, recipients):
    link = settings.SITE_URL + reverse(
        "village_report",
        kwargs={"district_slug": district.slug, "village_id": village.pk, "period_id": period.pk},
    )
    context = {
        "district": district,
        "village": village,
        "period": period,
        "days": abs(threshold),
        "before": threshold < 0,
        "link": link,
    }
    with translation.override("id"):
        subject = render_to_string(
            "village_reports/email/report_reminder_subject.txt", context
        ).strip()
        body = render_to_string("village_reports/email/report_reminder_body.txt", context)
    send_mail(subject, body, None, recipients)
