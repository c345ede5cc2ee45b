"""Commitment documents: versions of their wording, ordered signatories, signatures (in the
portal or on paper), a hash chain of signing events, the final PDF and its public
verification, and the follow-up of each point (DOMAIN.md §6)."""

import hashlib
import json
import secrets
import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from documents.models import StoredFile
from lib import formats
from lib import text as limits
from rembuk.models import Level, LevelQuerySet, level_matches_area
from villages.models import Agency, District, Kecamatan, Village


def private_path(instance, filename):
    """Unguessable names and no original name on disk; files are served only by checked views."""
    return f"commitments/{instance.district_id}/{uuid.uuid4().hex}"


def new_token() -> str:
    return secrets.token_urlsafe(24)


class Template(models.TextChoices):
    DISTRICT = "district", _("Komitmen bersama kabupaten/kota")
    VILLAGE = "village", _("Komitmen desa")


class DocumentTemplate(models.Model):
    """A district's own starting wording for documents: saved once, reused every year. The
    text may hold placeholders filled in when a document is made from it
    (`commitments.wording.PLACEHOLDERS`); the preamble's {hari}, {tanggal} and {tempat} stay
    for the version's date and place."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("jenis"), max_length=10, choices=Template.choices)
    name = models.CharField(_("nama templat"), max_length=120)
    title = models.CharField(_("judul"), max_length=300)
    preamble = models.TextField(_("pembukaan"), max_length=limits.NOTE)
    points = models.JSONField(_("butir komitmen"), default=list)
    closing = models.TextField(_("penutup"), max_length=limits.NOTE, blank=True)
    created_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # the last change: the edit token of its form (lib.stale)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = ScopedManager(district="district")

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = _("templat dokumen komitmen")
        constraints = [
            models.UniqueConstraint(
                fields=["district", "name"], name="commitment_template_unique_name"
            )
        ]

    def __str__(self):
        return self.name


class VillageIssue(models.Model):
    """One village-level document per village from one wording: a district's template, or the
    built-in village wording. Issuing again from the same wording for the same year adds only
    the villages that have none (`CommitmentDocument.issue`, unique per village)."""

    BUILTIN = "bawaan"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField(_("tahun"))
    # the wording's key: BUILTIN or the template's id, kept when the template is deleted
    key = models.CharField(max_length=40)
    template = models.ForeignKey(
        DocumentTemplate, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    name = models.CharField(_("nama"), max_length=120)
    created_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(district="district")

    class Meta:
        ordering = ["-year", "-created_at"]
        verbose_name = _("penerbitan dokumen desa")
        constraints = [
            models.UniqueConstraint(
                fields=["district", "year", "key"], name="commitment_issue_unique"
            )
        ]

    def __str__(self):
        return f"{self.name} {self.year}"


class CommitmentDocument(models.Model):
    """A commitment document. Its wording and signatories live in versions; the highest
    version is the current one, and earlier versions are void."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draf")
        SIGNING = "signing", _("penandatanganan")
        RENDERING = "rendering", _("menyusun PDF")
        SIGNED = "signed", _("lengkap ditandatangani")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="+")
    level = models.CharField(_("tingkat"), max_length=10, choices=Level.choices)
    kecamatan = models.ForeignKey(
        Kecamatan, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    village = models.ForeignKey(
        Village, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    rembuk = models.ForeignKey(
        "rembuk.RembukSession",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="documents",
        verbose_name=_("rembuk"),
    )
    template = models.CharField(_("templat"), max_length=10, choices=Template.choices)
    # issued to many villages at once: one document per village of the issue
    issue = models.ForeignKey(
        VillageIssue, on_delete=models.RESTRICT, null=True, blank=True, related_name="documents"
    )
    year = models.PositiveSmallIntegerField(_("tahun"))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(
        district="district", _manager_class=models.Manager.from_queryset(LevelQuerySet)
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("dokumen komitmen")
        verbose_name_plural = _("dokumen komitmen")
        constraints = [
            level_matches_area("commitment_level_matches_area"),
            models.UniqueConstraint(fields=["issue", "village"], name="commitment_issue_village"),
        ]

    def __str__(self):
        version = self.current_version
        return version.title if version else str(self.id)

    @property
    def current_version(self):
        cached = getattr(self, "_current_version", None)
        if cached is None:
            cached = self.versions.order_by("-number").first()
            self._current_version = cached
        return cached


class DocumentVersion(models.Model):
    """One wording of a document with its signatories. Frozen once anyone has signed it: a
    change makes the next version and voids this one with its signatures."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    document = models.ForeignKey(
        CommitmentDocument, on_delete=models.CASCADE, related_name="versions"
    )
    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="+")
    number = models.PositiveSmallIntegerField(default=1)
    title = models.CharField(_("judul"), max_length=300)
    preamble = models.TextField(_("pembukaan"), max_length=limits.NOTE)
    points = models.JSONField(_("butir komitmen"), default=list)
    closing = models.TextField(_("penutup"), max_length=limits.NOTE, blank=True)
    place = models.CharField(_("tempat"), max_length=120)
    signed_on = models.DateField(_("tanggal"))
    created_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    # the last change of its wording or signatories: the edit token of the forms (lib.stale)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    voided_at = models.DateTimeField(null=True, blank=True)
    # the final PDF, rendered once when the last signature is in (documents.GeneratedDocument)
    # RESTRICT: a final PDF is never deleted on its own, but goes with its district (PROTECT
    # made a district with a signed document impossible to delete)
    final = models.OneToOneField(
        "documents.GeneratedDocument",
        on_delete=models.RESTRICT,
        null=True,
        blank=True,
        related_name="+",
    )
    verify_token = models.CharField(max_length=64, unique=True, default=new_token)

    objects = ScopedManager(district="district")

    class Meta:
        ordering = ["document", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["document", "number"], name="commitment_version_unique")
        ]

    def __str__(self):
        return f"{self.title} v{self.number}"

    def content(self, signatories=None) -> dict:
        """Everything a signature covers: the wording and the list of signatories."""
        signatories = self.signatories.all() if signatories is None else signatories
        return {
            "document": str(self.document_id),
            "district": self.district.code if self.district_id else None,
            "version": self.number,
            "title": self.title,
            "preamble": self.preamble,
            "points": list(self.points),
            "closing": self.closing,
            "place": self.place,
            "date": self.signed_on.isoformat(),
            "signatories": [
                {
                    "order": s.order,
                    "position": s.position,
                    # a name recorded at signing is covered by that signature's chain event,
                    # not by the wording the others signed (it was blank when they did)
                    "name": "" if s.named_at_signing else s.name,
                    "rank": s.rank,
                    "nip": s.nip,
                    "organisation": s.organisation,
                    "user": s.user_id,
                }
                for s in signatories
            ],
        }

    def content_sha256(self, signatories=None) -> str:
        canonical = json.dumps(
            self.content(signatories), ensure_ascii=False, sort_keys=True, separators=(",", ":")
        )
        return hashlib.sha256(canonical.encode()).hexdigest()

    def content_code(self, signatories=None) -> str:
        """The first 16 hex digits of `content_sha256`: printed on the draft and the final
        PDF and shown on the verification page, under the same label, so that a paper page
        can be matched to the wording it signed."""
        return self.content_sha256(signatories)[:16]

    @property
    def preamble_text(self) -> str:
        """The preamble with {hari}, {tanggal} and {tempat} filled in from the signing date and
        place, so that moving the date does not leave an old day in the text. In Indonesian
        whatever the reader's language: it is the document's own text."""
        return (
            self.preamble.replace("{hari}", formats.day_name(self.signed_on))
            .replace("{tanggal}", formats.date_id(self.signed_on))
            .replace("{tempat}", self.place)
        )

    @property
    def date_line(self) -> str:
        """ "Sumedang, 18 Maret 2026": the place and date above the signatures."""
        return f"{self.place}, {formats.date_id(self.signed_on)}"

    @property
    def is_void(self) -> bool:
        return self.voided_at is not None

    # the final PDF's facts, as pages and tests read them
    @property
    def pdf(self):
        return self.final.file if self.final_id else None

    @property
    def pdf_sha256(self) -> str:
        return self.final.sha256 if self.final_id else ""

    @property
    def pdf_size(self) -> int | None:
        return self.final.size if self.final_id else None

    @property
    def pdf_rendered_at(self):
        return self.final.created_at if self.final_id else None


class Signatory(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    version = models.ForeignKey(
        DocumentVersion, on_delete=models.CASCADE, related_name="signatories"
    )
    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="+")
    order = models.PositiveIntegerField(_("urutan"))
    position = models.CharField(_("jabatan"), max_length=200)
    # may stay blank until signing (a block per village, its head named later or when he
    # signs); the name is then recorded with the signature (`named_at_signing`)
    name = models.CharField(_("nama"), max_length=200, blank=True)
    named_at_signing = models.BooleanField(default=False)
    rank = models.CharField(_("pangkat/golongan"), max_length=120, blank=True)
    nip = models.CharField(_("NIP"), max_length=18, blank=True)
    organisation = models.CharField(_("instansi/lembaga"), max_length=200, blank=True)
    user = models.ForeignKey(
        "accounts.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("akun portal"),
    )

    objects = ScopedManager(district="district")

    class Meta:
        ordering = ["version", "order"]
        constraints = [
            models.UniqueConstraint(fields=["version", "order"], name="signatory_unique_order")
        ]

    def __str__(self):
        return f"{self.order}. {self.name or self.position}"


class Signature(models.Model):
    class Method(models.TextChoices):
        PORTAL = "portal", _("elektronik di portal")
        PAPER = "paper", _("di atas kertas")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    signatory = models.OneToOneField(Signatory, on_delete=models.CASCADE, related_name="signature")
    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="+")
    method = models.CharField(max_length=10, choices=Method.choices)
    signed_at = models.DateTimeField(default=timezone.now)
    # the signer (portal) or the admin who uploaded the paper page
    by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    content_sha256 = models.CharField(max_length=64)
    mfa_used = models.BooleanField(default=False)
    paper = models.FileField(upload_to=private_path, blank=True)
    paper_name = models.CharField(max_length=200, blank=True)
    paper_content_type = models.CharField(max_length=100, blank=True)
    paper_size = models.PositiveIntegerField(null=True, blank=True)
    paper_sha256 = models.CharField(max_length=64, blank=True)

    objects = ScopedManager(district="district")

    class Meta:
        ordering = ["signed_at"]

    def __str__(self):
        return f"{self.signatory} ({self.method})"


class SignatureEvent(models.Model):
    """One link of a document's hash chain: every signature, voiding and finalisation. Each
    event's hash covers its own fields and the previous event's hash, so a changed, removed or
    inserted record breaks the chain (commitments.chain.verify_chain)."""

    class Kind(models.TextChoices):
        SIGNED = "signed", _("ditandatangani")
        VOIDED = "voided", _("versi dibatalkan")
        FINALISED = "finalised", _("PDF final disimpan")

    document = models.ForeignKey(
        CommitmentDocument, on_delete=models.CASCADE, related_name="events"
    )
    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="+")
    seq = models.PositiveIntegerField()
    kind = models.CharField(max_length=10, choices=Kind.choices)
    at = models.DateTimeField()
    actor = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, related_name="+"
    )
    payload = models.JSONField(default=dict)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    objects = ScopedManager(district="district")

    class Meta:
        ordering = ["document", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["document", "seq"], name="signature_event_unique_seq")
        ]

    def __str__(self):
        return f"{self.seq} {self.kind}"


class FollowUpStatus(models.TextChoices):
    NOT_STARTED = "not_started", _("belum dimulai")
    IN_PROGRESS = "in_progress", _("berjalan")
    DONE = "done", _("selesai, menunggu verifikasi")
    VERIFIED = "verified", _("terverifikasi")
    MISSED = "missed", _("tidak tercapai")


# a follow-up in one of these is no longer late, whatever its due date
FOLLOW_UP_FINISHED = (FollowUpStatus.DONE, FollowUpStatus.VERIFIED)


class FollowUp(models.Model):
    """A point of a signed document tracked as a commitment: who owns it, by when, evidence
    and the verifier's verdict."""

    Status = FollowUpStatus

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    document = models.ForeignKey(
        CommitmentDocument, on_delete=models.CASCADE, related_name="follow_ups"
    )
    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="+")
    point = models.PositiveSmallIntegerField(_("butir"))
    text = models.TextField(_("komitmen"), max_length=limits.LINE)
    owner_agency = models.ForeignKey(
        Agency,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("OPD pemilik"),
    )
    owner_village = models.ForeignKey(
        Village,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("desa pemilik"),
    )
    due_on = models.DateField(_("tenggat"))
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=FollowUpStatus.choices,
        default=FollowUpStatus.NOT_STARTED,
    )
    progress_note = models.TextField(_("catatan kemajuan"), max_length=limits.NOTE, blank=True)
    verifier = models.ForeignKey(
        "accounts.User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("verifikator"),
    )
    verdict = models.TextField(_("catatan verifikator"), max_length=limits.NOTE, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager(district="district")

    class Meta:
        ordering = ["due_on", "point"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(owner_agency__isnull=True)
                | models.Q(owner_village__isnull=True),
                name="follow_up_one_owner",
            ),
            models.UniqueConstraint(
                fields=["document", "point", "owner_agency", "owner_village"],
                name="follow_up_unique_owner",
                nulls_distinct=False,
            ),
        ]

    def __str__(self):
        return f"{self.point}. {self.text[:40]}"

    @property
    def owner_name(self) -> str:
        if self.owner_agency_id:
            return self.owner_agency.short_name
        if self.owner_village_id:
            return self.owner_village.name
        return ""

    def is_overdue(self, today) -> bool:
        return self.due_on < today and self.status not in FOLLOW_UP_FINISHED


class FollowUpEvidence(StoredFile):
    folder = "commitments"  # files stored under commitments/<district id>/ as before
    follow_up = models.ForeignKey(FollowUp, on_delete=models.CASCADE, related_name="evidence")

    objects = ScopedManager(district="district")

    class Meta:
        ordering = ["uploaded_at"]
