"""National regions (reference data) and the district, which is the tenant.

Provinces, districts, kecamatan and villages are the public Kemendagri list: every district
reads the same rows, so they carry no tenant scope. Areas are never deleted: an import of a
newer list marks the ones that are gone as retired (records keep pointing at them).
"""

import uuid
import zoneinfo

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
    """A national region list uploaded from the page; its import runs as a job
    (documents.Job), whose row holds the status, the summary and the errors."""

    class Status(models.TextChoices):  # its job's (documents.JobStatus)
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
    job = models.OneToOneField(
        "documents.Job", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.original_name} ({self.status})"

    # what the page shows, from the job
    @property
    def status(self) -> str:
        return self.job.status if self.job_id else "queued"

    def get_status_display(self) -> str:
        return self.job.get_status_display() if self.job_id else ""

    @property
    def summary(self) -> str:
        return self.job.message if self.job_id else ""

    @property
    def errors(self) -> list:
        return self.job.result.get("errors", []) if self.job_id else []

    @property
    def finished_at(self):
        return self.job.finished_at if self.job_id else None


def private_path(instance, filename):
    """Unguessable names and no original name on disk; files are served only by checked views."""
    return f"villages/{instance.district_id}/{uuid.uuid4().hex}"
