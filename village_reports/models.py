"""Focus (lokus) villages and the village reporting chain: the Bupati's yearly decree and its
villages, the district's report periods, and the reports the villages file and the camat
verifies. The tables keep their names from when these models lived in `villages`."""

import uuid
from datetime import timedelta

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from documents.models import StoredFile
from villages.models import District, Kecamatan, Village


def private_path(instance, filename):
    """Unguessable names and no original name on disk; files are served only by checked views."""
    return f"villages/{instance.district_id}/{uuid.uuid4().hex}"


# ---------------------------------------------------------------------------------------------
# Focus (lokus) villages


class FocusDecree(models.Model):
    """The Bupati's decree (SK lokus) naming a year's focus villages."""

    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="focus_decrees")
    year = models.PositiveSmallIntegerField(_("tahun"))
    number = models.CharField(_("nomor SK"), max_length=120, blank=True)
    signed_on = models.DateField(_("tanggal SK"), null=True, blank=True)
    scan = models.FileField(_("pindaian SK"), upload_to=private_path, blank=True)
    scan_name = models.CharField(max_length=200, blank=True)
    scan_sha256 = models.CharField(max_length=64, blank=True)
    updated_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager(district="district")

    class Meta:
        db_table = "villages_focusdecree"
        ordering = ["-year"]
        verbose_name = _("SK desa lokus")
        constraints = [
            models.UniqueConstraint(fields=["district", "year"], name="focus_decree_unique_year")
        ]

    def __str__(self):
        return f"{self.district} {self.year}"


