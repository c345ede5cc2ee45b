"""Workflows of the yearly convergence cycle. Views, tasks and commands call these; each owns
its transaction and records what it did in the audit log."""

import calendar
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Q, Subquery
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from accounts.audit import record
from accounts.models import Membership, Role
from accounts.tenancy import each_district
from commitments.models import CommitmentDocument, DocumentVersion
from documents import transitions
from documents.files import store_upload
from lib import formats, generations
from lib.rupiah import parse_rupiah
from lib.stale import check_fresh
from lib.text import NOTE, clean_one, strip_bidi, too_long
from rembuk import services as rembuk_services
from rembuk import summaries as rembuk_summaries
from rembuk.models import RembukSession, SessionFile
from villages.models import Agency, District, Kecamatan

from . import summaries
from .models import (
    OPEN_STATUSES,
    Comment,
    Deliverable,
    DeliverableTemplate,
    DistrictYear,
    Evidence,
    Framework,
    Grade,
    GradeOption,
    Indicator,
    KecamatanEntry,
    PortalRecords,
    RecordLink,
    ReminderSent,
    Status,
    Transition,
    YearAction,
)

# --- Opening and setting up a year ----------------------------------------------------------


def default_due_date(year: int, month: int) -> date:
    """The last day of the month: a deliverable is due by the end of its month."""
    return date(year, month, calendar.monthrange(year, month)[1])


@transaction.atomic
def open_year(*, district: District, year: int, by, framework: Framework | None = None):
    """Open `year` for the district on `framework` (by default the one published for that year):
    every action with its lead agency, every deliverable with its default due date."""
    framework = framework or Framework.objects.for_year(year)
    if framework is None or not framework.is_published:
        raise ValidationError(
            _("Tidak ada kerangka aksi terbit untuk tahun %(year)s.") % {"year": year}
        )
    if not framework.covers(year):
        raise ValidationError(
            _("%(framework)s berlaku untuk tahun %(years)s, tidak untuk %(year)s.")
            % {"framework": framework.name, "years": framework.years_label(), "year": year}
        )
    if DistrictYear.objects.filter(district=district, year=year).exists():
        raise ValidationError(_("Tahun %(year)s sudah dibuka.") % {"year": year})
    agencies = {a.short_name: a for a in Agency.objects.filter(district=district, is_active=True)}
    district_year = DistrictYear.objects.create(
        district=district, year=year, framework=framework, opened_by=by
    )
    templates = DeliverableTemplate.objects.filter(action__framework=framework).select_related(
        "action"
    )
    by_action = {}
    for template in templates:
        by_action.setdefault(template.action, []).append(template)
    deliverables = []
    for action, items in sorted(by_action.items(), key=lambda kv: kv[0].number):
        year_action = YearAction.objects.create(
            district=district,
            district_year=district_year,
            action=action,
            lead_agency=agencies.get(action.lead_agency),
        )
        for template in items:
            deliverables.append(
                Deliverable(
                    district=district,
                    year_action=year_action,
                    template=template,
                    due_date=default_due_date(year, template.due_month or action.due_month),
                )
            )
    Deliverable.objects.bulk_create(deliverables)
    ensure_kecamatan_entries(district_year)
    record("year_opened", actor=by, district=district, target=str(year), framework=framework.code)
    return district_year


@transaction.atomic
def remove_year(*, district_year: DistrictYear, by) -> None:
    """Remove a year opened by mistake (the wrong year or framework), as long as nothing in it
    was submitted, graded or commented on: what it holds is only the empty copy that opening
    made. Audited; the evidence files of its drafts go with it."""
    district_year = DistrictYear.objects.select_for_update().get(pk=district_year.pk)
    _check_open(district_year)
    deliverables = Deliverable.objects.filter(year_action__district_year=district_year)
    used = (
        deliverables.exclude(status=Status.DRAFT).exists()
        or Transition.objects.filter(deliverable__in=deliverables).exists()
        or Comment.objects.filter(deliverable__in=deliverables).exists()
        or Grade.objects.filter(district_year=district_year).exists()
    )
    if used:
        raise ValidationError(
            _(
                "Tahun %(year)s tidak dapat dihapus: sudah ada keluaran yang dikirim, dinilai "
                "atau dikomentari."
            )
            % {"year": district_year.year}
        )
    files = [
        (e.file.storage, e.file.name) for e in Evidence.objects.filter(deliverable__in=deliverables)
    ]
    year, framework = district_year.year, district_year.framework.code
    district_year.delete()
    transaction.on_commit(lambda: [storage.delete(name) for storage, name in files], robust=True)
    record(
        "year_removed",
        actor=by,
        district=district_year.district,
        target=str(year),
        framework=framework,
        evidence_files=len(files),
    )


def _check_province_open(district_year: DistrictYear):
    if district_year.province_closed_at is not None:
        raise ValidationError(
            _("Penilaian provinsi tahun %(year)s sudah ditutup; nilainya tidak berubah lagi.")
            % {"year": district_year.year}
        )


@transaction.atomic
def close_province_grading(*, district_year: DistrictYear, by) -> None:
    """The province closes its grading of the year: its grades are final, whatever the
    district's lock (the district locks its own work and self-assessment; the province, which
    assesses after the year, closes its own)."""
    updated = DistrictYear.objects.filter(
        pk=district_year.pk, province_closed_at__isnull=True
    ).update(province_closed_at=timezone.now(), province_closed_by=by)
    if not updated:
        raise ValidationError(_("Penilaian provinsi tahun ini sudah ditutup."))
    generations.move(generations.DISTRICT_DATA, district_year.district_id)
    district_year.refresh_from_db()
    record(
        "province_grading_closed",
        actor=by,
        district=district_year.district,
        target=str(district_year.year),
    )


