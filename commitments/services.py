"""Commitment documents: writing, signatories, signing, the final PDF and follow-up.

Every function owns its transaction and locks the document row first, so that two people
changing or signing the same document take turns, and the hash chain (commitments/chain.py)
never forks. Content is frozen once signed: a change makes the next version and voids the
current one with its signatures.
"""

import hashlib
import logging
import re
import uuid
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Case, F, PositiveIntegerField, Value, When
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import reauth
from accounts.audit import record
from documents import jobs, transitions
from documents.files import store_generated, store_upload
from documents.models import GeneratedDocument, Job
from documents.seal import seal_pdf
from lib import generations, scans, text
from lib.pasted import same
from lib.stale import check_fresh
from lib.uploads import JPEG, PDF, PNG, clean_file_name, display_name, read_upload

from . import chain, sheets, wording
from .models import (
    CommitmentDocument,
    DocumentTemplate,
    DocumentVersion,
    FollowUp,
    FollowUpEvidence,
    FollowUpStatus,
    PaperBatch,
    Signatory,
    Signature,
    SignatureEvent,
    Template,
    VillageIssue,
)

Status = CommitmentDocument.Status
logger = logging.getLogger(__name__)
PAPER_KINDS = (PDF, PNG, JPEG)
PAPER_REFUSED = _("Lembar bertanda tangan harus PDF atau gambar PNG/JPEG.")
# documents with more signatories than this render their PDF in a Celery job with progress
INLINE_RENDER_LIMIT = 30
# wording limits (characters; lib.text for the shared ones) and the signatory columns' sizes
TITLE_MAX = 300
PLACE_MAX = 120
MAX_POINTS = 40
SIGNATORY_LIMITS = {"position": 200, "name": 200, "rank": 120, "organisation": 200}


# --- rules about single values ----------------------------------------------------------------


def clean_nip(value: str) -> str:
    """An NIP (nomor induk pegawai) as 18 digits, or "" when none is given. Spaces and dots
    are allowed while typing. The digits are: date of birth (yyyymmdd), month of appointment
    (yyyymm), sex (1 or 2) and a serial number."""
    nip = re.sub(r"[\s.]", "", value or "")
    if not nip:
        return ""
    if not nip.isdigit() or len(nip) != 18:
        raise ValidationError(
            _("NIP harus 18 angka (yang diisi: %(n)s angka).")
            % {"n": sum(c.isdigit() for c in nip)}
            if nip.isdigit()
            else _("NIP hanya berisi angka (18 angka).")
        )
    try:
        born = date(int(nip[0:4]), int(nip[4:6]), int(nip[6:8]))
    except ValueError:
        raise ValidationError(_("NIP tidak sah: 8 angka pertama bukan tanggal lahir.")) from None
    year, month = int(nip[8:12]), int(nip[12:14])
    if not 1 <= month <= 12 or year < born.year + 15 or year > timezone.now().year + 1:
        raise ValidationError(
            _("NIP tidak sah: angka ke-9 s.d. 14 bukan tahun dan bulan pengangkatan.")
        )
    if nip[14] not in "12":
        raise ValidationError(_("NIP tidak sah: angka ke-15 (jenis kelamin) harus 1 atau 2."))
    return nip


def parse_points(text: str) -> list[str]:
    """One point per line; numbers typed in front ("1.", "2)") are dropped, as the document
    numbers its points itself."""
    points = []
    for line in (text or "").splitlines():
        line = re.sub(r"^\s*(\d{1,2}|[a-z])[.)]\s+", "", line).strip()
        if line:
            points.append(line)
    return points


# --- writing ----------------------------------------------------------------------------------


def _lock(document: CommitmentDocument) -> CommitmentDocument:
    return CommitmentDocument.objects.select_for_update().get(pk=document.pk)


def _version_is_signed(version: DocumentVersion) -> bool:
    return Signature.objects.filter(signatory__version=version).exists()


def _check_content(*, title, preamble, points, closing, place) -> dict:
    """The wording cleaned (lib.text: no direction overrides, within the limits), or one
    ValidationError naming every field that is wrong."""
    errors = {}
    values = {}
    limits = {"title": TITLE_MAX, "preamble": text.NOTE, "closing": text.NOTE, "place": PLACE_MAX}
    given = {"title": title, "preamble": preamble, "closing": closing, "place": place}
    for name, value in given.items():
        values[name] = text.strip_bidi(value or "").strip()
        if len(values[name]) > limits[name]:
            errors[name] = text.too_long(limits[name], len(values[name]))
    points = [text.strip_bidi(p).strip() for p in points]
    required = {
        "title": _("Judul wajib diisi."),
        "preamble": _("Pembukaan wajib diisi."),
        "place": _("Tempat wajib diisi."),
    }
    for name, message in required.items():
        if name not in errors and not values[name]:
            errors[name] = message
    if not points:
        errors["points"] = _("Tulis paling sedikit satu butir komitmen.")
    elif len(points) > MAX_POINTS:
        errors["points"] = _("Paling banyak %(n)s butir.") % {"n": MAX_POINTS}
    else:
        for number, point in enumerate(points, start=1):
            if len(point) > text.LINE:
                errors["points"] = _("Butir %(n)s: %(error)s") % {
                    "n": number,
                    "error": text.too_long(text.LINE, len(point)),
                }
                break
    if errors:
        raise ValidationError(errors)
    return {**values, "points": points}


@transaction.atomic
def create_document(
    *,
    district,
    template: str,
    level: str,
    kecamatan=None,
    village=None,
    rembuk=None,
    year: int,
    title: str,
    preamble: str,
    points: list[str],
    closing: str,
    place: str,
    signed_on: date,
    by,
) -> CommitmentDocument:
    content = _check_content(
        title=title, preamble=preamble, points=points, closing=closing, place=place
    )
    if village is not None:
        kecamatan = village.kecamatan
    document = CommitmentDocument.objects.create(
        district=district,
        template=template,
        level=level,
        kecamatan=kecamatan if level != "district" else None,
        village=village if level == "village" else None,
        rembuk=rembuk,
        year=year,
        created_by=by,
    )
    DocumentVersion.objects.create(
        document=document,
        district=district,
        number=1,
        **content,
        signed_on=signed_on,
        created_by=by,
    )
    record("commitment_created", actor=by, district=district, target=content["title"][:120])
    return document


def _working_version(document: CommitmentDocument, *, by) -> DocumentVersion:
    """The version a change may be written to: the current one while nobody has signed it,
    otherwise a new copy, with the current version and its signatures voided."""
    current = document.versions.order_by("-number").first()
    if not _version_is_signed(current):
        return current
    now = timezone.now()
    signatories = list(current.signatories.all())
    signed = Signature.objects.filter(signatory__version=current).count()
    old_number, old_hash = current.number, current.content_sha256(signatories)
    DocumentVersion.objects.filter(pk=current.pk).update(voided_at=now)
    Job.objects.filter(
        kind=RENDER_JOB, payload__version=str(current.pk), status__in=["queued", "running"]
    ).update(status="failed", message="versi dibatalkan", finished_at=now)
    new = DocumentVersion.objects.create(
        document=document,
        district_id=document.district_id,
        number=current.number + 1,
        title=current.title,
        preamble=current.preamble,
        points=list(current.points),
        closing=current.closing,
        place=current.place,
        signed_on=current.signed_on,
        created_by=by,
    )
    Signatory.objects.bulk_create(
        Signatory(
            version=new,
            district_id=document.district_id,
            order=s.order,
            position=s.position,
            name=s.name,
            rank=s.rank,
            nip=s.nip,
            organisation=s.organisation,
            user_id=s.user_id,
        )
        for s in signatories
    )
    chain.append_event(
        document,
        kind=SignatureEvent.Kind.VOIDED,
        actor=by,
        payload={
            "version": old_number,
            "content_sha256": old_hash,
            "signatures_voided": signed,
            "new_version": new.number,
        },
        at=now,
    )
    document.status = Status.SIGNING if document.status != Status.DRAFT else Status.DRAFT
    document.save(update_fields=["status"])
    document._current_version = new
    record(
        "commitment_new_version",
        actor=by,
        district=document.district,
        target=current.title[:120],
        voided_version=old_number,
        signatures_voided=signed,
    )
    return new


