"""In Chromium: DINKES staff upload evidence and submit their action's deliverables, Bappeda
returns one with a reason, the staff fix and resubmit it, Bappeda verifies everything, and the
regent's executive sees the action at 100% on a phone, read-only."""

import time

import pytest
from django_scopes import scopes_disabled
from playwright.sync_api import expect

from convergence.models import Deliverable, DeliverableTemplate, Evidence, Transition
from tests.conftest import PASSWORD
from tests.convergence.objects import own_deliverable, year_for
from tests.e2e.conftest import shot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

REASON = "Lampiran tanda tangan belum ada"

# Values a DINKES officer would type for the weighing rounds; other field types get a
# plausible value of their own type.
SAMPLE_VALUES = {
    "jumlah_balita_sasaran": "1240",
    "jumlah_balita_diukur": "1187",
    "jumlah_balita_stunting": "163",
}

# The outermost elements that stick out past the phone's edge, to say which one makes the page
# scroll sideways.
OVERFLOWING = """(limit) => {
  const name = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
    (typeof el.className === 'string' && el.className.trim()
      ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
  return Array.from(document.querySelectorAll('body *'))
    .filter((el) => el.getBoundingClientRect().right > limit + 1 &&
      el.parentElement.getBoundingClientRect().right <= limit + 1)
    .slice(0, 8)
    .map((el) => `${name(el)} in ${name(el.parentElement)} ` +
      `"${el.textContent.trim().slice(0, 50)}" ` +
      `right=${Math.round(el.getBoundingClientRect().right)}`);
}"""


def sideways(page, limit=360):
    """None when the page fits the phone; otherwise its width and what sticks out."""
    width = page.evaluate("document.documentElement.scrollWidth")
    if width <= limit + 1:
        return None
    return f"{page.url} is {width}px wide: {page.evaluate(OVERFLOWING, limit)}"


def login(page, base, email):
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")


def make_pdf(path, title, lines):
    from weasyprint import HTML

    body = "".join(f"<p>{line}</p>" for line in lines)
    HTML(string=f"<h1>{title}</h1>{body}").write_pdf(str(path))
    assert path.read_bytes().startswith(b"%PDF-")
    return path


def sample_value(spec):
    if spec["key"] in SAMPLE_VALUES:
        return SAMPLE_VALUES[spec["key"]]
    typed = {"integer": "12", "decimal": "12,5", "rupiah": "1.250.000.000", "date": "2026-03-17"}
    return typed.get(spec["type"], "SK-1/2026")


