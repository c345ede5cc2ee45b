"""Convergence actions: frameworks (reference data by year) and a district's yearly cycle.

A `Framework` is national reference data: its actions, their stages and required deliverables,
and the assessment table (indicator → grade options → points, with weights). A district opens a
`DistrictYear` on one framework; the year's `YearAction`s and `Deliverable`s are the district's
own copy that staff fill in, submit, and Bappeda verifies.
"""

import uuid
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from documents.models import StoredFile
from lib import text as limits
from villages.models import Agency, District, Kecamatan


class FrameworkFrozen(ValidationError):
    """A published framework that a district year uses cannot change."""


class FrameworkQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=Framework.Status.PUBLISHED)

    def for_year(self, year: int):
        """The published framework that covers `year` (the newest first)."""
        return (
            self.published()
            .filter(first_year__lte=year)
            .filter(models.Q(last_year__isnull=True) | models.Q(last_year__gte=year))
            .order_by("-first_year", "-published_at")
            .first()
        )


class Framework(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("draf")
        PUBLISHED = "published", _("terbit")

    code = models.SlugField(_("kode"), max_length=60, unique=True)
    name = models.CharField(_("nama"), max_length=200)
    description = models.TextField(_("keterangan"), blank=True)
    first_year = models.PositiveSmallIntegerField(_("berlaku sejak tahun"))
    last_year = models.PositiveSmallIntegerField(_("berlaku sampai tahun"), null=True, blank=True)
    # Performance classes from the percentage of the maximum score, highest first:
    # [{"name": "Berdaya", "min_percent": 80}, …]; empty when the framework has none.
    classes = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=12, choices=Status, default=Status.DRAFT)
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = FrameworkQuerySet.as_manager()

    class Meta:
        ordering = ["-first_year", "code"]
        verbose_name = _("kerangka aksi")

    def __str__(self):
        return self.name

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED

    def is_in_use(self) -> bool:
        return DistrictYear.everything.filter(framework=self).exists()

    def is_frozen(self) -> bool:
        return self.is_published and self.is_in_use()

    def years_label(self) -> str:
        return f"{self.first_year}–{self.last_year or ''}"

    def covers(self, year: int) -> bool:
        return self.first_year <= year and (self.last_year is None or year <= self.last_year)

    def class_for(self, percent: Decimal | None) -> str:
        if percent is None:
            return ""
        for entry in self.classes:
            if percent >= Decimal(str(entry["min_percent"])):
                return entry["name"]
        return ""