def _check_open(district_year: DistrictYear):
    if district_year.is_locked:
        raise ValidationError(_("Tahun %(year)s sudah dikunci.") % {"year": district_year.year})


def work_members(district: District):
    """Users who can be made responsible for an action: district admins and OPD staff."""
    return (
        Membership.objects.active()
        .filter(district=district, role__in=[Role.DISTRICT_ADMIN, Role.OPD_STAFF])
        .select_related("user", "agency")
        .order_by("user__full_name", "user__email")
    )


@transaction.atomic
def set_up_action(
    *,
    year_action: YearAction,
    lead_agency: Agency | None,
    responsible,
    due_dates: dict,
    by,
    supporting_agencies: dict | None = None,
):
    """Lead agency, responsible users, and the due date and supporting agency (OPD pendukung)
    of each deliverable of one action. `supporting_agencies` maps deliverable ids to an agency
    or None; a deliverable it leaves out keeps its own. A supporting agency is an agency of
    the district other than the lead."""
    _check_open(year_action.district_year)
    allowed = {m.user_id for m in work_members(year_action.district)}
    responsible = list(responsible)
    if any(u.pk not in allowed for u in responsible):
        raise ValidationError(_("Penanggung jawab harus admin daerah atau staf OPD daerah ini."))
    supporting_agencies = supporting_agencies or {}
    for agency in supporting_agencies.values():
        if agency is None:
            continue
        if agency.district_id != year_action.district_id:
            raise ValidationError(_("OPD pendukung harus OPD daerah ini."))
        if lead_agency is not None and agency.pk == lead_agency.pk:
            raise ValidationError(_("OPD pendukung harus berbeda dari OPD pengampu."))
    year_action.lead_agency = lead_agency
    year_action.save(update_fields=["lead_agency"])
    year_action.responsible.set(responsible)
    changed = []
    supporting = []
    for deliverable in year_action.deliverables.select_related("template", "supporting_agency"):
        fields = []
        new = due_dates.get(deliverable.pk)
        if new and new != deliverable.due_date:
            deliverable.due_date = new
            fields.append("due_date")
            changed.append(deliverable.template.title)
        if deliverable.pk in supporting_agencies:
            agency = supporting_agencies[deliverable.pk]
            if (agency.pk if agency else None) != deliverable.supporting_agency_id:
                deliverable.supporting_agency = agency
                fields.append("supporting_agency")
                supporting.append(
                    f"{deliverable.template.title}: {agency.short_name if agency else '-'}"
                )
        elif lead_agency is not None and deliverable.supporting_agency_id == lead_agency.pk:
            raise ValidationError(_("OPD pendukung harus berbeda dari OPD pengampu."))
        if fields:
            deliverable.save(update_fields=[*fields, "updated_at"])
    record(
        "action_set_up",
        actor=by,
        district=year_action.district,
        target=str(year_action.action),
        agency=lead_agency.short_name if lead_agency else "",
        responsible=[u.email for u in responsible],
        due_dates_changed=changed,
        supporting_agencies=supporting,
    )


@transaction.atomic
def lock_year(*, district_year: DistrictYear, by):
    """After the year closes nothing in it changes any more."""
    updated = DistrictYear.objects.filter(
        pk=district_year.pk, status=DistrictYear.Status.OPEN
    ).update(status=DistrictYear.Status.LOCKED, locked_at=timezone.now(), locked_by=by)
    if not updated:
        raise ValidationError(_("Tahun ini sudah dikunci."))
    generations.move(generations.DISTRICT_DATA, district_year.district_id)
    district_year.refresh_from_db()
    record("year_locked", actor=by, district=district_year.district, target=str(district_year.year))


# --- Evidence, data, comments ---------------------------------------------------------------


def _editable(deliverable: Deliverable):
    _check_open(deliverable.year_action.district_year)
    if not deliverable.is_open:
        raise ValidationError(
            _("Keluaran berstatus %(status)s tidak dapat diubah.")
            % {"status": deliverable.get_status_display()}
        )


@transaction.atomic
def upload_evidence(*, deliverable: Deliverable, upload, by) -> Evidence:
    """Store one evidence file after checking its size and its real type (from the bytes)."""
    _editable(deliverable)
    evidence = store_upload(
        Evidence(district=deliverable.district, deliverable=deliverable),
        upload,
        by=by,
        default_name="bukti",
    )
    record(
        "evidence_uploaded",
        actor=by,
        district=deliverable.district,
        target=deliverable.template.title,
        file=evidence.original_name,
        sha256=evidence.sha256,
    )
    return evidence


@transaction.atomic
def remove_evidence(*, evidence: Evidence, by):
    _editable(evidence.deliverable)
    if Grade.objects.filter(evidence=evidence).exists():
        raise ValidationError(
            _("Berkas ini dirujuk oleh penilaian kinerja; lepaskan dulu di sana.")
        )
    name = evidence.original_name
    storage, path = evidence.file.storage, evidence.file.name
    evidence.delete()
    transaction.on_commit(lambda: storage.delete(path), robust=True)
    record(
        "evidence_removed",
        actor=by,
        district=evidence.district,
        target=evidence.deliverable.template.title,
        file=name,
    )


# --- Records of the portal attached by reference -------------------------------------------

LINK_KINDS = ("rembuk", "commitment", "minutes")


def _record_kind(target) -> str:
    if isinstance(target, RembukSession):
        return "rembuk"
    if isinstance(target, CommitmentDocument):
        return "commitment"
    if isinstance(target, SessionFile) and target.kind == SessionFile.Kind.MINUTES:
        return "minutes"
    raise ValidationError(_("Hanya rembuk, dokumen komitmen atau berkas berita acara."))