@transaction.atomic
def update_content(
    document: CommitmentDocument,
    *,
    title: str,
    preamble: str,
    points: list[str],
    closing: str,
    place: str,
    signed_on: date,
    by,
    expected: str | None = None,
) -> DocumentVersion:
    """Change the wording. Unchanged wording changes nothing (no new version). Wording typed on
    a page that someone else's change has overtaken (`expected`, lib.stale) is refused."""
    content = _check_content(
        title=title, preamble=preamble, points=points, closing=closing, place=place
    )
    document = _lock(document)
    current = document.versions.select_related("updated_by").order_by("-number").first()
    check_fresh(current, expected)
    fields = {**content, "signed_on": signed_on}
    if all(getattr(current, k) == v for k, v in fields.items()):
        return current
    version = _working_version(document, by=by)
    for k, v in fields.items():
        setattr(version, k, v)
    version.updated_at, version.updated_by = timezone.now(), by
    version.save(update_fields=[*fields, "updated_at", "updated_by"])
    return version


def _touch(version: DocumentVersion, *, by) -> None:
    """Record a change of the signatories as a change of the version (its edit token). The
    change was a bulk insert or an update, which send no signal: the pages kept under the
    district's data generation read it on their next view."""
    DocumentVersion.objects.filter(pk=version.pk).update(updated_at=timezone.now(), updated_by=by)
    generations.move(generations.DISTRICT_DATA, version.district_id)


def _signatory_fields(*, position, name, rank="", nip="", organisation="", user=None) -> dict:
    errors = {}
    given = {"position": position, "name": name, "rank": rank, "organisation": organisation}
    values = {k: text.strip_bidi(v or "").strip() for k, v in given.items()}
    for field, value in values.items():
        limit = SIGNATORY_LIMITS[field]
        if len(value) > limit:
            errors[field] = text.too_long(limit, len(value))
    position, name, rank, organisation = (values[k] for k in given)
    if "position" not in errors and not position:
        errors["position"] = _("Jabatan wajib diisi.")
    # the name may wait until signing (commitments.models.Signatory.name)
    try:
        nip = clean_nip(nip)
    except ValidationError as exc:
        errors["nip"] = exc.messages
    if errors:
        raise ValidationError(errors)
    return {
        "position": position,
        "name": name,
        "rank": rank,
        "nip": nip,
        "organisation": organisation,
        "user": user,
    }


def _check_user(document, user):
    _check_users(document, [user])


def _check_users(document, users):
    """Every linked account is a member of the document's district (one query)."""
    ids = {u.pk for u in users if u is not None}
    if not ids:
        return
    from accounts.models import Membership

    members = set(
        Membership.objects.active()
        .filter(user_id__in=ids, district_id=document.district_id)
        .values_list("user_id", flat=True)
    )
    if ids - members:
        raise ValidationError({"user": _("Akun ini bukan pengguna daerah ini.")})


def _append(document, version, cleaned: list[dict], *, by) -> list[Signatory]:
    start = version.signatories.order_by("-order").values_list("order", flat=True).first() or 0
    created = Signatory.objects.bulk_create(
        Signatory(version=version, district_id=document.district_id, order=start + i, **fields)
        for i, fields in enumerate(cleaned, start=1)
    )
    _touch(version, by=by)
    return created


@transaction.atomic
def add_signatories(document: CommitmentDocument, *, rows: list[dict], by) -> list[Signatory]:
    """Append signatories at the end, in the given order. A bad row refuses all of them."""
    document = _lock(document)
    cleaned = []
    for i, row in enumerate(rows, start=1):
        try:
            fields = _signatory_fields(**row)
            if len(rows) == 1:
                _check_user(document, fields["user"])
        except ValidationError as exc:
            if len(rows) == 1:
                raise
            raise ValidationError(
                _("Baris %(n)s: %(error)s") % {"n": i, "error": " ".join(exc.messages)}
            ) from None
        cleaned.append(fields)
    _check_users(document, [f["user"] for f in cleaned])
    version = _working_version(document, by=by)
    existing_users = set(version.signatories.exclude(user=None).values_list("user_id", flat=True))
    for fields in cleaned:
        if fields["user"] is not None and fields["user"].pk in existing_users:
            raise ValidationError(
                {"user": _("%(name)s sudah menjadi penanda tangan.") % {"name": fields["name"]}}
            )
        if fields["user"] is not None:
            existing_users.add(fields["user"].pk)
    return _append(document, version, cleaned, by=by)


@dataclass(frozen=True)
class SkippedSignatory:
    """A row not added, and why."""

    number: int  # the line of a paste; 0 for a row not pasted (a village's block)
    text: str
    reason: str
    invalid: bool = False  # a bad line (to be corrected), not a repeat

    def as_row(self) -> list:
        return [self.number, self.text, self.reason, self.invalid]


def _earlier(line: int, listed: str) -> str:
    """Why a repeat is skipped: `listed` when it was listed before (0), else the paste's
    earlier line (or, for rows not pasted, -1)."""
    if line == 0:
        return listed
    if line > 0:
        return _("sama dengan baris %(n)d tempelan ini") % {"n": line}
    return _("tertulis dua kali")


def _row_text(row: dict) -> str:
    """The row as a pasted line ("name; position; organisation"; a blank name kept as
    such), so that it can be pasted again."""
    parts = [row.get("name") or "", row.get("position") or "", row.get("organisation") or ""]
    while parts and not parts[-1]:
        parts.pop()
    return "; ".join(parts) or "—"


