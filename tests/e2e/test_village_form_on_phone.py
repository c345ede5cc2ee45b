"""In Chromium on a 360×740 phone: a KPM sends a scorecard that does not add up. The errors
are listed in the first screen, above the long form, and each link brings its field into
view. Rupiah typed with thousands dots is kept. A lurah sees his kelurahan's own words."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import SHOTS, shot
from tests.e2e.test_convergence_journey import login
from tests.village_reports.test_reports import full_data, lurah_of, periods

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"viewport": {"width": 360, "height": 740}, "locale": "id-ID"}


def in_view(locator) -> bool:
    box = locator.evaluate("(el) => el.getBoundingClientRect().toJSON()")
    return box["top"] >= 0 and box["bottom"] <= PHONE["viewport"]["height"]


def test_refused_scorecard_errors_on_top_and_rupiah_as_typed(live_server, world, browser):
    a = world.a
    period = periods(a)[("scorecard", 1)]
    url = f"{live_server.url}/{a.district.slug}/desa/{a.village.pk}/laporan/{period.pk}/"
    context = browser.new_context(**PHONE)
    page = context.new_page()
    login(page, live_server.url, a.users["kpm"].email)
    page.goto(url)
    data = {k: str(v) for k, v in full_data().items()}
    data["s_children_weighing_no"] = "3"  # 3 + 3 + 0 ≠ 4 children
    data["f_development"] = "Rp 400.000.000"
    data["f_empowerment"] = "100.000.000"
    data["f_stunting"] = ""
    for key, value in data.items():
        page.fill(f"main form input[name={key}]", value)
    page.click("button[name=kirim]")

    summary = page.locator(".error-summary")
    expect(summary).to_contain_text("2 isian perlu diperbaiki")
    assert in_view(summary), "the summary is in the first screen"
    shot(page, "scorecard-errors-phone")
    first_error = page.locator("p.error").first
    # the first message at its field lies far down the long form
    assert first_error.evaluate("(el) => el.getBoundingClientRect().top") > 1500

    links = summary.locator("a")
    expect(links).to_have_count(2)
    expect(links.first).to_contain_text("Anak 0–23 bulan · Ditimbang setiap bulan di posyandu")
    links.first.click()
    field = page.locator("#f-s_children_weighing_no")
    assert in_view(field), "the link brings its field into view"
    assert page.evaluate("window.scrollY") > 1500
    links_back = page.locator(".error-summary a").nth(1)
    page.evaluate("window.scrollTo(0, 0)")
    links_back.click()
    assert in_view(page.locator("#f-f_stunting"))
    label = page.locator("label[for=f-f_stunting]")
    assert in_view(label), "its label stays in view above it"
    page.screenshot(path=str(SHOTS / "scorecard-error-link-phone.png"))  # what the user sees

    # what was typed stays; the draft kept the rupiah, shown with its thousands dots
    expect(page.locator("input[name=f_development]")).to_have_value("Rp 400.000.000")
    expect(page.locator("input[name=s_children_weighing_no]")).to_have_value("3")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.goto(url)
    expect(page.locator("input[name=f_development]")).to_have_value("400.000.000")
    expect(page.locator("input[name=f_empowerment]")).to_have_value("100.000.000")
    context.close()


def test_a_lurah_reads_kelurahan_words_on_his_phone(live_server, world, browser):
    a = world.a
    user, village = lurah_of(a)
    period = periods(a)[("scorecard", 1)]
    context = browser.new_context(**PHONE)
    page = context.new_page()
    login(page, live_server.url, user.email)
    expect(page.locator("h1")).to_have_text("Kelurahan Pawenang")
    expect(page.locator("nav")).to_contain_text("Kelurahan saya")
    page.goto(f"{live_server.url}/{a.district.slug}/desa/{village.pk}/laporan/{period.pk}/")
    form = page.locator("main form")
    expect(form).to_contain_text("5. Penggunaan Dana Kelurahan untuk pencegahan stunting")
    expect(form).to_contain_text("Nama lurah")
    text = page.locator("main").inner_text().lower()
    assert "dana desa" not in text and "kepala desa" not in text
    shot(page, "scorecard-kelurahan-phone")
    context.close()
