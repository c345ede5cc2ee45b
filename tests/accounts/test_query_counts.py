"""Lists answer in a bounded number of queries, however many rows they show."""

import pytest
from django_scopes import scopes_disabled

from accounts.models import Role
from accounts.services import grant_membership
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def add_members(world, n, start=0):
    with scopes_disabled():
        for i in range(start, start + n):
            user = make_user(f"kader{i}@sumedang.test")
            grant_membership(
                user=user, role=Role.KPM, district=world.a.district, village=world.a.other_village
            )


@pytest.mark.parametrize("page", ["pengguna/", "audit/", "", "wilayah/"])
def test_district_pages_do_not_grow_with_rows(client, world, django_assert_max_num_queries, page):
    client.force_login(world.a.users["district_admin"])
    url = f"/{world.a.district.slug}/{page}"
    client.get(url)
    add_members(world, 2)
    with django_assert_max_num_queries(20) as small:
        client.get(url)
    add_members(world, 30, start=2)
    with django_assert_max_num_queries(20) as large:
        client.get(url)
    assert len(large.captured_queries) == len(small.captured_queries), page


def test_national_district_chooser_is_paginated(client, world, django_assert_max_num_queries):
    client.force_login(world.national_viewer)
    with django_assert_max_num_queries(12):
        response = client.get("/?pilih=1")
    assert response.status_code == 200
