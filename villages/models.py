"""National regions (reference data) and the district, which is the tenant.

Provinces, districts, kecamatan and villages are the public Kemendagri list: every district
reads the same rows, so they carry no tenant scope. Areas are never deleted: an import of a
newer list marks the ones that are gone as retired (records keep pointing at them).
"""

import uuid
import zoneinfo
from datetime import timedelta

from django.db import models
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from lib import regioncodes


class AreaQuerySet(models.QuerySet):
    def active(self):
        return self.filter(retired_at__isnull=True)


class Area(models.Model):
    code = models.CharField(_("kode"), max_length=13, unique=True)
    name = models.CharField(_("nama"), max_length=200)
    retired_at = models.DateTimeField(_("dihapus dari daftar sejak"), null=True, blank=True)

    objects = AreaQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["code"]

    def __str__(self):
        return self.name

    @property
    def is_active(self) -> bool:
        return self.retired_at is None


class Province(Area):
    class Meta(Area.Meta):
        verbose_name = _("provinsi")
        verbose_name_plural = _("provinsi")


class TimeZone(models.TextChoices):
    WIB = "Asia/Jakarta", _("WIB (UTC+7)")
    WITA = "Asia/Makassar", _("WITA (UTC+8)")
    WIT = "Asia/Jayapura", _("WIT (UTC+9)")


class PaperSize(models.TextChoices):
    A4 = "A4", _("A4 (210 × 297 mm)")
    F4 = "F4", _("F4/folio (215 × 330 mm)")


class District(Area):
    """A kabupaten or kota: the tenant. Its pages live under /<slug>/."""

    province = models.ForeignKey(Province, on_delete=models.PROTECT, related_name="districts")
    slug = models.SlugField(max_length=80, unique=True)
    time_zone = models.CharField(
        _("zona waktu"), max_length=32, choices=TimeZone.choices, default=TimeZone.WIB
    )
    paper_size = models.CharField(
        _("ukuran kertas dokumen"), max_length=2, choices=PaperSize.choices, default=PaperSize.A4
    )
    emblem = models.FileField(_("lambang daerah"), upload_to="emblems/", blank=True)
    letterhead_name = models.CharField(
        _("nama instansi pada kop surat"),
        max_length=200,
        blank=True,
        help_text=_("Misalnya: PEMERINTAH KABUPATEN SUMEDANG"),
    )
    letterhead_address = models.CharField(_("alamat pada kop surat"), max_length=300, blank=True)
    head_name = models.CharField(_("nama Bupati/Wali Kota"), max_length=150, blank=True)
    deputy_name = models.CharField(
        _("nama Wakil Bupati/Wakil Wali Kota"), max_length=150, blank=True
    )
    sekda_name = models.CharField(_("nama Sekretaris Daerah"), max_length=150, blank=True)
    sekda_nip = models.CharField(_("NIP Sekretaris Daerah"), max_length=18, blank=True)
    verifier_must_differ = models.BooleanField(
        _("verifikator harus berbeda dari pengirim"),
        default=True,
        help_text=_(
            "Keluaran aksi konvergensi diverifikasi oleh admin lain daripada yang mengirimnya."
        ),
    )

    class Meta(Area.Meta):
        verbose_name = _("kabupaten/kota")
        verbose_name_plural = _("kabupaten/kota")

    @property
    def is_kota(self) -> bool:
        return regioncodes.district_is_kota(self.code)

    @property
    def kind_label(self) -> str:
        return str(_("Kota") if self.is_kota else _("Kabupaten"))

    @property
    def head_title(self) -> str:
        return str(_("Wali Kota") if self.is_kota else _("Bupati"))

    @property
    def deputy_title(self) -> str:
        return str(_("Wakil Wali Kota") if self.is_kota else _("Wakil Bupati"))

    @cached_property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    @property
    def time_zone_short(self) -> str:
        return {TimeZone.WIB: "WIB", TimeZone.WITA: "WITA", TimeZone.WIT: "WIT"}[self.time_zone]

    def local_now(self):
        return timezone.now().astimezone(self.tz)

    def default_letterhead_name(self) -> str:
        return f"PEMERINTAH {self.name.upper()}"


class Kecamatan(Area):
    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="kecamatan")

    class Meta(Area.Meta):
        verbose_name = _("kecamatan")
        verbose_name_plural = _("kecamatan")


class VillageKind(models.TextChoices):
    KELURAHAN = "kelurahan", _("Kelurahan")
    DESA = "desa", _("Desa")
    DESA_ADAT = "desa_adat", _("Desa adat")


