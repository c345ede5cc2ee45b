"""Security checks of docs/security.md that had no test: headers on error and public pages,
production cookie flags, a per-address limit on every public form, the password reset's
limit behind the proxy, no user enumeration, and a PDF renderer that fetches nothing and prints
markup typed by a user as text."""

import http.server
import subprocess
import threading

import pytest
from django.template import Context, Template
from django.test import Client
from django.urls import reverse

from tests.accounts.test_url_access import assert_secure_headers, own_patterns
from tests.config.test_rate_limits import PROXY, settings_module
from tests.config.test_settings import PRODUCTION_ENV
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_error_and_public_pages_carry_the_security_headers(world, settings):
    settings.MAX_REQUEST_BYTES = 1000
    anonymous = Client()
    pages = {
        "login": anonymous.get("/accounts/login/"),
        "reset": anonymous.get("/accounts/password/reset/"),
        "404": anonymous.get("/tidak-ada/halaman/"),
        "invalid invitation": anonymous.get("/undangan/bukan-token/"),
        "405": anonymous.post("/ping/"),
        "413": anonymous.post("/accounts/login/", {"x": "y" * 2000}),
    }
    head = Client()
    head.force_login(world.a.users["village_head"])
    pages["403"] = head.get(f"/{world.a.district.slug}/audit/")
    assert pages["404"].status_code == 404 and pages["403"].status_code in (403, 404)
    assert pages["405"].status_code == 405 and pages["413"].status_code == 413
    for what, response in pages.items():
        assert_secure_headers(response, what)
        html = response.content.decode()
        assert "<script>" not in html and " style=" not in html, what


def test_production_cookies_are_secure_http_only_and_same_site():
    prod = settings_module(**PRODUCTION_ENV)
    assert prod["SESSION_COOKIE_SECURE"] and prod["CSRF_COOKIE_SECURE"]
    assert prod["SESSION_COOKIE_HTTPONLY"] and prod["CSRF_COOKIE_HTTPONLY"]
    assert prod["SESSION_COOKIE_SAMESITE"] == "Lax"
    # SECURE_SSL_REDIRECT: manage.py check --deploy (tests/config/test_settings.py)
    assert prod["SECURE_HSTS_SECONDS"] >= 365 * 24 * 3600


def test_a_login_sets_a_secure_http_only_session_cookie(world, settings):
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    response = Client().post(
        "/accounts/login/",
        {"login": world.a.users["village_head"].email, "password": PASSWORD},
        secure=True,
    )
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["secure"] and cookie["httponly"] and cookie["samesite"] == "Lax"


def test_every_public_form_has_a_per_address_limit():
    posting = [
        p
        for p in own_patterns()
        if p.callback.access_rule.kind == "public" and "POST" in p.callback.access_rule.methods
    ]
    assert {p.name for p in posting} >= {"invitation_accept", "document_verify"}
    for p in posting:
        assert getattr(p.callback, "request_limit", None) is not None, p.name


def test_the_reset_limit_counts_the_client_behind_the_proxy(world, settings):
    del settings.ACCOUNT_RATE_LIMITS  # allauth's: 20 resets a minute per address
    settings.TRUSTED_PROXY_COUNT = 1
    visitor = Client(REMOTE_ADDR=PROXY)
    url = reverse("account_reset_password")
    for i in range(20):
        response = visitor.post(
            url, {"email": f"x{i}@example.test"}, HTTP_X_FORWARDED_FOR=f"6.6.6.{i}, 203.0.113.9"
        )
        assert response.status_code == 302
    forged = visitor.post(
        url, {"email": "y@example.test"}, HTTP_X_FORWARDED_FOR="7.7.7.7, 203.0.113.9"
    )
    assert forged.status_code == 429
    other = visitor.post(url, {"email": "z@example.test"}, HTTP_X_FORWARDED_FOR="203.0.113.10")
    assert other.status_code == 302


def test_login_and_reset_answer_the_same_for_known_and_unknown_addresses(world, mailoutbox):
    known = world.a.users["district_admin"].email
    answers = []
    for email in (known, "tidak.ada@example.test"):
        page = Client().post("/accounts/login/", {"login": email, "password": "salah-sekali-x"})
        answers.append((page.status_code, page.context["form"].errors.as_json()))
    assert answers[0] == answers[1]
    resets = [
        Client().post("/accounts/password/reset/", {"email": e})
        for e in (known, "tidak.ada@example.test")
    ]
    assert [r.status_code for r in resets] == [302, 302]
    assert resets[0]["Location"] == resets[1]["Location"]
    # each mail goes to the address typed: only its owner learns whether it has an account
    assert [m.to for m in mailoutbox] == [[known], ["tidak.ada@example.test"]]


class _Recorder(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self):  # noqa: N802
        self.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def local_server():
    _Recorder.hits = []
    server = http.server.HTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", _Recorder.hits
    server.shutdown()
    server.server_close()


def test_the_pdf_renderer_fetches_nothing_and_prints_markup_as_text(local_server, tmp_path):
    from lib.pdf import render_pdf

    base, hits = local_server
    typed = f'<b>tebal</b><img src="{base}/typed.png">'
    # a template's own references, and a user's text through the autoescaping every document uses
    html = Template(
        "<html><head>"
        f'<link rel="stylesheet" href="{base}/style.css">'
        f'<style>@import url("{base}/import.css");'
        f" body {{ background: url({base}/bg.png) }}</style>"
        f'</head><body><img src="{base}/template.png"><img src="file:///etc/passwd">'
        "<p>{{ text }}</p></body></html>"
    ).render(Context({"text": typed}))
    pdf = render_pdf(html, base_url=base + "/")
    assert pdf.startswith(b"%PDF")
    assert hits == []
    path = tmp_path / "x.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "<b>tebal</b>" in text  # printed, not bold markup
