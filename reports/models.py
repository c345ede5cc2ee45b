"""What a district chooses to show the public on /publik/<district-slug>/ (DOMAIN.md §3: the
public reads what each district publishes). One row per district; every item is off until
the district admin turns it on.

Precomputed figures for the province and national roll-ups: one snapshot per district and
year, written from the apps' summaries (reports.snapshots) whenever the data under it changes
and every night, so that a roll-up over hundreds of districts reads one row per district
instead of running every summary for each of them."""

import secrets
import uuid

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


# --- the annual evaluation (DOMAIN.md §9) ---------------------------------------------------


def new_token() -> str:
    return secrets.token_urlsafe(24)


class EvaluationNarrative(models.Model):
    """What the secretariat writes for one year's evaluation, one text per section
    (reports.evaluation.SECTIONS keys): kept as a draft until a version is rendered from it."""

    district = models.ForeignKey("villages.District", on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField(_("tahun"))
    # section key -> text
    texts = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = ScopedManager(district="district")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["district", "year"], name="evaluation_narrative_once")
        ]

    def __str__(self):
        return f"{self.district_id} {self.year}"


class EvaluationVersion(models.Model):
    """Version `number` of a district's evaluation of `year`: requested, rendered by a job into
    `pdf`, approved by the Sekda. At most one version of a year is the final one (`final`);
    approving a later version supersedes it (`superseded_by`). An approved version never
    changes again."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    district = models.ForeignKey("villages.District", on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField(_("tahun"))
    number = models.PositiveIntegerField(_("versi"))
    verify_token = models.CharField(max_length=64, unique=True, default=new_token)
    # the secretariat's texts as they stood when the version was requested: a second render
    # of the same version prints the same words
    narratives = models.JSONField(default=dict, blank=True)
    requested_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    job = models.ForeignKey(
        "documents.Job", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    pdf = models.ForeignKey(
        "documents.GeneratedDocument",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # the final version of the year this one replaces once approved (printed on it)
    replaces = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    approved_by_name = models.CharField(max_length=200, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    final = models.BooleanField(default=False)
    superseded_by = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = ScopedManager(district="district")

    class Meta:
        ordering = ["district", "year", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["district", "year", "number"], name="evaluation_version_number_once"
            ),
            models.UniqueConstraint(
                fields=["district", "year"],
                condition=models.Q(final=True),
                name="evaluation_one_final_per_year",
            ),
        ]

    def __str__(self):
        return f"{self.district_id} {self.year} v{self.number}"

    @property
    def is_approved(self) -> bool:
        return self.approved_at is not None

    @property
    def status(self) -> str:
        """ "final", "superseded", "draft" (rendered, not approved) or "rendering"."""
        if self.final:
            return "final"
        if self.is_approved:
            return "superseded"
        return "draft" if self.pdf_id else "rendering"