class FocusVillage(models.Model):
    """One village in a year's decree, with the figures that justified choosing it."""

    decree = models.ForeignKey(FocusDecree, on_delete=models.CASCADE, related_name="entries")
    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="+")
    village = models.ForeignKey(Village, on_delete=models.PROTECT, related_name="focus_entries")
    prevalence = models.DecimalField(
        _("prevalensi stunting (%)"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    prevalence_source = models.CharField(
        _("sumber dan tahun data prevalensi"),
        max_length=120,
        blank=True,
        help_text=_("Misalnya: e-PPGBM Agustus 2025"),
    )
    stunted_children = models.PositiveIntegerField(
        _("jumlah balita stunting"), null=True, blank=True
    )
    figures = models.JSONField(_("data lain"), default=dict, blank=True)
    note = models.CharField(_("catatan"), max_length=300, blank=True)

    objects = ScopedManager(district="district", kecamatan="village__kecamatan", village="village")

    class Meta:
        db_table = "villages_focusvillage"
        ordering = ["village__code"]
        verbose_name = _("desa lokus")
        verbose_name_plural = _("desa lokus")
        constraints = [
            models.UniqueConstraint(fields=["decree", "village"], name="focus_village_unique")
        ]

    def __str__(self):
        return f"{self.village} ({self.decree.year})"


class FocusImport(models.Model):
    """An uploaded list of focus villages waiting for its preview to be confirmed."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    file = models.FileField(upload_to=private_path)
    original_name = models.CharField(max_length=200)
    # the preview worked out once at upload (village_reports.focus.Plan.as_preview)
    preview = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    applied_at = models.DateTimeField(null=True, blank=True)
    # the job that applies it, once confirmed (village_reports.tasks)
    job = models.OneToOneField(
        "documents.Job", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = ScopedManager(district="district")

    class Meta:
        db_table = "villages_focusimport"
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.original_name} ({self.year})"


# ---------------------------------------------------------------------------------------------
# Village reports: periods set by the district, reports filed by the village, verified by the
# camat.


class ReportKind(models.TextChoices):
    SCORECARD = "scorecard", _("Scorecard konvergensi desa")
    SEMESTER = "semester", _("Laporan semester desa")


# Sending a report opens this many days before its period ends (its last ten days).
SENDING_OPENS_BEFORE_END = timedelta(days=9)


class ReportPeriod(models.Model):
    """A quarter (scorecard) or a semester (village report) of one district's year, with the
    due date the district sets."""

    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="report_periods")
    year = models.PositiveSmallIntegerField(_("tahun"))
    kind = models.CharField(_("jenis"), max_length=10, choices=ReportKind.choices)
    number = models.PositiveSmallIntegerField(_("ke-"))
    starts_on = models.DateField(_("mulai"))
    ends_on = models.DateField(_("berakhir"))
    # A report tells how the period went: sending opens near its end, not on its first day.
    opens_on = models.DateField(_("dapat dikirim mulai"))
    due_on = models.DateField(_("batas kirim"))

    objects = ScopedManager(district="district")

    class Meta:
        db_table = "villages_reportperiod"
        ordering = ["year", "kind", "number"]
        verbose_name = _("periode laporan")
        constraints = [
            models.UniqueConstraint(
                fields=["district", "year", "kind", "number"], name="report_period_unique"
            )
        ]

    def __str__(self):
        return self.label

    @property
    def label(self) -> str:
        if self.kind == ReportKind.SCORECARD:
            return _("Kuartal %(n)s %(year)s") % {"n": self.number, "year": self.year}
        return _("Semester %(n)s %(year)s") % {"n": self.number, "year": self.year}

    def save(self, *args, **kwargs):
        if self.opens_on is None and self.ends_on is not None:
            self.opens_on = max(self.starts_on, self.ends_on - SENDING_OPENS_BEFORE_END)
        super().save(*args, **kwargs)

    def is_open_for_sending(self, today) -> bool:
        return today >= self.opens_on

    def is_late(self, today, first_submitted_at=None, tz=None) -> bool:
        """Sent after the due date, or not sent and past it; `today` and the sending date are
        taken in the district's time zone `tz`."""
        if first_submitted_at:
            return first_submitted_at.astimezone(tz).date() > self.due_on
        return today > self.due_on


class ReportSettings(models.Model):
    """How a district's report periods are made: the due dates after each quarter and semester
    ends, how many last days of a period sending is open, and whether each year's periods are
    created by themselves (village_reports.tasks.create_report_periods). A district without a
    row uses the defaults below."""

    district = models.OneToOneField(
        District, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    scorecard_due_days = models.PositiveSmallIntegerField(
        _("batas kirim scorecard (hari setelah kuartal berakhir)"), default=10
    )
    semester_due_days = models.PositiveSmallIntegerField(
        _("batas kirim laporan semester (hari setelah semester berakhir)"), default=15
    )
    sending_days = models.PositiveSmallIntegerField(
        _("pengiriman dibuka pada hari-hari terakhir periode (hari)"), default=10
    )
    auto_create = models.BooleanField(_("buat periode tiap tahun secara otomatis"), default=True)
    updated_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager(district="district")

    class Meta:
        verbose_name = _("pengaturan periode laporan")

    def __str__(self):
        return str(self.district_id)


class ReportStatus(models.TextChoices):
    DRAFT = "draft", _("draf")
    SUBMITTED = "submitted", _("menunggu verifikasi")
    RETURNED = "returned", _("dikembalikan")
    VERIFIED = "verified", _("terverifikasi")


class VillageReport(models.Model):
    """One version of a village's report for one period. A verified version is locked; a
    correction is a new version (the highest version is the current one)."""

    Status = ReportStatus

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="+")
    village = models.ForeignKey(Village, on_delete=models.PROTECT, related_name="reports")
    period = models.ForeignKey(ReportPeriod, on_delete=models.PROTECT, related_name="reports")
    version = models.PositiveSmallIntegerField(default=1)
    status = models.CharField(max_length=10, choices=ReportStatus.choices, default="draft")
    data = models.JSONField(default=dict, blank=True)
    remark = models.TextField(_("catatan camat"), max_length=2000, blank=True)
    created_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    first_submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # sent or decided at a date entered afterwards (a district catching up on an ended year):
    # the dates above are then the actual ones, the events keep when they were typed
    backfilled = models.BooleanField(default=False)

    objects = ScopedManager(district="district", kecamatan="village__kecamatan", village="village")

    class Meta:
        db_table = "villages_villagereport"
        ordering = ["period", "village__code", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["village", "period", "version"], name="village_report_unique_version"
            ),
            # at most one version being worked on at a time
            models.UniqueConstraint(
                fields=["village", "period"],
                condition=~models.Q(status="verified"),
                name="village_report_one_open",
            ),
        ]
        indexes = [models.Index(fields=["period", "village"])]

    def __str__(self):
        return f"{self.village} {self.period} v{self.version}"

    @property
    def kind(self) -> str:
        return self.period.kind

    @property
    def is_editable(self) -> bool:
        return self.status in (ReportStatus.DRAFT, ReportStatus.RETURNED)

    def is_late(self) -> bool:
        """Sent after the due date (or not yet sent and past it), in the district's zone."""
        tz = self.district.tz
        return self.period.is_late(
            timezone.now().astimezone(tz).date(), self.first_submitted_at, tz
        )


class ReportEvent(models.Model):
    report = models.ForeignKey(VillageReport, on_delete=models.CASCADE, related_name="events")
    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="+")
    from_status = models.CharField(max_length=10, choices=ReportStatus.choices, blank=True)
    to_status = models.CharField(max_length=10, choices=ReportStatus.choices)
    remark = models.TextField(max_length=2000, blank=True)
    actor = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    # when it happened; for a back-filled event, the actual date entered, and `recorded_at`
    # when it was typed
    at = models.DateTimeField(default=timezone.now)
    recorded_at = models.DateTimeField(default=timezone.now)
    backfilled = models.BooleanField(default=False)
    # decided by the district for a kecamatan that has no active camat account
    on_behalf = models.BooleanField(default=False)

    objects = ScopedManager(district="district")

    class Meta:
        db_table = "villages_reportevent"
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.from_status or '-'} → {self.to_status}"

    @property
    def verb(self) -> str:
        return {
            ReportStatus.SUBMITTED: _("dikirim"),
            ReportStatus.VERIFIED: _("diverifikasi"),
            ReportStatus.RETURNED: _("dikembalikan"),
            ReportStatus.DRAFT: _("versi koreksi dibuat"),
        }[self.to_status]


