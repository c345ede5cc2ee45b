"""In Chromium, at the scale a district really signs at (issue 15): the district admin pastes
400 participants into a rembuk at once, makes the commitment from that rembuk, adds its 400
participants as signatories plus one block per village of a kecamatan from the region list
(one village head with an account, one village with no head on record) and a second portal
user; two users sign in the portal; the signed draft is printed, "scanned" (rasterized, a pen
stroke drawn on every sheet, assembled into one image-only PDF) and uploaded once; the preview
matches every sheet; the sheet of the village with no name on record is uploaded on its own
with the written name; the final PDF (403 signatories) is rendered, downloaded, its QR code
decoded and the verification page opened from it.

Every step's wall time and the final PDF's render time are printed and written next to the
screenshots (JOURNEY_SHOTS, by default test-artifacts/screens/journey)."""

import hashlib
import json
import os
import subprocess
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest
from django_scopes import scopes_disabled
from playwright.sync_api import expect

from commitments.models import CommitmentDocument, Signature
from documents.models import Job
from tests.conftest import PASSWORD
from tests.e2e.conftest import SHOTS
from tests.e2e.test_convergence_journey import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

OUT = Path(os.environ.get("JOURNEY_SHOTS") or SHOTS / "journey")

FIRST = [
    "Asep", "Dadang", "Euis", "Iis", "Ujang", "Neneng", "Cecep", "Yayat", "Entin", "Dedi",
    "Siti", "Agus", "Rina", "Tatang", "Wawan", "Lilis", "Ade", "Nining", "Komar", "Yuyun",
]  # fmt: skip
LAST = [
    "Suryana", "Hidayat", "Rahmawati", "Kurniasih", "Saepudin", "Supriatna", "Maulana",
    "Nurhayati", "Gunawan", "Permana", "Setiawan", "Wulandari", "Sobari", "Hermawan",
    "Komalasari", "Rukmana", "Sumarna", "Fitriani", "Ruhiyat", "Kartika",
]  # fmt: skip
POSITIONS = [
    ("Kepala Puskesmas", "Dinas Kesehatan"),
    ("Kader Posyandu", "TP PKK Kecamatan"),
    ("Bidan Desa", "Puskesmas"),
    ("Kader Pembangunan Manusia", "Pemerintah Desa"),
    ("Penyuluh KB", "DPPKBP3A"),
    ("Pendamping Desa", "Kementerian Desa"),
    ("Guru PAUD", "Dinas Pendidikan"),
    ("Ketua BPD", "Badan Permusyawaratan Desa"),
]
N_PARTICIPANTS = 400


def participant_lines() -> list[str]:
    """400 different people: 20 x 20 names, each with a position and organisation."""
    lines = []
    for i in range(N_PARTICIPANTS):
        name = f"{FIRST[i % 20]} {LAST[i // 20]}"
        position, organisation = POSITIONS[i % len(POSITIONS)]
        lines.append(f"{name}; {position}; {organisation}")
    return lines


