"""Rembuk stunting workflows: sessions, participants and attendance (also self check-in with
the session's QR code), minutes and photos, and the agreed activity plan (DOMAIN.md §6).

Views, the public check-in page and tests call these; each owns its transaction and records
what it did in the audit log. Who may see a session is `session_for` (404); who may create and
manage which is decided in accounts.policy (`may_create_session`, `may_manage_session`): a
district admin everything, a camat his kecamatan's sessions and those of its villages, a
village head his village's.
"""

import io
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import policy
from accounts.audit import record
from accounts.models import Membership, Role
from documents.files import store_upload
from lib import generations, pasted, text
from lib.stale import check_fresh
from lib.uploads import DOCX, JPEG, PDF, PNG, read_upload
from villages.models import Agency, District, Kecamatan, Village

from . import summaries
from .models import (
    Attendance,
    Level,
    Participant,
    PlanItem,
    RembukSession,
    RkpdStatus,
    SessionFile,
    new_checkin_code,
)

# a district rembuk has hundreds of people; one paste adds up to lib.pasted.MAX_PASTED_LINES
MAX_PARTICIPANTS = 10_000
MAX_FILES = 100
MAX_PLAN_ITEMS = 300
MAX_BUDGET = 10**15  # rupiah; more than any district's whole budget
THUMBNAIL_SIZE = 480
# Self check-in without an invitation: at most this many walk-ins per session in any
# WALK_IN_WINDOW (a hundred invited guests still check in freely); the view limits each
# address too (rembuk.views.WALK_INS_PER_ADDRESS).
WALK_INS_PER_WINDOW = 30
WALK_IN_WINDOW = timedelta(minutes=10)
MAX_PHOTO_PIXELS = 50_000_000  # a 50-megapixel phone photo; beyond that, decoding costs too much

FILE_RULES = {
    SessionFile.Kind.MINUTES: (
        (PDF, PNG, JPEG, DOCX),
        gettext_lazy(
            "Jenis berkas tidak diterima. Unggah notulen sebagai PDF, PNG, JPEG atau DOCX."
        ),
    ),
    SessionFile.Kind.PHOTO: (
        (PNG, JPEG),
        gettext_lazy("Jenis berkas tidak diterima. Foto harus berupa gambar PNG atau JPEG."),
    ),
}


# --- Who may see, create and manage -----------------------------------------------------------


def session_for(request, session_id) -> RembukSession:
    """The session if it is in this district and the user may see it; otherwise 404, the same
    answer as for a session that does not exist."""
    session = (
        RembukSession.objects.visible_to(request.access)
        .select_related("district", "kecamatan", "village", "created_by")
        .filter(pk=session_id, district=request.district)
        .first()
    )
    policy.require(session is not None, not_found=True)
    return session


# The rules themselves live in accounts.policy; tests/rembuk/test_sessions.py calls them by
# these names.
may_manage = policy.may_manage_session
may_create = policy.may_create_session


@dataclass
class CreationChoices:
    levels: list[str]
    kecamatan: list[Kecamatan]
    villages: list[Village]


def creation_choices(access, district: District) -> CreationChoices:
    """What the create form offers this user: only levels and areas he may use."""
    kecamatan = Kecamatan.objects.active().filter(district=district).order_by("name")
    villages = (
        Village.objects.active()
        .filter(district=district)
        .select_related("kecamatan")
        .order_by("kecamatan__name", "name")
    )
    if access.has_role(Role.DISTRICT_ADMIN):
        return CreationChoices(list(Level.values), list(kecamatan), list(villages))
    levels, kec_ids, village_ids = [], set(), set()
    if access.has_role(Role.CAMAT):
        levels += [Level.KECAMATAN, Level.VILLAGE]
        kec_ids |= access.kecamatan_ids
    if access.has_role(Role.VILLAGE_HEAD):
        if Level.VILLAGE not in levels:
            levels.append(Level.VILLAGE)
        village_ids |= access.village_ids
    return CreationChoices(
        levels,
        [k for k in kecamatan if k.id in kec_ids] if Level.KECAMATAN in levels else [],
        [v for v in villages if v.id in village_ids or v.kecamatan_id in kec_ids],
    )