class FrameworkPart(models.Model):
    """Refuses to change once its framework is published and in use."""

    class Meta:
        abstract = True

    def framework_of(self) -> Framework:
        raise NotImplementedError

    def save(self, *args, **kwargs):
        if self.pk and self.framework_of().is_frozen():
            raise FrameworkFrozen(_("Kerangka yang sudah terbit dan dipakai tidak dapat diubah."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.framework_of().is_frozen():
            raise FrameworkFrozen(_("Kerangka yang sudah terbit dan dipakai tidak dapat diubah."))
        return super().delete(*args, **kwargs)


class Action(FrameworkPart):
    class Kind(models.TextChoices):
        MAIN = "main", _("aksi utama")
        SUPPORTING = "supporting", _("aksi pendukung")

    framework = models.ForeignKey(Framework, on_delete=models.CASCADE, related_name="actions")
    number = models.PositiveSmallIntegerField(_("nomor"))
    code = models.CharField(_("kode"), max_length=40)
    title = models.CharField(_("judul"), max_length=200)
    kind = models.CharField(max_length=12, choices=Kind, default=Kind.MAIN)
    description = models.TextField(_("keterangan"), blank=True)
    lead_agency = models.CharField(_("OPD pengampu (singkatan)"), max_length=40)
    due_month = models.PositiveSmallIntegerField(_("bulan tenggat"))
    stages = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["framework", "number"]
        constraints = [
            models.UniqueConstraint(fields=["framework", "number"], name="action_unique_number")
        ]

    def __str__(self):
        return f"{self.code}. {self.title}"

    def framework_of(self):
        return self.framework


class PortalRecords(models.TextChoices):
    """The portal's own records a deliverable draws on, named by its framework: the rembuk
    (session, commitment documents, minutes files) attached by reference, or the agreed
    activity plan shown from the rembuk app."""

    REMBUK = "rembuk", _("rembuk, dokumen komitmen dan berita acara")
    ACTIVITY_PLAN = "activity_plan", _("rencana kegiatan hasil rembuk")


class DeliverableTemplate(FrameworkPart):
    """A required output of an action: a document to upload or structured data to fill."""

    class Kind(models.TextChoices):
        DOCUMENT = "document", _("dokumen")
        DATA = "data", _("data isian")

    PortalRecords = PortalRecords

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="deliverables")
    number = models.PositiveSmallIntegerField(_("nomor"))
    title = models.CharField(_("judul"), max_length=200)
    description = models.TextField(_("keterangan"), blank=True)
    kind = models.CharField(max_length=10, choices=Kind, default=Kind.DOCUMENT)
    due_month = models.PositiveSmallIntegerField(null=True, blank=True)
    # [{"key": "jumlah_desa", "label": "…", "type": "integer|decimal|rupiah|text|date"}]
    fields = models.JSONField(default=list, blank=True)
    portal_records = models.CharField(
        _("rekaman portal"), max_length=16, choices=PortalRecords.choices, blank=True, default=""
    )
    # the 2025 model's tiered entry: every kecamatan enters its part first and its camat
    # verifies it (KecamatanEntry) before the district may verify this deliverable
    kecamatan_stage = models.BooleanField(_("tahap kecamatan"), default=False)

    class Meta:
        ordering = ["action", "number"]
        constraints = [
            models.UniqueConstraint(fields=["action", "number"], name="deliverable_tpl_unique")
        ]

    def __str__(self):
        return self.title

    def framework_of(self):
        return self.action.framework


class Indicator(FrameworkPart):
    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="indicators")
    number = models.PositiveSmallIntegerField(_("nomor"))
    text = models.TextField(_("indikator"))
    weight = models.DecimalField(_("bobot"), max_digits=6, decimal_places=2)

    class Meta:
        ordering = ["action", "number"]
        constraints = [
            models.UniqueConstraint(fields=["action", "number"], name="indicator_unique_number")
        ]

    def __str__(self):
        return self.text

    def framework_of(self):
        return self.action.framework


class GradeOption(FrameworkPart):
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="options")
    grade = models.CharField(_("nilai"), max_length=8)
    description = models.TextField(_("kriteria"), blank=True)
    points = models.DecimalField(_("poin"), max_digits=6, decimal_places=2)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["indicator", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "grade"], name="grade_unique_per_indicator"
            )
        ]

    def __str__(self):
        return f"{self.grade} ({self.points})"

    def framework_of(self):
        return self.indicator.action.framework


# --- A district's year -------------------------------------------------------------------


class DistrictYear(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("terbuka")
        LOCKED = "locked", _("dikunci")

    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="years")
    year = models.PositiveSmallIntegerField(_("tahun"))
    framework = models.ForeignKey(Framework, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=Status, default=Status.OPEN)
    opened_at = models.DateTimeField(default=timezone.now)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    locked_at = models.DateTimeField(null=True, blank=True)
    locked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # the province closes its own grading (it assesses after the district locked the year)
    province_closed_at = models.DateTimeField(null=True, blank=True)
    province_closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ScopedManager(district="district")
    everything = models.Manager()

    class Meta:
        ordering = ["-year"]
        constraints = [
            models.UniqueConstraint(fields=["district", "year"], name="district_year_unique")
        ]

    def __str__(self):
        return f"{self.district} {self.year}"

    @property
    def is_locked(self) -> bool:
        return self.status == self.Status.LOCKED