@transaction.atomic
def add_signatories_skipping(
    document: CommitmentDocument,
    *,
    rows: list[dict],
    by,
    bad_lines=(),
    one_per_position: bool = False,
) -> tuple[list[Signatory], list[SkippedSignatory]]:
    """Append many signatories (a pasted list, a block per village) in a few queries whatever
    their number. Unlike `add_signatories`, a row that cannot be added is skipped, not a
    reason to refuse the others: a bad row, an account that signs already, the same name,
    position and organisation as a signatory already listed or as an earlier row (ignoring
    case and spacing) and, with `one_per_position`, a position and organisation already listed
    (one head per village, whether his name is known or not). `bad_lines` (lib.pasted.BadLine) are
    reported among the skipped. A row's "number" is its line in the paste. Returns the new
    signatories and the skipped rows in the order of the paste."""
    document = _lock(document)
    skipped = [SkippedSignatory(b.number, b.text, b.reason, True) for b in bad_lines]
    cleaned, numbers = [], []
    for row in rows:
        row = dict(row)
        number = row.pop("number", 0)
        try:
            fields = _signatory_fields(**row)
        except ValidationError as exc:
            skipped.append(SkippedSignatory(number, _row_text(row), " ".join(exc.messages), True))
            continue
        cleaned.append(fields)
        numbers.append(number)
    users = {f["user"].pk: f["user"] for f in cleaned if f["user"] is not None}
    if users:
        from accounts.models import Membership

        members = set(
            Membership.objects.active()
            .filter(user_id__in=users, district_id=document.district_id)
            .values_list("user_id", flat=True)
        )
    else:
        members = set()
    version = _working_version(document, by=by)
    present = list(version.signatories.values_list("name", "position", "organisation", "user_id"))
    # key -> the paste's line that brought it (0: listed before)
    seen = {(same(n), same(p), same(o)): 0 for n, p, o, _u in present}
    # (position, organisation): one head per village, even where two villages share a name
    positions = {(same(p), same(o)): 0 for _n, p, o, _u in present}
    accounts = {u for *_rest, u in present if u}
    added = []
    for fields, number in zip(cleaned, numbers, strict=True):
        key = (same(fields["name"]), same(fields["position"]), same(fields["organisation"]))
        user = fields["user"]
        reason = None
        if user is not None and user.pk not in members:
            reason = _("akun ini bukan pengguna daerah ini")
        elif user is not None and user.pk in accounts:
            reason = _("akun ini sudah menjadi penanda tangan")
        elif key in seen:
            reason = _earlier(seen[key], _("sudah ada di daftar penanda tangan"))
        elif one_per_position and key[1:] in positions:
            reason = _earlier(
                positions[key[1:]], _("jabatan ini sudah ada di daftar penanda tangan")
            )
        if reason is not None:
            skipped.append(SkippedSignatory(number, _row_text(fields), reason))
            continue
        seen[key] = positions[key[1:]] = number or -1
        if user is not None:
            accounts.add(user.pk)
        added.append(fields)
    created = _append(document, version, added, by=by) if added else []
    if created:
        record(
            "commitment_signatories_added",
            actor=by,
            district=document.district,
            target=version.title[:120],
            count=len(created),
            skipped=len(skipped),
        )
    skipped.sort(key=lambda s: s.number)
    return created, skipped


def village_scopes(document: CommitmentDocument) -> list[tuple[str, str, int]]:
    """The blocks of village heads a document may add, as (value, label, villages): every
    village of its area, its area's focus villages of its year and, for a district document,
    each kecamatan. Two queries."""
    from village_reports.focus import focus_village_ids

    villages = _area_villages(document)
    rows = list(villages.values_list("pk", "kecamatan_id", "kecamatan__name"))
    focus = focus_village_ids(document.district, document.year)
    scopes = [
        ("semua", _("Semua desa/kelurahan"), len(rows)),
        (
            "lokus",
            _("Desa/kelurahan lokus tahun %(year)s") % {"year": document.year},
            sum(1 for pk, *_rest in rows if pk in focus),
        ),
    ]
    if document.level == "district":
        kecamatan: dict = {}
        for _pk, kec_id, kec_name in rows:
            name, n = kecamatan.get(kec_id, (kec_name, 0))
            kecamatan[kec_id] = (name, n + 1)
        for kec_id, (name, n) in sorted(kecamatan.items(), key=lambda kv: kv[1][0]):
            scopes.append((f"kec-{kec_id}", _("Kecamatan %(name)s") % {"name": name}, n))
    return scopes


def _area_villages(document: CommitmentDocument):
    from villages.models import Village

    villages = Village.objects.active().filter(district_id=document.district_id)
    if document.village_id:
        return villages.filter(pk=document.village_id)
    if document.kecamatan_id:
        return villages.filter(kecamatan_id=document.kecamatan_id)
    return villages


def village_head_rows(document: CommitmentDocument, *, scope: str) -> list[dict]:
    """One signature block per village of `scope` (see `village_scopes`), ordered by
    kecamatan and village: the position "Kepala Desa …" / "Lurah …", the organisation its
    kecamatan, and the head himself when known: the account of the village's only active
    village head (who then signs in the portal), else the name on the village's profile,
    else no name yet (filled in later or at signing). Three queries."""
    from django.conf import settings
    from django.utils import translation

    from accounts.models import Membership, Role
    from village_reports.focus import focus_village_ids

    villages = _area_villages(document)
    if scope == "lokus":
        villages = villages.filter(pk__in=focus_village_ids(document.district, document.year))
    elif scope.startswith("kec-") and scope[4:].isdigit() and document.level == "district":
        villages = villages.filter(kecamatan_id=int(scope[4:]))
    elif scope != "semua":
        raise ValidationError(_("Pilih desa/kelurahan yang akan ditambahkan."))
    villages = list(
        villages.select_related("kecamatan", "profile").order_by("kecamatan__name", "name")
    )
    heads: dict = {}
    for m in (
        Membership.objects.active()
        .filter(
            district_id=document.district_id,
            role=Role.VILLAGE_HEAD,
            village_id__in=[v.pk for v in villages],
        )
        .select_related("user")
    ):
        heads.setdefault(m.village_id, []).append(m.user)
    rows = []
    # stored and printed: in the documents' language, Indonesian
    with translation.override(settings.LANGUAGE_CODE):
        for village in villages:
            users = heads.get(village.pk, [])
            user = users[0] if len(users) == 1 else None
            profile = getattr(village, "profile", None)
            if user is not None:
                name = user.full_name or user.email
            else:
                name = profile.head_name if profile is not None else ""
            rows.append(
                {
                    "position": str(village.head_title),
                    "name": name,
                    "organisation": _("Kecamatan %(name)s") % {"name": village.kecamatan.name},
                    "user": user,
                }
            )
    return rows


def add_signatory(document, *, by, **fields) -> Signatory:
    return add_signatories(document, rows=[fields], by=by)[0]


def _same_in(version: DocumentVersion, signatory: Signatory) -> Signatory:
    """The signatory at the same place in `version` (a new version copies them)."""
    if signatory.version_id == version.pk:
        return signatory
    return version.signatories.get(order=signatory.order)


@transaction.atomic
def update_signatory(
    signatory: Signatory, *, by, expected: str | None = None, **fields
) -> Signatory:
    """Change one signatory; from an overtaken page (`expected`, lib.stale) it is refused."""
    document = _lock(signatory.version.document)
    check_fresh(
        document.versions.select_related("updated_by").order_by("-number").first(), expected
    )
    cleaned = _signatory_fields(**fields)
    if cleaned["user"] is not None and cleaned["user"].pk != signatory.user_id:
        _check_user(document, cleaned["user"])
        # one place per account, as add_signatories keeps it (the signing page signs them all)
        others = signatory.version.signatories.exclude(pk=signatory.pk)
        if others.filter(user=cleaned["user"]).exists():
            user = cleaned["user"]
            raise ValidationError(
                {
                    "user": _("%(name)s sudah menjadi penanda tangan.")
                    % {"name": user.full_name or user.email}
                }
            )
    if all(getattr(signatory, k) == v for k, v in cleaned.items()):
        return signatory
    version = _working_version(document, by=by)
    target = _same_in(version, signatory)
    for k, v in cleaned.items():
        setattr(target, k, v)
    target.save()
    _touch(version, by=by)
    return target