# --- Sessions -----------------------------------------------------------------------------------

# characters (lib.text): the text a session keeps
SESSION_TEXT = {
    "title": 250,
    "venue": 250,
    "chair": 200,
    "agenda": text.NOTE,
    "minutes": text.MINUTES,
}
SESSION_FIELDS = ("title", "starts_at", "venue", "chair", "agenda", "minutes", "checkin_open")


def _area(district, level, kecamatan, village):
    if level == Level.DISTRICT:
        return None, None
    if level == Level.KECAMATAN:
        if kecamatan is None or kecamatan.district_id != district.id:
            raise ValidationError({"kecamatan": _("Pilih kecamatan di daerah ini.")})
        return kecamatan, None
    if village is None or village.district_id != district.id:
        raise ValidationError({"village": _("Pilih desa/kelurahan di daerah ini.")})
    if kecamatan is not None and kecamatan.id != village.kecamatan_id:
        raise ValidationError({"village": _("Desa/kelurahan itu tidak berada di kecamatan ini.")})
    return village.kecamatan, village


def _check_year(year):
    if not isinstance(year, int) or not 2015 <= year <= 2100:
        raise ValidationError({"year": _("Isi tahun antara 2015 dan 2100.")})


@transaction.atomic
def create_session(
    *,
    district: District,
    level: str,
    kecamatan: Kecamatan | None = None,
    village: Village | None = None,
    by,
    title: str,
    starts_at: datetime,
    venue: str,
    year: int | None = None,
    chair: str = "",
    agenda: str = "",
    minutes: str = "",
    checkin_open: bool = True,
) -> RembukSession:
    """A new session. Its kecamatan follows from its village; its year, unless given, is the
    year of its start in the district's time zone. The caller has checked `may_create`."""
    try:
        level = Level(level)
    except ValueError as exc:
        raise ValidationError({"level": _("Pilih tingkat rembuk.")}) from exc
    kecamatan, village = _area(district, level, kecamatan, village)
    if starts_at is None or timezone.is_naive(starts_at):
        raise ValidationError({"starts_at": _("Isi tanggal dan jam mulai.")})
    if year is None:
        year = starts_at.astimezone(district.tz).year
    _check_year(year)
    given = {"title": title, "venue": venue, "chair": chair, "agenda": agenda, "minutes": minutes}
    values = text.cleaned(**{k: (v, SESSION_TEXT[k]) for k, v in given.items()})
    session = RembukSession(
        district=district,
        level=level,
        kecamatan=kecamatan,
        village=village,
        year=year,
        starts_at=starts_at,
        **{k: v.strip() for k, v in values.items()},
        checkin_open=checkin_open,
        created_by=by,
    )
    session.full_clean()
    session.save()
    record(
        "rembuk_created",
        actor=by,
        district=district,
        target=session.title,
        session=str(session.pk),
        level=level.value,
        area=session.area_name,
    )
    return session


@transaction.atomic
def update_session(
    session: RembukSession, *, by, expected: str | None = None, **fields
) -> list[str]:
    """Change what the organisers may change (not the level or the area: that would change
    who manages the session). Returns the names of the fields that changed. A change typed on
    a page that someone else's save has overtaken (`expected`, lib.stale) is refused."""
    unknown = set(fields) - set(SESSION_FIELDS) - {"year"}
    if unknown:
        raise TypeError(f"update_session() got unexpected fields {sorted(unknown)}")
    fields.update(
        text.cleaned(**{k: (v, SESSION_TEXT[k]) for k, v in fields.items() if k in SESSION_TEXT})
    )
    session = (
        RembukSession.objects.select_for_update(of=("self",))
        .select_related("district", "updated_by")
        .get(pk=session.pk)
    )
    check_fresh(session, expected)
    changed = []
    for name, value in fields.items():
        if isinstance(value, str):
            value = value.strip()
        if getattr(session, name) != value:
            setattr(session, name, value)
            changed.append(name)
    if "year" in changed:
        _check_year(session.year)
    if not changed:
        return []
    session.full_clean()
    session.updated_by = by
    session.save(update_fields=[*changed, "updated_at", "updated_by"])
    record(
        "rembuk_changed",
        actor=by,
        district=session.district,
        target=session.title,
        session=str(session.pk),
        fields=sorted(changed),
    )
    return changed


