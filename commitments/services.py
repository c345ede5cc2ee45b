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
from datetime import date

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import reauth
from accounts.audit import record
from documents import jobs, transitions
from documents.files import store_generated, store_upload
from documents.models import GeneratedDocument, Job
from documents.seal import seal_pdf
from lib import scans, text
from lib.stale import check_fresh
from lib.uploads import JPEG, PDF, PNG, display_name, read_upload

from . import chain, sheets
from .models import (
    CommitmentDocument,
    DocumentVersion,
    FollowUp,
    FollowUpEvidence,
    FollowUpStatus,
    PaperBatch,
    Signatory,
    Signature,
    SignatureEvent,
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
    """Record a change of the signatories as a change of the version (its edit token)."""
    DocumentVersion.objects.filter(pk=version.pk).update(updated_at=timezone.now(), updated_by=by)


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
    if "name" not in errors and not name:
        errors["name"] = _("Nama wajib diisi.")
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
    if user is None:
        return
    from accounts.models import Membership

    if not Membership.objects.active().filter(user=user, district_id=document.district_id).exists():
        raise ValidationError({"user": _("Akun ini bukan pengguna daerah ini.")})


@transaction.atomic
def add_signatories(document: CommitmentDocument, *, rows: list[dict], by) -> list[Signatory]:
    """Append signatories at the end, in the given order. A bad row refuses all of them."""
    document = _lock(document)
    cleaned = []
    for i, row in enumerate(rows, start=1):
        try:
            fields = _signatory_fields(**row)
            _check_user(document, fields["user"])
        except ValidationError as exc:
            if len(rows) == 1:
                raise
            raise ValidationError(
                _("Baris %(n)s: %(error)s") % {"n": i, "error": " ".join(exc.messages)}
            ) from None
        cleaned.append(fields)
    version = _working_version(document, by=by)
    existing_users = set(version.signatories.exclude(user=None).values_list("user_id", flat=True))
    for fields in cleaned:
        if fields["user"] is not None and fields["user"].pk in existing_users:
            raise ValidationError(
                {"user": _("%(name)s sudah menjadi penanda tangan.") % {"name": fields["name"]}}
            )
        if fields["user"] is not None:
            existing_users.add(fields["user"].pk)
    start = version.signatories.order_by("-order").values_list("order", flat=True).first() or 0
    created = Signatory.objects.bulk_create(
        Signatory(version=version, district_id=document.district_id, order=start + i, **fields)
        for i, fields in enumerate(cleaned, start=1)
    )
    _touch(version, by=by)
    return created


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
    # two passes: the unique (version, order) constraint must hold after every row
    offset = 100_000
    for i, s in enumerate(ordered, start=1):
        Signatory.objects.filter(pk=s.pk).update(order=offset + i)
    for i, s in enumerate(ordered, start=1):
        Signatory.objects.filter(pk=s.pk).update(order=i)


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


# --- signing ----------------------------------------------------------------------------------


def _check_signable(document: CommitmentDocument, signatory: Signatory) -> DocumentVersion:
    version = document.versions.order_by("-number").first()
    if document.status == Status.DRAFT:
        raise ValidationError(_("Dokumen belum dibuka untuk penandatanganan."))
    if signatory.version_id != version.pk:
        raise ValidationError(_("Versi dokumen ini sudah dibatalkan; tanda tangani versi terbaru."))
    if Signature.objects.filter(signatory=signatory).exists():
        raise ValidationError(_("%(name)s sudah menandatangani.") % {"name": signatory.name})
    return version


def sign_in_portal(
    document: CommitmentDocument,
    *,
    signatory: Signatory,
    user,
    password: str,
    code: str = "",
    content_sha256: str,
) -> Signature:
    """Sign as `signatory` after re-entering the password (and a TOTP code when the user has
    enrolled one). `content_sha256` is the hash of the wording the user read: if the document
    changed meanwhile, nothing is signed."""
    if signatory.user_id != user.pk:
        raise ValidationError(_("Anda bukan penanda tangan ini."))
    mfa_used = reauth.confirm(user, password=password, code=code)
    with transaction.atomic():
        document = _lock(document)
        signatory = Signatory.objects.select_related("version").get(pk=signatory.pk)
        version = _check_signable(document, signatory)
        current_hash = version.content_sha256()
        if content_sha256 != current_hash:
            raise ValidationError(
                _("Isi dokumen berubah sejak Anda membukanya. Baca lagi, lalu tanda tangani.")
            )
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


@transaction.atomic
def sign_on_paper(
    document: CommitmentDocument, *, signatory: Signatory, upload, by, signed_on=None
) -> Signature:
    """Record the signed paper page of a signatory without an account, uploaded by the
    organiser. The signature covers the current content's hash. `signed_on` is the day the
    sheet was signed (the document's date when not given); `signed_at` is now, when the scan
    was received."""
    document = _lock(document)
    signatory = Signatory.objects.select_related("version").get(pk=signatory.pk)
    version = _check_signable(document, signatory)
    signed_on = _check_signed_on(document, signed_on or version.signed_on)
    if signatory.user_id is not None:
        raise ValidationError(
            _("%(name)s memiliki akun portal dan menandatangani sendiri di portal.")
            % {"name": signatory.name}
        )
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
        original_name=(first.name or "pindaian")[:150]
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
    page who has not signed yet and signs on paper (no portal account), with the page as its
    evidence; in a few queries whatever the number. A batch is confirmed once: a second
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
