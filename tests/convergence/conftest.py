import pytest

from tests.convergence.objects import own_deliverable, year_for


@pytest.fixture
def year_a(world):
    return year_for(world.a, 2026)


@pytest.fixture
def deliverable(world, year_a):
    return own_deliverable(world.a, year_a)