def _record_year(target, kind: str) -> int:
    return target.session.year if kind == "minutes" else target.year


@transaction.atomic
def link_record(*, deliverable: Deliverable, target, by) -> RecordLink:
    """Attach a rembuk session, one of the district's commitment documents or a minutes file of
    a rembuk to a deliverable as its evidence, by reference: the portal's own record, not a
    copy. Only where the deliverable's framework asks for the rembuk's records, for a record of
    the deliverable's own district and year, while the deliverable may be changed (as an
    upload); a record already attached is refused, not attached twice."""
    kind = _record_kind(target)
    locked = Deliverable.objects.select_for_update().get(pk=deliverable.pk)
    deliverable.status = locked.status
    _editable(deliverable)
    if deliverable.template.portal_records != PortalRecords.REMBUK:
        raise ValidationError(_("Keluaran ini tidak menerima rekaman rembuk."))
    if target.district_id != deliverable.district_id:
        raise ValidationError(_("Rekaman itu bukan milik daerah ini."))
    year = deliverable.year_action.district_year.year
    if _record_year(target, kind) != year:
        raise ValidationError(
            _("Hanya rekaman rembuk tahun %(year)s yang dapat dilampirkan.") % {"year": year}
        )
    if RecordLink.objects.filter(deliverable=deliverable, **{kind: target}).exists():
        raise ValidationError(_("Rekaman ini sudah dilampirkan."))
    link = RecordLink.objects.create(
        district=deliverable.district, deliverable=deliverable, linked_by=by, **{kind: target}
    )
    record(
        "record_linked",
        actor=by,
        district=deliverable.district,
        target=deliverable.template.title,
        kind=kind,
        record=str(target.pk),
    )
    return link


@transaction.atomic
def unlink_record(*, link: RecordLink, by) -> None:
    """Detach a record from a deliverable (the record itself stays as it is)."""
    deliverable = link.deliverable
    locked = Deliverable.objects.select_for_update().get(pk=deliverable.pk)
    deliverable.status = locked.status
    _editable(deliverable)
    kind = next(k for k in LINK_KINDS if getattr(link, f"{k}_id"))
    deleted, _rows = RecordLink.objects.filter(pk=link.pk).delete()
    if not deleted:
        raise ValidationError(_("Rekaman ini sudah dilepas."))
    record(
        "record_unlinked",
        actor=by,
        district=deliverable.district,
        target=deliverable.template.title,
        kind=kind,
        record=str(getattr(link, f"{kind}_id")),
    )


def _commitment_titles(documents):
    """Commitment documents with the title of their current version, in the same query."""
    latest = DocumentVersion.objects.filter(document=OuterRef("pk")).order_by("-number")
    return documents.annotate(current_title=Subquery(latest.values("title")[:1]))


def linked_records(deliverable: Deliverable) -> list[RecordLink]:
    """The records attached to a deliverable, each with what its page shows: two queries."""
    links = list(
        RecordLink.objects.filter(deliverable=deliverable).select_related(
            "rembuk", "minutes__session", "linked_by"
        )
    )
    ids = [link.commitment_id for link in links if link.commitment_id]
    titles = (
        dict(
            _commitment_titles(CommitmentDocument.objects.filter(pk__in=ids)).values_list(
                "pk", "current_title"
            )
        )
        if ids
        else {}
    )
    for link in links:
        link.commitment_title = titles.get(link.commitment_id, "")
    return links


@dataclass
class Linkable:
    """The records of the deliverable's district and year that can still be attached."""

    sessions: list
    documents: list
    minutes: list

    def __bool__(self):
        return bool(self.sessions or self.documents or self.minutes)


def linkable_records(deliverable: Deliverable, access) -> Linkable:
    """Sessions, commitment documents and minutes files of the deliverable's year that `access`
    may see and that are not attached yet: three queries."""
    district = deliverable.district
    year = deliverable.year_action.district_year.year
    taken = RecordLink.objects.filter(deliverable=deliverable)
    sessions = list(
        RembukSession.objects.visible_to(access)
        .filter(district=district, year=year)
        .exclude(pk__in=taken.filter(rembuk__isnull=False).values("rembuk_id"))
        .order_by("starts_at", "pk")
    )
    documents = list(
        _commitment_titles(
            CommitmentDocument.objects.visible_to(access)
            .filter(district=district, year=year)
            .exclude(pk__in=taken.filter(commitment__isnull=False).values("commitment_id"))
        ).order_by("created_at", "pk")
    )
    minutes = list(
        SessionFile.objects.filter(
            district=district,
            kind=SessionFile.Kind.MINUTES,
            session__in=RembukSession.objects.visible_to(access).filter(
                district=district, year=year
            ),
        )
        .exclude(pk__in=taken.filter(minutes__isnull=False).values("minutes_id"))
        .select_related("session")
        .order_by("uploaded_at", "pk")
    )
    return Linkable(sessions=sessions, documents=documents, minutes=minutes)


def find_linkable(district: District, access, value: str):
    """The record a form names as "<kind>:<id>" among those `access` may see in `district`,
    or None."""
    kind, _sep, raw = (value or "").partition(":")
    try:
        pk = uuid.UUID(raw)
    except ValueError:
        return None
    if kind == "rembuk":
        return RembukSession.objects.visible_to(access).filter(district=district, pk=pk).first()
    if kind == "commitment":
        return (
            CommitmentDocument.objects.visible_to(access).filter(district=district, pk=pk).first()
        )
    if kind == "minutes":
        return (
            SessionFile.objects.filter(
                district=district,
                pk=pk,
                kind=SessionFile.Kind.MINUTES,
                session__in=RembukSession.objects.visible_to(access).filter(district=district),
            )
            .select_related("session")
            .first()
        )
    return None