@transaction.atomic
def renew_checkin_code(session: RembukSession, *, by) -> str:
    """A new code for the QR: the old link stops working (e.g. after it was shared too widely)."""
    code = new_checkin_code()
    RembukSession.objects.filter(pk=session.pk).update(checkin_code=code)
    session.checkin_code = code
    record("rembuk_checkin_code_renewed", actor=by, district=session.district, target=session)
    return code


# --- Participants ---------------------------------------------------------------------------------


ParticipantLine = pasted.PastedPerson


@dataclass(frozen=True)
class Skipped:
    """A person not added, and why: a bad line, a repeat within the paste, or someone
    already on the list."""

    number: int  # the line in the paste; 0 for someone not pasted (a village head)
    text: str
    reason: str
    kind: str  # one of SKIP_KINDS

    def as_row(self) -> list:
        return [self.number, self.text, self.reason, self.kind]


# why someone was skipped, as the page counts them
SKIP_KINDS = {
    "invalid": gettext_lazy("baris tidak sah"),
    "in_paste": gettext_lazy("ganda dalam tempelan"),
    "present": gettext_lazy("sudah ada di daftar"),
}


def parse_participant_lines(pasted_text: str) -> tuple[list[ParticipantLine], list[str]]:
    """Lines of "name; position; organisation" (lib.pasted). Returns the lines and one
    message per bad line."""
    people, bad = pasted.read_people(pasted_text)
    return people, [pasted.line_message(b) for b in bad]


def _locked(session: RembukSession) -> RembukSession:
    """The session row locked: participants of one session are added one writer at a time,
    so two check-ins of the same walk-in cannot both create a row."""
    return (
        RembukSession.objects.select_for_update(of=("self",))
        .select_related("district", "kecamatan", "village")
        .get(pk=session.pk)
    )


def _next_order(session) -> int:
    top = Participant.objects.filter(session=session).aggregate(top=Max("order"))["top"]
    return (top or 0) + 1


def _check_room(session, existing: int, adding: int):
    if existing + adding > MAX_PARTICIPANTS:
        raise ValidationError(
            _("Satu rembuk paling banyak %(max)d peserta (sudah ada %(n)d).")
            % {"max": MAX_PARTICIPANTS, "n": existing}
        )


def _person_text(line: ParticipantLine) -> str:
    return "; ".join(p for p in (line.name, line.position, line.organisation) if p)


@transaction.atomic
def add_participants(
    session: RembukSession, *, lines: list[ParticipantLine], by, bad_lines=()
) -> tuple[list[Participant], list[Skipped]]:
    """Invite several people at once, in a handful of queries whatever their number. Someone
    with the same name, position and organisation as a person already on the list, or as an
    earlier line of the paste (ignoring case and spacing), is skipped; so are the paste's bad
    lines (`bad_lines`, lib.pasted.BadLine). Returns the new participants and the skipped
    ones with their reasons, in the order of the paste."""
    session = _locked(session)
    present = list(
        Participant.objects.filter(session=session).values_list("name", "position", "organisation")
    )
    # key -> the paste's line that brought it (0: on the list before)
    seen: dict = {ParticipantLine(*row).key: 0 for row in present}
    order = _next_order(session)
    new, skipped = [], []
    for bad in bad_lines:
        skipped.append(Skipped(bad.number, bad.text, bad.reason, "invalid"))
    for line in lines:
        if not pasted.same(line.name):
            continue
        key = line.key
        if key in seen:
            earlier = seen[key]
            if earlier == 0:
                reason, kind = _("sudah ada di daftar peserta"), "present"
            elif earlier > 0:
                reason, kind = (
                    _("sama dengan baris %(n)d tempelan ini") % {"n": earlier},
                    "in_paste",
                )
            else:
                reason, kind = _("tertulis dua kali"), "in_paste"
            skipped.append(Skipped(line.number, _person_text(line), reason, kind))
            continue
        seen[key] = line.number or -1
        new.append(
            Participant(
                session=session,
                district_id=session.district_id,
                name=" ".join(line.name.split()),
                position=" ".join(line.position.split()),
                organisation=" ".join(line.organisation.split()),
                order=order,
            )
        )
        order += 1
    _check_room(session, len(present), len(new))
    for p in new:
        # the fields only: a uniqueness check would cost one query per new row
        p.full_clean(
            exclude=["session", "district", "user"],
            validate_unique=False,
            validate_constraints=False,
        )
    Participant.objects.bulk_create(new)
    if new:
        record(
            "rembuk_participants_added",
            actor=by,
            district=session.district,
            target=session.title,
            session=str(session.pk),
            count=len(new),
            skipped=len(skipped),
        )
    skipped.sort(key=lambda s: s.number)
    return new, skipped


