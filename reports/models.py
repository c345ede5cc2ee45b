"""What a district chooses to show the public on /publik/<district-slug>/ (DOMAIN.md §3: the
public reads what each district publishes). One row per district; every item is off until
the district admin turns it on.

Precomputed figures for the province and national roll-ups: one snapshot per district and
year, written from the apps' summaries (reports.snapshots) whenever the data under it changes
and every night, so that a roll-up over hundreds of districts reads one row per district
instead of running every summary for each of them."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from villages.models import District

# the items, in the order of the page and the form
ITEMS = ("prevalence", "focus_villages", "actions", "commitments")


class Publication(models.Model):
    district = models.OneToOneField(District, on_delete=models.CASCADE, related_name="+")
    prevalence = models.BooleanField(
        _("prevalensi stunting"),
        default=False,
        help_text=_("Per kecamatan dan desa/kelurahan, dengan sumber dan tahun setiap angka."),
    )
    focus_villages = models.BooleanField(
        _("desa lokus"),
        default=False,
        help_text=_("Daftar desa lokus tahun berjalan menurut SK lokus."),
    )
    actions = models.BooleanField(
        _("kemajuan aksi konvergensi"),
        default=False,
        help_text=_("Per aksi: persentase keluaran yang sudah diverifikasi."),
    )
    commitments = models.BooleanField(
        _("dokumen komitmen yang sudah ditandatangani"),
        default=False,
        help_text=_(
            "Judul, tanggal, tingkat, jumlah tanda tangan dan tautan verifikasi publik; "
            "tanpa nama maupun NIP penanda tangan."
        ),
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = ScopedManager(district="district")

    class Meta:
        verbose_name = _("publikasi")
        verbose_name_plural = _("publikasi")

    def __str__(self):
        return str(self.district)

    @property
    def chosen(self) -> tuple[str, ...]:
        return tuple(item for item in ITEMS if getattr(self, item))

    @property
    def anything(self) -> bool:
        return bool(self.chosen)


class DistrictSnapshot(models.Model):
    """A district's roll-up figures of one year, as they stood at `computed_at`.

    Empty figures are None (no year opened, no period due yet, no prevalence figure): the
    roll-ups list them last and say so, never as zero."""

    district = models.ForeignKey("villages.District", on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField(_("tahun"))
    computed_at = models.DateTimeField(_("dihitung pada"), default=timezone.now)

    # convergence actions: deliverables of the year, verified by Bappeda
    deliverables_total = models.PositiveIntegerField(default=0)
    deliverables_verified = models.PositiveIntegerField(default=0)
    deliverables_overdue = models.PositiveIntegerField(default=0)
    action_percent = models.DecimalField(max_digits=4, decimal_places=1, null=True)

    # village reports: the year's latest scorecard period that is due
    report_period = models.PositiveSmallIntegerField(null=True)
    report_due_on = models.DateField(null=True)
    reports_all = models.PositiveIntegerField(default=0)
    reports_verified = models.PositiveIntegerField(default=0)
    reports_late = models.PositiveIntegerField(default=0)
    report_percent = models.DecimalField(max_digits=4, decimal_places=1, null=True)

    # stunting prevalence: the latest district figure up to the year (a survey first), and the
    # latest posyandu census figure (e-PPGBM) beside it
    prevalence = models.DecimalField(max_digits=5, decimal_places=2, null=True)
    prevalence_source = models.CharField(max_length=10, blank=True)
    prevalence_source_label = models.CharField(max_length=200, blank=True)
    prevalence_year = models.PositiveSmallIntegerField(null=True)
    prevalence_band = models.CharField(max_length=10, blank=True)  # lib.charts band tone
    eppgbm_prevalence = models.DecimalField(max_digits=5, decimal_places=2, null=True)
    eppgbm_year = models.PositiveSmallIntegerField(null=True)

    # performance assessment: self and province scores in % of the best possible score
    self_percent = models.DecimalField(max_digits=4, decimal_places=1, null=True)
    province_percent = models.DecimalField(max_digits=4, decimal_places=1, null=True)

    objects = ScopedManager(district="district")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["district", "year"], name="district_snapshot_unique")
        ]

    def __str__(self):
        return f"{self.district_id} {self.year}"
