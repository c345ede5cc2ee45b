"""Rate limits that count the right client, hold across processes, answer before a request's
body is read, and keep login, password reset and the public verification page working while
Redis is down."""

import io
import logging
import os
import runpy
import subprocess
import sys
from pathlib import Path
from unittest import mock
from urllib.parse import urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection
from django.test import Client, RequestFactory
from django.urls import reverse
from django_scopes import scopes_disabled

from accounts.models import AuditEvent
from tests.commitments.test_verify import signed, verify_url
from tests.conftest import PASSWORD
from tests.convergence.objects import PDF

ROOT = Path(__file__).resolve().parents[2]
CLOSED_PORT = "redis://127.0.0.1:6390/0"  # nothing listens there
PROXY = "172.18.0.2"  # the reverse proxy in front of gunicorn (docker-compose.yml)

pytestmark = pytest.mark.django_db


def settings_module(**env) -> dict:
    """config/settings.py as it reads these environment variables."""
    with mock.patch.dict(os.environ, env):
        return runpy.run_path(str(ROOT / "config" / "settings.py"))


@pytest.fixture
def limits_on(settings):
    """allauth's own rate limits, which tests/conftest.py turns off, back on."""
    del settings.ACCOUNT_RATE_LIMITS


@pytest.fixture
def redis_down(settings, limits_on):
    """The cache arrangement the settings make for a REDIS_URL that does not answer."""
    settings.CACHES = settings_module(REDIS_URL=CLOSED_PORT)["CACHES"]


def loud(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.WARNING]


# --- the client address ---------------------------------------------------------------------


def test_the_client_is_the_address_the_trusted_proxy_appended(settings):
    from lib.ratelimit import client_ip

    factory = RequestFactory()
    forged = factory.get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9")
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(forged) == "203.0.113.9"
    settings.TRUSTED_PROXY_COUNT = 2  # two proxies: the second appended the first's address
    two = factory.get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9, 10.0.0.3")
    assert client_ip(two) == "203.0.113.9"
    # fewer entries than proxies, or no address: the socket address, never the client's word
    assert client_ip(factory.get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="6.6.6.6")) == PROXY
    settings.TRUSTED_PROXY_COUNT = 1
    junk = factory.get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="<script>")
    assert client_ip(junk) == PROXY
    settings.TRUSTED_PROXY_COUNT = 0  # no proxy: the header is ignored
    assert client_ip(forged) == PROXY


def _check(client, version, forwarded):
    return client.post(
        verify_url(version),
        {"pdf": SimpleUploadedFile("x.pdf", PDF)},
        HTTP_X_FORWARDED_FOR=forwarded,
    )


def test_behind_one_proxy_a_forged_header_counts_against_the_real_client(
    world, settings, django_capture_on_commit_callbacks
):
    settings.TRUSTED_PROXY_COUNT = 1
    _document, version = signed(world.a, django_capture_on_commit_callbacks)
    behind_proxy = Client(REMOTE_ADDR=PROXY)
    for i in range(30):  # the page's budget, each with a different forged first entry
        assert _check(behind_proxy, version, f"6.6.6.{i}, 203.0.113.9").status_code == 200
    refused = _check(behind_proxy, version, "7.7.7.7, 203.0.113.9")
    assert refused.status_code == 429
    assert "Terlalu banyak permintaan dari alamat ini" in refused.content.decode()
    # another visitor behind the same proxy is not refused with him
    assert _check(behind_proxy, version, "203.0.113.10").status_code == 200


def test_without_a_trusted_proxy_the_header_is_ignored(
    world, settings, django_capture_on_commit_callbacks
):
    settings.TRUSTED_PROXY_COUNT = 0
    _document, version = signed(world.a, django_capture_on_commit_callbacks)
    visitor = Client(REMOTE_ADDR="198.51.100.4")
    for i in range(30):
        assert _check(visitor, version, f"203.0.113.{i}").status_code == 200
    assert _check(visitor, version, "203.0.113.200").status_code == 429  # a new header: no escape
    assert _check(Client(REMOTE_ADDR="198.51.100.5"), version, "").status_code == 200


def test_login_limits_and_the_audit_log_see_the_client_behind_the_proxy(world, settings, limits_on):
    settings.TRUSTED_PROXY_COUNT = 1
    user = world.a.users["district_admin"]
    login = reverse("account_login")
    visitor = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9")
    for _ in range(5):  # allauth: five failures per account, then refused
        visitor.post(login, {"login": user.email, "password": "salah-sekali-x"})
    page = visitor.post(login, {"login": user.email, "password": PASSWORD}).content.decode()
    assert "Terlalu banyak percobaan masuk yang gagal" in page
    assert visitor.post(login, {"login": world.a.users["camat"].email, "password": PASSWORD})[
        "Location"
    ].startswith("/")
    with scopes_disabled():
        event = AuditEvent.objects.filter(action="login").latest("at")
    assert event.ip_address == "203.0.113.9"


# --- before the body is read ----------------------------------------------------------------


class Untouchable(io.RawIOBase):
    """A request body that must not be read."""

    reads = 0

    def readable(self):
        return True

    def read(self, *args):
        Untouchable.reads += 1
        raise AssertionError("the request body was read")

    readinto = readline = read