def shots(page, name):
    """The page at 1280 px and at 360 px wide (full page), then back to 1280 px."""
    for width, height in ((1280, 900), (360, 740)):
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(OUT / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def scan_of_signed_sheets(draft: Path, out: Path, work: Path) -> tuple[Path, int]:
    """What the organiser's scanner makes of the signed draft: every page rasterized at 100
    dpi, the signature sheets (those carrying a sheet key) kept, a pen stroke drawn on each,
    and all of them put in one PDF of images with no text layer."""
    import zxingcpp
    from PIL import Image, ImageDraw

    subprocess.run(
        ["pdftoppm", "-r", "100", "-gray", "-png", str(draft), str(work / "p")], check=True
    )
    sheets = []
    for png in sorted(work.glob("p-*.png")):
        image = Image.open(png).convert("RGB")
        texts = [c.text for c in zxingcpp.read_barcodes(image)]
        if not any(t.startswith("KVG1:") for t in texts):
            continue  # the wording pages are not signed and not scanned
        pen = ImageDraw.Draw(image)
        w, h = image.size
        pen.line(
            [(w * 0.15, h * 0.55), (w * 0.3, h * 0.5), (w * 0.4, h * 0.57)],
            fill=(20, 20, 120),
            width=3,
        )
        sheets.append(image)
    assert sheets, "the draft prints no signature sheet with a key"
    sheets[0].save(out, "PDF", save_all=True, append_images=sheets[1:], resolution=100.0)
    return out, len(sheets)


def test_400_participants_to_403_signatures_one_scan_and_verification(
    live_server, world, browser, tmp_path
):
    OUT.mkdir(parents=True, exist_ok=True)
    timings: dict[str, float] = {}
    started = clock = time.monotonic()

    def lap(step):
        nonlocal clock
        now = time.monotonic()
        timings[step] = round(now - clock, 1)
        clock = now

    def snap(page, name):
        """Screenshots, their time kept out of the step's."""
        nonlocal clock
        before = time.monotonic()
        shots(page, name)
        spent = time.monotonic() - before
        timings["tangkapan layar"] = round(timings.get("tangkapan layar", 0) + spent, 1)
        clock += spent

    base = live_server.url
    a = world.a
    slug = a.district.slug
    executive, head = a.users["executive"], a.users["village_head"]

    admin_ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="id-ID")
    page = admin_ctx.new_page()
    page.set_default_timeout(60_000)
    login(page, base, a.users["district_admin"].email)

    # 1. the rembuk, and its 400 participants in one paste
    page.goto(f"{base}/{slug}/rembuk/baru/")
    page.select_option("select[name=level]", "district")
    page.fill("input[name=title]", "Rembuk Stunting Kabupaten Sumedang 2026")
    page.fill("input[name=starts_at]", "2026-08-12T09:00")
    page.fill("input[name=venue]", "Gedung Negara Sumedang")
    page.click("main form button[type=submit]")
    expect(page.locator("h1")).to_contain_text("Rembuk Stunting Kabupaten Sumedang 2026")
    rembuk_url = page.url
    rembuk_id = rembuk_url.rstrip("/").rsplit("/", 1)[1]
    page.goto(rembuk_url + "peserta/")
    page.fill("textarea[name=lines]", "\n".join(participant_lines()))
    page.click("main form button[type=submit]")
    expect(page.locator("#hasil")).to_contain_text("400 peserta ditambahkan.")
    expect(page.locator("#h-list")).to_contain_text("Daftar peserta (400)")
    expect(page.locator("ul.people-edit > li")).to_have_count(400)
    lap("1 rembuk + 400 peserta ditempel")
    snap(page, "01-peserta")

    # 2. the commitment from the rembuk: its 400 participants, a block per village of
    #    Kecamatan Wado (Cimungkal's head has an account, Ganjarresik has no head on record)
    #    and the Sekda, who signs in the portal
    page.goto(f"{base}/{slug}/komitmen/baru/?rembuk={rembuk_id}")
    expect(page.locator("input[name=place]")).to_have_value("Gedung Negara Sumedang")
    page.click("main form[method=post] button[type=submit]")
    expect(page.locator("article.doc-text li").first).to_be_visible()
    document_url = page.url
    page.click("button[name=sumber][value=peserta]")
    expect(page.locator(".messages")).to_contain_text("400 penanda tangan ditambahkan.")
    page.goto(document_url + "penanda-tangan/banyak/")
    page.select_option("select[name=scope]", label="Kecamatan Wado (2)")
    page.click("form:has(input[name=aksi][value=wilayah]) button[type=submit]")
    expect(page.locator("#hasil")).to_contain_text("2 penanda tangan baru ditambahkan.")
    expect(page.locator("#hasil")).to_contain_text("1 di antaranya belum bernama")
    expect(page.locator("main")).to_contain_text("Dokumen ini punya 402 penanda tangan.")
    snap(page, "02-penanda-tangan-banyak")
    page.goto(document_url)
    page.get_by_role("link", name="Tambah penanda tangan", exact=True).click()
    page.fill("input[name=position]", "Sekretaris Daerah")
    page.fill("input[name=name]", "Tuti Ruswati")
    page.select_option("select[name=user]", str(executive.pk))
    page.click("form[action$='/penanda-tangan/'] button[type=submit]")
    # listed fifty at a time
    expect(page.locator("#penanda-tangan")).to_contain_text("Baris 1–50 dari 403.")
    expect(page.locator("#penanda-tangan tbody tr")).to_have_count(50)
    with scopes_disabled():
        document = CommitmentDocument.objects.get()
        signatories = list(document.current_version.signatories.order_by("order"))
    assert len(signatories) == 403
    assert [s.user_id for s in signatories if s.user_id] == [head.pk, executive.pk]
    assert [s.position for s in signatories if not s.name] == ["Kepala Desa Ganjarresik"]
    lap("2 dokumen + 403 penanda tangan")

    # 3. signing opens; the village head and the Sekda sign after re-entering their password
    page.click("button:has-text('Buka penandatanganan')")
    expect(page.locator(".messages")).to_contain_text("Dokumen dibuka untuk penandatanganan.")
    for user in (head, executive):
        ctx = browser.new_context(viewport={"width": 360, "height": 740}, locale="id-ID")
        p = ctx.new_page()
        login(p, base, user.email)
        p.goto(document_url + "tanda-tangan/")
        p.fill("input[name=password]", PASSWORD)
        p.check("input[name=agree]")
        p.click("main form button[type=submit]")
        expect(p.locator(".messages")).to_contain_text("telah Anda tandatangani")
        ctx.close()
    with scopes_disabled():
        assert Signature.objects.filter(method="portal").count() == 2
    lap("3 buka + 2 tanda tangan portal")

    # 4. the draft printed, signed, scanned into one PDF of images and uploaded once
    page.goto(document_url)
    draft_href = page.locator("a", has_text="Cetak draf").first.get_attribute("href")
    response = page.request.get(base + draft_href, timeout=120_000)
    assert response.ok
    draft = tmp_path / "draf.pdf"
    draft.write_bytes(response.body())
    lap("4a unduh draf PDF")
    (tmp_path / "scan").mkdir()
    scan, n_sheets = scan_of_signed_sheets(draft, tmp_path / "pindaian.pdf", tmp_path / "scan")
    assert n_sheets == 45  # 403 signatories, 9 a sheet: 44 full sheets and one of 7
    lap("4b pindai 45 lembar (pdftoppm 100 dpi)")
    page.locator("a", has_text="Unggah pindaian semua lembar").click()
    page.set_input_files("input[name=pages]", str(scan))
    page.click("main form button[type=submit]")
    expect(page.locator("h1")).to_have_text("Pencocokan pindaian lembar")
    expect(page.locator("dl.facts")).to_contain_text("45 halaman: 45 cocok, 0 tidak cocok")
    expect(page.locator("#cocok > tbody > tr")).to_have_count(45)
    # 403 on the sheets: 2 signed in the portal, 1 without a name, 400 to record
    expect(page.locator("#cocok .tag-good")).to_have_count(2)
    expect(page.locator("#cocok li", has_text="tanpa nama")).to_have_count(1)
    expect(page.locator("main form button[type=submit]")).to_have_text(
        "Konfirmasi 400 tanda tangan"
    )
    lap("4c unggah + baca pindaian")
    snap(page, "03-pratinjau-pindaian")
    page.click("main form button[type=submit]")
    expect(page.locator(".messages")).to_contain_text("400 tanda tangan di atas kertas dicatat.")
    with scopes_disabled():
        assert Signature.objects.filter(method="paper").count() == 400
    lap("4d konfirmasi 400 tanda tangan")

    # 5. the one sheet with no name on record: uploaded on its own with the written name; it
    #    is the last signature, so the final PDF is rendered (the job runs in-process here)
    page.click("a:text-is('Belum menandatangani')")  # the one still waiting, of 403
    expect(page.locator("#penanda-tangan tbody tr")).to_have_count(1)
    row = page.locator("#penanda-tangan tbody tr", has_text="Kepala Desa Ganjarresik")
    row.locator("a", has_text="Unggah lembar").click()
    page.fill("input[name=name]", "Dede Kurnia")
    sheet_png = sorted((tmp_path / "scan").glob("p-*.png"))[-1]
    page.set_input_files("input[name=page]", str(sheet_png))
    page.click("main form button[type=submit]")
    expect(page.locator(".messages")).to_contain_text("Lembar tanda tangan Dede Kurnia disimpan.")
    lap("5a lembar terakhir + PDF final disusun")
    with scopes_disabled():
        job = Job.objects.get(kind="commitment_pdf")
        assert job.status == "done", job.message
        render_seconds = round((job.finished_at - job.started_at).total_seconds(), 1)
        assert Signature.objects.count() == 403
    page.goto(document_url)
    expect(page.locator("#pdf")).to_contain_text("SHA-256")
    pdf_href = page.locator("#pdf a", has_text="Unduh PDF").get_attribute("href")
    response = page.request.get(base + pdf_href)
    assert response.ok
    pdf = response.body()
    final = OUT / "final.pdf"
    final.write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(final), str(OUT / "final-hal")],
        check=True,
    )
    info = subprocess.run(["pdfinfo", str(final)], capture_output=True, text=True, check=True)
    n_pages = int(
        next(line for line in info.stdout.splitlines() if line.startswith("Pages:")).split()[1]
    )
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "60",
            "-f",
            str(n_pages),
            "-l",
            str(n_pages),
            str(final),
            str(OUT / "final-hal"),
        ],
        check=True,
    )
    # the QR code, read at the resolution a phone camera would see it
    subprocess.run(
        ["pdftoppm", "-png", "-r", "110", "-f", "1", "-l", "1", str(final), str(tmp_path / "qr")],
        check=True,
    )
    import zxingcpp
    from PIL import Image

    codes = [c.text for c in zxingcpp.read_barcodes(Image.open(next(tmp_path.glob("qr*.png"))))]
    assert len(codes) == 1, codes
    verify_path = urlparse(codes[0]).path
    assert verify_path.startswith("/verifikasi/")
    public = browser.new_context(viewport={"width": 1280, "height": 900}, locale="id-ID")
    anon = public.new_page()
    anon.goto(base + verify_path)
    expect(anon.locator("#sha256")).to_have_text(hashlib.sha256(pdf).hexdigest())
    expect(anon.locator("main")).to_contain_text("Dede Kurnia")
    expect(anon.locator("main")).to_contain_text("Tuti Ruswati")
    expect(anon.locator("main h2").first).to_have_text("403 penanda tangan")
    expect(anon.locator("main [role=alert]")).to_have_count(0)  # not voided
    expect(anon.locator("#berlaku")).to_have_text(
        "Dokumen ini tercatat di portal dan berlaku: "
        "403 penanda tangan telah menandatangani versi ini."
    )
    anon.set_input_files("input[name=pdf]", str(final))
    anon.click("main form button[type=submit]")
    expect(anon.locator("main")).to_contain_text("Asli.")
    snap(anon, "04-verifikasi")
    public.close()
    admin_ctx.close()
    lap("5b unduh PDF final + QR + verifikasi")

    timings["total"] = round(time.monotonic() - started, 1)
    timings["render PDF final (job)"] = render_seconds
    timings["halaman PDF final"] = n_pages
    timings["halaman draf"] = len(list((tmp_path / "scan").glob("p-*.png")))
    (OUT / "timings.json").write_text(json.dumps(timings, indent=1, ensure_ascii=False))
    print(json.dumps(timings, indent=1, ensure_ascii=False))
    assert timings["total"] < 300, timings