class YearAction(models.Model):
    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="+")
    district_year = models.ForeignKey(
        DistrictYear, on_delete=models.CASCADE, related_name="actions"
    )
    action = models.ForeignKey(Action, on_delete=models.PROTECT, related_name="+")
    lead_agency = models.ForeignKey(
        Agency, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    responsible = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")

    objects = ScopedManager(district="district")

    class Meta:
        ordering = ["district_year", "action__number"]
        constraints = [
            models.UniqueConstraint(fields=["district_year", "action"], name="year_action_unique")
        ]

    def __str__(self):
        return str(self.action)


class Status(models.TextChoices):
    DRAFT = "draft", _("draf")
    SUBMITTED = "submitted", _("dikirim")
    RETURNED = "returned", _("dikembalikan")
    VERIFIED = "verified", _("terverifikasi")


OPEN_STATUSES = (Status.DRAFT, Status.RETURNED)


class DeliverableQuerySet(models.QuerySet):
    def overdue(self, today):
        return self.filter(status__in=OPEN_STATUSES, due_date__lt=today)


class Deliverable(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="+")
    year_action = models.ForeignKey(
        YearAction, on_delete=models.CASCADE, related_name="deliverables"
    )
    template = models.ForeignKey(DeliverableTemplate, on_delete=models.PROTECT, related_name="+")
    # a second agency that works on it besides the action's lead agency (OPD pengampu)
    supporting_agency = models.ForeignKey(
        Agency,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("OPD pendukung"),
    )
    due_date = models.DateField(_("tenggat"))
    status = models.CharField(max_length=10, choices=Status, default=Status.DRAFT)
    data = models.JSONField(default=dict, blank=True)
    note = models.TextField(_("catatan"), max_length=limits.NOTE, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(
        district="district", _manager_class=models.Manager.from_queryset(DeliverableQuerySet)
    )

    class Meta:
        ordering = ["year_action", "template__number"]
        constraints = [
            models.UniqueConstraint(fields=["year_action", "template"], name="deliverable_unique")
        ]

    def __str__(self):
        return self.template.title

    def is_overdue(self, today) -> bool:
        return self.status in OPEN_STATUSES and self.due_date < today

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def last_return_reason(self) -> str:
        """Why it was last sent back (from the prefetched history)."""
        returned = [t for t in self.transitions.all() if t.to_status == Status.RETURNED]
        return returned[-1].reason if returned else ""


class KecamatanEntry(models.Model):
    """The kecamatan stage of a deliverable (2025 model): one row per kecamatan of the
    district, filled by the kecamatan (its camat's account) or the district admin and verified
    by the camat of that kecamatan; the district verifies the deliverable only when every
    kecamatan's row is verified (convergence.services.verify_deliverable)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("belum diverifikasi")
        RETURNED = "returned", _("dikembalikan")
        VERIFIED = "verified", _("terverifikasi")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="+")
    deliverable = models.ForeignKey(
        Deliverable, on_delete=models.CASCADE, related_name="kecamatan_entries"
    )
    kecamatan = models.ForeignKey(Kecamatan, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=Status, default=Status.DRAFT)
    note = models.TextField(_("data dan bukti kecamatan"), max_length=limits.NOTE, blank=True)
    filled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    filled_at = models.DateTimeField(null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    # verified or returned by the district admin for a kecamatan without an active camat account
    on_behalf = models.BooleanField(_("atas nama kecamatan"), default=False)
    return_reason = models.TextField(_("alasan pengembalian"), max_length=2000, blank=True)

    objects = ScopedManager(district="district", kecamatan="kecamatan")

    class Meta:
        ordering = ["deliverable", "kecamatan__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["deliverable", "kecamatan"], name="kecamatan_entry_unique"
            )
        ]

    def __str__(self):
        return f"{self.deliverable_id} {self.kecamatan_id}"

    @property
    def is_editable(self) -> bool:
        return self.status in (self.Status.DRAFT, self.Status.RETURNED)


def evidence_path(instance, filename):
    # Unguessable names and no original name on disk; files are served only by a checked view.
    return f"evidence/{instance.district_id}/{uuid.uuid4().hex}"


class Evidence(StoredFile):
    folder = "evidence"  # files stored under evidence/<district id>/ as before
    deliverable = models.ForeignKey(Deliverable, on_delete=models.CASCADE, related_name="evidence")

    objects = ScopedManager(district="district")

    class Meta:
        ordering = ["uploaded_at"]


class RecordLink(models.Model):
    """A record of the portal attached to a deliverable by reference, as its evidence: a rembuk
    session, a commitment document or a minutes file of a rembuk, of the same district. Exactly
    one of the three is set; each is attached once. The record cannot be deleted while it is
    attached (RESTRICT: it still goes with its district)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="+")
    deliverable = models.ForeignKey(Deliverable, on_delete=models.CASCADE, related_name="links")
    rembuk = models.ForeignKey(
        "rembuk.RembukSession",
        on_delete=models.RESTRICT,
        null=True,
        blank=True,
        related_name="deliverable_links",
    )
    commitment = models.ForeignKey(
        "commitments.CommitmentDocument",
        on_delete=models.RESTRICT,
        null=True,
        blank=True,
        related_name="deliverable_links",
    )
    minutes = models.ForeignKey(
        "rembuk.SessionFile",
        on_delete=models.RESTRICT,
        null=True,
        blank=True,
        related_name="deliverable_links",
    )
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    linked_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(district="district")

    class Meta:
        ordering = ["linked_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(rembuk__isnull=False, commitment__isnull=True, minutes__isnull=True)
                    | models.Q(rembuk__isnull=True, commitment__isnull=False, minutes__isnull=True)
                    | models.Q(rembuk__isnull=True, commitment__isnull=True, minutes__isnull=False)
                ),
                name="record_link_one_target",
            ),
            models.UniqueConstraint(fields=["deliverable", "rembuk"], name="record_link_rembuk"),
            models.UniqueConstraint(
                fields=["deliverable", "commitment"], name="record_link_commitment"
            ),
            models.UniqueConstraint(fields=["deliverable", "minutes"], name="record_link_minutes"),
        ]

    def __str__(self):
        return f"{self.deliverable_id} → {self.target}"

    @property
    def target(self):
        return self.rembuk or self.commitment or self.minutes


