"""Recording values and targets: numbers checked by hand, one value per key (a second entry
updates it and is audited), areas of another district refused."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django_scopes import scopes_disabled

from accounts.models import AuditEvent
from accounts.tenancy import district_scope
from outcomes import services
from outcomes.models import DistrictTarget, Indicator, IndicatorValue, NationalFigure

pytestmark = pytest.mark.django_db


def stunting():
    return Indicator.objects.get(code="prevalensi_stunting")


def test_the_catalogue_ships_perpres_72_and_the_national_series():
    assert Indicator.objects.filter(group="specific").count() == 9
    assert Indicator.objects.filter(group="sensitive").count() == 11
    assert set(Indicator.objects.filter(group="outcome").values_list("code", flat=True)) == {
        "prevalensi_stunting",
        "prevalensi_wasting",
        "prevalensi_underweight",
    }
    series = dict(
        NationalFigure.objects.filter(
            indicator__code="prevalensi_stunting", kind="measured"
        ).values_list("year", "value")
    )
    # DOMAIN.md §8
    assert series == {
        2013: Decimal("37.2"),
        2018: Decimal("30.8"),
        2019: Decimal("27.7"),
        2021: Decimal("24.4"),
        2022: Decimal("21.6"),
        2023: Decimal("21.5"),
        2024: Decimal("19.8"),
    }
    targets = {
        (f.year, f.value, f.source)
        for f in NationalFigure.objects.filter(indicator__code="prevalensi_stunting", kind="target")
    }
    assert targets == {
        (2024, Decimal("14"), "Perpres 72/2021"),
        (2029, Decimal("14.2"), "RPJMN 2025–2029"),
    }
    bumil = NationalFigure.objects.get(indicator__code="bumil_ttd_90", kind="target")
    assert bumil.value == Decimal("80")
    assert NationalFigure.objects.get(indicator__code="kehamilan_tidak_diinginkan").value == (
        Decimal("15.5")
    )


def test_value_from_counts_is_computed_by_hand(world):
    admin = world.a.users["district_admin"]
    with district_scope(world.a.district):
        row, created = services.record_value(
            district=world.a.district,
            indicator=stunting(),
            year=2025,
            value=None,
            numerator=45,
            denominator=250,
            source="survey",
            by=admin,
        )
    assert created
    assert row.value == Decimal("18.00")  # 45 / 250 × 100


@pytest.mark.parametrize(
    ("value", "numerator", "denominator", "words"),
    [
        (Decimal("20"), 45, 250, "18.00"),  # does not add up
        (None, 45, None, "bersama-sama"),
        (None, 300, 250, "antara 0 dan penyebut"),
        (Decimal("120"), None, None, "antara 0 dan 100"),
        (None, None, None, "Isi nilai"),
    ],
)
def test_figures_that_do_not_add_up_are_refused(world, value, numerator, denominator, words):
    with district_scope(world.a.district), pytest.raises(ValidationError) as refused:
        services.record_value(
            district=world.a.district,
            indicator=stunting(),
            year=2025,
            value=value,
            numerator=numerator,
            denominator=denominator,
            source="ssgi",
            by=world.a.users["district_admin"],
        )
    assert words in refused.value.messages[0]
    with scopes_disabled():
        assert not IndicatorValue.objects.exists()


def test_a_second_entry_updates_the_first_and_is_audited(world):
    admin = world.a.users["district_admin"]
    with district_scope(world.a.district):
        first, created = services.record_value(
            district=world.a.district,
            indicator=stunting(),
            year=2024,
            value=Decimal("19.5"),
            source="ssgi",
            kecamatan=world.a.kecamatan,
            by=admin,
        )
        second, created_again = services.record_value(
            district=world.a.district,
            indicator=stunting(),
            year=2024,
            value=Decimal("17.25"),
            source="ssgi",
            kecamatan=world.a.kecamatan,
            by=admin,
        )
        # another source for the same place and year is another value
        services.record_value(
            district=world.a.district,
            indicator=stunting(),
            year=2024,
            value=Decimal("6.1"),
            source="eppgbm",
            kecamatan=world.a.kecamatan,
            by=admin,
        )
        assert (created, created_again) == (True, False)
        assert first.pk == second.pk
        assert IndicatorValue.objects.filter(source="ssgi").get().value == Decimal("17.25")
        assert IndicatorValue.objects.count() == 2
    with scopes_disabled():
        actions = list(
            AuditEvent.objects.filter(district=world.a.district)
            .filter(action__startswith="outcome_")
            .order_by("at", "id")
            .values_list("action", flat=True)
        )
    assert actions == ["outcome_value_added", "outcome_value_updated", "outcome_value_added"]


@pytest.mark.postgres
def test_a_district_level_value_is_unique_too(world, postgres):
    """NULL area columns are equal for the uniqueness (nulls not distinct, PostgreSQL 15; on
    SQLite the service's update-or-create keeps it to one row)."""
    from django.db import IntegrityError, transaction

    with scopes_disabled():
        fields = {
            "district": world.a.district,
            "indicator": stunting(),
            "year": 2023,
            "source": "ski",
            "value": Decimal("25"),
        }
        IndicatorValue.objects.create(**fields)
        with pytest.raises(IntegrityError), transaction.atomic():
            IndicatorValue.objects.create(**fields)


def test_an_area_of_another_district_is_refused(world):
    with district_scope(world.a.district), pytest.raises(ValidationError):
        services.record_value(
            district=world.a.district,
            indicator=stunting(),
            year=2024,
            value=Decimal("10"),
            source="ssgi",
            village=world.b.village,
            by=world.a.users["district_admin"],
        )


def test_targets_are_set_and_changed(world):
    admin = world.a.users["district_admin"]
    with district_scope(world.a.district):
        services.set_target(
            district=world.a.district,
            indicator=stunting(),
            year=2026,
            value=Decimal("16"),
            by=admin,
        )
        services.set_target(
            district=world.a.district,
            indicator=stunting(),
            year=2026,
            value=Decimal("15.5"),
            by=admin,
        )
        assert list(DistrictTarget.objects.values_list("year", "value")) == [
            (2026, Decimal("15.50"))
        ]
        with pytest.raises(ValidationError):
            services.set_target(
                district=world.a.district,
                indicator=stunting(),
                year=2026,
                value=Decimal("140"),
                by=admin,
            )