def test_submit_return_resubmit_verify_and_executive_view(live_server, world, browser, tmp_path):
    started = time.monotonic()
    base = live_server.url
    slug = world.a.district.slug
    district_year = year_for(world.a, 2026)
    main = own_deliverable(world.a, district_year)
    action = main.year_action.action
    assert action.framework.code == "model-2025"
    with scopes_disabled():
        items = list(
            Deliverable.objects.filter(year_action=main.year_action)
            .select_related("template")
            .order_by("template__number")
        )
    assert len(items) >= 2, "the DINKES action should have several deliverables"
    assert items[0].pk == main.pk
    board_url = f"{base}/{slug}/konvergensi/2026/"
    action_url = f"{base}/{slug}/konvergensi/2026/aksi/{action.number}/"

    def detail_url(deliverable):
        return f"{base}/{slug}/keluaran/{deliverable.pk}/"

    first_pdf = make_pdf(
        tmp_path / "laporan-dinkes.pdf",
        "Laporan Dinas Kesehatan Kabupaten Sumedang",
        ["Rekapitulasi pengukuran balita tahun 2026.", "Disusun oleh Dinas Kesehatan."],
    )
    second_pdf = make_pdf(
        tmp_path / "laporan-dinkes-bertanda-tangan.pdf",
        "Laporan Dinas Kesehatan (bertanda tangan)",
        ["Lampiran: lembar pengesahan bertanda tangan Kepala Dinas."],
    )
    fake_pdf = tmp_path / "bukan-pdf.pdf"
    fake_pdf.write_text("Ini hanya catatan teks biasa, bukan PDF.\n", encoding="utf-8")

    # 1. DINKES staff open the board and their action, fill data, upload evidence.
    staff_ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="id-ID")
    staff = staff_ctx.new_page()
    login(staff, base, world.a.users["opd_staff"].email)
    staff.goto(board_url)
    expect(staff.locator("h1")).to_have_text("Aksi konvergensi 2026")
    summary_link = staff.locator("section.summary a", has_text=action.title)
    expect(summary_link).to_be_visible()
    shot(staff, "konv-01-board-opd")
    summary_link.click()
    expect(staff.locator("h1")).to_contain_text(action.title)
    assert staff.url == action_url
    expect(staff.locator("article.deliverable")).to_have_count(len(items))

    for d in items:
        card = staff.locator(f"#k-{d.pk}")
        if d.template.kind == DeliverableTemplate.Kind.DATA:
            for spec in d.template.fields:
                card.locator(f"input[name=field_{spec['key']}]").fill(sample_value(spec))
            card.get_by_role("button", name="Simpan draf").click()
            expect(staff.locator(".msg-success")).to_contain_text("Isian disimpan sebagai draf.")
            staff.goto(action_url)
            card = staff.locator(f"#k-{d.pk}")
        card.locator("input[type=file][name=file]").set_input_files(str(first_pdf))
        card.get_by_role("button", name="Unggah").click()
        expect(staff.locator(".msg-success")).to_contain_text("Berkas laporan-dinkes.pdf diunggah.")
        expect(staff.locator("ul.evidence li")).to_have_count(1)
        staff.goto(action_url)

    expect(staff.locator("ul.evidence li")).to_have_count(len(items))
    shot(staff, "konv-02-action-after-upload")

    # 2. A text file named .pdf is refused with a plain Indonesian message; nothing is added.
    card = staff.locator(f"#k-{main.pk}")
    card.locator("input[type=file][name=file]").set_input_files(str(fake_pdf))
    card.get_by_role("button", name="Unggah").click()
    expect(staff.locator(".msg-error")).to_contain_text("Jenis berkas tidak diterima")
    expect(staff.locator(".msg-error")).to_contain_text(
        "Unggah PDF, gambar PNG/JPEG, XLSX atau DOCX"
    )
    expect(staff.locator("ul.evidence li")).to_have_count(1)
    expect(staff.locator("ul.evidence")).not_to_contain_text("bukan-pdf")
    shot(staff, "konv-03-upload-rejected")
    with scopes_disabled():
        assert Evidence.objects.filter(deliverable=main).count() == 1

    # ... then every deliverable of the action goes to Bappeda.
    for d in items:
        staff.goto(action_url)
        button = staff.locator(f"#k-{d.pk} button.submit-deliverable")
        expect(button).to_have_text("Kirim ke Bappeda")
        button.click()
        expect(staff.locator(".msg-success")).to_contain_text(
            "Keluaran dikirim ke Bappeda untuk diverifikasi."
        )
        expect(staff.locator(f"#k-{d.pk} .tag.status-submitted")).to_have_text("dikirim")
    staff.goto(action_url)
    expect(staff.locator("button.submit-deliverable")).to_have_count(0)
    shot(staff, "konv-04-action-submitted")

    # 3. Bappeda (district admin) returns the first deliverable with a reason.
    admin_ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="id-ID")
    admin = admin_ctx.new_page()
    login(admin, base, world.a.users["district_admin"].email)
    admin.goto(detail_url(main))
    expect(admin.locator("article.deliverable h3")).to_have_text(main.template.title)
    admin.fill(f"#reason-{main.pk}", REASON)
    admin.click(f"#k-{main.pk} button.return")
    expect(admin.locator(".msg-success")).to_contain_text(
        "Keluaran dikembalikan ke OPD dengan alasan."
    )
    expect(admin.locator(".tag.status-returned")).to_have_text("dikembalikan")
    expect(admin.locator(".returned-reason")).to_contain_text(REASON)
    shot(admin, "konv-05-returned-by-admin")

    # 4. The staff read the reason, add the signed file and send it again.
    staff.goto(detail_url(main))
    expect(staff.locator(".returned-reason")).to_contain_text(f"Dikembalikan: {REASON}")
    staff.locator("input[type=file][name=file]").set_input_files(str(second_pdf))
    staff.get_by_role("button", name="Unggah").click()
    expect(staff.locator(".msg-success")).to_contain_text(
        "Berkas laporan-dinkes-bertanda-tangan.pdf diunggah."
    )
    expect(staff.locator("ul.evidence li")).to_have_count(2)
    resubmit = staff.locator("button.submit-deliverable")
    expect(resubmit).to_have_text("Kirim ulang ke Bappeda")
    shot(staff, "konv-06-returned-seen-by-opd")
    resubmit.click()
    expect(staff.locator(".msg-success")).to_contain_text(
        "Keluaran dikirim ke Bappeda untuk diverifikasi."
    )
    expect(staff.locator(".tag.status-submitted")).to_have_text("dikirim")
    expect(staff.locator(".returned-reason")).to_have_count(0)

    # 5. Bappeda verifies every deliverable of the action.
    for d in items:
        admin.goto(detail_url(d))
        admin.click(f"#k-{d.pk} button.verify")
        expect(admin.locator(".msg-success")).to_contain_text("Keluaran diverifikasi.")
        expect(admin.locator(".tag.status-verified")).to_have_text("terverifikasi")
    admin.goto(action_url)
    expect(admin.locator(".tag.status-verified")).to_have_count(len(items))
    expect(admin.locator("button.verify")).to_have_count(0)
    shot(admin, "konv-07-action-verified-admin")

    # 6. The executive reads the board on a phone: 100% for the action, nothing to press.
    phone_ctx = browser.new_context(viewport={"width": 360, "height": 740}, locale="id-ID")
    phone = phone_ctx.new_page()
    login(phone, base, world.a.users["executive"].email)
    phone.goto(board_url)
    expect(phone.locator("h1")).to_have_text("Aksi konvergensi 2026")
    row = phone.locator("section.summary tbody tr").filter(has_text=action.title)
    expect(row).to_have_count(1)
    expect(row.locator("td").nth(1)).to_contain_text("100%")
    expect(row.locator("meter")).to_have_attribute("value", "100")
    expect(row.locator("td").nth(2)).to_have_text(f"{len(items)}/{len(items)}")
    for selector in (
        "input[type=file]",
        "button.verify",
        "button.return",
        "button.submit-deliverable",
        "main form[method=post]",
        "a:has-text('Impor data keluaran')",
        "button:has-text('Kunci tahun')",
    ):
        expect(phone.locator(selector)).to_have_count(0)
    shot(phone, "konv-08-board-executive-phone")
    problem = sideways(phone)
    assert problem is None, f"the board scrolls sideways on a phone: {problem}"

    phone.goto(action_url)
    expect(phone.locator(".tag.status-verified")).to_have_count(len(items))
    shot(phone, "konv-09-action-executive-phone")
    # checked at the very end, so that a layout fault does not hide the rest of the journey
    layout_problems = [sideways(phone)]
    for selector in (
        "input[type=file]",
        "button.verify",
        "button.return",
        "button.submit-deliverable",
        "textarea",
        "main form[method=post]",
        "main button",
        "a:has-text('Atur aksi')",
    ):
        expect(phone.locator(selector)).to_have_count(0)

    # 7. The history of the returned deliverable, in order, with the reason.
    phone.goto(detail_url(main))
    history = phone.locator("details.history")
    expect(history.locator("summary")).to_have_text("Riwayat (4)")
    steps = history.locator("li")
    expect(steps).to_have_count(4)
    expect(steps.locator("strong")).to_have_text(
        ["dikirim", "dikembalikan", "dikirim", "terverifikasi"]
    )
    expect(steps.nth(0)).to_contain_text("draf → dikirim")
    expect(steps.nth(1)).to_contain_text(f"dikirim → dikembalikan: “{REASON}”")
    expect(steps.nth(2)).to_contain_text("dikembalikan → dikirim")
    expect(steps.nth(3)).to_contain_text("dikirim → terverifikasi")
    staff_name = world.a.users["opd_staff"].full_name
    admin_name = world.a.users["district_admin"].full_name
    for index, name in enumerate([staff_name, admin_name, staff_name, admin_name]):
        expect(steps.nth(index)).to_contain_text(name)
    shot(phone, "konv-10-history-executive-phone")
    layout_problems.append(sideways(phone))

    with scopes_disabled():
        main.refresh_from_db()
        assert main.status == "verified"
        assert main.verified_at is not None
        transitions = list(Transition.objects.filter(deliverable=main))
        assert [(t.from_status, t.to_status) for t in transitions] == [
            ("draft", "submitted"),
            ("submitted", "returned"),
            ("returned", "submitted"),
            ("submitted", "verified"),
        ]
        assert len(transitions) == 4
        assert transitions[1].reason == REASON
        assert Evidence.objects.filter(deliverable=main).count() == 2
        assert all(
            d.status == "verified" for d in Deliverable.objects.filter(year_action=main.year_action)
        )
    for ctx in (staff_ctx, admin_ctx, phone_ctx):
        ctx.close()
    print(f"journey took {time.monotonic() - started:.1f}s")
    layout_problems = [p for p in layout_problems if p]
    assert not layout_problems, "pages scroll sideways on a 360px phone:\n" + "\n".join(
        layout_problems
    )