def _renumber(version: DocumentVersion, ordered: list[Signatory]):
    """Number `ordered` 1, 2, 3… in two UPDATEs whatever their number (removing one of 850
    village blocks took 1,700). The rows whose place changes first move out of the way: the
    unique (version, order) constraint must hold after every row."""
    moved = {s.pk: i for i, s in enumerate(ordered, start=1) if s.order != i}
    if not moved:
        return
    rows = Signatory.objects.filter(version=version, pk__in=list(moved))
    rows.update(order=F("order") + 100_000)
    rows.update(
        order=Case(
            *(When(pk=pk, then=Value(i)) for pk, i in moved.items()),
            output_field=PositiveIntegerField(),
        )
    )


@transaction.atomic
def remove_signatory(signatory: Signatory, *, by) -> None:
    document = _lock(signatory.version.document)
    version = _working_version(document, by=by)
    _same_in(version, signatory).delete()
    _renumber(version, list(version.signatories.order_by("order")))
    _touch(version, by=by)


@transaction.atomic
def move_signatory(signatory: Signatory, *, up: bool, by) -> None:
    document = _lock(signatory.version.document)
    version = _working_version(document, by=by)
    ordered = list(version.signatories.order_by("order"))
    i = next(i for i, s in enumerate(ordered) if s.order == signatory.order)
    j = i - 1 if up else i + 1
    if 0 <= j < len(ordered):
        ordered[i], ordered[j] = ordered[j], ordered[i]
        _renumber(version, ordered)
        _touch(version, by=by)


@transaction.atomic
def open_signing(document: CommitmentDocument, *, by) -> None:
    document = _lock(document)
    if document.status != Status.DRAFT:
        return
    version = document.versions.order_by("-number").first()
    if not version.signatories.exists():
        raise ValidationError(_("Tambahkan penanda tangan lebih dulu."))
    document.status = Status.SIGNING
    document.save(update_fields=["status"])
    record(
        "commitment_signing_opened",
        actor=by,
        district=document.district,
        target=version.title[:120],
    )


# --- the district's own templates ------------------------------------------------------------

TEMPLATE_NAME_MAX = 120


def _check_template(*, name, kind, title, preamble, points, closing) -> dict:
    """The template's fields cleaned as a document's wording, or one ValidationError naming
    every field that is wrong."""
    errors = {}
    content = {}
    try:
        content = _check_content(
            title=title, preamble=preamble, points=points, closing=closing, place="-"
        )
    except ValidationError as exc:
        errors.update(exc.message_dict)
    content.pop("place", None)
    name = text.strip_bidi(name or "").strip()
    if not name:
        errors["name"] = [_("Nama templat wajib diisi.")]
    elif len(name) > TEMPLATE_NAME_MAX:
        errors["name"] = [text.too_long(TEMPLATE_NAME_MAX, len(name))]
    if kind not in Template.values:
        errors["kind"] = [_("Pilih jenis templat yang tersedia.")]
    if errors:
        raise ValidationError(errors)
    return {**content, "name": name, "kind": kind}


NAME_TAKEN = _("Nama templat ini sudah dipakai di daerah ini.")


@transaction.atomic
def save_template(
    *, district, kind: str, name: str, title: str, preamble: str, points, closing: str, by
) -> DocumentTemplate:
    """Store a new template of `district`. A name already used by another of its templates is
    refused (also when two saves race: the unique constraint decides)."""
    values = _check_template(
        name=name, kind=kind, title=title, preamble=preamble, points=points, closing=closing
    )
    if DocumentTemplate.objects.filter(district=district, name=values["name"]).exists():
        raise ValidationError({"name": NAME_TAKEN})
    try:
        with transaction.atomic():
            template = DocumentTemplate.objects.create(
                district=district, created_by=by, updated_by=by, **values
            )
    except IntegrityError:
        raise ValidationError({"name": NAME_TAKEN}) from None
    record("commitment_template_saved", actor=by, district=district, target=values["name"])
    return template


@transaction.atomic
def update_template(
    template: DocumentTemplate,
    *,
    name: str,
    title: str,
    preamble: str,
    points,
    closing: str,
    by,
    expected: str | None = None,
) -> DocumentTemplate:
    """Change a template; from a page someone else's save has overtaken (`expected`,
    lib.stale) it is refused. Documents made from it keep their own wording."""
    template = (
        DocumentTemplate.objects.select_for_update(of=("self",))
        .select_related("updated_by")
        .get(pk=template.pk)
    )
    check_fresh(template, expected)
    values = _check_template(
        name=name,
        kind=template.kind,
        title=title,
        preamble=preamble,
        points=points,
        closing=closing,
    )
    if all(getattr(template, k) == v for k, v in values.items()):
        return template
    taken = DocumentTemplate.objects.filter(district_id=template.district_id, name=values["name"])
    if taken.exclude(pk=template.pk).exists():
        raise ValidationError({"name": NAME_TAKEN})
    for k, v in values.items():
        setattr(template, k, v)
    template.updated_at, template.updated_by = timezone.now(), by
    template.save(update_fields=[*values, "updated_at", "updated_by"])
    record(
        "commitment_template_updated",
        actor=by,
        district=template.district,
        target=template.name,
    )
    return template


@transaction.atomic
def delete_template(template: DocumentTemplate, *, by) -> None:
    """Remove a template. Documents and issues made from it keep their wording and name."""
    deleted, _rows = DocumentTemplate.objects.filter(pk=template.pk).delete()
    if deleted:
        record(
            "commitment_template_deleted",
            actor=by,
            district=template.district,
            target=template.name,
        )


def template_from_document(document: CommitmentDocument) -> dict:
    """A document's current wording as a template's: the names of its district, kecamatan,
    village and year turned back into placeholders, to be checked before saving."""
    version = document.current_version
    values = wording.values_for(
        district=document.district,
        village=document.village if document.village_id else None,
        year=document.year,
    )
    if document.kecamatan_id and "kecamatan" not in values:
        values["kecamatan"] = document.kecamatan.name
    return {
        "kind": Template.VILLAGE if document.level == "village" else Template.DISTRICT,
        "title": wording.placeholders_of(version.title, values),
        "preamble": wording.placeholders_of(version.preamble, values),
        "points": [wording.placeholders_of(p, values) for p in version.points],
        "closing": wording.placeholders_of(version.closing, values),
    }


# --- one document for every village -----------------------------------------------------------


def _village_source(template: DocumentTemplate | None, village) -> dict:
    if template is not None:
        return {
            "title": template.title,
            "preamble": template.preamble,
            "points": template.points,
            "closing": template.closing,
        }
    source = wording.builtin(Template.VILLAGE)
    if village.is_kelurahan:  # no Perdes and no Dana Desa in a kelurahan
        source["points"] = list(wording.KELURAHAN_POINTS)
    return source