def plan_for(deliverable: Deliverable):
    """For a deliverable that shows the agreed activity plan: the plan year (the year after
    the deliverable's, whose RKPD/Renja the plan is meant for), the lines of the district's
    rembuk meant for it, and how many of them made it into the RKPD/Renja."""
    plan_year = deliverable.year_action.district_year.year + 1
    district = deliverable.district
    return (
        plan_year,
        rembuk_services.district_plan_items(district, plan_year),
        rembuk_summaries.rkpd_counts([district], plan_year)[district.pk],
    )


# A count or a sum typed into a deliverable's field: a thousand trillion is past any count of
# people or any district's budget in rupiah; a 30-digit number is a mistake, or an attack on the
# pages and exports that add the values up.
MAX_FIELD_NUMBER = 10**15


def _too_big() -> str:
    return _("terlalu besar (paling besar %(max)s)") % {"max": formats.number(MAX_FIELD_NUMBER)}


def clean_field_value(field: dict, raw: str):
    """A structured field's value as stored (text), or a ValidationError in plain words."""
    raw = strip_bidi(raw or "").strip()
    if not raw:
        return ""
    kind = field["type"]
    if kind == "integer":
        # (isdigit() alone takes "²", which int() refuses)
        if not (raw.isascii() and raw.lstrip("-").isdigit()):
            raise ValidationError(_("harus bilangan bulat"))
        if int(raw) < 0:
            raise ValidationError(_("tidak boleh negatif"))
        if int(raw) > MAX_FIELD_NUMBER:
            raise ValidationError(_too_big())
        return str(int(raw))
    if kind == "decimal":
        try:
            number = Decimal(raw.replace(",", "."))
        except InvalidOperation as exc:
            raise ValidationError(_("harus angka, misalnya 12,5")) from exc
        if not number.is_finite() or number < 0:
            raise ValidationError(_("harus angka tidak negatif"))
        if number > MAX_FIELD_NUMBER:
            raise ValidationError(_too_big())
        return str(number)
    if kind == "rupiah":
        try:
            return str(parse_rupiah(raw))
        except ValueError as exc:
            raise ValidationError(exc.args[0]) from exc
    if kind == "date":
        value = parse_date(raw)
        if value is None:
            raise ValidationError(_("harus tanggal (TTTT-BB-HH)"))
        return value.isoformat()
    if len(raw) > 2000:
        raise ValidationError(_("paling panjang 2000 karakter"))
    return raw


@transaction.atomic
def save_data(
    *, deliverable: Deliverable, values: dict[str, str], note: str, by, expected: str | None = None
):
    """Save a deliverable's structured fields and note as a draft; errors name the field.
    `expected` is the edit token of the page the values were typed on: a save from a page
    that someone else's save has overtaken is refused (lib.stale)."""
    locked = Deliverable.objects.select_for_update().get(pk=deliverable.pk)
    deliverable.status = locked.status
    _editable(deliverable)
    check_fresh(locked, expected)
    errors = {}
    data = {}
    for spec in deliverable.template.fields:
        try:
            data[spec["key"]] = clean_field_value(spec, values.get(spec["key"], ""))
        except ValidationError as exc:
            errors[spec["key"]] = f"{spec['label']}: {exc.messages[0]}"
    note = strip_bidi(note or "").strip()
    if len(note) > NOTE:
        errors["note"] = f"{_('Catatan')}: {too_long(NOTE, len(note))}"
    if errors:
        raise ValidationError(errors)
    deliverable.data = data
    deliverable.note = note
    deliverable.updated_by = by
    deliverable.save(update_fields=["data", "note", "updated_at", "updated_by"])


@transaction.atomic
def add_comment(*, deliverable: Deliverable, text: str, by) -> Comment:
    text = clean_one(text, NOTE, "text").strip()
    if not text:
        raise ValidationError(_("Komentar kosong."))
    return Comment.objects.create(
        district=deliverable.district, deliverable=deliverable, author=by, text=text
    )


# --- Transitions ----------------------------------------------------------------------------

RETURN_REASON_MAX = 2000  # characters

TRANSITIONS = {
    "submit": ((Status.DRAFT, Status.RETURNED), Status.SUBMITTED),
    "verify": ((Status.SUBMITTED,), Status.VERIFIED),
    "return": ((Status.SUBMITTED, Status.VERIFIED), Status.RETURNED),
}


def _actual_moment(deliverable: Deliverable, happened_on: date | None, today: date):
    """The moment a step entered later stands for (noon of its day in the district's time
    zone, so that it stays on that day wherever it is shown), after checking the day: not in
    the future, not before the year before the deliverable's, not before its last step."""
    if happened_on is None:
        return None
    district = deliverable.district
    year = deliverable.year_action.district_year.year
    if happened_on > today:
        raise ValidationError(_("Tanggal sebenarnya tidak boleh setelah hari ini."))
    if happened_on.year < year - 1:
        raise ValidationError(
            _("Tanggal sebenarnya paling awal 1 Januari %(year)s.") % {"year": year - 1}
        )
    last = Transition.objects.filter(deliverable=deliverable).order_by("-at", "-id").first()
    if last is not None and happened_on < last.actual_date(district.tz):
        raise ValidationError(
            _("Tanggal sebenarnya tidak boleh sebelum langkah sebelumnya (%(date)s).")
            % {"date": last.actual_date(district.tz).isoformat()}
        )
    return datetime.combine(happened_on, time(12, 0), tzinfo=district.tz)


