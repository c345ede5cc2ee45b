import pytest


@pytest.fixture(autouse=True)
def _shipped_reference_data(db):
    from convergence.definitions import ensure_shipped_frameworks
    from outcomes.catalogue import ensure_catalogues

    ensure_shipped_frameworks()
    ensure_catalogues()