@transaction.atomic
def issue_to_villages(
    *, district, template: DocumentTemplate | None, villages, year: int, signed_on: date, by
) -> tuple[VillageIssue, int, int]:
    """One village-level document for each of `villages` (a queryset of the district's
    villages) from `template` (a village template of the district; None: the built-in
    wording), each with its own village's name, heading and place, and its village head as the
    one signatory: his portal account when he has one (he signs in the portal), otherwise the
    name from the village profile (he signs on paper). The documents open for signing at once.

    Issuing again from the same wording for the same year skips the villages that have their
    document: returns the issue, how many documents were made and how many villages were
    skipped. A fixed number of queries whatever the number of villages."""
    from accounts.models import Membership, Role

    if template is not None and (
        template.district_id != district.pk or template.kind != Template.VILLAGE
    ):
        raise ValidationError({"template": _("Pilih templat komitmen desa daerah ini.")})
    key = str(template.pk) if template is not None else VillageIssue.BUILTIN
    name = template.name if template is not None else _("Komitmen desa (bawaan)")
    issue, _created = VillageIssue.objects.get_or_create(
        district=district,
        year=year,
        key=key,
        defaults={"template": template, "name": name[:120], "created_by": by},
    )
    # one issuer at a time per issue: the second finds the first one's documents
    issue = VillageIssue.objects.select_for_update().get(pk=issue.pk)
    done = set(CommitmentDocument.objects.filter(issue=issue).values_list("village_id", flat=True))
    chosen = list(
        villages.filter(district=district)
        .select_related("kecamatan", "profile")
        .order_by("kecamatan__code", "code")
    )
    todo = [v for v in chosen if v.pk not in done]
    if not todo:
        return issue, 0, len(chosen)
    heads = {}
    for m in (
        Membership.objects.active()
        .filter(district=district, role=Role.VILLAGE_HEAD, village__in=villages)
        .select_related("user")
        .order_by("pk")
    ):
        heads.setdefault(m.village_id, m.user)
    documents, versions, signatories = [], [], []
    # the village head's position is printed: in the documents' language
    with translation.override(settings.LANGUAGE_CODE):
        for village in todo:
            values = wording.values_for(district=district, village=village, year=year)
            source = _village_source(template, village)
            try:
                content = _check_content(
                    **wording.filled(source, values), place=village.name[:PLACE_MAX]
                )
            except ValidationError as exc:
                raise ValidationError(
                    _("%(village)s: %(error)s")
                    % {"village": village.name, "error": " ".join(exc.messages)}
                ) from None
            document = CommitmentDocument(
                district=district,
                level="village",
                kecamatan_id=village.kecamatan_id,
                village=village,
                template=Template.VILLAGE,
                issue=issue,
                year=year,
                status=Status.SIGNING,
                created_by=by,
            )
            version = DocumentVersion(
                document=document,
                district=district,
                number=1,
                **content,
                signed_on=signed_on,
                created_by=by,
            )
            user = heads.get(village.pk)
            profile = getattr(village, "profile", None)
            head_name = (user.full_name if user else "") or (profile.head_name if profile else "")
            documents.append(document)
            versions.append(version)
            signatories.append(
                Signatory(
                    version=version,
                    district=district,
                    order=1,
                    position=village.head_title[: SIGNATORY_LIMITS["position"]],
                    name=head_name[: SIGNATORY_LIMITS["name"]],
                    organisation=_("Kecamatan %(name)s") % {"name": village.kecamatan.name},
                    user=user,
                )
            )
    CommitmentDocument.objects.bulk_create(documents)
    DocumentVersion.objects.bulk_create(versions)
    Signatory.objects.bulk_create(signatories)
    generations.move(generations.DISTRICT_DATA, district.pk)  # bulk inserts send no signal
    record(
        "commitment_issued_to_villages",
        actor=by,
        district=district,
        target=f"{issue.name} {year}"[:120],
        documents=len(documents),
        skipped=len(chosen) - len(todo),
    )
    return issue, len(documents), len(chosen) - len(todo)


# --- signing ----------------------------------------------------------------------------------


def _check_signable(document: CommitmentDocument, signatory: Signatory) -> DocumentVersion:
    version = document.versions.order_by("-number").first()
    if document.status == Status.DRAFT:
        raise ValidationError(_("Dokumen belum dibuka untuk penandatanganan."))
    if signatory.version_id != version.pk:
        raise ValidationError(_("Versi dokumen ini sudah dibatalkan; tanda tangani versi terbaru."))
    if Signature.objects.filter(signatory=signatory).exists():
        raise ValidationError(
            _("%(name)s sudah menandatangani.") % {"name": signatory.name or signatory.position}
        )
    return version


def sign_in_portal(
    document: CommitmentDocument,
    *,
    signatory: Signatory,
    user,
    password: str,
    code: str = "",
    content_sha256: str,
    request=None,
) -> Signature:
    """Sign as `signatory` after re-entering the password (and a TOTP code when the user has
    enrolled one). `content_sha256` is the hash of the wording the user read: if the document
    changed meanwhile, nothing is signed. `request`: where a failed re-entry came from (the
    audit log's client address)."""
    if signatory.user_id != user.pk:
        raise ValidationError(_("Anda bukan penanda tangan ini."))
    mfa_used = reauth.confirm(user, password=password, code=code, request=request)
    with transaction.atomic():
        document = _lock(document)
        signatory = Signatory.objects.select_related("version").get(pk=signatory.pk)
        version = _check_signable(document, signatory)
        current_hash = version.content_sha256()
        if content_sha256 != current_hash:
            raise ValidationError(
                _("Isi dokumen berubah sejak Anda membukanya. Baca lagi, lalu tanda tangani.")
            )
        if not signatory.name:
            _name_at_signing(signatory, user.full_name or user.email)
        signature = Signature.objects.create(
            signatory=signatory,
            district_id=document.district_id,
            method=Signature.Method.PORTAL,
            by=user,
            content_sha256=current_hash,
            mfa_used=mfa_used,
        )
        _after_signature(document, signature, by=user)
    return signature


def _check_signed_on(document: CommitmentDocument, signed_on) -> date:
    """The day a paper sheet was signed: given, and not after today in the district."""
    if signed_on is None:
        raise ValidationError({"signed_on": _("Isi tanggal lembar ditandatangani.")})
    if signed_on > document.district.local_now().date():
        raise ValidationError(
            {"signed_on": _("Tanggal ditandatangani tidak boleh setelah hari ini.")}
        )
    return signed_on


def _name_at_signing(signatory: Signatory, name: str) -> None:
    """Record the name of a signatory listed without one, as he signs. The wording the
    others signed had his name blank and keeps it so (Signatory.content); the name is
    covered by his signature's chain event."""
    signatory.name = name[: SIGNATORY_LIMITS["name"]]
    signatory.named_at_signing = True
    signatory.save(update_fields=["name", "named_at_signing"])


