import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": "x7!k2Lq9#vB4mZ8@wR3tY6uP1oN5sD0fG2hJ4kL7zX9cV8bN3mQ",
    "ALLOWED_HOSTS": "konvergensi.example.go.id",
    "DATABASE_URL": "postgres://u:p@127.0.0.1:5432/konvergensi",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "MFA_REQUIRED": "true",
}


def test_check_deploy_is_clean_with_production_values():
    drop = ("DEBUG", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE")  # the latter is set by e2e tests
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update(PRODUCTION_ENV)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    env.update({"DEBUG": "false"})
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django, os; os.environ['DJANGO_SETTINGS_MODULE']="
            "'config.settings'; django.setup()",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


@pytest.mark.django_db
def test_pages_carry_a_strict_content_security_policy(client, world):
    client.force_login(world.a.users["district_admin"])
    for url in ("/accounts/login/", f"/{world.a.district.slug}/", reverse("home") + "?pilih=1"):
        response = client.get(url)
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert "frame-ancestors 'none'" in csp
        assert "object-src 'none'" in csp and "base-uri 'none'" in csp
        html = response.content.decode()
        assert "<script>" not in html and " style=" not in html and "onclick" not in html


@pytest.mark.django_db
def test_indonesian_by_default_english_on_request(client, world):
    client.force_login(world.a.users["district_admin"])
    # a browser asking for English still gets Indonesian until the user switches
    page = client.get(
        f"/{world.a.district.slug}/", HTTP_ACCEPT_LANGUAGE="en-US,en"
    ).content.decode()
    assert 'lang="id"' in page and "Peran Anda di sini" in page
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = client.get(f"/{world.a.district.slug}/").content.decode()
    assert 'lang="en"' in page and "Your roles here" in page


@pytest.mark.django_db
def test_no_cdn_assets(client, world):
    client.force_login(world.a.users["district_admin"])
    html = client.get(f"/{world.a.district.slug}/").content.decode()
    assert "http://" not in html.replace("http://www.w3.org", "")
    assert "https://" not in html