def add_participant(
    session: RembukSession, *, name: str, position: str = "", organisation: str = "", by
) -> Participant:
    """Invite one person; someone with the same name, position and organisation already on
    the list is refused."""
    new, _skipped = add_participants(
        session,
        lines=[ParticipantLine(name.strip(), position.strip(), organisation.strip())],
        by=by,
    )
    if not new:
        raise ValidationError(
            {"name": _("%(name)s sudah ada di daftar peserta.") % {"name": name.strip()}}
            if name.strip()
            else {"name": _("Isi nama peserta.")}
        )
    return new[0]


def village_head_memberships(session: RembukSession) -> list[Membership]:
    """Active village heads of the session's area: the whole district, the kecamatan or the
    village."""
    memberships = (
        Membership.objects.active()
        .filter(role=Role.VILLAGE_HEAD, district_id=session.district_id)
        .select_related("user", "village__kecamatan")
        .order_by("village__kecamatan__name", "village__name", "user__full_name")
    )
    if session.level == Level.KECAMATAN:
        memberships = memberships.filter(village__kecamatan_id=session.kecamatan_id)
    elif session.level == Level.VILLAGE:
        memberships = memberships.filter(village_id=session.village_id)
    return list(memberships)


@transaction.atomic
def add_village_heads(session: RembukSession, *, by) -> tuple[list[Participant], list[Skipped]]:
    """Invite every user holding an active village-head membership in the session's area,
    linked to his account (so that he checks in with one click). Those already invited, as
    the same user or as the same name, position and organisation, are skipped."""
    session = _locked(session)
    existing = list(
        Participant.objects.filter(session=session).values_list(
            "name", "position", "organisation", "user_id"
        )
    )
    keys = {ParticipantLine(n, p, o).key for n, p, o, _user in existing}
    users = {user_id for *_text, user_id in existing if user_id}
    order = _next_order(session)
    new, skipped = [], []
    for m in village_head_memberships(session):
        line = ParticipantLine(
            (m.user.full_name or m.user.email)[:200],
            (m.position or "Kepala desa/lurah")[:200],  # stored data: Indonesian
            f"{m.village.kind_label} {m.village.name}"[:200],
        )
        if m.user_id in users or line.key in keys:
            skipped.append(
                Skipped(0, _person_text(line), _("sudah ada di daftar peserta"), "present")
            )
            continue
        users.add(m.user_id)
        keys.add(line.key)
        new.append(
            Participant(
                session=session,
                district_id=session.district_id,
                name=line.name,
                position=line.position,
                organisation=line.organisation,
                user=m.user,
                order=order,
            )
        )
        order += 1
    _check_room(session, len(existing), len(new))
    Participant.objects.bulk_create(new)
    if new:
        record(
            "rembuk_participants_added",
            actor=by,
            district=session.district,
            target=session.title,
            session=str(session.pk),
            count=len(new),
            village_heads=True,
        )
    return new, skipped


@transaction.atomic
def remove_participant(participant: Participant, *, by):
    session = participant.session
    participant.delete()
    record(
        "rembuk_participant_removed",
        actor=by,
        district=session.district,
        target=session.title,
        session=str(session.pk),
        name=participant.name,
    )