def _move(
    deliverable: Deliverable, step: str, *, by, reason: str = "", happened_on: date | None = None
) -> Deliverable:
    """Two clicks or two users cannot both succeed (documents.transitions). `happened_on`: the
    day the step actually happened, when it is recorded later; the deliverable's submitted and
    verified dates (lateness, exports) take it, the history keeps both, and a step recorded
    after the deliverable's year had ended is marked as back-filled."""
    district_year = deliverable.year_action.district_year
    _check_open(district_year)
    sources, target = TRANSITIONS[step]
    today = deliverable.district.local_now().date()
    actual = _actual_moment(deliverable, happened_on, today)
    backfilled = district_year.year < today.year

    def stamp(locked, now):
        fields = {"updated_at": now, "updated_by": by}
        if target == Status.SUBMITTED:
            fields["submitted_at"] = actual or now
        if target == Status.VERIFIED:
            fields["verified_at"] = actual or now
        if target == Status.RETURNED:
            fields["verified_at"] = None
        return fields

    return transitions.move(
        deliverable,
        sources=sources,
        target=target,
        refused=lambda locked: ValidationError(
            _("Keluaran ini sudah berstatus %(status)s.") % {"status": locked.get_status_display()}
        ),
        fields=stamp,
        history=lambda locked, from_status, now: Transition.objects.create(
            district=deliverable.district,
            deliverable=deliverable,
            from_status=from_status,
            to_status=target,
            actor=by,
            at=now,
            happened_on=happened_on,
            backfilled=backfilled,
            reason=reason,
        ),
        audit=lambda locked: record(
            f"deliverable_{step}",
            actor=by,
            district=deliverable.district,
            target=deliverable.template.title,
            reason=reason,
            **({"happened_on": happened_on.isoformat()} if happened_on else {}),
            **({"backfilled": True} if backfilled else {}),
        ),
    )


@transaction.atomic
def submit_deliverable(
    *, deliverable: Deliverable, by, happened_on: date | None = None
) -> Deliverable:
    """Send a deliverable to Bappeda: a document needs a file, data needs every field."""
    _check_open(deliverable.year_action.district_year)
    template = deliverable.template
    if (
        template.kind == DeliverableTemplate.Kind.DOCUMENT
        and not deliverable.evidence.exists()
        and not deliverable.links.exists()
    ):
        # a record of the portal attached by reference is evidence as much as an upload
        if template.portal_records == PortalRecords.REMBUK:
            raise ValidationError(
                _("Lampirkan rekaman rembuk atau unggah paling sedikit satu berkas bukti.")
            )
        raise ValidationError(_("Unggah paling sedikit satu berkas bukti sebelum mengirim."))
    if template.kind == DeliverableTemplate.Kind.DATA:
        empty = [f["label"] for f in template.fields if not deliverable.data.get(f["key"])]
        if empty:
            raise ValidationError(
                _("Isian belum lengkap: %(fields)s.") % {"fields": ", ".join(empty)}
            )
    return _move(deliverable, "submit", by=by, happened_on=happened_on)


@transaction.atomic
def verify_deliverable(
    *, deliverable: Deliverable, by, happened_on: date | None = None
) -> Deliverable:
    """Verify a submitted deliverable. Where the district asks for it (on by default), the
    verifier must be another person than the one who submitted it."""
    if deliverable.district.verifier_must_differ:
        last_submit = (
            Transition.objects.filter(deliverable=deliverable, to_status=Status.SUBMITTED)
            .order_by("-at", "-id")
            .first()
        )
        if last_submit is not None and last_submit.actor_id == by.pk:
            raise ValidationError(
                _(
                    "Anda sendiri yang mengirim keluaran ini; verifikasi harus dilakukan oleh "
                    "admin lain (pengaturan daerah)."
                )
            )
    if deliverable.template.kecamatan_stage:
        waiting = kecamatan_waiting(deliverable)
        if waiting:
            raise ValidationError(
                _(
                    "Tahap kecamatan belum selesai: %(count)s kecamatan belum diverifikasi "
                    "camat (%(names)s)."
                )
                % {"count": len(waiting), "names": ", ".join(waiting)}
            )
    return _move(deliverable, "verify", by=by, happened_on=happened_on)


@transaction.atomic
def return_deliverable(
    *, deliverable: Deliverable, reason: str, by, happened_on: date | None = None
) -> Deliverable:
    reason = clean_one(reason, RETURN_REASON_MAX, "reason").strip()
    if not reason:
        raise ValidationError(_("Tuliskan alasan pengembalian agar OPD tahu apa yang diperbaiki."))
    return _move(deliverable, "return", by=by, reason=reason, happened_on=happened_on)


# --- The kecamatan stage (2025 model) -------------------------------------------------------


def ensure_kecamatan_entries(district_year: DistrictYear) -> None:
    """A row for every active kecamatan of the district on every deliverable of the year that
    has a kecamatan stage, the missing ones only: two reads and one insert whatever the number
    of kecamatan (a kecamatan added to the region list later gets its rows on the next call)."""
    deliverables = list(
        Deliverable.objects.filter(
            year_action__district_year=district_year, template__kecamatan_stage=True
        ).values_list("pk", flat=True)
    )
    if not deliverables:
        return
    kecamatan = list(
        Kecamatan.objects.active()
        .filter(district=district_year.district_id)
        .values_list("pk", flat=True)
    )
    KecamatanEntry.objects.bulk_create(
        [
            KecamatanEntry(district_id=district_year.district_id, deliverable_id=d, kecamatan_id=k)
            for d in deliverables
            for k in kecamatan
        ],
        ignore_conflicts=True,  # (deliverable, kecamatan) is unique: existing rows stay as they are
    )


