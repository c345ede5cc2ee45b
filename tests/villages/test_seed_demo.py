import io
import re

import pytest
from django.core.management import call_command

from accounts.models import Membership, Role

pytestmark = pytest.mark.django_db

LINE = re.compile(r"^(?P<role>[a-z_]+) (?P<slug>[a-z0-9-]+|-) (?P<email>\S+@\S+)$")


def seed(password):
    out = io.StringIO()
    call_command("seed_demo", "--password", password, stdout=out)
    return out.getvalue().strip().splitlines()


def test_demo_has_every_role_in_two_time_zones_and_every_account_logs_in(client, regions):
    lines = seed("demo-password-123")
    assert lines[-1] == "password: demo-password-123"
    accounts = [LINE.match(line).groupdict() for line in lines[:-1]]
    by_district = {}
    for a in accounts:
        by_district.setdefault(a["slug"], set()).add(a["role"])
    district_roles = {"district_admin", "opd_staff", "executive", "camat", "village_head", "kpm"}
    assert by_district["kab-sumedang"] == district_roles
    assert by_district["kab-timor-tengah-selatan"] == district_roles
    assert by_district["-"] == {"province_viewer", "national_viewer", "national_admin"}
    zones = {
        m.district.time_zone
        for m in Membership.objects.filter(district__isnull=False).select_related("district")
    }
    assert zones == {"Asia/Jakarta", "Asia/Makassar"}
    for a in accounts:
        client.logout()
        response = client.post(
            "/accounts/login/", {"login": a["email"], "password": "demo-password-123"}
        )
        assert response.status_code == 302, a
        landing = client.get(response["Location"], follow=True)
        assert landing.status_code == 200, a
        if a["slug"] != "-":
            assert client.get(f"/{a['slug']}/").status_code == 200, a


def test_seed_is_idempotent(regions):
    seed("demo-password-123")
    count = Membership.objects.count()
    seed("demo-password-123")
    assert Membership.objects.count() == count
    assert Membership.objects.filter(role=Role.NATIONAL_ADMIN).count() == 1


def test_grant_role_command(regions):
    out = io.StringIO()
    call_command(
        "grant_role",
        "Kepala@Bappeda.test",
        "district_admin",
        "--district",
        "kab-sumedang",
        stdout=out,
    )
    assert "district_admin Kabupaten Sumedang kepala@bappeda.test" in out.getvalue()
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("grant_role", "x@y.test", "camat", "--district", "kab-sumedang")
    with pytest.raises(CommandError):
        call_command("grant_role", "x@y.test", "district_admin", "--district", "kab-tidak-ada")