class Transition(models.Model):
    """One step of a deliverable's history: who moved it, when, from what to what, and why."""

    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="+")
    deliverable = models.ForeignKey(
        Deliverable, on_delete=models.CASCADE, related_name="transitions"
    )
    from_status = models.CharField(max_length=10, choices=Status)
    to_status = models.CharField(max_length=10, choices=Status)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)  # when it was recorded in the portal
    # the day it actually happened, when recorded later (a district catching up on a year);
    # empty: it happened when it was recorded
    happened_on = models.DateField(_("tanggal sebenarnya"), null=True, blank=True)
    # recorded after the deliverable's year had ended
    backfilled = models.BooleanField(_("dicatat susulan"), default=False)
    reason = models.TextField(max_length=2000, blank=True)

    objects = ScopedManager(district="district")

    class Meta:
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.from_status} → {self.to_status}"

    def actual_date(self, tz):
        """The day it happened, in the time zone `tz` when it happened as recorded."""
        return self.happened_on or self.at.astimezone(tz).date()


class Comment(models.Model):
    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="+")
    deliverable = models.ForeignKey(Deliverable, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField(_("komentar"), max_length=limits.NOTE)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(district="district")

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return self.text[:60]


class ReminderSent(models.Model):
    """One reminder per deliverable per threshold: the unique row is claimed before sending."""

    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="+")
    deliverable = models.ForeignKey(Deliverable, on_delete=models.CASCADE, related_name="+")
    threshold = models.SmallIntegerField()  # days relative to the due date: -7, -1, 1, 7
    sent_at = models.DateTimeField(default=timezone.now)
    recipients = models.JSONField(default=list)

    objects = ScopedManager(district="district")
    everything = models.Manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["deliverable", "threshold"], name="reminder_once")
        ]

    def __str__(self):
        return f"{self.deliverable_id} {self.threshold:+d}"


class Grade(models.Model):
    """A grade given to one indicator, by the district itself or by the province."""

    class Source(models.TextChoices):
        SELF = "self", _("penilaian mandiri")
        PROVINCE = "province", _("penilaian provinsi")

    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="+")
    district_year = models.ForeignKey(DistrictYear, on_delete=models.CASCADE, related_name="grades")
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="+")
    source = models.CharField(max_length=10, choices=Source)
    option = models.ForeignKey(GradeOption, on_delete=models.PROTECT, related_name="+")
    justification = models.TextField(_("alasan"), max_length=limits.NOTE, blank=True)
    evidence = models.ManyToManyField(Evidence, blank=True, related_name="+")
    graded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    graded_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(district="district")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["district_year", "indicator", "source"], name="grade_unique"
            )
        ]

    @property
    def score(self) -> Decimal:
        return self.option.points * self.indicator.weight

    def __str__(self):
        return f"{self.indicator_id} {self.source} {self.option_id}"


class BoardImport(models.Model):
    """An uploaded deliverable-metadata file between its dry run and its confirmation."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="+")
    district_year = models.ForeignKey(DistrictYear, on_delete=models.CASCADE, related_name="+")
    file = models.FileField(upload_to="imports/board/")
    original_name = models.CharField(max_length=200)
    # the preview worked out once at upload (convergence.imports.Plan.as_preview)
    preview = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    applied_at = models.DateTimeField(null=True, blank=True)
    # the job that applies it, once confirmed (convergence.tasks)
    job = models.OneToOneField(
        "documents.Job", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = ScopedManager(district="district")

    def __str__(self):
        return self.original_name
