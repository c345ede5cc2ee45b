"""The URL walk's world (tests/accounts/test_url_access.py), built once per module:
the bad-input catalogue and the export check open the same pages with the same objects. Each
test runs in a savepoint of the module's transaction, which is rolled back at its end."""

import pytest
from django.conf import settings as django_settings
from django.db import transaction
from django.test import override_settings


# module, not package: tests/security is a directory, not a package, and pytest keeps a
# "package" fixture of a directory for the whole session, so its open transaction held the
# world for every later test (the transactional ones found its users)
@pytest.fixture(scope="module")
def _built(django_db_setup, django_db_blocker, tmp_path_factory):
    from config.celery import app as celery_app
    from tests.accounts.test_url_access import url_values
    from tests.conftest import build_regions, build_world

    media = tmp_path_factory.mktemp("media")
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True  # as in every test (tests/conftest.py)
    try:
        with (
            django_db_blocker.unblock(),
            override_settings(
                MEDIA_ROOT=media,
                PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
                # as tests/conftest.py's _test_settings, which a package's fixture does not get
                MFA_REQUIRED=False,
                SECURE_SSL_REDIRECT=False,
                ACCOUNT_RATE_LIMITS=False,
                STORAGES={
                    **django_settings.STORAGES,
                    "staticfiles": {
                        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
                    },
                },
            ),
            transaction.atomic(),
        ):
            build_regions()
            world = build_world()
            values = {"a": url_values(world, world.a)}
            yield world, values, media
            transaction.set_rollback(True)
    finally:
        celery_app.conf.task_always_eager = eager


@pytest.fixture
def world(_built, _test_settings, settings):
    settings.MEDIA_ROOT = _built[2]  # the files the package's world stored stay readable
    return _built[0]


@pytest.fixture
def values(_built):
    """URL argument values of district A and its objects."""
    return _built[1]