@transaction.atomic
def sign_on_paper(
    document: CommitmentDocument,
    *,
    signatory: Signatory,
    upload,
    by,
    signed_on=None,
    name: str = "",
) -> Signature:
    """Record the signed paper page of a signatory without an account, uploaded by the
    organiser. The signature covers the current content's hash. `signed_on` is the day the
    sheet was signed (the document's date when not given); `signed_at` is now, when the scan
    was received. A signatory listed without a name gets `name`, the one written on the page
    (required then)."""
    document = _lock(document)
    signatory = Signatory.objects.select_related("version").get(pk=signatory.pk)
    version = _check_signable(document, signatory)
    signed_on = _check_signed_on(document, signed_on or version.signed_on)
    if signatory.user_id is not None:
        raise ValidationError(
            _("%(name)s memiliki akun portal dan menandatangani sendiri di portal.")
            % {"name": signatory.name or signatory.position}
        )
    name = " ".join(text.strip_bidi(name or "").split())
    if not signatory.name and not name:
        raise ValidationError({"name": _("Tulis nama penanda tangan seperti pada lembar.")})
    if len(name) > SIGNATORY_LIMITS["name"]:
        raise ValidationError({"name": text.too_long(SIGNATORY_LIMITS["name"], len(name))})
    if upload is None:
        raise ValidationError({"page": _("Pilih pindaian lembar yang sudah ditandatangani.")})
    try:
        data, kind = read_upload(upload, kinds=PAPER_KINDS, refused=PAPER_REFUSED)
    except ValidationError as exc:
        raise ValidationError({"page": exc.messages}) from None
    signature = Signature(
        signatory=signatory,
        district_id=document.district_id,
        method=Signature.Method.PAPER,
        by=by,
        content_sha256=version.content_sha256(),
        paper_name=display_name(upload, "lembar-tanda-tangan", kind),
        paper_content_type=kind.content_type,
        paper_size=len(data),
        paper_sha256=hashlib.sha256(data).hexdigest(),
        paper_signed_on=signed_on,
    )
    if not signatory.name:
        _name_at_signing(signatory, name)
    signature.paper.save("lembar", ContentFile(data), save=False)
    signature.save()
    _after_signature(document, signature, by=by)
    return signature


# --- paper signatures in bulk: one scan of the signed sheets ---------------------------------

# why a page of a scan was not matched (PaperBatch.pages[]["problem"])
PAGE_PROBLEMS = {
    "none": gettext_lazy(
        "Tidak ada kode lembar yang terbaca (misalnya halaman isi, atau kode tertutup)."
    ),
    "forged": gettext_lazy("Kode lembar tidak sah: bukan buatan portal ini atau telah diubah."),
    "other": gettext_lazy("Lembar dari dokumen lain."),
    "void": gettext_lazy("Lembar dari versi yang sudah dibatalkan; cetak draf terbaru."),
    "changed": gettext_lazy(
        "Lembar dicetak sebelum isi atau daftar penanda tangan diubah; cetak draf terbaru."
    ),
    "duplicate": gettext_lazy("Lembar yang sama sudah ada di halaman sebelumnya."),
}
MAX_BATCH_FILES = 60


def _store_page(district_id, data: bytes) -> str:
    """A scanned page stored once under a random name; every signature of its sheet points
    at it (Signature.paper)."""
    storage = Signature._meta.get_field("paper").storage
    return storage.save(f"commitments/{district_id}/{uuid.uuid4().hex}", ContentFile(data))


def read_paper_batch(document: CommitmentDocument, *, uploads: list, signed_on, by) -> PaperBatch:
    """Read an uploaded scan of signed sheets (one PDF, or images, in order): each page's
    sheet key is decoded and checked (commitments.sheets), each matched page is stored alone
    as evidence, and the batch is saved for the organiser to confirm. Records no signature.
    A file that is not a readable PDF or image refuses the whole upload."""
    if document.status != Status.SIGNING:
        raise ValidationError(_("Dokumen tidak sedang dalam penandatanganan."))
    version = document.versions.order_by("-number").first()
    signed_on = _check_signed_on(document, signed_on)
    if not uploads:
        raise ValidationError({"pages": _("Pilih pindaian lembar yang sudah ditandatangani.")})
    if len(uploads) > MAX_BATCH_FILES:
        raise ValidationError(
            {"pages": _("Paling banyak %(n)s berkas sekaligus.") % {"n": MAX_BATCH_FILES}}
        )
    files = []
    for upload in uploads:
        try:
            files.append(read_upload(upload, kinds=PAPER_KINDS, refused=PAPER_REFUSED))
        except ValidationError as exc:
            raise ValidationError(
                {"pages": [f"{upload.name}: {message}" for message in exc.messages]}
            ) from None
    try:
        pages = scans.scan_pages(
            files, wanted=lambda texts: [t for t in texts if sheets.looks_like_key(t)]
        )
    except scans.ScanError:
        raise ValidationError(
            {
                "pages": _(
                    "Pindaian tidak dapat dibaca (berkas rusak, terkunci sandi, atau lebih "
                    "dari %(n)s halaman)."
                )
                % {"n": scans.MAX_PAGES}
            }
        ) from None
    signatories = list(version.signatories.order_by("order"))
    cut = sheets.sheets_of(signatories)
    code = version.content_code(signatories)
    versions = set(document.versions.values_list("pk", flat=True))
    rows, seen, groups = [], {}, {}
    for page in pages:
        row = {"page": page.number}
        keys = [sheets.read_key(t) for t in page.texts]
        key = next((k for k in keys if k is not None), None)
        if not page.texts:
            row["problem"] = "none"
        elif key is None:
            row["problem"] = "forged"
        elif key.version_id != version.pk:
            row["problem"] = "void" if key.version_id in versions else "other"
        elif key.content_code != code[:12] or key.size != sheets.SHEET_SIZE:
            row["problem"] = "changed"
        elif not 1 <= key.sheet <= len(cut):
            row["problem"] = "changed"
        elif key.sheet in seen:
            previous = rows[-1]
            if previous.get("sheet") == key.sheet and "problem" not in previous:
                # a sheet of long blocks ran over a page: every page of it carries its key
                row.update(sheet=key.sheet, continues=seen[key.sheet])
                groups[key.sheet].append(page)
            else:
                row.update(problem="duplicate", sheet=key.sheet, duplicate_of=seen[key.sheet])
        else:
            seen[key.sheet] = page.number
            groups[key.sheet] = [page]
            row.update(sheet=key.sheet, signatories=[str(s.pk) for s in cut[key.sheet - 1]])
        rows.append(row)
    for row in rows:
        if row.get("signatories"):
            group = groups[row["sheet"]]
            data, kind = scans.join_pages(group)
            row.update(
                last_page=group[-1].number,
                file=_store_page(document.district_id, data),
                content_type=kind.content_type,
                extension=kind.extension,
                size=len(data),
                sha256=hashlib.sha256(data).hexdigest(),
            )
    first = uploads[0]
    batch = PaperBatch.objects.create(
        document=document,
        version=version,
        district_id=document.district_id,
        signed_on=signed_on,
        content_code=code,
        original_name=clean_file_name(first.name, "pindaian")
        + (f" (+{len(uploads) - 1})" if len(uploads) > 1 else ""),
        size=sum(len(data) for data, _kind in files),
        pages=rows,
        created_by=by,
    )
    record(
        "commitment_paper_batch_read",
        actor=by,
        district=document.district,
        target=version.title[:120],
        pages=len(rows),
        matched=len(seen),
    )
    return batch