def kecamatan_waiting(deliverable: Deliverable) -> list[str]:
    """The names of the district's active kecamatan whose part of `deliverable` their camat
    has not verified yet (a kecamatan without a row has not), by code."""
    verified = KecamatanEntry.objects.filter(
        deliverable=deliverable, status=KecamatanEntry.Status.VERIFIED
    ).values("kecamatan_id")
    return list(
        Kecamatan.objects.active()
        .filter(district=deliverable.district_id)
        .exclude(pk__in=Subquery(verified))
        .order_by("code")
        .values_list("name", flat=True)
    )


def _entry_label(entry: KecamatanEntry) -> str:
    return f"{entry.deliverable.template.title} — {entry.kecamatan.name}"


@transaction.atomic
def fill_kecamatan_entry(*, entry: KecamatanEntry, note: str, by) -> KecamatanEntry:
    """The kecamatan's data and evidence note for its part of a deliverable. A returned part
    filled again waits for its camat again; a verified one no longer changes."""
    _check_open(entry.deliverable.year_action.district_year)
    note = clean_one(note, NOTE, "note").strip()
    if not note:
        raise ValidationError(_("Tuliskan data dan bukti kecamatan sebelum menyimpan."))
    locked = KecamatanEntry.objects.select_for_update(of=("self",)).get(pk=entry.pk)
    if not locked.is_editable:
        raise ValidationError(
            _("Data kecamatan ini sudah diverifikasi camat dan tidak dapat diubah.")
        )
    KecamatanEntry.objects.filter(pk=entry.pk).update(
        note=note, status=KecamatanEntry.Status.DRAFT, filled_by=by, filled_at=timezone.now()
    )
    record("kecamatan_entry_filled", actor=by, district=entry.district, target=_entry_label(entry))
    entry.refresh_from_db()
    return entry


def _entry_refused(locked: KecamatanEntry) -> ValidationError:
    return ValidationError(
        _("Data kecamatan ini sudah berstatus %(status)s.")
        % {"status": locked.get_status_display()}
    )


def _entry_filled(locked: KecamatanEntry) -> None:
    if not locked.note.strip():
        raise ValidationError(_("Data kecamatan ini belum diisi."))


def kecamatan_with_camat(district_id: int) -> set[int]:
    """The district's kecamatan with an active camat account (one query): only their camat
    verifies their part; the others the district admin verifies on their behalf."""
    return set(
        Membership.objects.active()
        .filter(role=Role.CAMAT, district_id=district_id, kecamatan_id__isnull=False)
        .values_list("kecamatan_id", flat=True)
    )


def _check_on_behalf(entry: KecamatanEntry, on_behalf: bool) -> None:
    if on_behalf and entry.kecamatan_id in kecamatan_with_camat(entry.district_id):
        raise ValidationError(
            _(
                "Kec. %(kecamatan)s memiliki akun camat yang aktif: datanya diverifikasi oleh "
                "camat, bukan atas nama kecamatan."
            )
            % {"kecamatan": entry.kecamatan.name}
        )


@transaction.atomic
def verify_kecamatan_entry(*, entry: KecamatanEntry, by, on_behalf: bool = False) -> KecamatanEntry:
    """The camat verifies his kecamatan's part; two clicks verify it once. `on_behalf`: the
    district admin, for a kecamatan without an active camat account (recorded as such)."""
    _check_open(entry.deliverable.year_action.district_year)
    _check_on_behalf(entry, on_behalf)
    return transitions.move(
        entry,
        sources=(KecamatanEntry.Status.DRAFT,),
        target=KecamatanEntry.Status.VERIFIED,
        refused=_entry_refused,
        check=_entry_filled,
        fields=lambda locked, now: {
            "verified_by": by,
            "verified_at": now,
            "return_reason": "",
            "on_behalf": on_behalf,
        },
        audit=lambda locked: record(
            "kecamatan_entry_verify",
            actor=by,
            district=entry.district,
            target=_entry_label(entry),
            **({"on_behalf": True} if on_behalf else {}),
        ),
    )


@transaction.atomic
def return_kecamatan_entry(
    *, entry: KecamatanEntry, reason: str, by, on_behalf: bool = False
) -> KecamatanEntry:
    """The camat sends his kecamatan's part back with a reason, to be filled again (or the
    district admin on behalf of a kecamatan without an active camat account)."""
    _check_open(entry.deliverable.year_action.district_year)
    _check_on_behalf(entry, on_behalf)
    reason = clean_one(reason, RETURN_REASON_MAX, "reason").strip()
    if not reason:
        raise ValidationError(
            _("Tuliskan alasan pengembalian agar kecamatan tahu apa yang diperbaiki.")
        )
    return transitions.move(
        entry,
        sources=(KecamatanEntry.Status.DRAFT,),
        target=KecamatanEntry.Status.RETURNED,
        refused=_entry_refused,
        fields=lambda locked, now: {"return_reason": reason, "on_behalf": on_behalf},
        audit=lambda locked: record(
            "kecamatan_entry_return",
            actor=by,
            district=entry.district,
            target=_entry_label(entry),
            reason=reason,
            **({"on_behalf": True} if on_behalf else {}),
        ),
    )


@dataclass
class StageRow:
    deliverable: Deliverable
    entries: list
    verified: int
    total: int


def kecamatan_stage(district_year: DistrictYear) -> list[StageRow]:
    """The year's deliverables with a kecamatan stage and their kecamatan rows, as the active
    scope shows them (a camat: his kecamatan only). Three queries whatever the number of
    kecamatan; the counts are of the rows shown."""
    deliverables = list(
        Deliverable.objects.filter(
            year_action__district_year=district_year, template__kecamatan_stage=True
        )
        .select_related("template", "year_action__action")
        .order_by("year_action__action__number", "template__number")
    )
    entries = (
        KecamatanEntry.objects.filter(
            deliverable__in=[d.pk for d in deliverables], kecamatan__retired_at__isnull=True
        )
        .select_related("kecamatan", "filled_by", "verified_by")
        .order_by("kecamatan__code")
    )
    by_deliverable: dict = {}
    for entry in entries:
        by_deliverable.setdefault(entry.deliverable_id, []).append(entry)
    rows = []
    for d in deliverables:
        items = by_deliverable.get(d.pk, [])
        for entry in items:
            entry.deliverable = d
        verified = sum(1 for e in items if e.status == KecamatanEntry.Status.VERIFIED)
        rows.append(StageRow(deliverable=d, entries=items, verified=verified, total=len(items)))
    return rows


