"""Nothing typed twice: the verified measurement deliverable and the focus decree show as
values, read where they live (changing them changes the figure; nothing is copied)."""

from decimal import Decimal

import pytest
from django_scopes import scopes_disabled

from accounts.tenancy import district_scope
from convergence import services as convergence
from convergence.models import Deliverable
from outcomes import summaries
from outcomes.models import IndicatorValue
from tests.convergence.objects import pdf_upload, year_for
from village_reports.models import FocusDecree, FocusVillage

pytestmark = pytest.mark.django_db


def measurement(side, year):
    """The February measurement deliverable of the side's year."""
    year_for(side, year)
    with scopes_disabled():
        rows = (
            Deliverable.objects.filter(
                district=side.district, year_action__district_year__year=year
            )
            .select_related("template", "year_action__district_year", "district")
            .order_by("template__due_month")
        )
        # read in Python: SQLite (make run's database) has no JSON containment lookup
        return next(
            d
            for d in rows
            if any(f.get("key") == "jumlah_balita_diukur" for f in d.template.fields)
        )


def fill(deliverable, side, *, targeted, measured, stunted, verify=True):
    admin, staff = side.users["district_admin"], side.users["opd_staff"]
    with district_scope(side.district):
        convergence.upload_evidence(deliverable=deliverable, upload=pdf_upload(), by=admin)
        convergence.save_data(
            deliverable=deliverable,
            values={
                "jumlah_balita_sasaran": str(targeted),
                "jumlah_balita_diukur": str(measured),
                "jumlah_balita_stunting": str(stunted),
            },
            note="",
            by=admin,
        )
        convergence.submit_deliverable(deliverable=deliverable, by=staff)
        if verify:
            convergence.verify_deliverable(deliverable=deliverable, by=admin)


def test_a_verified_measurement_is_the_district_prevalence(world):
    deliverable = measurement(world.a, 2026)
    assert deliverable is not None
    fill(deliverable, world.a, targeted=300, measured=250, stunted=45)
    with district_scope(world.a.district):
        latest = summaries.latest_prevalence([world.a.district])[world.a.district.pk]
    assert latest.value == Decimal("18.00")  # 45 of 250 measured
    assert (latest.numerator, latest.denominator) == (45, 250)
    assert latest.source == "eppgbm"
    assert latest.year == 2026
    assert latest.month == deliverable.template.due_month
    assert latest.origin == summaries.Origin.MEASUREMENT
    with scopes_disabled():
        assert not IndicatorValue.objects.exists()  # read, not copied


def test_an_unverified_measurement_is_not_a_value(world):
    fill(measurement(world.a, 2026), world.a, targeted=300, measured=250, stunted=45, verify=False)
    with district_scope(world.a.district):
        assert summaries.latest_prevalence([world.a.district])[world.a.district.pk] is None


def test_the_focus_decree_prevalence_is_the_village_value(world):
    with scopes_disabled():
        decree = FocusDecree.objects.create(district=world.a.district, year=2025)
        entry = FocusVillage.objects.create(
            decree=decree,
            district=world.a.district,
            village=world.a.village,
            prevalence=Decimal("23.40"),
            prevalence_source="e-PPGBM Agustus 2024",
        )
    with district_scope(world.a.district):
        areas = summaries.area_prevalence([world.a.district], 2025)[world.a.district.pk]
    figure = areas.villages[world.a.village.pk]
    assert figure.value == Decimal("23.40")
    assert figure.source_label == "e-PPGBM Agustus 2024"
    # the decree's year is named as the decree's, not set beside the measurement's own
    assert figure.cited == "e-PPGBM Agustus 2024, menurut SK desa lokus 2025"
    assert figure.kecamatan_id == world.a.village.kecamatan_id
    # the decree is changed: the figure follows (nothing was copied)
    with scopes_disabled():
        FocusVillage.objects.filter(pk=entry.pk).update(prevalence=Decimal("21.00"))
    with district_scope(world.a.district):
        areas = summaries.area_prevalence([world.a.district], 2025)[world.a.district.pk]
    assert areas.villages[world.a.village.pk].value == Decimal("21.00")
