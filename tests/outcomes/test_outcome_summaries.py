"""outcomes.summaries: one entry per district given, in a fixed number of queries, each
district's figures its own; the latest prevalence prefers a later year, and in one year a
survey over the posyandu census."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scopes_disabled

from accounts.tenancy import rollup_scope
from outcomes import summaries
from outcomes.models import DistrictTarget, Indicator, IndicatorValue

pytestmark = pytest.mark.django_db


def put(side, value, *, year, source, month=None, kecamatan=None):
    with scopes_disabled():
        IndicatorValue.objects.create(
            district=side.district,
            kecamatan=kecamatan,
            indicator=Indicator.objects.get(code="prevalensi_stunting"),
            year=year,
            month=month,
            value=Decimal(value),
            source=source,
        )


def test_roll_up_of_two_districts_in_fixed_queries(world):
    a, b = world.a, world.b
    put(a, "24.10", year=2023, source="ski")
    put(a, "7.20", year=2024, source="eppgbm", month=8)
    put(a, "19.90", year=2024, source="ssgi")
    put(b, "41.00", year=2022, source="ssgi")
    put(b, "35.50", year=2022, source="eppgbm", month=2, kecamatan=b.kecamatan)
    with scopes_disabled():
        DistrictTarget.objects.create(
            district=b.district,
            indicator=Indicator.objects.get(code="prevalensi_stunting"),
            year=2025,
            value=Decimal("30"),
        )
    with rollup_scope([a.district]), CaptureQueriesContext(connection) as one:
        summaries.prevalence_trend([a.district])
    with rollup_scope([a.district, b.district]):
        latest = summaries.latest_prevalence([a.district, b.district])
        trend = summaries.prevalence_trend([a.district, b.district])
        areas = summaries.area_prevalence([a.district, b.district])
    # the same queries for two districts as for one (the read-only transaction's own aside)
    assert len(one) <= 8
    assert (latest[a.district.pk].value, latest[a.district.pk].source) == (Decimal("19.90"), "ssgi")
    assert (latest[b.district.pk].value, latest[b.district.pk].year) == (Decimal("41.00"), 2022)
    assert [f.value for f in trend[a.district.pk].figures] == [
        Decimal("24.10"),
        Decimal("19.90"),
        Decimal("7.20"),
    ]
    assert trend[a.district.pk].targets == {}
    assert trend[b.district.pk].targets == {2025: Decimal("30.00")}
    assert trend[b.district.pk].national[0].value == Decimal("37.2")
    assert areas[a.district.pk].kecamatan == {}
    assert areas[b.district.pk].kecamatan[b.kecamatan.pk].value == Decimal("35.50")
    assert areas[b.district.pk].kecamatan_year == 2022
    with rollup_scope([a.district, b.district]), CaptureQueriesContext(connection) as again:
        summaries.prevalence_trend([a.district, b.district])
    assert len(again) == len(one)
