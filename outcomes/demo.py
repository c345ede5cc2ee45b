"""Demo outcome data (the seed_demo command): a few years of the district's stunting
prevalence from the surveys (SSGI, SKI) and from the weighing month (e-PPGBM), the latest
e-PPGBM figure of every kecamatan, and the district's yearly targets.

Invented but plausible, and consistent with DOMAIN.md §8: the surveys stand far above the
posyandu census for the same district. The e-PPGBM figures of the convergence years come from
the verified measurement deliverables (convergence.demo), not from here: nothing is typed
twice. Idempotent: a second run changes nothing."""

import random
from decimal import Decimal

from django.utils import timezone

from villages.models import Kecamatan

from .models import STUNTING, DistrictTarget, Indicator, IndicatorValue, Source

# year offset from today (-1 = last year) -> (source, prevalence); surveys by district
SURVEYS = {
    "32.11": [(-5, Source.SSGI, "22.00"), (-4, Source.SSGI, "27.60"), (-3, Source.SKI, "26.10"),
              (-2, Source.SSGI, "22.40")],
    "53.02": [(-5, Source.SSGI, "48.30"), (-4, Source.SSGI, "50.10"), (-3, Source.SKI, "45.60"),
              (-2, Source.SSGI, "42.90")],
}  # fmt: skip
# the weighing month (August) before the convergence years that the portal holds
CENSUS = {
    "32.11": [(-5, "11.20"), (-4, "10.40"), (-3, "9.60"), (-2, "9.10")],
    "53.02": [(-5, "37.80"), (-4, "35.90"), (-3, "34.20"), (-2, "32.70")],
}
# the district's own targets on the way to the national 14 % (RPJMN 2025–2029: 14.2 %)
TARGETS = {
    "32.11": [(0, "16.00"), (1, "15.00"), (2, "14.00"), (3, "13.00")],
    "53.02": [(0, "38.00"), (1, "34.00"), (2, "30.00"), (3, "26.00")],
}
CENSUS_RATE = {"32.11": 0.088, "53.02": 0.312}  # as the measurement deliverables report


def _put(district, indicator, by, *, year, source, value, month=None, kecamatan=None, **more):
    IndicatorValue.objects.update_or_create(
        district=district,
        kecamatan=kecamatan,
        village=None,
        indicator=indicator,
        year=year,
        month=month,
        source=source,
        defaults={"value": Decimal(value), "entered_by": by, "entered_at": timezone.now(), **more},
    )


def seed_outcomes(district, users: dict) -> None:
    """Runs with scopes disabled (the seed_demo command)."""
    code = district.code
    if code not in SURVEYS:
        return
    admin = users["district_admin"]
    stunting = Indicator.objects.get(code=STUNTING)
    this_year = district.local_now().year
    for offset, source, value in SURVEYS[code]:
        _put(district, stunting, admin, year=this_year + offset, source=source, value=value,
             note="Hasil survei nasional, angka kabupaten/kota")  # fmt: skip
    for offset, value in CENSUS[code]:
        _put(district, stunting, admin, year=this_year + offset, source=Source.EPPGBM,
             value=value, month=8)  # fmt: skip
    # every kecamatan's weighing month last year, around the district's rate
    rng = random.Random(code)  # the same figures on every run
    for kecamatan in Kecamatan.objects.filter(district=district).order_by("code"):
        measured = rng.randint(900, 3200)
        rate = CENSUS_RATE[code] * rng.uniform(0.55, 1.6)
        stunted = round(measured * rate)
        value = (Decimal(stunted) * 100 / measured).quantize(Decimal("0.01"))
        _put(district, stunting, admin, year=this_year - 1, source=Source.EPPGBM, value=value,
             month=8, kecamatan=kecamatan, numerator=stunted, denominator=measured)  # fmt: skip
    for offset, value in TARGETS[code]:
        DistrictTarget.objects.update_or_create(
            district=district,
            indicator=stunting,
            year=this_year + offset,
            defaults={"value": Decimal(value), "updated_by": admin},
        )
