import pytest

from tests.convergence.objects import own_deliverable, year_for


@pytest.fixture(autouse=True)
def _shipped_frameworks(db):
    from convergence.definitions import ensure_shipped_frameworks

    ensure_shipped_frameworks()


@pytest.fixture
def year_a(world):
    return year_for(world.a, 2026)


@pytest.fixture
def deliverable(world, year_a):
    return own_deliverable(world.a, year_a)
