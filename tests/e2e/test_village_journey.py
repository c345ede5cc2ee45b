"""In Chromium on a 360×740 phone: a village head fills the quarterly scorecard, is stopped at
the field by a count that does not add up, fixes it and sends it; the camat returns it with a
remark, the village head reads the remark on his village page, corrects and resends; the camat
verifies, and the district sees the village verified and prints the PDF. The first-load weight
(HTML + CSS + JS) of the village head's pages is measured with an empty cache."""

import time
from pathlib import Path

import pytest
from django_scopes import scopes_disabled
from playwright.sync_api import expect

from tests.e2e.conftest import shot
from tests.e2e.test_convergence_journey import login, sideways
from tests.village_reports.test_reports import full_data, periods
from village_reports.models import ReportEvent, VillageReport

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"viewport": {"width": 360, "height": 740}, "locale": "id-ID"}
REMARK = "Jumlah rumah tangga 1.000 HPK belum sesuai register posyandu (15 rumah tangga)."
WEIGHT_LIMIT = 150_000
WEIGHT_FILE = Path(__file__).resolve().parents[2] / "test-artifacts" / "village-page-weight.txt"
# what a first visit downloads besides images and fonts
COUNTED = {"document", "stylesheet", "script"}


def fill_scorecard(page, data):
    for key, value in data.items():
        page.fill(f"main form input[name={key}]", str(value))


def status_tag(page):
    return page.locator("dl.facts dd").first.locator(".tag").first


def first_load_bytes(browser, storage_state, url):
    """Bytes of HTML, CSS and JS a fresh context (empty cache) downloads to show url."""
    ctx = browser.new_context(**PHONE, storage_state=storage_state)
    page = ctx.new_page()
    seen = []
    page.on("response", lambda response: seen.append(response))
    page.goto(url, wait_until="load")
    page.wait_for_load_state("networkidle")
    total, parts = 0, []
    for response in seen:
        kind = response.request.resource_type
        if kind not in COUNTED or not 200 <= response.status < 300:
            continue
        size = len(response.body())
        total += size
        parts.append(f"{kind} {response.url.rsplit('/', 1)[-1] or response.url} {size}")
    ctx.close()
    return total, parts


