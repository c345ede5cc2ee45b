"""Rules that hold: a year opens only on a framework valid for it and can be removed while
nothing in it was used; the province's grades are final once it closes its grading; a verifier
is not the sender (the district's setting, on by default); a new district has its agencies."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django_scopes import scopes_disabled

from accounts.models import AuditEvent
from convergence import services
from convergence.models import DistrictYear, Framework, Grade, Indicator
from tests.convergence.objects import own_deliverable, submit_complete, year_for
from villages.models import Agency, District

pytestmark = pytest.mark.django_db


def test_a_year_cannot_open_on_a_framework_outside_its_years(world):
    with scopes_disabled():
        model_2025 = Framework.objects.get(code="model-2025")  # valid from 2025
        eight = Framework.objects.get(code="8-aksi-2018")  # valid 2018-2024
        with pytest.raises(ValidationError, match="tidak untuk 2021"):
            services.open_year(district=world.a.district, year=2021, framework=model_2025, by=None)
        with pytest.raises(ValidationError, match="tidak untuk 2026"):
            services.open_year(district=world.a.district, year=2026, framework=eight, by=None)
        assert not DistrictYear.objects.filter(district=world.a.district).exists()


def test_the_open_form_shows_the_refusal(client, world):
    client.force_login(world.a.users["district_admin"])
    with scopes_disabled():
        model_2025 = Framework.objects.get(code="model-2025")
    response = client.post(
        reverse("year_open", kwargs={"district_slug": world.a.district.slug}),
        {"year": "2021", "framework": model_2025.pk},
    )
    assert response.status_code == 200
    assert "tidak untuk 2021" in response.content.decode()


def test_a_year_opened_by_mistake_is_removed_and_audited(client, world):
    admin = world.a.users["district_admin"]
    year_for(world.a, 2027)
    client.force_login(admin)
    url = reverse("year_remove", kwargs={"district_slug": world.a.district.slug, "year": 2027})
    assert client.get(url).status_code == 200
    client.post(url, {"confirm": "2026"})  # the wrong year typed: nothing happens
    with scopes_disabled():
        assert DistrictYear.objects.filter(district=world.a.district, year=2027).exists()
    assert client.post(url, {"confirm": "2027"}).status_code == 302
    with scopes_disabled():
        assert not DistrictYear.objects.filter(district=world.a.district, year=2027).exists()
        event = AuditEvent.objects.get(district=world.a.district, action="year_removed")
    assert event.target == "2027" and event.actor == admin


def test_a_year_with_a_submitted_deliverable_is_not_removed(world):
    district_year = year_for(world.a, 2026)
    with scopes_disabled():
        submit_complete(own_deliverable(world.a, district_year), by=world.a.users["opd_staff"])
        with pytest.raises(ValidationError, match="tidak dapat dihapus"):
            services.remove_year(district_year=district_year, by=world.a.users["district_admin"])
        assert DistrictYear.objects.filter(pk=district_year.pk).exists()


def _first_indicator(district_year):
    indicator = (
        Indicator.objects.filter(action__framework=district_year.framework)
        .prefetch_related("options")
        .order_by("action__number", "number")
        .first()
    )
    return indicator, indicator.options.all()[0]


def test_province_grades_are_final_once_the_province_closes_its_grading(client, world):
    district_year = year_for(world.a, 2026)
    province = world.province_viewer_a
    with scopes_disabled():
        indicator, option = _first_indicator(district_year)
        services.lock_year(district_year=district_year, by=world.a.users["district_admin"])
        # after the district's lock the province still assesses...
        services.grade_indicator(
            district_year=district_year,
            indicator=indicator,
            option=option,
            source=Grade.Source.PROVINCE,
            justification="",
            by=province,
        )
    client.force_login(province)
    close = reverse(
        "assessment_province_close", kwargs={"district_slug": world.a.district.slug, "year": 2026}
    )
    assert client.post(close).status_code == 302
    with scopes_disabled():
        district_year.refresh_from_db()
        assert district_year.province_closed_by == province
        # ...and after it closed its grading nothing changes, through the service or the page
        with pytest.raises(ValidationError, match="sudah ditutup"):
            services.grade_indicator(
                district_year=district_year,
                indicator=indicator,
                option=indicator.options.all()[1],
                source=Grade.Source.PROVINCE,
                justification="",
                by=province,
            )
        assert Grade.objects.get(district_year=district_year, source="province").option == option
    form = reverse(
        "assessment_province",
        kwargs={
            "district_slug": world.a.district.slug,
            "year": 2026,
            "action_number": indicator.action.number,
        },
    )
    response = client.post(form, {f"grade_{indicator.pk}": indicator.options.all()[1].pk})
    assert response.status_code == 302
    with scopes_disabled():
        assert Grade.objects.get(district_year=district_year, source="province").option == option


def test_the_sender_does_not_verify_his_own_deliverable(world):
    from tests.conftest import make_user

    admin = world.a.users["district_admin"]
    district_year = year_for(world.a, 2026)
    with scopes_disabled():
        deliverable = own_deliverable(world.a, district_year)
        submit_complete(deliverable, by=admin)
        with pytest.raises(ValidationError, match="Anda sendiri yang mengirim"):
            services.verify_deliverable(deliverable=deliverable, by=admin)
        second = make_user("admin2@sumedang.test", "Admin Kedua")
        from accounts.services import grant_membership

        grant_membership(user=second, role="district_admin", district=world.a.district)
        assert services.verify_deliverable(deliverable=deliverable, by=second).status == "verified"
        # a district with one admin may switch the rule off
        other = own_deliverable(world.a, district_year)
        services.return_deliverable(deliverable=other, reason="ulang", by=second)
        services.submit_deliverable(deliverable=other, by=admin)
        District.objects.filter(pk=world.a.district.pk).update(verifier_must_differ=False)
        other.district.refresh_from_db()
        assert services.verify_deliverable(deliverable=other, by=admin).status == "verified"


def test_a_new_district_has_its_agencies_and_opd_staff_can_be_invited(client, world):
    from villages.services import import_regions, parse_region_file

    with scopes_disabled():
        import_regions(
            parse_region_file(b"kode,nama\n32,Jawa Barat\n32.15,Kabupaten Karawang\n", "x.csv"),
            partial=True,
        )
        karawang = District.objects.get(code="32.15")
        names = set(Agency.objects.filter(district=karawang).values_list("short_name", flat=True))
    assert {"BAPPEDA", "DINKES", "DPMD", "DINSOS"} <= names
    from accounts.services import grant_membership
    from tests.conftest import make_user

    admin = make_user("admin@karawang.test")
    grant_membership(user=admin, role="district_admin", district=karawang)
    client.force_login(admin)
    page = client.get(reverse("member_invite", kwargs={"district_slug": karawang.slug}))
    assert "DINKES" in page.content.decode()  # before anyone opened the OPD page