def wsgi_post(path: str, *, length: int, remote="198.51.100.9") -> tuple[str, bytes]:
    """POST `path` through the whole WSGI stack, as a browser that has the CSRF cookie (so that
    the CSRF check would read the form), with a declared size and a body that fails the test
    if anything reads it."""
    from django.middleware.csrf import _get_new_csrf_string

    Untouchable.reads = 0
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "HTTP_HOST": "testserver",
        "HTTP_COOKIE": f"csrftoken={_get_new_csrf_string()}",
        "REMOTE_ADDR": remote,
        "CONTENT_TYPE": "multipart/form-data; boundary=xyz",
        "CONTENT_LENGTH": str(length),
        "wsgi.input": Untouchable(),
        "wsgi.errors": sys.stderr,
        "wsgi.url_scheme": "http",
        "wsgi.version": (1, 0),
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    answer = {}

    def start_response(status, headers, exc_info=None):
        answer["status"] = status

    body = b"".join(WSGIHandler()(environ, start_response))
    return answer["status"], body


def test_an_oversized_upload_is_refused_without_reading_it(
    world, settings, django_capture_on_commit_callbacks
):
    _document, version = signed(world.a, django_capture_on_commit_callbacks)
    status, body = wsgi_post(verify_url(version), length=200 * 1024 * 1024)
    assert status.startswith("413")
    assert Untouchable.reads == 0
    assert "Permintaan terlalu besar" in body.decode()
    # the same guard stands in front of every page
    status, _body = wsgi_post(reverse("account_login"), length=settings.MAX_REQUEST_BYTES + 1)
    assert status.startswith("413") and Untouchable.reads == 0


def test_the_verification_limit_answers_before_the_body_is_read(
    world, django_capture_on_commit_callbacks
):
    _document, version = signed(world.a, django_capture_on_commit_callbacks)
    visitor = Client(REMOTE_ADDR="198.51.100.9")
    for _ in range(30):
        visitor.post(verify_url(version), {"pdf": SimpleUploadedFile("x.pdf", PDF)})
    status, body = wsgi_post(verify_url(version), length=1024 * 1024, remote="198.51.100.9")
    assert status.startswith("429")
    assert Untouchable.reads == 0
    assert "Terlalu banyak permintaan" in body.decode()


# --- without Redis --------------------------------------------------------------------------


def test_login_works_while_redis_is_down(world, redis_down, caplog):
    user = world.a.users["district_admin"]
    response = Client().post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert loud(caplog), "a Redis outage must be logged at WARNING or above"


def test_a_password_reset_works_while_redis_is_down(world, redis_down, caplog, mailoutbox):
    user = world.a.users["executive"]
    response = Client().post(reverse("account_reset_password"), {"email": user.email})
    assert response.status_code == 302
    assert response["Location"] == reverse("account_reset_password_done")
    assert [m.to for m in mailoutbox] == [[user.email]]
    assert loud(caplog)


def test_the_verification_page_works_while_redis_is_down(
    world, redis_down, caplog, django_capture_on_commit_callbacks
):
    _document, version = signed(world.a, django_capture_on_commit_callbacks)
    response = Client().post(verify_url(version), {"pdf": SimpleUploadedFile("x.pdf", PDF)})
    assert response.status_code == 200
    assert response.context["result"] is not None and not response.context["result"]["genuine"]
    assert loud(caplog)


def test_without_redis_the_cache_is_the_database():
    caches = settings_module(REDIS_URL="")["CACHES"]
    assert caches["default"]["BACKEND"] == "django.core.cache.backends.db.DatabaseCache"


FAILED_LOGINS = """
import os, sys
import django

django.setup()
from django.test import Client

client = Client()
for _ in range(3):
    page = client.post("/accounts/login/", {"login": sys.argv[1], "password": "salah-sekali-x"})
    print("refused" if "Terlalu banyak percobaan" in page.content.decode() else "allowed")
"""


@pytest.mark.django_db(transaction=True)
def test_without_redis_every_process_counts_the_same_failed_logins():
    """Two worker processes (no REDIS_URL, as `make run`): the account's five failed logins
    are five in total, not five per process."""
    database = connection.settings_dict
    if database["ENGINE"].endswith("sqlite3"):
        pytest.skip("the SQLite test database is in memory: other processes cannot open it")
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DEBUG")}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        SECRET_KEY="a-secret-for-this-test-only-0123456789",
        ALLOWED_HOSTS="testserver",
        SECURE_SSL_REDIRECT="false",
        STATIC_MANIFEST="false",
        RATE_LIMITS_ENABLED="true",
        MFA_REQUIRED="false",
        # the test database, reached as the test run reaches its own
        DATABASE_URL=urlsplit(os.environ["DATABASE_URL"])
        ._replace(path="/" + database["NAME"])
        .geturl(),
    )

    def worker():
        result = subprocess.run(
            [sys.executable, "-c", FAILED_LOGINS, "tamu@contoh.test"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr[-2000:]
        return result.stdout.split()

    first, second = worker(), worker()
    assert first == ["allowed"] * 3
    assert second == ["allowed", "allowed", "refused"]  # the sixth failure overall