class RecapStatus(models.TextChoices):
    FORWARDED = "forwarded", _("diteruskan ke kabupaten")
    RETURNED = "returned", _("dikembalikan ke kecamatan")
    ACCEPTED = "accepted", _("diterima kabupaten")


class KecamatanRecap(models.Model):
    """The camat's recap of his kecamatan's verified reports for one period, forwarded to the
    district. While it is forwarded or accepted, no report of the kecamatan's villages for the
    period changes (the approval levels of DHIS2): accepted is final, a returned recap opens
    the period again."""

    Status = RecapStatus

    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="+")
    kecamatan = models.ForeignKey(Kecamatan, on_delete=models.PROTECT, related_name="recaps")
    period = models.ForeignKey(ReportPeriod, on_delete=models.PROTECT, related_name="recaps")
    status = models.CharField(max_length=10, choices=RecapStatus.choices)
    # the reports it was made of: {village id: [report id, version]}
    reports = models.JSONField(default=dict, blank=True)
    remark = models.TextField(_("catatan kabupaten"), max_length=2000, blank=True)
    forwarded_at = models.DateTimeField()
    forwarded_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = ScopedManager(district="district", kecamatan="kecamatan")

    class Meta:
        ordering = ["period", "kecamatan__code"]
        verbose_name = _("rekap kecamatan")
        constraints = [
            models.UniqueConstraint(fields=["kecamatan", "period"], name="kecamatan_recap_once")
        ]

    def __str__(self):
        return f"{self.kecamatan} {self.period}"

    @property
    def locks(self) -> bool:
        return self.status in (RecapStatus.FORWARDED, RecapStatus.ACCEPTED)


class RecapEvent(models.Model):
    recap = models.ForeignKey(KecamatanRecap, on_delete=models.CASCADE, related_name="events")
    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="+")
    to_status = models.CharField(max_length=10, choices=RecapStatus.choices)
    remark = models.TextField(max_length=2000, blank=True)
    actor = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(district="district", kecamatan="recap__kecamatan")

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.recap_id} → {self.to_status}"


class ReportFile(StoredFile):
    """A file attached to one slot of a report (the Perdes, the rembuk minutes)."""

    folder = "villages"  # files stored under villages/<district id>/ as before

    report = models.ForeignKey(VillageReport, on_delete=models.CASCADE, related_name="files")
    slot = models.CharField(max_length=20)

    objects = ScopedManager(
        district="district", kecamatan="report__village__kecamatan", village="report__village"
    )

    class Meta:
        db_table = "villages_reportfile"
        ordering = ["uploaded_at"]


class VillageReminder(models.Model):
    """Claimed before a reminder is sent, so that it is never sent twice."""

    period = models.ForeignKey(ReportPeriod, on_delete=models.CASCADE, related_name="+")
    village = models.ForeignKey(Village, on_delete=models.CASCADE, related_name="+")
    threshold = models.SmallIntegerField()
    recipients = models.JSONField(default=list)
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "villages_villagereminder"
        constraints = [
            models.UniqueConstraint(
                fields=["period", "village", "threshold"], name="village_reminder_once"
            )
        ]

    def __str__(self):
        return f"{self.village_id}/{self.period_id}/{self.threshold}"
