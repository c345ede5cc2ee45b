"""The assessment columns of the roll-ups with a graded year: the snapshot's self and province
scores, the province page and the national mean, against the scores worked out by hand in
tests/convergence/test_scoring.py (the shipped 8-aksi framework's points and weights)."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled

from convergence.models import Grade
from reports.models import DistrictSnapshot
from reports.snapshots import refresh_snapshot
from tests.convergence.objects import year_for
from tests.convergence.test_scoring import grade_all

pytestmark = pytest.mark.django_db

YEAR = 2024  # the 8-aksi framework's year


def _graded(world, *, province_too=True):
    year = year_for(world.a, YEAR)
    # self: 75 of 120 points (aksi by aksi in test_eight_aksi_scores_by_hand) = 62.5 %
    own = {1: "ABC", 2: "DAB", 3: "CDA", 4: "BC", 5: "DA", 6: "BC", 7: "DAB", 8: "CD"}
    grade_all(year, own, Grade.Source.SELF, world.a.users["district_admin"])
    if province_too:
        # province: 24 + 72 = 96 of 120 = 80.0 %
        province = {1: "AAA", 2: "BBB", 3: "BBB", 4: "BB", 5: "BB", 6: "BB", 7: "BBB", 8: "BB"}
        grade_all(year, province, Grade.Source.PROVINCE, world.province_viewer_a)
    return refresh_snapshot(world.a.district, YEAR)


def test_a_graded_year_gives_the_snapshot_its_scores(world):
    snapshot = _graded(world)
    assert (snapshot.self_percent, snapshot.province_percent) == (Decimal("62.5"), Decimal("80.0"))


def test_a_year_graded_only_by_itself_has_no_province_score(world):
    snapshot = _graded(world, province_too=False)
    assert snapshot.self_percent == Decimal("62.5")
    assert snapshot.province_percent is None


def test_the_province_and_national_pages_show_the_scores(client, world):
    _graded(world)
    with scopes_disabled():
        assert DistrictSnapshot.objects.filter(year=YEAR).count() == 1
    client.force_login(world.province_viewer_a)
    url = reverse("province_rollup", kwargs={"province_code": "32"}) + f"?tahun={YEAR}"
    html = client.get(url).content.decode()
    row = html[html.rindex("<tr", 0, html.index("Kabupaten Sumedang")) :]
    row = row[: row.index("</tr>")]
    assert "62,5 %" in row and "80,0 %" in row
    client.force_login(world.national_viewer)
    html = client.get(reverse("national_rollup") + f"?tahun={YEAR}").content.decode()
    row = html[html.rindex("<tr>", 0, html.index(">Jawa Barat<")) :]
    row = row[: row.index("</tr>")]
    # one graded district in Jawa Barat: the means are its own scores
    assert "62,5 %" in row and "80,0 %" in row
