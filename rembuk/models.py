"""Rembuk stunting sessions at district, kecamatan and village level: agenda, participants and
attendance, minutes and photos, and the agreed activity plan (DOMAIN.md §6)."""

import secrets
import uuid
from datetime import datetime, time, timedelta

from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from documents.models import StoredFile
from lib import text as limits
from villages.models import Agency, District, Kecamatan, Village


def private_path(instance, filename):
    """Unguessable names and no original name on disk; files are served only by checked views."""
    return f"rembuk/{instance.district_id}/{uuid.uuid4().hex}"


def new_checkin_code() -> str:
    return secrets.token_urlsafe(12)


class Level(models.TextChoices):
    DISTRICT = "district", _("Kabupaten/kota")
    KECAMATAN = "kecamatan", _("Kecamatan")
    VILLAGE = "village", _("Desa/kelurahan")


class LevelQuerySet(models.QuerySet):
    """Rows that belong to a district, a kecamatan or a village (`level`, `kecamatan`,
    `village`): rembuk sessions and commitment documents."""

    def visible_to(self, access):
        """Rows `access` may read: district-wide roles all of them; a camat the district's own,
        his kecamatan's and its villages'; a village head or KPM the district's own and his
        own village's."""
        if access.district_wide:
            return self
        district_level = models.Q(level=Level.DISTRICT)
        if access.kecamatan_ids:
            return self.filter(district_level | models.Q(kecamatan_id__in=access.kecamatan_ids))
        return self.filter(district_level | models.Q(village_id__in=access.village_ids))


def level_matches_area(name: str) -> models.CheckConstraint:
    """District rows name no area, kecamatan rows their kecamatan, village rows both."""
    return models.CheckConstraint(
        condition=(
            models.Q(level="district", kecamatan__isnull=True, village__isnull=True)
            | models.Q(level="kecamatan", kecamatan__isnull=False, village__isnull=True)
            | models.Q(level="village", kecamatan__isnull=False, village__isnull=False)
        ),
        name=name,
    )