@transaction.atomic
def confirm_paper_batch(batch: PaperBatch, *, by) -> int:
    """Record a paper signature, signed on the batch's date, for every signatory on a matched
    page who has not signed yet, signs on paper (no portal account) and is named, with the page
    as its evidence; in a few queries whatever the number. A batch is confirmed once: a second
    confirmation (a double submit) records nothing and answers 0."""
    document = _lock(batch.document)
    batch = PaperBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.confirmed_at is not None:
        return 0
    version = document.versions.order_by("-number").first()
    if document.status != Status.SIGNING:
        raise ValidationError(_("Dokumen tidak sedang dalam penandatanganan."))
    if batch.version_id != version.pk or batch.content_code != version.content_code():
        raise ValidationError(
            _("Dokumen telah berubah sejak pindaian diunggah; unggah lagi lembar draf terbaru.")
        )
    page_of = {sid: row for row in batch.matched for sid in row["signatories"]}
    waiting = (
        Signatory.objects.filter(
            version=version, pk__in=list(page_of), signature__isnull=True, user__isnull=True
        )
        .exclude(name="")  # listed without a name: his own upload records the written name
        .select_related("version")
        .order_by("order")
    )
    content = version.content_sha256()
    now = timezone.now()
    signatures = []
    for signatory in waiting:
        row = page_of[str(signatory.pk)]
        signatures.append(
            Signature(
                signatory=signatory,
                district_id=document.district_id,
                method=Signature.Method.PAPER,
                signed_at=now,
                by=by,
                content_sha256=content,
                paper=row["file"],
                paper_name=f"lembar-{row['sheet']}-halaman-{row['page']}.{row['extension']}",
                paper_content_type=row["content_type"],
                paper_size=row["size"],
                paper_sha256=row["sha256"],
                paper_signed_on=batch.signed_on,
            )
        )
    Signature.objects.bulk_create(signatures)
    chain.append_events(
        document,
        kind=SignatureEvent.Kind.SIGNED,
        actor=by,
        items=[(chain.signature_payload(s), s.signed_at) for s in signatures],
    )
    batch.confirmed_at = now
    batch.confirmed_by = by
    batch.recorded = len(signatures)
    batch.save(update_fields=["confirmed_at", "confirmed_by", "recorded"])
    record(
        "commitment_paper_batch_confirmed",
        actor=by,
        district=document.district,
        target=version.title[:120],
        recorded=len(signatures),
        signed_on=batch.signed_on.isoformat(),
    )
    if signatures and not version.signatories.filter(signature__isnull=True).exists():
        document.status = Status.RENDERING
        document.save(update_fields=["status"])
        _queue_render(document, version, by=by)
    return len(signatures)


def _after_signature(document, signature: Signature, *, by) -> None:
    signatory = signature.signatory
    chain.append_event(
        document,
        kind=SignatureEvent.Kind.SIGNED,
        actor=by,
        payload=chain.signature_payload(signature),
        at=signature.signed_at,
    )
    record(
        "commitment_signed",
        actor=by,
        district=document.district,
        target=signatory.version.title[:120],
        signatory=signatory.name,
        method=signature.method,
        content_sha256=signature.content_sha256,
    )
    version = signatory.version
    missing = version.signatories.filter(signature__isnull=True).exists()
    if not missing:
        document.status = Status.RENDERING
        document.save(update_fields=["status"])
        _queue_render(document, version, by=by)


RENDER_JOB = "commitment_pdf"
SEAL_REASON = "Dokumen komitmen final yang diterbitkan portal Konvergensi"


def _queue_render(document, version, *, by) -> Job:
    """The final PDF as a job: large documents on the PDF worker (the page shows progress),
    small ones right after the request's commit, in the request, with a short claim (if the
    request dies, a worker takes the job over)."""
    large = version.signatories.count() > INLINE_RENDER_LIMIT
    return jobs.create(
        kind=RENDER_JOB,
        district=document.district,
        by=by,
        payload={"version": str(version.pk)},
        inline=not large,
    )


def render_job(version: DocumentVersion) -> Job | None:
    """The newest rendering job of a version's final PDF."""
    return (
        Job.objects.filter(kind=RENDER_JOB, payload__version=str(version.pk))
        .order_by("-created_at")
        .first()
    )


def render_final(job_id, *, claim_seconds=None) -> None:
    """Render and store the final PDF of a fully signed version, once. Safe to run twice and
    to retry: only one attempt holds the job, and a version that has its PDF keeps it."""
    jobs.run(job_id, _render, seconds=claim_seconds)


def _render(running: jobs.Running) -> None:
    from lib.pdf import render_pdf

    from .printing import document_html

    version = DocumentVersion.objects.select_related("document__district").get(
        pk=running.job.payload["version"]
    )
    if version.final_id:  # rendered before: a retried or redelivered job
        running.finish()
        return
    running.progress(15, "menyusun halaman")
    html = document_html(version)
    running.progress(35, "menata letak")
    counted = {}

    def laid_out(pages: int) -> None:
        counted["pages"] = pages
        running.progress(80, f"{pages} halaman")

    pdf = render_pdf(html, on_layout=laid_out)
    running.progress(85, "menyegel")
    # a district without a certificate gets an unsealed PDF; a broken one refuses the job
    sealed = seal_pdf(pdf, district=version.document.district, reason=SEAL_REASON)
    running.progress(90, "menyimpan")
    with transaction.atomic():
        document = _lock(version.document)
        version = DocumentVersion.objects.select_for_update().get(pk=version.pk)
        if version.voided_at is not None:
            raise jobs.Refused("versi dibatalkan sebelum PDF selesai")
        if version.final_id:
            running.finish()
            return
        if version.signatories.filter(signature__isnull=True).exists():
            raise jobs.Refused("tanda tangan belum lengkap")
        final = store_generated(
            kind=GeneratedDocument.Kind.COMMITMENT,
            source=version,
            district_id=version.district_id,
            pdf=pdf,
            version=version.number,
            pages=counted.get("pages"),
            by=running.job.requested_by,
            sealed=sealed,
        )
        version.final = final
        version.save(update_fields=["final"])
        chain.append_event(
            document,
            kind=SignatureEvent.Kind.FINALISED,
            actor=None,
            payload={
                "version": version.number,
                "content_sha256": version.content_sha256(),
                "pdf_sha256": final.sha256,
                "pdf_size": final.size,
            },
        )
        document.status = Status.SIGNED
        document.save(update_fields=["status"])
        if not running.finish():  # a later attempt holds the job: leave the work to it
            raise jobs.Refused("tugas diambil alih")


@transaction.atomic
def retry_render(document: CommitmentDocument, *, by) -> None:
    """The page's retry of a final PDF that failed or is stuck (its worker or request is
    gone); a version without any job gets one."""
    document = _lock(document)
    version = document.versions.order_by("-number").first()
    if version.final_id or document.status != Status.RENDERING:
        return
    job = render_job(version)
    if job is None:
        _queue_render(document, version, by=by)
    else:
        jobs.retry(job)


# --- follow-up --------------------------------------------------------------------------------


@transaction.atomic
def create_follow_up(
    document: CommitmentDocument,
    *,
    point: int,
    owner_agency=None,
    owner_village=None,
    due_on: date,
    verifier=None,
    by,
) -> FollowUp:
    version = document.current_version
    errors = {}
    if document.status != Status.SIGNED:
        raise ValidationError(
            _("Butir komitmen dapat dipantau setelah dokumen lengkap ditandatangani.")
        )
    if not 1 <= point <= len(version.points):
        errors["point"] = _("Pilih butir yang ada di dokumen.")
    if (owner_agency is None) == (owner_village is None):
        errors["owner"] = _("Pilih satu pemilik: OPD atau desa.")
    for owner in (owner_agency, owner_village):
        if owner is not None and owner.district_id != document.district_id:
            errors["owner"] = _("Pemilik harus dari daerah ini.")
    if (
        document.level == "village"
        and owner_village is not None
        and owner_village != document.village
    ):
        errors["owner"] = _("Komitmen desa dimiliki oleh desa itu sendiri.")
    if errors:
        raise ValidationError(errors)
    if FollowUp.objects.filter(
        document=document, point=point, owner_agency=owner_agency, owner_village=owner_village
    ).exists():
        raise ValidationError({"owner": _("Butir ini sudah dipantau untuk pemilik tersebut.")})
    follow_up = FollowUp.objects.create(
        document=document,
        district_id=document.district_id,
        point=point,
        text=version.points[point - 1],
        owner_agency=owner_agency,
        owner_village=owner_village,
        due_on=due_on,
        verifier=verifier,
    )
    record(
        "commitment_follow_up_created",
        actor=by,
        district=document.district,
        target=f"{version.title[:80]} · {point}",
        owner=follow_up.owner_name,
    )
    return follow_up