# --- The board ------------------------------------------------------------------------------


@dataclass
class ActionRow:
    year_action: YearAction
    deliverables: list
    numbers: summaries.ActionStatus | None = None  # the summary's (on the unfiltered board)

    @property
    def percent(self) -> int:
        return self.numbers.percent if self.numbers else 0


def board(district_year: DistrictYear, *, agency_id=None, status=None):
    """The year's actions with their deliverables, in a fixed number of queries."""
    year_actions = (
        YearAction.objects.filter(district_year=district_year)
        .select_related("action", "lead_agency")
        .prefetch_related("responsible")
        .order_by("action__number")
    )
    deliverables = (
        Deliverable.objects.filter(year_action__district_year=district_year)
        .select_related("template", "supporting_agency")
        .order_by("template__number")
    )
    if agency_id:
        # the actions the agency leads, and the deliverables it supports in other actions
        year_actions = year_actions.filter(
            Q(lead_agency_id=agency_id) | Q(deliverables__supporting_agency_id=agency_id)
        ).distinct()
        deliverables = deliverables.filter(
            Q(year_action__lead_agency_id=agency_id) | Q(supporting_agency_id=agency_id)
        )
    if status:
        deliverables = deliverables.filter(status=status)
    grouped = {}
    for d in deliverables:
        grouped.setdefault(d.year_action_id, []).append(d)
    rows = []
    for ya in year_actions:
        items = grouped.get(ya.pk, [])
        if status and not items:
            continue
        rows.append(ActionRow(ya, items))
    return rows


@dataclass
class Summary:
    rows: list
    overdue: list
    upcoming: list
    progress: summaries.YearProgress


def summary(district_year: DistrictYear, district: District) -> Summary:
    """The board's head: the numbers come from `summaries.year_actions`, the lists of
    overdue and upcoming deliverables (to link to) from the board itself."""
    today = district.local_now().date()
    numbers = summaries.year_actions([district], district_year.year)[district.pk]
    by_number = {a.number: a for a in numbers.actions}
    rows = board(district_year)
    everything = [d for row in rows for d in row.deliverables]
    for row in rows:
        row.numbers = by_number.get(row.year_action.action.number)
        for d in row.deliverables:
            d.action_row = row
    overdue = sorted((d for d in everything if d.is_overdue(today)), key=lambda d: d.due_date)
    upcoming = sorted(
        (d for d in everything if d.status != Status.VERIFIED and d.due_date >= today),
        key=lambda d: d.due_date,
    )[:5]
    return Summary(rows=rows, overdue=overdue, upcoming=upcoming, progress=numbers.progress)


# --- Reminders ------------------------------------------------------------------------------

# Days after the due date (negative: before) at which responsible users hear about it.
REMINDER_THRESHOLDS = (-7, -1, 1, 7)


def reminder_threshold(days_after_due: int) -> int | None:
    """The latest threshold reached: a run missed on the day still sends the next day."""
    reached = [t for t in REMINDER_THRESHOLDS if t <= days_after_due]
    if not reached:
        return None
    t = reached[-1]
    # a "before" reminder is stale once the due date has passed; the "after" ones take over
    if t < 0 and days_after_due > 0:
        return None
    return t


def reminder_recipients(year_action: YearAction, staff_by_agency: dict) -> list[str]:
    users = list(year_action.responsible.all())
    if not users and year_action.lead_agency_id:
        users = staff_by_agency.get(year_action.lead_agency_id, [])
    return sorted({u.email for u in users if u.is_active})


def send_deadline_reminders(*, now=None) -> int:
    """Email the people responsible for open deliverables 7 days and 1 day before the due
    date, and 1 and 7 days after it, judged in each district's time zone. Each (deliverable,
    threshold) is claimed by a unique row before sending, in the same transaction: a rerun or
    a second worker never sends it twice, and a failed send is retried the next run."""
    now = now or timezone.now()
    sent = 0
    for district in each_district(DistrictYear, status=DistrictYear.Status.OPEN):
        sent += _remind_district(district, now.astimezone(district.tz).date())
    return sent


def _remind_district(district: District, today: date) -> int:
    candidates = (
        Deliverable.objects.filter(
            district=district,
            year_action__district_year__status=DistrictYear.Status.OPEN,
            status__in=OPEN_STATUSES,
            due_date__lte=today + timedelta(days=-min(REMINDER_THRESHOLDS)),
        )
        .select_related("template", "year_action__action", "year_action__district_year")
        .prefetch_related("year_action__responsible")
    )
    done = set(
        ReminderSent.objects.filter(district=district).values_list("deliverable_id", "threshold")
    )
    staff_by_agency = {}
    for m in (
        Membership.objects.active()
        .filter(district=district, role=Role.OPD_STAFF)
        .select_related("user")
    ):
        staff_by_agency.setdefault(m.agency_id, []).append(m.user)
    sent = 0
    for deliverable in candidates:
        days_after = (today - deliverable.due_date).days
        threshold = reminder_threshold(days_after)
        if threshold is None or (deliverable.pk, threshold) in done:
            continue
        recipients = reminder_recipients(deliverable.year_action, staff_by_agency)
        if not recipients:
            continue
        try:
            with transaction.atomic():
                ReminderSent.objects.create(
                    district=district,
                    deliverable=deliverable,
                    threshold=threshold,
                    recipients=recipients,
                )
                _send_reminder(district, deliverable, threshold, recipients, today)
        except IntegrityError:
            continue  # another run claimed it first
        sent += 1
    return sent


