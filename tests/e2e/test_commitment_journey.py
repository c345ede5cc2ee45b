"""In Chromium: the district admin records a rembuk with its participants, writes a
commitment with 5 points and 4 signatories (2 with accounts, 2 on paper), the two users sign
after re-entering their password, the admin uploads the paper pages; the final PDF is
downloaded, rendered to PNG and looked at, its QR code decoded, and the public verification
page shows the same SHA-256 as the downloaded file and recognises it when uploaded."""

import hashlib
import subprocess
import time
from urllib.parse import urlparse

import pytest
from django_scopes import scopes_disabled
from playwright.sync_api import expect

from commitments.models import CommitmentDocument, Signature
from tests.conftest import PASSWORD
from tests.e2e.conftest import SHOTS, shot
from tests.e2e.test_convergence_journey import login, make_pdf

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

POINTS = [
    "Memuat percepatan penurunan stunting dalam RKPD 2027.",
    "Mengarahkan intervensi spesifik ke 25 desa lokus.",
    "Menganggarkan pencegahan stunting dari Dana Desa.",
    "Menggerakkan kader pembangunan manusia di setiap desa.",
    "Melaporkan capaian setiap triwulan kepada Sekda.",
]
PARTICIPANTS = [
    "H. Dony Ahmad Munir; Bupati; Pemerintah Kabupaten",
    "Tuti Ruswati; Sekretaris Daerah; Sekretariat Daerah",
    "Dr. Siti Aminah; Kepala Dinas Kesehatan; Dinas Kesehatan",
    "Ujang Sobandi; Ketua PKK; TP PKK Kabupaten",
]