@transaction.atomic
def create_follow_ups(
    document: CommitmentDocument,
    *,
    point: int,
    agencies=(),
    villages=(),
    due_on: date,
    verifier=None,
    by,
) -> tuple[int, int]:
    """Track `point` for many owners at once (every village, the focus villages, several
    agencies): one row per owner, each reported and verified on its own. Owners already
    tracked for the point are skipped, also when two requests race (the unique constraint).
    Returns how many rows were made and how many owners skipped; a fixed number of queries
    whatever the number of owners."""
    agencies, villages = list(agencies), list(villages)
    version = document.current_version
    # one request at a time per document: the second finds the first one's rows and counts
    # them as skipped (the unique constraint would keep them single anyway)
    document = _lock(document)
    if document.status != Status.SIGNED:
        raise ValidationError(
            _("Butir komitmen dapat dipantau setelah dokumen lengkap ditandatangani.")
        )
    errors = {}
    if not 1 <= point <= len(version.points):
        errors["point"] = _("Pilih butir yang ada di dokumen.")
    if not agencies and not villages:
        errors["owner"] = _("Pilih paling sedikit satu pemilik.")
    if any(o.district_id != document.district_id for o in (*agencies, *villages)):
        errors["owner"] = _("Pemilik harus dari daerah ini.")
    if document.level == "village" and (
        agencies or any(v.pk != document.village_id for v in villages)
    ):
        errors["owner"] = _("Komitmen desa dimiliki oleh desa itu sendiri.")
    if errors:
        raise ValidationError(errors)
    tracked = set(
        FollowUp.objects.filter(document=document, point=point).values_list(
            "owner_agency_id", "owner_village_id"
        )
    )
    owners = {(a.pk, None): a for a in agencies} | {(None, v.pk): v for v in villages}
    rows = [
        FollowUp(
            document=document,
            district_id=document.district_id,
            point=point,
            text=version.points[point - 1],
            owner_agency_id=agency_id,
            owner_village_id=village_id,
            due_on=due_on,
            verifier=verifier,
        )
        for agency_id, village_id in owners
        if (agency_id, village_id) not in tracked
    ]
    FollowUp.objects.bulk_create(rows, ignore_conflicts=True)
    if rows:
        # a bulk insert sends no signal: the pages kept under the data generation (dashboard,
        # home) must read the new rows on their next view
        generations.move(generations.DISTRICT_DATA, document.district_id)
        record(
            "commitment_follow_up_created",
            actor=by,
            district=document.district,
            target=f"{version.title[:80]} · {point}",
            owners=len(rows),
        )
    return len(rows), len(owners) - len(rows)


OPEN_FOLLOW_UP = (FollowUpStatus.NOT_STARTED, FollowUpStatus.IN_PROGRESS, FollowUpStatus.DONE)
# every status but verified (which locks the point): a missed point can still be reported on
# or returned, as before the transition helper
UNVERIFIED = (*OPEN_FOLLOW_UP, FollowUpStatus.MISSED)


@transaction.atomic
def report_progress(follow_up: FollowUp, *, status: str, note: str, upload=None, by) -> FollowUp:
    note = text.clean_one(note, text.NOTE, "note")
    read: dict = {}

    def check(locked):
        if status not in OPEN_FOLLOW_UP:
            raise ValidationError({"status": _("Pilih status yang tersedia.")})
        if status == FollowUpStatus.DONE and upload is None and not locked.evidence.exists():
            raise ValidationError({"upload": _("Lampirkan bukti sebelum menyatakan selesai.")})
        if upload is not None:
            try:
                read["data"], read["kind"] = read_upload(upload)
            except ValidationError as exc:
                raise ValidationError({"upload": exc.messages}) from None

    follow_up = transitions.move(
        follow_up,
        sources=UNVERIFIED,
        target=status,
        refused=lambda locked: ValidationError(_("Komitmen ini sudah diverifikasi dan terkunci.")),
        check=check,
        fields=lambda locked, now: {"progress_note": (note or "").strip(), "updated_at": now},
        audit=lambda locked: record(
            "commitment_follow_up_reported",
            actor=by,
            district=follow_up.document.district,
            target=f"{follow_up.point}. {follow_up.text[:60]}",
            status=status,
        ),
    )
    if upload is not None:
        store_upload(
            FollowUpEvidence(follow_up=follow_up, district_id=follow_up.district_id),
            upload,
            by=by,
            default_name="bukti",
            data=read["data"],
            kind=read["kind"],
        )
    return follow_up


@transaction.atomic
def verify_follow_up(follow_up: FollowUp, *, accept: bool, verdict: str, by) -> FollowUp:
    verdict = text.clean_one(verdict, text.NOTE, "verdict")

    def refused(locked):
        if locked.status == FollowUpStatus.VERIFIED:
            return ValidationError(_("Komitmen ini sudah diverifikasi."))
        return ValidationError(_("Hanya komitmen yang dinyatakan selesai dapat diverifikasi."))

    def check(locked):
        if not accept and not (verdict or "").strip():
            raise ValidationError({"verdict": _("Tulis alasan bila komitmen belum diterima.")})

    def fields(locked, now):
        changed = {"verdict": (verdict or "").strip(), "updated_at": now}
        if accept:
            changed["verified_at"] = now
        if locked.verifier_id is None:
            changed["verifier"] = by
        return changed

    return transitions.move(
        follow_up,
        sources=(FollowUpStatus.DONE,) if accept else UNVERIFIED,
        target=FollowUpStatus.VERIFIED if accept else FollowUpStatus.IN_PROGRESS,
        refused=refused,
        check=check,
        fields=fields,
        audit=lambda locked: record(
            "commitment_follow_up_verified" if accept else "commitment_follow_up_returned",
            actor=by,
            district=follow_up.document.district,
            target=f"{follow_up.point}. {follow_up.text[:60]}",
        ),
    )


def waiting_for(user, district):
    """The places where `user` still has to sign a document of `district` that is open for
    signing (current versions only)."""
    return (
        Signatory.objects.filter(
            user=user,
            signature__isnull=True,
            version__voided_at__isnull=True,
            version__document__district=district,
            version__document__status=Status.SIGNING,
        )
        .select_related("version__document")
        .order_by("version__document__created_at")
    )


def village_follow_ups(village):
    return (
        FollowUp.objects.filter(owner_village=village)
        .exclude(
            status=FollowUpStatus.VERIFIED,
            verified_at__lt=timezone.now() - timezone.timedelta(days=365),
        )
        .select_related("document")
        .order_by("due_on", "point")
    )
