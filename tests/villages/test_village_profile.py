"""The village profile: the office address and the names that the village's documents print.
The village head keeps his own village's, the district admin any village's; nobody else."""

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled

from accounts.models import AuditEvent
from village_reports.models import ReportPeriod
from villages.models import VillageProfile

pytestmark = pytest.mark.django_db

FIELDS = {
    "office_address": "Jalan Raya Wado Nomor 12, Cimungkal 45373",
    "head_name": "Asep Saepudin",
    "secretary_name": "Ujang Suherman",
}


def profile_url(side, village):
    return reverse(
        "village_profile_edit",
        kwargs={"district_slug": side.district.slug, "village_id": village.pk},
    )


def page_url(side, village):
    return reverse(
        "village_page", kwargs={"district_slug": side.district.slug, "village_id": village.pk}
    )


def stored(village):
    with scopes_disabled():
        return VillageProfile.objects.filter(village=village).first()


def test_the_village_head_keeps_his_village_profile(client, world):
    side = world.a
    client.force_login(side.users["village_head"])
    page = client.get(page_url(side, side.village)).content.decode()
    assert profile_url(side, side.village) in page  # the page links the form

    response = client.post(profile_url(side, side.village), FIELDS)

    assert response.status_code == 302
    assert response["Location"] == page_url(side, side.village)
    profile = stored(side.village)
    assert (profile.office_address, profile.head_name, profile.secretary_name) == (
        "Jalan Raya Wado Nomor 12, Cimungkal 45373",
        "Asep Saepudin",
        "Ujang Suherman",
    )
    assert profile.district_id == side.district.id
    assert profile.updated_by == side.users["village_head"]
    page = client.get(page_url(side, side.village)).content.decode()
    assert "Jalan Raya Wado Nomor 12, Cimungkal 45373" in page and "Ujang Suherman" in page
    with scopes_disabled():
        event = AuditEvent.objects.get(action="village_profile_updated")
    assert event.district_id == side.district.id and event.target == "Cimungkal"
    assert event.data["fields"] == ["head_name", "office_address", "secretary_name"]

    # saving the same values again records nothing
    client.post(profile_url(side, side.village), FIELDS)
    with scopes_disabled():
        assert AuditEvent.objects.filter(action="village_profile_updated").count() == 1


def test_the_district_admin_keeps_any_village_profile(client, world):
    side = world.a
    client.force_login(side.users["district_admin"])
    response = client.post(profile_url(side, side.other_village), FIELDS)
    assert response.status_code == 302
    assert stored(side.other_village).secretary_name == "Ujang Suherman"


def test_nobody_else_changes_a_village_profile(client, world):
    side = world.a
    # another village's head: that village does not exist for him
    client.force_login(side.users["village_head"])
    assert client.get(profile_url(side, side.other_village)).status_code == 404
    assert client.post(profile_url(side, side.other_village), FIELDS).status_code == 404
    # the camat and the KPM read the village page but do not keep its profile
    for role in ("camat", "kpm", "opd_staff", "executive"):
        client.force_login(side.users[role])
        assert client.post(profile_url(side, side.village), FIELDS).status_code == 403, role
        page = client.get(page_url(side, side.village)).content.decode()
        assert profile_url(side, side.village) not in page, role
    # another district's admin
    client.force_login(world.b.users["district_admin"])
    assert client.post(profile_url(side, side.village), FIELDS).status_code == 404
    assert stored(side.village) is None and stored(side.other_village) is None


def test_a_refused_profile_keeps_what_was_typed_and_changes_nothing(client, world):
    side = world.a
    client.force_login(side.users["village_head"])
    client.post(profile_url(side, side.village), FIELDS)
    too_long = {**FIELDS, "office_address": "Jalan " * 60, "head_name": "H. Dadan Ramdani"}

    response = client.post(profile_url(side, side.village), too_long)

    assert response.status_code == 200
    page = response.content.decode()
    assert "H. Dadan Ramdani" in page  # what was typed stays in the form
    assert 'class="error"' in page
    assert stored(side.village).head_name == "Asep Saepudin"


def test_a_new_scorecard_starts_with_the_profile_names(client, world):
    side = world.a
    client.force_login(side.users["district_admin"])
    client.post(profile_url(side, side.village), FIELDS)
    with scopes_disabled():
        from village_reports import reports

        reports.create_periods(district=side.district, year=2026, by=side.users["district_admin"])
        period = ReportPeriod.objects.get(
            district=side.district, year=2026, kind="scorecard", number=1
        )
    client.force_login(side.users["kpm"])
    url = reverse(
        "village_report",
        kwargs={
            "district_slug": side.district.slug,
            "village_id": side.village.pk,
            "period_id": period.pk,
        },
    )
    page = client.get(url).content.decode()
    assert 'value="Asep Saepudin"' in page and 'value="Ujang Suherman"' in page