def test_rembuk_commitment_signing_pdf_and_verification(live_server, world, browser, tmp_path):
    started = time.monotonic()
    base = live_server.url
    a = world.a
    slug = a.district.slug
    executive, camat = a.users["executive"], a.users["camat"]

    admin_ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="id-ID")
    page = admin_ctx.new_page()
    login(page, base, a.users["district_admin"].email)

    # 1. the rembuk and its participants
    page.goto(f"{base}/{slug}/rembuk/baru/")
    page.select_option("select[name=level]", "district")
    page.fill("input[name=title]", "Rembuk Stunting Kabupaten Sumedang 2026")
    page.fill("input[name=starts_at]", "2026-08-12T09:00")
    page.fill("input[name=venue]", "Gedung Negara Sumedang")
    page.click("main form button[type=submit]")
    expect(page.locator("h1")).to_contain_text("Rembuk Stunting Kabupaten Sumedang 2026")
    rembuk_url = page.url
    page.goto(rembuk_url + "peserta/")
    page.fill("textarea[name=lines]", "\n".join(PARTICIPANTS))
    page.click("main form button[type=submit]")
    page.goto(rembuk_url)
    expect(page.locator("main")).to_contain_text("Dr. Siti Aminah")
    shot(page, "komitmen-01-rembuk")

    # 2. the commitment: 5 points, from the rembuk
    page.goto(f"{base}/{slug}/komitmen/baru/")
    page.select_option("select[name=level]", "district")
    page.select_option(
        "select[name=rembuk]", label="Rembuk Stunting Kabupaten Sumedang 2026 (12-08-2026)"
    )
    page.fill("textarea[name=points]", "\n".join(f"{i}. {p}" for i, p in enumerate(POINTS, 1)))
    page.fill("input[name=place]", "Sumedang")
    page.fill("input[name=signed_on]", "2026-08-12")
    page.click("main form[method=post] button[type=submit]")
    expect(page.locator("article.doc-text li")).to_have_count(5)
    document_url = page.url

    # 3. signatories: a wrong NIP is refused at its field and nothing is added
    def add_signatory(position, name, nip="", user=None):
        page.get_by_role("link", name="Tambah penanda tangan", exact=True).click()
        page.fill("input[name=position]", position)
        page.fill("input[name=name]", name)
        page.fill("input[name=nip]", nip)
        if user is not None:
            page.select_option("select[name=user]", str(user.pk))
        page.click("form[action$='/penanda-tangan/'] button[type=submit]")

    add_signatory("Sekretaris Daerah", "Tuti Ruswati", nip="19700101200003100", user=executive)
    expect(page.locator(".field.has-error")).to_contain_text("NIP harus 18 angka")
    with scopes_disabled():
        assert not CommitmentDocument.objects.get().current_version.signatories.exists()
    shot(page, "komitmen-02-nip-salah")
    page.fill("input[name=nip]", "19700101 200003 1 002")
    page.click("form[action$='/penanda-tangan/'] button[type=submit]")
    add_signatory("Camat Jatinunggal", "Camat Sumedang", user=camat)
    add_signatory("Bupati Sumedang", "H. Dony Ahmad Munir")
    add_signatory("Ketua TP PKK", "Ujang Sobandi")
    expect(page.locator("#penanda-tangan tbody tr")).to_have_count(4)
    page.click("button:has-text('Buka penandatanganan')")
    shot(page, "komitmen-03-penanda-tangan")

    # 4. the two users sign after re-entering their password (one typo first)
    for user in (executive, camat):
        ctx = browser.new_context(viewport={"width": 360, "height": 740}, locale="id-ID")
        p = ctx.new_page()
        login(p, base, user.email)
        p.goto(document_url + "tanda-tangan/")
        p.fill("input[name=password]", "salah-ketik")
        p.check("input[name=agree]")
        p.click("main form button[type=submit]")
        expect(p.locator(".field.has-error")).to_contain_text("Kata sandi salah")
        p.fill("input[name=password]", PASSWORD)
        p.check("input[name=agree]")
        if user is executive:
            shot(p, "komitmen-04-tanda-tangan")
        p.click("main form button[type=submit]")
        expect(p.locator(".messages")).to_contain_text("telah Anda tandatangani")
        ctx.close()
    with scopes_disabled():
        assert Signature.objects.filter(method="portal").count() == 2

    # 5. the admin uploads the two paper pages; the last one completes the document
    page.goto(document_url)
    for i in range(2):
        page.locator("a", has_text="Unggah lembar").first.click()
        scan = make_pdf(tmp_path / f"lembar-{i}.pdf", "Lembar tanda tangan", [f"halaman {i}"])
        page.set_input_files("input[name=page]", str(scan))
        page.click("main form button[type=submit]")
        expect(page.locator(".messages")).to_contain_text("disimpan")
    page.goto(document_url)
    expect(page.locator("#pdf")).to_contain_text("SHA-256")
    shot(page, "komitmen-05-lengkap")

    # 6. download the stored PDF, look at it, decode its QR code
    pdf_link = page.locator("#pdf a", has_text="Unduh PDF").get_attribute("href")
    response = page.request.get(base + pdf_link)
    assert response.ok
    pdf = response.body()
    digest = hashlib.sha256(pdf).hexdigest()
    (SHOTS / "komitmen-final.pdf").write_bytes(pdf)
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            "110",
            "-png",
            str(SHOTS / "komitmen-final.pdf"),
            str(SHOTS / "komitmen-06-pdf"),
        ],
        check=True,
    )
    png = sorted(SHOTS.glob("komitmen-06-pdf*.png"))[0]
    import zxingcpp
    from PIL import Image

    codes = [c.text for c in zxingcpp.read_barcodes(Image.open(png))]
    assert len(codes) == 1, codes
    verify_path = urlparse(codes[0]).path
    assert verify_path.startswith("/verifikasi/")

    # 7. anyone holding the paper: the public page shows the same SHA-256, and knows the file
    public = browser.new_context(viewport={"width": 360, "height": 740}, locale="id-ID")
    anon = public.new_page()
    anon.goto(base + verify_path)
    expect(anon.locator("#sha256")).to_have_text(digest)
    expect(anon.locator("main")).to_contain_text("Tuti Ruswati")
    expect(anon.locator("main")).not_to_contain_text("19700101")
    anon.set_input_files("input[name=pdf]", str(SHOTS / "komitmen-final.pdf"))
    anon.click("main form button[type=submit]")
    expect(anon.locator("main")).to_contain_text("Asli.")
    shot(anon, "komitmen-07-verifikasi")
    tampered = tmp_path / "palsu.pdf"
    middle = len(pdf) // 2
    tampered.write_bytes(pdf[:middle] + bytes([pdf[middle] ^ 1]) + pdf[middle + 1 :])
    anon.set_input_files("input[name=pdf]", str(tampered))
    anon.click("main form button[type=submit]")
    expect(anon.locator("main")).to_contain_text("Tidak cocok.")
    anon.goto(base + "/verifikasi/token-palsu-yang-tidak-ada/")
    expect(anon.locator("main")).not_to_contain_text("Sumedang")
    public.close()
    admin_ctx.close()
    assert time.monotonic() - started < 120