def test_scorecard_return_resubmit_verify_on_a_phone(live_server, world, browser):
    started = time.monotonic()
    base = live_server.url
    a = world.a
    slug = a.district.slug
    village = a.village
    period = periods(a)[("scorecard", 1)]
    village_url = f"{base}/{slug}/desa/{village.pk}/"
    report_url = f"{village_url}laporan/{period.pk}/"
    layout_problems = []

    def check_layout(page):
        layout_problems.append(sideways(page))

    # 1. The village head logs in on his phone and lands on his village.
    head_ctx = browser.new_context(**PHONE)
    head = head_ctx.new_page()
    login(head, base, a.users["village_head"].email)
    expect(head.locator("h1")).to_have_text(f"{village.kind_label} {village.name}")
    assert head.url == village_url
    due = head.locator("section[aria-labelledby=h-due]")
    expect(due.locator("h2")).to_have_text("Yang harus dikirim")
    due_link = due.locator(f"a[href='/{slug}/desa/{village.pk}/laporan/{period.pk}/']")
    expect(due_link).to_contain_text("Scorecard konvergensi desa")
    expect(due_link).to_contain_text("Kuartal 1 2026")
    shot(head, "desa-01-village-page-head")
    check_layout(head)

    # 2. He opens the scorecard and types everything, with one service count too large.
    due_link.click()
    assert head.url == report_url
    expect(head.locator("h1")).to_have_text("Scorecard konvergensi desa · Kuartal 1 2026")
    expect(status_tag(head)).to_have_text("belum dikirim")
    check_layout(head)
    data = full_data(s_pregnant_anc_yes=11)
    fill_scorecard(head, data)
    head.get_by_role("button", name="Kirim ke camat").click()
    expect(head.locator(".msg-error")).to_contain_text("belum dapat dikirim: 1 isian")
    wrong = head.locator("main form input[name=s_pregnant_anc_yes]")
    expect(wrong).to_have_attribute("aria-invalid", "true")
    expect(wrong).to_have_value("11")
    error = head.locator(".ind.has-error:has(input[name=s_pregnant_anc_yes]) p.error")
    expect(error).to_be_visible()
    expect(error).to_have_text("Layanan yang diterima (11) melebihi jumlah sasaran Ibu hamil (10).")
    expect(status_tag(head)).to_have_text("draf")
    error.scroll_into_view_if_needed()
    shot(head, "desa-02-report-error-at-field")
    check_layout(head)
    with scopes_disabled():
        report = VillageReport.objects.get(village=village, period=period)
        assert report.status == "draft" and report.data["s_pregnant_anc_yes"] == 11

    # First-load weight of the village head's pages (HTML + CSS + JS, empty cache), measured
    # while the scorecard is a filled-in draft: the heaviest form he loads.
    state = head_ctx.storage_state()
    weights = []
    for name, url in (("village page", village_url), ("report page", report_url)):
        total, parts = first_load_bytes(browser, state, url)
        line = f"WEIGHT {name}: {total} bytes ({'; '.join(parts)})"
        print(line)
        weights.append((name, total, line))
    WEIGHT_FILE.parent.mkdir(parents=True, exist_ok=True)
    WEIGHT_FILE.write_text("\n".join(line for *_, line in weights) + "\n", encoding="utf-8")
    for _name, total, line in weights:
        assert total < WEIGHT_LIMIT, line

    # ... fixes it and sends it.
    head.fill("main form input[name=s_pregnant_anc_yes]", "9")
    head.get_by_role("button", name="Kirim ke camat").click()
    expect(head.locator(".msg-success")).to_contain_text("Laporan terkirim ke camat")
    assert head.url == report_url
    expect(status_tag(head)).to_have_text("menunggu verifikasi")
    expect(head.locator("main form input[name=t_pregnant]")).to_have_count(0)
    shot(head, "desa-03-report-submitted")
    check_layout(head)

    # 3. The camat opens it on his phone and returns it with a remark.
    camat_ctx = browser.new_context(**PHONE)
    camat = camat_ctx.new_page()
    login(camat, base, a.users["camat"].email)
    camat.goto(report_url)
    expect(status_tag(camat)).to_have_text("menunggu verifikasi")
    box = camat.locator("section.verify-box")
    expect(box.get_by_role("button", name="Verifikasi laporan")).to_be_visible()
    camat.fill("textarea[name=remark]", REMARK)
    shot(camat, "desa-04-camat-checks")
    check_layout(camat)
    box.get_by_role("button", name="Kembalikan ke desa").click()
    expect(camat.locator(".msg-success")).to_contain_text("dikembalikan ke desa")
    expect(status_tag(camat)).to_have_text("dikembalikan")
    expect(camat.locator(".card.returned .remark")).to_have_text(REMARK)
    expect(camat.locator("section.verify-box")).to_have_count(0)
    shot(camat, "desa-05-camat-returned")
    check_layout(camat)

    # 4. The village head sees the remark on his village page, corrects and resends.
    head.goto(village_url)
    returned = head.locator("section[aria-labelledby=h-returned]")
    expect(returned.locator("h2")).to_have_text("Dikembalikan camat — perlu diperbaiki")
    expect(returned.locator(".remark")).to_have_text(REMARK)
    expect(
        head.locator("section[aria-labelledby=h-due] li", has_text="Kuartal 1 2026")
    ).to_contain_text("dikembalikan")
    shot(head, "desa-06-village-page-remark")
    check_layout(head)
    returned.get_by_role("link", name="Kuartal 1 2026").click()
    assert head.url == report_url
    expect(head.locator(".card.returned .remark")).to_have_text(REMARK)
    households = head.locator("main form input[name=t_households]")
    expect(households).to_have_value("14")
    households.fill("15")
    head.get_by_role("button", name="Kirim ke camat").click()
    expect(head.locator(".msg-success")).to_contain_text("Laporan terkirim ke camat")
    expect(status_tag(head)).to_have_text("menunggu verifikasi")
    check_layout(head)

    # 5. The camat verifies.
    camat.goto(report_url)
    camat.locator("section.verify-box").get_by_role("button", name="Verifikasi laporan").click()
    expect(camat.locator(".msg-success")).to_contain_text("Laporan diverifikasi dan terkunci.")
    expect(status_tag(camat)).to_have_text("terverifikasi")
    expect(camat.locator("section.verify-box")).to_have_count(0)
    shot(camat, "desa-07-camat-verified")
    check_layout(camat)

    # 6. The district sees the village verified and prints the scorecard.
    admin_ctx = browser.new_context(**PHONE)
    admin = admin_ctx.new_page()
    login(admin, base, a.users["district_admin"].email)
    admin.goto(f"{base}/{slug}/laporan-desa/{period.pk}/")
    expect(admin.locator("h1")).to_have_text("Scorecard konvergensi desa · Kuartal 1 2026")
    row = admin.locator("table.completeness tbody tr", has_text=village.name)
    expect(row).to_have_count(1)
    expect(row.locator("td").nth(1)).to_contain_text("terverifikasi")
    other = admin.locator("table.completeness tbody tr", has_text=a.other_village.name)
    expect(other.locator("td").nth(1)).to_contain_text("belum dikirim")
    shot(admin, "desa-08-completeness-district")
    check_layout(admin)
    row.get_by_role("link", name=village.name).click()
    assert admin.url == report_url
    expect(status_tag(admin)).to_have_text("terverifikasi")
    check_layout(admin)
    pdf_link = admin.get_by_role("link", name="Cetak PDF")
    pdf = admin.request.get(f"{base}{pdf_link.get_attribute('href')}")
    assert pdf.status == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")

    with scopes_disabled():
        report.refresh_from_db()
        assert report.status == "verified" and report.data["t_households"] == 15
        assert report.data["s_pregnant_anc_yes"] == 9
        steps = list(
            ReportEvent.objects.filter(report=report)
            .order_by("at", "pk")
            .values_list("from_status", "to_status", "remark")
        )
    assert [s[:2] for s in steps] == [
        ("draft", "submitted"),
        ("submitted", "returned"),
        ("returned", "submitted"),
        ("submitted", "verified"),
    ]
    assert steps[1][2] == REMARK

    for ctx in (head_ctx, camat_ctx, admin_ctx):
        ctx.close()
    print(f"village journey took {time.monotonic() - started:.1f}s")
    # checked at the very end, so that a layout fault does not hide the rest of the journey
    layout_problems = [p for p in layout_problems if p]
    assert not layout_problems, "pages scroll sideways on a 360px phone:\n" + "\n".join(
        layout_problems
    )