class RembukSession(models.Model):
    """One rembuk stunting meeting."""

    Level = Level

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="+")
    level = models.CharField(_("tingkat"), max_length=10, choices=Level.choices)
    # kecamatan is set for kecamatan and village sessions, village for village sessions only
    kecamatan = models.ForeignKey(
        Kecamatan, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    village = models.ForeignKey(
        Village, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("tahun"))
    title = models.CharField(_("judul"), max_length=250)
    starts_at = models.DateTimeField(_("waktu mulai"))
    venue = models.CharField(_("tempat"), max_length=250)
    chair = models.CharField(_("pimpinan rapat"), max_length=200, blank=True)
    agenda = models.TextField(
        _("agenda"), max_length=limits.NOTE, blank=True, help_text=_("Satu butir per baris.")
    )
    minutes = models.TextField(_("notulen"), max_length=limits.MINUTES, blank=True)
    checkin_code = models.CharField(max_length=40, unique=True, default=new_checkin_code)
    checkin_open = models.BooleanField(_("presensi mandiri dibuka"), default=True)
    created_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = ScopedManager(
        district="district", _manager_class=models.Manager.from_queryset(LevelQuerySet)
    )

    class Meta:
        ordering = ["-starts_at"]
        verbose_name = _("rembuk stunting")
        verbose_name_plural = _("rembuk stunting")
        constraints = [level_matches_area("rembuk_level_matches_area")]

    def __str__(self):
        return self.title

    @property
    def agenda_items(self) -> list[str]:
        return [line.strip() for line in self.agenda.splitlines() if line.strip()]

    @property
    def area_name(self) -> str:
        if self.village_id:
            return self.village.name
        if self.kecamatan_id:
            return self.kecamatan.name
        return self.district.name

    CHECKIN_OPENS_BEFORE = timedelta(hours=2)

    def checkin_window(self) -> tuple[datetime, datetime]:
        """Self check-in runs from two hours before the start to the end of that day in the
        district's time zone (a meeting may run late, but not into tomorrow)."""
        tz = self.district.tz
        day = self.starts_at.astimezone(tz).date()
        closes = datetime.combine(day + timedelta(days=1), time.min, tzinfo=tz)
        return self.starts_at - self.CHECKIN_OPENS_BEFORE, closes

    def checkin_state(self, now: datetime | None = None) -> str:
        """ "open", "closed" (switched off by the organisers), "early" or "over"."""
        if not self.checkin_open:
            return "closed"
        now = now or timezone.now()
        opens, closes = self.checkin_window()
        if now < opens:
            return "early"
        if now >= closes:
            return "over"
        return "open"


class Attendance(models.TextChoices):
    ORGANISER = "organiser", _("dicatat panitia")
    SELF = "self", _("presensi mandiri")


class Participant(models.Model):
    """An invited participant, or one who checked in without an invitation."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    session = models.ForeignKey(
        RembukSession, on_delete=models.CASCADE, related_name="participants"
    )
    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("nama"), max_length=200)
    position = models.CharField(_("jabatan"), max_length=200, blank=True)
    organisation = models.CharField(_("instansi/lembaga"), max_length=200, blank=True)
    user = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    invited = models.BooleanField(default=True)
    attended_at = models.DateTimeField(null=True, blank=True)
    attendance = models.CharField(max_length=10, choices=Attendance.choices, blank=True)
    order = models.PositiveIntegerField(default=0)

    objects = ScopedManager(district="district")

    class Meta:
        ordering = ["order", "name"]

    def __str__(self):
        return self.name

    @staticmethod
    def name_key(name: str) -> str:
        """Names compared without regard to case or spacing ("Hj.  SITI " = "hj. siti")."""
        return " ".join(name.split()).casefold()

    @property
    def present(self) -> bool:
        return self.attended_at is not None


class SessionFile(StoredFile):
    folder = "rembuk"  # files stored under rembuk/<district id>/ as before

    class Kind(models.TextChoices):
        MINUTES = "minutes", _("berkas notulen/berita acara")
        PHOTO = "photo", _("foto")

    session = models.ForeignKey(RembukSession, on_delete=models.CASCADE, related_name="files")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    # a small JPEG made at upload for photos, so that a page of photos stays light on a phone
    thumbnail = models.FileField(upload_to=private_path, blank=True)
    caption = models.CharField(_("keterangan"), max_length=200, blank=True)

    objects = ScopedManager(district="district")

    class Meta:
        ordering = ["uploaded_at"]


class FundSource(models.TextChoices):
    APBD = "apbd", _("APBD kabupaten/kota")
    DAK = "dak", _("APBN/DAK")
    APBDES = "apbdes", _("APBDes/Dana Desa")
    PROVINCE = "province", _("APBD provinsi")
    PRIVATE = "private", _("Swasta/CSR")
    OTHER = "other", _("Lainnya")


class RkpdStatus(models.TextChoices):
    UNKNOWN = "unknown", _("belum diketahui")
    YES = "yes", _("masuk RKPD/Renja")
    NO = "no", _("tidak masuk")


# a programme, activity or sub-activity code of the regional budget nomenclature (Kepmendagri
# 050-5889/2021: urusan.bidang.program.kegiatan.subkegiatan, e.g. "1.02.02.2.02.0005")
PROGRAMME_CODE_RE = r"^[0-9X]{1,2}(\.[0-9X]{1,4}){1,5}$"


class PlanItem(models.Model):
    """One line of the agreed activity plan, for the plan year whose RKPD/Renja it is meant to
    enter (the year after the rembuk, as a rule) under a programme/activity code."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    session = models.ForeignKey(RembukSession, on_delete=models.CASCADE, related_name="plan_items")
    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="+")
    activity = models.CharField(_("kegiatan"), max_length=300)
    plan_year = models.PositiveSmallIntegerField(_("tahun rencana"))
    programme_code = models.CharField(
        _("kode program/kegiatan/subkegiatan"),
        max_length=40,
        blank=True,
        validators=[
            RegexValidator(
                PROGRAMME_CODE_RE,
                _("Tulis kode nomenklatur dengan titik, misalnya 1.02.02.2.02.0005."),
            )
        ],
    )
    lead_agency = models.ForeignKey(
        Agency,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("OPD penanggung jawab"),
    )
    villages = models.ManyToManyField(
        Village, blank=True, related_name="+", verbose_name=_("lokasi")
    )
    budget = models.BigIntegerField(_("anggaran (Rp)"), null=True, blank=True)
    fund_source = models.CharField(
        _("sumber dana"), max_length=10, choices=FundSource.choices, blank=True
    )
    target_indicator = models.CharField(_("indikator sasaran"), max_length=300, blank=True)
    timeframe = models.CharField(_("waktu pelaksanaan"), max_length=100, blank=True)
    in_rkpd = models.CharField(
        _("masuk RKPD/Renja tahun berikutnya"),
        max_length=10,
        choices=RkpdStatus.choices,
        default=RkpdStatus.UNKNOWN,
    )
    order = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = ScopedManager(district="district")

    class Meta:
        ordering = ["order", "activity"]

    def __str__(self):
        return self.activity
