"""Recording outcome data: a value of the district or one of its areas, and the district's
own targets. One value per (area, indicator, year, month, source): entering it again updates
it. Every change is in the audit log."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import record
from lib import stale
from villages.models import District, Kecamatan, Village

from .models import DistrictTarget, Indicator, IndicatorValue, Source, check_figures

FIRST_YEAR, LAST_YEAR = 2000, 2100


def area_of(district: District, *, kecamatan: Kecamatan | None, village: Village | None):
    """(kecamatan, village) of the district, or ValidationError: a village brings its own
    kecamatan; an area of another district is refused."""
    if village is not None:
        if village.district_id != district.pk:
            raise ValidationError(_("Desa ini bukan bagian dari kabupaten/kota ini."))
        if kecamatan is not None and kecamatan.pk != village.kecamatan_id:
            raise ValidationError(_("Desa ini tidak berada di kecamatan yang dipilih."))
        return village.kecamatan, village
    if kecamatan is not None and kecamatan.district_id != district.pk:
        raise ValidationError(_("Kecamatan ini bukan bagian dari kabupaten/kota ini."))
    return kecamatan, None


def check_period(year: int, month: int | None) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValidationError(
            _("Tahun harus antara %(a)s dan %(b)s.") % {"a": FIRST_YEAR, "b": LAST_YEAR}
        )
    if month is not None and not 1 <= month <= 12:
        raise ValidationError(_("Bulan harus 1–12, atau kosong."))


@transaction.atomic
def record_value(
    *,
    district: District,
    indicator: Indicator,
    year: int,
    month: int | None = None,
    value: Decimal | None,
    numerator: int | None = None,
    denominator: int | None = None,
    source: str,
    note: str = "",
    kecamatan: Kecamatan | None = None,
    village: Village | None = None,
    by,
) -> tuple[IndicatorValue, bool]:
    """Store a value (created=True) or update the one already there for the same area,
    indicator, year, month and source (created=False). Raises ValidationError, changing
    nothing, for a value that does not add up (see models.check_figures)."""
    kecamatan, village = area_of(district, kecamatan=kecamatan, village=village)
    check_period(year, month)
    if source not in Source.values:
        raise ValidationError(_("Sumber data tidak dikenal."))
    value = check_figures(indicator, value, numerator, denominator)
    key = {
        "district": district,
        "kecamatan": kecamatan,
        "village": village,
        "indicator": indicator,
        "year": year,
        "month": month,
        "source": source,
    }
    figures = {
        "value": value,
        "numerator": numerator,
        "denominator": denominator,
        "note": note.strip()[:300],
        "entered_by": by,
        "entered_at": timezone.now(),
    }
    row = IndicatorValue.objects.select_for_update().filter(**key).first()
    created = row is None
    if created:
        row = IndicatorValue.objects.create(**key, **figures)
        old = None
    else:
        old = str(row.value)
        for name, new in figures.items():
            setattr(row, name, new)
        row.save(update_fields=list(figures))
    record(
        "outcome_value_added" if created else "outcome_value_updated",
        actor=by,
        district=district,
        target=indicator.code,
        area=(village or kecamatan or district).code,
        year=year,
        month=month,
        source=source,
        value=str(value),
        **({} if created else {"old": old}),
    )
    return row, created


@transaction.atomic
def update_value(
    row: IndicatorValue,
    *,
    value: Decimal | None,
    numerator: int | None,
    denominator: int | None,
    note: str,
    by,
    expected: str | None = None,
) -> IndicatorValue:
    """Change the figures of a stored value (its area, indicator, period and source stay).
    `expected`: the edit token the form was opened with (lib.stale); a value changed by
    someone else since is refused with who and when, and nothing is written."""
    locked = IndicatorValue.objects.select_for_update(of=("self",)).get(pk=row.pk)
    stale.check_fresh(locked, expected, field="entered_at", by="entered_by")
    row, _created = record_value(
        district=row.district,
        indicator=row.indicator,
        year=row.year,
        month=row.month,
        value=value,
        numerator=numerator,
        denominator=denominator,
        source=row.source,
        note=note,
        kecamatan=row.kecamatan,
        village=row.village,
        by=by,
    )
    return row


@transaction.atomic
def set_target(
    *, district: District, indicator: Indicator, year: int, value: Decimal, by
) -> DistrictTarget:
    """The district's target of an indicator for a year (set again: changed)."""
    check_period(year, None)
    value = Decimal(value).quantize(Decimal("0.01"))
    if value < 0 or (indicator.is_percent and value > 100):
        raise ValidationError(_("Nilai persentase harus antara 0 dan 100."))
    target, _created = DistrictTarget.objects.update_or_create(
        district=district,
        indicator=indicator,
        year=year,
        defaults={"value": value, "updated_by": by},
    )
    record(
        "outcome_target_set",
        actor=by,
        district=district,
        target=indicator.code,
        year=year,
        value=str(value),
    )
    return target