class Village(Area):
    kecamatan = models.ForeignKey(Kecamatan, on_delete=models.PROTECT, related_name="villages")
    # Denormalised so that district-wide village queries need no join.
    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="villages")

    class Meta(Area.Meta):
        verbose_name = _("desa/kelurahan")
        verbose_name_plural = _("desa/kelurahan")
        indexes = [models.Index(fields=["district", "code"])]

    @property
    def kind(self) -> str:
        return regioncodes.village_kind(self.code)

    @property
    def kind_label(self) -> str:
        return VillageKind(self.kind).label

    @property
    def is_kelurahan(self) -> bool:
        """A kelurahan (urban village) has a lurah, a Dana Kelurahan and no Perdes."""
        return self.kind == VillageKind.KELURAHAN

    @property
    def head_title(self) -> str:
        """The village head's position as documents write it: "Lurah Sarijadi",
        "Kepala Desa Cimungkal"."""
        if self.kind == VillageKind.KELURAHAN:
            return _("Lurah %(name)s") % {"name": self.name}
        if self.kind == VillageKind.DESA_ADAT:
            return _("Kepala Desa Adat %(name)s") % {"name": self.name}
        return _("Kepala Desa %(name)s") % {"name": self.name}

    @property
    def secretary_title(self) -> str:
        if self.kind == VillageKind.KELURAHAN:
            return _("Sekretaris Kelurahan %(name)s") % {"name": self.name}
        if self.kind == VillageKind.DESA_ADAT:
            return _("Sekretaris Desa Adat %(name)s") % {"name": self.name}
        return _("Sekretaris Desa %(name)s") % {"name": self.name}


class VillageProfile(models.Model):
    """What a village's own documents print: the office address and the names of the village
    head and secretary. Kept by the village head (or the district admin). A village without
    an address prints without one, never with the district's."""

    village = models.OneToOneField(Village, on_delete=models.CASCADE, related_name="profile")
    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="+")
    office_address = models.CharField(
        _("alamat kantor desa/kelurahan"),
        max_length=300,
        blank=True,
        help_text=_("Dicetak pada kop surat dokumen desa. Misalnya: Jalan Raya Wado Nomor 12"),
    )
    head_name = models.CharField(_("nama kepala desa/lurah"), max_length=150, blank=True)
    secretary_name = models.CharField(
        _("nama sekretaris desa/kelurahan"), max_length=150, blank=True
    )
    updated_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager(district="district", kecamatan="village__kecamatan", village="village")

    class Meta:
        verbose_name = _("profil desa/kelurahan")
        verbose_name_plural = _("profil desa/kelurahan")

    def __str__(self):
        return str(self.village)


class Agency(models.Model):
    """A district agency (OPD): Bappeda, Dinas Kesehatan, DPMD… Each district keeps its own list."""

    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="agencies")
    name = models.CharField(_("nama"), max_length=200)
    short_name = models.CharField(_("singkatan"), max_length=40)
    is_active = models.BooleanField(_("aktif"), default=True)

    objects = ScopedManager(district="district")

    class Meta:
        ordering = ["short_name"]
        verbose_name = _("perangkat daerah (OPD)")
        verbose_name_plural = _("perangkat daerah (OPD)")
        constraints = [
            models.UniqueConstraint(fields=["district", "short_name"], name="agency_unique_short")
        ]

    def __str__(self):
        return self.short_name


class RegionImport(models.Model):
    """A national region list uploaded from the page, imported by a Celery job."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("menunggu")
        RUNNING = "running", _("berjalan")
        DONE = "done", _("selesai")
        FAILED = "failed", _("gagal")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    file = models.FileField(upload_to="region-imports/")
    original_name = models.CharField(max_length=200)
    partial = models.BooleanField(
        _("sebagian saja (hanya menambah dan mengganti nama)"), default=False
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    summary = models.CharField(max_length=300, blank=True)
    errors = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.original_name} ({self.status})"


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
    # the preview worked out once at upload (villages.focus.Plan.as_preview)
    preview = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    applied_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(district="district")

    class Meta:
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

    objects = ScopedManager(district="district", kecamatan="village__kecamatan", village="village")

    class Meta:
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
    at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(district="district")

    class Meta:
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


class ReportFile(models.Model):
    """A file attached to one slot of a report (the Perdes, the rembuk minutes)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    report = models.ForeignKey(VillageReport, on_delete=models.CASCADE, related_name="files")
    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="+")
    slot = models.CharField(max_length=20)
    file = models.FileField(upload_to=private_path)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(
        district="district", kecamatan="report__village__kecamatan", village="report__village"
    )

    class Meta:
        ordering = ["uploaded_at"]

    def __str__(self):
        return self.original_name


class VillageReminder(models.Model):
    """Claimed before a reminder is sent, so that it is never sent twice."""

    period = models.ForeignKey(ReportPeriod, on_delete=models.CASCADE, related_name="+")
    village = models.ForeignKey(Village, on_delete=models.CASCADE, related_name="+")
    threshold = models.SmallIntegerField()
    recipients = models.JSONField(default=list)
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["period", "village", "threshold"], name="village_reminder_once"
            )
        ]

    def __str__(self):
        return f"{self.village_id}/{self.period_id}/{self.threshold}"