def _send_reminder(district, deliverable, threshold, recipients, today):
    link = settings.SITE_URL + reverse(
        "deliverable_detail",
        kwargs={"district_slug": district.slug, "deliverable_id": deliverable.pk},
    )
    context = {
        "district": district,
        "deliverable": deliverable,
        "action": deliverable.year_action.action,
        "days": abs(threshold),
        "before": threshold < 0,
        "link": link,
        "today": today,
    }
    with translation.override("id"):
        subject = render_to_string("convergence/email/reminder_subject.txt", context).strip()
        body = render_to_string("convergence/email/reminder_body.txt", context)
    send_mail(subject, body, None, recipients)


# --- Performance assessment -----------------------------------------------------------------


@dataclass
class ActionScore:
    """One action on the assessment page: its indicators with the grades given (to show and
    link) and its numbers (from `summaries.year_actions`)."""

    year_action: YearAction
    indicators: list  # (indicator, self grade | None, province grade | None)
    score: summaries.Score

    @property
    def self_score(self) -> Decimal:
        return self.score.self_score

    @property
    def province_score(self) -> Decimal:
        return self.score.province_score

    @property
    def maximum(self) -> Decimal:
        return self.score.maximum

    @property
    def difference(self) -> Decimal:
        return self.score.difference


@dataclass
class Scores:
    """The assessment page: its rows, and the year's totals from `summaries.year_actions`."""

    actions: list
    numbers: summaries.YearActions

    @property
    def self_total(self) -> Decimal:
        return self.numbers.score.self_score

    @property
    def province_total(self) -> Decimal:
        return self.numbers.score.province_score

    @property
    def maximum(self) -> Decimal:
        return self.numbers.score.maximum

    @property
    def difference(self) -> Decimal:
        return self.numbers.score.difference

    @property
    def self_percent(self) -> Decimal | None:
        return self.numbers.score.self_percent

    @property
    def province_percent(self) -> Decimal | None:
        return self.numbers.score.province_percent

    @property
    def self_graded(self) -> int:
        return self.numbers.score.self_graded

    @property
    def province_graded(self) -> int:
        return self.numbers.score.province_graded

    @property
    def indicator_count(self) -> int:
        return self.numbers.score.indicators

    @property
    def self_class(self) -> str:
        return self.numbers.self_class

    @property
    def province_class(self) -> str:
        return self.numbers.province_class


def scores(district_year: DistrictYear) -> Scores:
    """The assessment of a year: each action's indicators with their grades, and the scores
    that `summaries.year_actions` computes (the one place scores are added up)."""
    numbers = summaries.year_actions([district_year.district], district_year.year)[
        district_year.district_id
    ]
    by_number = {a.number: a.score for a in numbers.actions}
    year_actions = (
        YearAction.objects.filter(district_year=district_year)
        .select_related("action")
        .order_by("action__number")
    )
    indicators = (
        Indicator.objects.filter(action__framework_id=district_year.framework_id)
        .prefetch_related("options")
        .order_by("action__number", "number")
    )
    grades = {
        (g.indicator_id, g.source): g
        for g in Grade.objects.filter(district_year=district_year)
        .select_related("option", "indicator")
        .prefetch_related("evidence")
    }
    by_action = {}
    for indicator in indicators:
        by_action.setdefault(indicator.action_id, []).append(indicator)
    rows = [
        ActionScore(
            ya,
            [
                (
                    indicator,
                    grades.get((indicator.pk, Grade.Source.SELF)),
                    grades.get((indicator.pk, Grade.Source.PROVINCE)),
                )
                for indicator in by_action.get(ya.action_id, [])
            ],
            by_number[ya.action.number],
        )
        for ya in year_actions
    ]
    return Scores(actions=rows, numbers=numbers)


@transaction.atomic
def grade_indicator(
    *,
    district_year: DistrictYear,
    indicator,
    option: GradeOption,
    source: str,
    justification: str,
    evidence=(),
    by,
) -> Grade:
    """Record one grade. A self-assessment needs a justification; evidence must belong to the
    same action of the same year."""
    if source == Grade.Source.SELF:
        _check_open(district_year)
    else:
        district_year = DistrictYear.objects.select_for_update().get(pk=district_year.pk)
        _check_province_open(district_year)
    if (
        option.indicator_id != indicator.pk
        or indicator.action.framework_id != district_year.framework_id
    ):
        raise ValidationError(_("Pilihan nilai tidak sesuai dengan indikator."))
    justification = clean_one(justification, NOTE, "justification").strip()
    if source == Grade.Source.SELF and not justification:
        raise ValidationError(_("Tuliskan alasan penilaian untuk indikator ini."))
    evidence = list(evidence)
    for item in evidence:
        ya = item.deliverable.year_action
        if ya.district_year_id != district_year.pk or ya.action_id != indicator.action_id:
            raise ValidationError(_("Bukti harus berasal dari aksi yang sama pada tahun ini."))
    grade, _created = Grade.objects.update_or_create(
        district=district_year.district,
        district_year=district_year,
        indicator=indicator,
        source=source,
        defaults={
            "option": option,
            "justification": justification,
            "graded_by": by,
            "graded_at": timezone.now(),
        },
    )
    grade.evidence.set(evidence)
    record(
        f"grade_{source}",
        actor=by,
        district=district_year.district,
        target=f"{indicator.action.code} #{indicator.number}",
        grade=option.grade,
    )
    return grade
