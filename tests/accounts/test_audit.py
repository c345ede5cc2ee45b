import pytest

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_login_is_audited_in_the_users_district_only(client, world):
    user = world.a.users["camat"]
    client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    client.post("/accounts/login/", {"login": user.email, "password": "wrong-password"})
    client.force_login(world.a.users["district_admin"])
    page = client.get(f"/{world.a.district.slug}/audit/?aksi=login").content.decode()
    assert "camat@sumedang.test" in page
    client.force_login(world.b.users["district_admin"])
    page = client.get(f"/{world.b.district.slug}/audit/").content.decode()
    assert "camat@sumedang.test" not in page


def test_audit_log_is_for_district_admins(client, world):
    client.force_login(world.a.users["executive"])
    assert client.get(f"/{world.a.district.slug}/audit/").status_code == 403