@transaction.atomic
def remove_walk_ins(session: RembukSession, *, ids=None, by) -> int:
    """Remove the session's walk-ins (participants without an invitation): those in `ids`, or
    all of them when `ids` is None. Invited participants are never touched here. Returns how
    many were removed; one audit event names them."""
    session = _locked(session)
    walk_ins = Participant.objects.filter(session=session, invited=False)
    if ids is not None:
        walk_ins = walk_ins.filter(pk__in=list(ids))
    names = list(walk_ins.order_by("order").values_list("name", flat=True))
    if not names:
        return 0
    walk_ins.delete()
    record(
        "rembuk_walk_ins_removed",
        actor=by,
        district=session.district,
        target=session.title,
        session=str(session.pk),
        count=len(names),
        names=names[:100],
    )
    return len(names)


@transaction.atomic
def mark_attendance(participant: Participant, *, present: bool, by) -> Participant:
    """The organisers tick someone present or take the tick away. Ticking a participant who
    is already present keeps the time he arrived."""
    participant = Participant.objects.select_for_update().get(pk=participant.pk)
    if present == participant.present:
        return participant
    if present:
        participant.attended_at = timezone.now()
        participant.attendance = Attendance.ORGANISER
    else:
        participant.attended_at = None
        participant.attendance = ""
    participant.save(update_fields=["attended_at", "attendance"])
    session = participant.session
    record(
        "rembuk_attendance",
        actor=by,
        district=session.district,
        target=session.title,
        session=str(session.pk),
        name=participant.name,
        present=present,
    )
    return participant


def _invited_as(participants, name, position, organisation):
    """The participant someone checking in by name is: of those with his name (ignoring case
    and spacing), the one with his position and organisation, else the first not yet
    present, else the first (two people may share a name; a duplicate is the same name,
    position and organisation)."""
    key = Participant.name_key(name)
    named = [p for p in participants if Participant.name_key(p.name) == key]
    role = (pasted.same(position), pasted.same(organisation))
    return (
        next(
            (p for p in named if (pasted.same(p.position), pasted.same(p.organisation)) == role),
            None,
        )
        or next((p for p in named if not p.present), None)
        or (named[0] if named else None)
    )


CHECKIN_REFUSED = {
    "closed": gettext_lazy("Presensi mandiri untuk rembuk ini ditutup oleh panitia."),
    "early": gettext_lazy("Presensi mandiri dibuka dua jam sebelum acara dimulai."),
    "over": gettext_lazy("Presensi mandiri untuk rembuk ini sudah berakhir."),
}


@transaction.atomic
def check_in(
    session: RembukSession,
    *,
    code: str,
    name: str,
    position: str = "",
    organisation: str = "",
    user=None,
    walk_in_allowed: bool = True,
) -> Participant:
    """Self check-in from the QR code. Finds the participant by the logged-in user, else by
    name (ignoring case and spacing), else adds him as a walk-in (invited=False). Checking in
    twice changes nothing. Refused when the code does not match, when the organisers have
    closed self check-in, or outside the window (two hours before the start until the end of
    that day in the district's time zone). A new walk-in is also refused when the session
    had WALK_INS_PER_WINDOW walk-ins in the last WALK_IN_WINDOW, or when the caller says so
    (`walk_in_allowed`: the address has used its budget), so that whoever holds the code
    cannot fill the list with made-up names."""
    if not secrets.compare_digest(str(code), session.checkin_code):
        raise ValidationError(_("Kode presensi tidak cocok."))
    session = _locked(session)
    state = session.checkin_state()
    if state != "open":
        raise ValidationError(str(CHECKIN_REFUSED[state]))
    if user is not None and not user.is_authenticated:
        user = None
    name = " ".join(text.strip_bidi(name).split())
    position = " ".join(text.strip_bidi(position).split())[:200]
    organisation = " ".join(text.strip_bidi(organisation).split())[:200]
    participants = list(Participant.objects.filter(session=session))
    participant = None
    if user is not None:
        participant = next((p for p in participants if p.user_id == user.pk), None)
    if participant is None:
        if not name:
            raise ValidationError({"name": _("Isi nama Anda.")})
        if len(name) > 200:
            raise ValidationError({"name": _("Nama paling banyak 200 huruf.")})
        participant = _invited_as(participants, name, position, organisation)
    now = timezone.now()
    if participant is None:
        _check_room(session, len(participants), 1)
        recent = sum(
            1
            for p in participants
            if not p.invited
            and p.attendance == Attendance.SELF
            and p.attended_at
            and p.attended_at > now - WALK_IN_WINDOW
        )
        if not walk_in_allowed or recent >= WALK_INS_PER_WINDOW:
            raise ValidationError(
                _(
                    "Terlalu banyak peserta tanpa undangan mencatat kehadiran dalam waktu singkat. "
                    "Minta panitia mencatat kehadiran Anda."
                )
            )
        participant = Participant.objects.create(
            session=session,
            district_id=session.district_id,
            name=name,
            position=position,
            organisation=organisation,
            user=user,
            invited=False,
            attended_at=now,
            attendance=Attendance.SELF,
            order=max((p.order for p in participants), default=0) + 1,
        )
    elif participant.attended_at is None:
        participant.attended_at = now
        participant.attendance = Attendance.SELF
        fields = ["attended_at", "attendance"]
        # fill in what the invitation list left blank, never overwrite it
        if position and not participant.position:
            participant.position = position
            fields.append("position")
        if organisation and not participant.organisation:
            participant.organisation = organisation
            fields.append("organisation")
        participant.save(update_fields=fields)
    else:
        return participant
    record(
        "rembuk_checked_in",
        actor=user,
        district=session.district,
        target=session.title,
        session=str(session.pk),
        name=participant.name,
        walk_in=not participant.invited,
    )
    return participant


