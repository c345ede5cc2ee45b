"""Outcome data: the indicator catalogue (national reference data by version), the national
series and targets that ship with it, and each district's values and yearly targets.

Every value carries its source and the year (and month) it was measured: surveys (SSGI, SKI,
Riskesdas) and the posyandu census (e-PPGBM) differ several fold for the same place, so a
number is never shown without them. Values that other parts of the portal already hold (the
measurement action's verified counts, the focus decree's prevalence) are not stored here; they
are read where they live (outcomes.summaries), so nothing is typed twice.
"""

import uuid
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from villages.models import District, Kecamatan, Village

STUNTING = "prevalensi_stunting"
PERCENT = "%"
HUNDREDTH = Decimal("0.01")


class Group(models.TextChoices):
    OUTCOME = "outcome", _("dampak")
    SPECIFIC = "specific", _("intervensi spesifik")
    SENSITIVE = "sensitive", _("intervensi sensitif")


class Source(models.TextChoices):
    SSGI = "ssgi", _("SSGI")
    SKI = "ski", _("SKI")
    RISKESDAS = "riskesdas", _("Riskesdas")
    EPPGBM = "eppgbm", _("e-PPGBM / bulan timbang")
    DISTRICT_SURVEY = "survey", _("survei kabupaten")
    OTHER = "other", _("lainnya")


SURVEYS = (Source.SSGI, Source.SKI, Source.RISKESDAS, Source.DISTRICT_SURVEY)


class Catalogue(models.Model):
    """A version of the indicator list (today: Perpres 72/2021), loaded from
    outcomes/catalogues/*.json by a data migration."""

    code = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=200)
    source = models.CharField(max_length=300)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["code"]

    def __str__(self):
        return self.name


class Indicator(models.Model):
    catalogue = models.ForeignKey(Catalogue, on_delete=models.PROTECT, related_name="indicators")
    code = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=250)
    group = models.CharField(max_length=10, choices=Group)
    unit = models.CharField(max_length=20, default=PERCENT)
    lower_is_better = models.BooleanField(default=False)
    number = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["number"]

    def __str__(self):
        return self.name

    @property
    def is_percent(self) -> bool:
        return self.unit == PERCENT


class NationalFigure(models.Model):
    """A national value (measured) or target of an indicator, with its source as published."""

    class Kind(models.TextChoices):
        MEASURED = "measured", _("capaian")
        TARGET = "target", _("target")

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="national")
    kind = models.CharField(max_length=10, choices=Kind)
    year = models.PositiveSmallIntegerField()
    value = models.DecimalField(max_digits=14, decimal_places=2)
    source = models.CharField(max_length=120)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["indicator__number", "kind", "year"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "kind", "year"], name="national_figure_unique"
            )
        ]

    def __str__(self):
        return f"{self.indicator.code} {self.year}: {self.value} ({self.source})"


def check_figures(indicator: Indicator, value, numerator, denominator) -> Decimal:
    """The value to store, or ValidationError: a percentage lies in 0–100; with both a
    numerator and a denominator it is numerator ÷ denominator × 100 (rounded to hundredths;
    left empty, it is computed)."""
    if (numerator is None) != (denominator is None):
        raise ValidationError(
            _("Isi pembilang dan penyebut bersama-sama, atau kosongkan keduanya.")
        )
    if numerator is not None:
        if denominator <= 0:
            raise ValidationError(_("Penyebut harus lebih dari 0."))
        if numerator < 0 or (indicator.is_percent and numerator > denominator):
            raise ValidationError(_("Pembilang harus antara 0 dan penyebut."))
        computed = (Decimal(numerator) * 100 / Decimal(denominator)).quantize(HUNDREDTH)
        if value is None:
            value = computed
        elif abs(Decimal(value) - computed) > HUNDREDTH:
            raise ValidationError(
                _("Nilai %(value)s tidak sama dengan pembilang ÷ penyebut × 100 = %(computed)s.")
                % {"value": value, "computed": computed}
            )
    if value is None:
        raise ValidationError(_("Isi nilai, atau pembilang dan penyebut."))
    value = Decimal(value).quantize(HUNDREDTH)
    if value < 0 or (indicator.is_percent and value > 100):
        raise ValidationError(_("Nilai persentase harus antara 0 dan 100."))
    if value >= Decimal("1e12"):
        raise ValidationError(_("Nilai terlalu besar."))
    return value


