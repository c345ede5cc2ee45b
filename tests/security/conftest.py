"""The URL walk's world (tests/accounts/test_url_access.py), built once per module:
the bad-input catalogue and the export check open the same pages with the same objects. Each
test runs in a savepoint of the module's transaction, which is rolled back at its end."""

import pytest
from django.conf import settings as django_settings


# module, not package: tests/security is a directory, not a package, and pytest keeps a
# "package" fixture of a directory for the whole session, so its open transaction held the
# world for every later test (the transactional ones found its users)
@pytest.fixture(scope="module")
def _built(django_db_setup, django_db_blocker, tmp_path_factory):
    from tests.accounts.test_url_access import url_values
    from tests.conftest import world_for_module

    # as tests/conftest.py's _test_settings, which a module-scoped fixture does not get
    with world_for_module(
        django_db_blocker,
        tmp_path_factory,
        MFA_REQUIRED=False,
        SECURE_SSL_REDIRECT=False,
        ACCOUNT_RATE_LIMITS=False,
        STORAGES={
            **django_settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        },
    ) as (world, media):
        yield world, {"a": url_values(world, world.a)}, media


@pytest.fixture
def world(_built, _test_settings, settings):
    settings.MEDIA_ROOT = _built[2]  # the files the package's world stored stay readable
    return _built[0]


@pytest.fixture
def values(_built):
    """URL argument values of district A and its objects."""
    return _built[1]
