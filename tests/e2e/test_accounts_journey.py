"""In Chromium: a district admin invites a village head, who sets a password on a phone,
lands on his district, and switches the interface to English."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.e2e.conftest import shot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def login(page, base, email):
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")


def test_invite_accept_and_switch_language(live_server, world, browser):
    base = live_server.url
    admin_ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="id-ID")
    page = admin_ctx.new_page()
    page.goto(f"{base}/accounts/login/")
    shot(page, "01-login")
    login(page, base, world.a.users["district_admin"].email)
    expect(page.locator("h1")).to_have_text("Kabupaten Sumedang")
    shot(page, "02-district-home-admin")

    page.click("text=Kelola pengguna dan undangan")
    page.click("text=Undang pengguna")
    page.fill("input[name=email]", "kades.cimanintin@example.test")
    page.fill("input[name=full_name]", "Asep Saepudin")
    page.select_option("select[name=role]", "village_head")
    page.select_option("select[name=village]", str(world.a.other_village.id))
    page.fill("input[name=position]", "Kepala Desa Cimanintin")
    shot(page, "03-invite-form")
    page.click("text=Kirim undangan")
    expect(page.locator(".msg")).to_contain_text(
        "Undangan dikirim ke kades.cimanintin@example.test"
    )
    shot(page, "04-members")

    link = re.search(r"http://\S+/undangan/\S+/", mail.outbox[-1].body).group(0)
    path = link.split("8000", 1)[-1]
    phone = browser.new_context(viewport={"width": 360, "height": 740}, locale="id-ID")
    mobile = phone.new_page()
    mobile.goto(f"{base}{path}")
    expect(mobile.locator("h1")).to_contain_text("Kabupaten Sumedang")
    mobile.fill("input[name=password1]", "desa-cimanintin-2026")
    mobile.fill("input[name=password2]", "desa-cimanintin-2026")
    shot(mobile, "05-accept-invitation-phone")
    assert mobile.evaluate("document.documentElement.scrollWidth") <= 360
    mobile.click("text=Buat akun")
    expect(mobile.locator(".msg")).to_contain_text("Selamat datang")
    # a village head lands on his own village
    expect(mobile.locator("h1")).to_have_text("Desa Cimanintin")
    shot(mobile, "06-village-head-home-phone")
    # no horizontal scrolling on a 360 px phone
    width = mobile.evaluate("document.documentElement.scrollWidth")
    assert width <= 360

    mobile.click("button[value=en]")
    expect(mobile.locator("html")).to_have_attribute("lang", "en")
    expect(mobile.locator("nav")).to_contain_text("My village")
    shot(mobile, "07-village-head-home-english")

    # the village head cannot reach the admin pages nor the other district
    response = mobile.goto(f"{base}/{world.a.district.slug}/pengguna/")
    assert response.status == 403
    response = mobile.goto(f"{base}/{world.b.district.slug}/")
    assert response.status == 404
    shot(mobile, "08-other-district-404")

    # the admin sees the acceptance in the audit log
    page.goto(f"{base}/{world.a.district.slug}/audit/")
    expect(page.locator("table")).to_contain_text("undangan diterima")
    shot(page, "09-audit-log")
    admin_ctx.close()
    phone.close()