# --- Minutes and photos ---------------------------------------------------------------------------


def _thumbnail(data: bytes) -> bytes:
    """A small JPEG of a photo, turned upright, without the photo's metadata (location)."""
    from PIL import Image, ImageOps

    unreadable = _("Gambar tidak dapat dibaca. Unggah foto PNG atau JPEG yang utuh.")
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            if width * height > MAX_PHOTO_PIXELS:
                raise ValidationError(
                    _("Foto terlalu besar (%(mp)d megapiksel); batasnya %(max)d megapiksel.")
                    % {"mp": width * height // 1_000_000, "max": MAX_PHOTO_PIXELS // 1_000_000}
                )
            image.draft("RGB", (THUMBNAIL_SIZE * 2, THUMBNAIL_SIZE * 2))  # JPEG: decode small
            image = ImageOps.exif_transpose(image).convert("RGB")
            image.thumbnail((THUMBNAIL_SIZE, THUMBNAIL_SIZE))
            out = io.BytesIO()
            image.save(out, format="JPEG", quality=80, optimize=True)
    except ValidationError:
        raise
    except Exception as exc:  # Pillow raises many kinds for a damaged image
        raise ValidationError(unreadable) from exc
    return out.getvalue()


@transaction.atomic
def store_file(session: RembukSession, *, upload, kind: str, caption: str = "", by) -> SessionFile:
    """A minutes file (PDF, PNG, JPEG or DOCX) or a photo (PNG or JPEG), judged from its
    bytes. Photos get a thumbnail. Nothing is stored when the file is refused."""
    try:
        kind = SessionFile.Kind(kind)
    except ValueError as exc:
        raise ValidationError(_("Jenis berkas tidak dikenal.")) from exc
    if upload is None:
        raise ValidationError(_("Pilih berkas yang akan diunggah."))
    caption = " ".join(text.strip_bidi(caption).split())
    if len(caption) > 200:
        raise ValidationError(_("Keterangan paling banyak 200 huruf."))
    session = _locked(session)
    if SessionFile.objects.filter(session=session).count() >= MAX_FILES:
        raise ValidationError(_("Satu rembuk paling banyak %(max)d berkas.") % {"max": MAX_FILES})
    kinds, refused = FILE_RULES[kind]
    data, file_kind = read_upload(upload, kinds=kinds, refused=refused)
    thumbnail = _thumbnail(data) if kind == SessionFile.Kind.PHOTO else None
    default = "foto" if kind == SessionFile.Kind.PHOTO else "notulen"
    stored = SessionFile(
        session=session, district_id=session.district_id, kind=kind, caption=caption
    )
    if thumbnail is not None:
        stored.thumbnail.save("kecil", ContentFile(thumbnail), save=False)
    store_upload(stored, upload, by=by, default_name=default, data=data, kind=file_kind)
    record(
        "rembuk_file_uploaded",
        actor=by,
        district=session.district,
        target=session.title,
        session=str(session.pk),
        kind=kind.value,
        file=stored.original_name,
        sha256=stored.sha256,
    )
    return stored


@transaction.atomic
def remove_file(stored: SessionFile, *, by):
    session = stored.session
    # a minutes file attached to a convergence deliverable is its evidence (RecordLink)
    if stored.deliverable_links.exists():
        raise ValidationError(
            _(
                "Berkas ini dilampirkan sebagai bukti keluaran aksi konvergensi; lepaskan dulu "
                "di halaman keluaran itu."
            )
        )
    paths = [f.name for f in (stored.file, stored.thumbnail) if f]
    storage = stored.file.storage
    stored.delete()
    transaction.on_commit(lambda: [storage.delete(path) for path in paths], robust=True)
    record(
        "rembuk_file_removed",
        actor=by,
        district=session.district,
        target=session.title,
        session=str(session.pk),
        file=stored.original_name,
        sha256=stored.sha256,
    )


# --- The agreed activity plan ---------------------------------------------------------------------

PLAN_FIELDS = (
    "activity",
    "plan_year",
    "programme_code",
    "lead_agency",
    "budget",
    "fund_source",
    "target_indicator",
    "timeframe",
    "in_rkpd",
)


def _plan_villages(session: RembukSession, villages) -> list[Village]:
    villages = list(villages or [])
    if not villages and session.level == Level.VILLAGE:
        return [session.village]
    if any(v.district_id != session.district_id for v in villages):
        raise ValidationError({"villages": _("Lokasi harus desa/kelurahan di daerah ini.")})
    return villages


# a plan line is meant for the rembuk's year or one of the next few (RKPD, then Renja)
PLAN_YEARS_AHEAD = 5


def _check_plan_item(item: PlanItem, session: RembukSession):
    if not isinstance(item.plan_year, int) or not (
        session.year <= item.plan_year <= session.year + PLAN_YEARS_AHEAD
    ):
        raise ValidationError(
            {
                "plan_year": _("Tahun rencana harus antara %(first)s dan %(last)s.")
                % {"first": session.year, "last": session.year + PLAN_YEARS_AHEAD}
            }
        )
    item.programme_code = "".join((item.programme_code or "").split()).upper()
    if item.lead_agency_id is not None and item.lead_agency.district_id != session.district_id:
        raise ValidationError({"lead_agency": _("Pilih OPD daerah ini.")})
    if item.budget is not None and not 0 <= item.budget < MAX_BUDGET:
        raise ValidationError({"budget": _("Isi anggaran dalam rupiah, 0 atau lebih.")})
    for name in ("activity", "fund_source", "target_indicator", "timeframe"):
        setattr(item, name, text.strip_bidi(getattr(item, name) or ""))
    item.activity = " ".join(item.activity.split())
    item.full_clean(exclude=["session", "district", "villages"])


@transaction.atomic
def add_plan_item(
    session: RembukSession,
    *,
    by,
    activity: str,
    plan_year: int | None = None,
    programme_code: str = "",
    lead_agency: Agency | None = None,
    villages=None,
    budget: int | None = None,
    fund_source: str = "",
    target_indicator: str = "",
    timeframe: str = "",
    in_rkpd: str = RkpdStatus.UNKNOWN,
) -> PlanItem:
    """One line of the agreed plan. Its location defaults to the village for a village
    session; every location must be a village of the district. It is meant for the year after
    the rembuk unless `plan_year` says otherwise."""
    session = _locked(session)
    if PlanItem.objects.filter(session=session).count() >= MAX_PLAN_ITEMS:
        raise ValidationError(
            _("Satu rembuk paling banyak %(max)d kegiatan.") % {"max": MAX_PLAN_ITEMS}
        )
    chosen = _plan_villages(session, villages)
    top = PlanItem.objects.filter(session=session).aggregate(top=Max("order"))["top"] or 0
    item = PlanItem(
        session=session,
        district_id=session.district_id,
        activity=activity,
        plan_year=session.year + 1 if plan_year is None else plan_year,
        programme_code=programme_code,
        lead_agency=lead_agency,
        budget=budget,
        fund_source=fund_source,
        target_indicator=target_indicator.strip(),
        timeframe=timeframe.strip(),
        in_rkpd=in_rkpd,
        order=top + 1,
    )
    _check_plan_item(item, session)
    item.save()
    item.villages.set(chosen)
    record(
        "rembuk_plan_added",
        actor=by,
        district=session.district,
        target=item.activity,
        session=str(session.pk),
        budget=item.budget,
    )
    return item


@transaction.atomic
def update_plan_item(
    item: PlanItem, *, by, villages=None, expected: str | None = None, **fields
) -> list[str]:
    """Change a plan line; `villages=None` keeps its locations. Returns what changed. A change
    from an overtaken page (`expected`, lib.stale) is refused."""
    unknown = set(fields) - set(PLAN_FIELDS)
    if unknown:
        raise TypeError(f"update_plan_item() got unexpected fields {sorted(unknown)}")
    item = (
        PlanItem.objects.select_for_update(of=("self",))
        .select_related("session__district", "updated_by")
        .get(pk=item.pk)
    )
    check_fresh(item, expected)
    session = item.session
    changed = []
    for name, value in fields.items():
        if isinstance(value, str):
            value = value.strip()
        if getattr(item, name) != value:
            setattr(item, name, value)
            changed.append(name)
    _check_plan_item(item, session)
    if villages is not None:
        chosen = _plan_villages(session, villages)
        if {v.pk for v in chosen} != set(item.villages.values_list("pk", flat=True)):
            item.villages.set(chosen)
            changed.append("villages")
    if changed:
        item.updated_by = by
        item.save(
            update_fields=[*(c for c in changed if c != "villages"), "updated_at", "updated_by"]
        )
        record(
            "rembuk_plan_changed",
            actor=by,
            district=session.district,
            target=item.activity,
            session=str(session.pk),
            fields=sorted(changed),
        )
    return changed


@transaction.atomic
def remove_plan_item(item: PlanItem, *, by):
    session = item.session
    item.delete()
    record(
        "rembuk_plan_removed",
        actor=by,
        district=session.district,
        target=item.activity,
        session=str(session.pk),
    )


@transaction.atomic
def set_rkpd(item: PlanItem, *, status: str, by) -> PlanItem:
    """Whether the line made it into next year's RKPD/Renja (checked when the plans are out)."""
    try:
        status = RkpdStatus(status)
    except ValueError as exc:
        raise ValidationError(_("Pilih status RKPD/Renja.")) from exc
    updated = PlanItem.objects.filter(pk=item.pk).exclude(in_rkpd=status).update(in_rkpd=status)
    item.in_rkpd = status
    if updated:
        generations.move(generations.DISTRICT_DATA, item.district_id)
        record(
            "rembuk_rkpd_set",
            actor=by,
            district=item.session.district,
            target=item.activity,
            session=str(item.session_id),
            status=status.value,
        )
    return item


def plan_totals(items) -> summaries.PlanTotals:
    """The totals of the plans these loaded items belong to, as `summaries.plan_totals`
    counts them (the one place plan budgets are added up)."""
    items = list(items)
    if not items:
        return summaries.PlanTotals()
    session = items[0].session
    return summaries.plan_totals(
        [session.district], session.year, only_sessions={i.session_id for i in items}
    )[session.district_id]


def district_plan_items(district: District, plan_year: int) -> list[PlanItem]:
    """The lines of the district-level rembuk sessions' plans meant for `plan_year`, in the
    order of their sessions and plans: one query."""
    return list(
        PlanItem.objects.filter(
            district=district, plan_year=plan_year, session__level=Level.DISTRICT
        )
        .select_related("session", "lead_agency")
        .order_by("session__starts_at", "session_id", "order", "activity")
    )