class IndicatorValue(models.Model):
    """One measured value of a district, or of one of its kecamatan or villages.

    Scoped by district only: every role of the district reads the district-level rows; a camat
    or village head is narrowed to his area by `visible_to` (accounts.policy.may_see_area)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="+")
    kecamatan = models.ForeignKey(
        Kecamatan, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    village = models.ForeignKey(
        Village, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("tahun"))
    month = models.PositiveSmallIntegerField(_("bulan"), null=True, blank=True)
    value = models.DecimalField(_("nilai"), max_digits=14, decimal_places=2)
    numerator = models.PositiveIntegerField(_("pembilang"), null=True, blank=True)
    denominator = models.PositiveIntegerField(_("penyebut"), null=True, blank=True)
    source = models.CharField(_("sumber"), max_length=10, choices=Source)
    note = models.CharField(_("catatan"), max_length=300, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    entered_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(district="district")

    class Meta:
        ordering = ["indicator__number", "-year", "-month"]
        constraints = [
            models.UniqueConstraint(
                fields=["district", "kecamatan", "village", "indicator", "year", "month", "source"],
                name="indicator_value_unique",
                nulls_distinct=False,
            ),
            # a village's row also names its kecamatan
            models.CheckConstraint(
                condition=models.Q(village__isnull=True) | models.Q(kecamatan__isnull=False),
                name="indicator_value_village_has_kecamatan",
            ),
            models.CheckConstraint(
                condition=models.Q(month__isnull=True) | models.Q(month__gte=1, month__lte=12),
                name="indicator_value_month",
            ),
        ]

    def __str__(self):
        return f"{self.indicator.code} {self.year}: {self.value}"


class DistrictTarget(models.Model):
    """The district's own target of an indicator for a year."""

    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="+")
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("tahun"))
    value = models.DecimalField(_("target"), max_digits=14, decimal_places=2)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager(district="district")

    class Meta:
        ordering = ["indicator__number", "year"]
        constraints = [
            models.UniqueConstraint(
                fields=["district", "indicator", "year"], name="district_target_unique"
            )
        ]

    def __str__(self):
        return f"{self.indicator.code} {self.year}: {self.value}"


def private_path(instance, filename):
    return f"outcomes/{instance.district_id}/{uuid.uuid4().hex}"


class OutcomeImport(models.Model):
    """An uploaded file of values waiting for its preview to be confirmed."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="+")
    file = models.FileField(upload_to=private_path)
    original_name = models.CharField(max_length=200)
    # the preview worked out once at upload (outcomes.imports.Plan.as_preview)
    preview = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    applied_at = models.DateTimeField(null=True, blank=True)
    job = models.OneToOneField(
        "documents.Job", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = ScopedManager(district="district")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return self.original_name


def national_private_path(instance, filename):
    return f"outcomes/national/{uuid.uuid4().hex}"


class NationalOutcomeImport(models.Model):
    """A national admin's file of values for many districts, waiting for its preview to be
    confirmed. National, not district data: no district and no scope; only the national
    admin's pages (outcomes.import_national) reach it. Each district's values are written
    inside that district's scope when it is applied (outcomes.imports)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    file = models.FileField(upload_to=national_private_path)
    original_name = models.CharField(max_length=200)
    # the preview worked out once at upload (outcomes.imports.NationalPlan.as_preview)
    preview = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    applied_at = models.DateTimeField(null=True, blank=True)
    job = models.OneToOneField(
        "documents.Job", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return self.original_name
