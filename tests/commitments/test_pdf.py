"""The final PDF of a fully signed document: rendered once when the last signature is in,
stored with its SHA-256, read back with poppler (text, paper size, the QR code pointing at the
verification page), 120 signature blocks that never break across pages, large documents
through a real Celery worker, and the unsigned draft."""

import hashlib
import re
import subprocess
import time
from datetime import date

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_scopes import scopes_disabled

from commitments import chain, services
from commitments.models import (
    CommitmentDocument,
    Signature,
    SignatureEvent,
)
from commitments.printing import format_nip
from documents.models import GeneratedDocument, Job
from tests.commitments.factories import NIP, POINTS, add_people, make_document
from tests.commitments.objects import render_job_of
from tests.conftest import PASSWORD, need_poppler, png_bytes
from tests.convergence.objects import PDF
from villages.models import Village
from villages.services import update_village_profile

pytestmark = pytest.mark.django_db

A4 = (595.28, 841.89)  # 210 × 297 mm in points
F4 = (609.45, 935.43)  # 215 × 330 mm


@pytest.fixture(autouse=True)
def _poppler():
    need_poppler()


def url(name, side, **kwargs):
    return reverse(name, kwargs={"district_slug": side.district.slug, **kwargs})


def write(pdf: bytes, tmp_path, name="doc"):
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(pdf)
    return path


def pdf_text(pdf: bytes, tmp_path, page=None) -> str:
    pages = ["-f", str(page), "-l", str(page)] if page else []
    return subprocess.run(
        ["pdftotext", "-enc", "UTF-8", *pages, str(write(pdf, tmp_path)), "-"],
        capture_output=True,
        check=True,
        text=True,
    ).stdout


def pdf_info(pdf: bytes, tmp_path) -> dict[str, str]:
    out = subprocess.run(
        ["pdfinfo", str(write(pdf, tmp_path, "info"))], capture_output=True, check=True, text=True
    )
    return {
        k.strip(): v.strip() for k, v in (line.split(":", 1) for line in out.stdout.splitlines())
    }


def page_size(pdf: bytes, tmp_path) -> tuple[float, float]:
    width, height = re.match(
        r"([\d.]+) x ([\d.]+) pts", pdf_info(pdf, tmp_path)["Page size"]
    ).groups()
    return float(width), float(height)


def flat(text: str) -> str:
    """Words joined by single spaces: lines wrap wherever the layout put them."""
    return " ".join(text.split())


def qr_codes(pdf: bytes, tmp_path) -> list[str]:
    import zxingcpp
    from PIL import Image

    prefix = tmp_path / "page"
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            "150",
            "-png",
            "-f",
            "1",
            "-l",
            "1",
            str(write(pdf, tmp_path)),
            str(prefix),
        ],
        check=True,
        capture_output=True,
    )
    [png] = tmp_path.glob("page*.png")
    with Image.open(png) as image:
        return [result.text for result in zxingcpp.read_barcodes(image)]


def sign_everyone(side, document):
    """Every signatory in: users in the portal, the others on paper (alternately a PNG scan
    and a PDF)."""
    with scopes_disabled():
        version = document.current_version
        digest = version.content_sha256()
        for i, signatory in enumerate(version.signatories.select_related("user").order_by("order")):
            if signatory.user_id:
                services.sign_in_portal(
                    document,
                    signatory=signatory,
                    user=signatory.user,
                    password=PASSWORD,
                    content_sha256=digest,
                )
            else:
                page = png_bytes() if i % 2 else PDF
                services.sign_on_paper(
                    document,
                    signatory=signatory,
                    upload=SimpleUploadedFile("lembar", page),
                    by=side.users["district_admin"],
                )


def fully_signed(side, capture, *, users=("opd_staff", "executive"), paper=2):
    with scopes_disabled():
        document = make_document(side)
        add_people(document, side, users=users, paper=paper)
        services.open_signing(document, by=side.users["district_admin"])
    with capture(execute=True):
        sign_everyone(side, document)
    with scopes_disabled():
        document.refresh_from_db()
        version = document.versions.get()
    return document, version


def test_a_fully_signed_document_is_rendered_once(
    world, client, tmp_path, django_capture_on_commit_callbacks
):
    side = world.a
    document, version = fully_signed(side, django_capture_on_commit_callbacks)

    with scopes_disabled():
        job = render_job_of(version)
        stored = version.pdf.read()
        assert document.status == CommitmentDocument.Status.SIGNED
        assert (job.status, job.progress) == ("done", 100)
        assert version.pdf_sha256 == hashlib.sha256(stored).hexdigest()
        assert version.pdf_size == len(stored) and stored.startswith(b"%PDF-")
        kinds = list(
            SignatureEvent.objects.filter(document=document).values_list("kind", flat=True)
        )
        assert kinds == ["signed"] * 4 + ["finalised"]
        finalised = SignatureEvent.objects.get(document=document, kind="finalised")
        assert finalised.payload["pdf_sha256"] == version.pdf_sha256
        assert chain.verify_chain(document) == []

        # running the job again, or a redelivered message finding it queued, changes nothing
        before = (version.pdf.name, version.pdf_sha256, version.pdf_rendered_at)
        services.render_final(job.pk)
        Job.objects.filter(pk=job.pk).update(status="queued", progress=0)
        services.render_final(job.pk)
        version.refresh_from_db()
        job.refresh_from_db()
        assert (version.pdf.name, version.pdf_sha256, version.pdf_rendered_at) == before
        assert (job.status, job.progress) == ("done", 100)
        assert SignatureEvent.objects.filter(document=document).count() == 5
        files = [
            *(settings.MEDIA_ROOT / "commitments").rglob("*"),
            *(settings.MEDIA_ROOT / "generated").rglob("*"),
        ]
        assert sum(1 for f in files if f.is_file()) == 3  # two paper pages and one PDF

    client.force_login(side.users["executive"])
    response = client.get(url("commitment_pdf", side, document_id=document.pk))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    downloaded = b"".join(response.streaming_content)
    assert downloaded == stored

    text = flat(pdf_text(downloaded, tmp_path))
    verify = settings.SITE_URL + reverse("document_verify", kwargs={"token": version.verify_token})
    assert version.title in text
    for i, point in enumerate(POINTS, start=1):
        assert point in text, i
    with scopes_disabled():
        names = list(version.signatories.values_list("name", flat=True))
    assert len(names) == 4
    compact = "".join(text.split())  # a long name wraps, after a slash too
    for name in names:
        assert "".join(name.split()) in compact, name
    assert f"NIP. {format_nip(NIP)}" in text
    assert "Ditandatangani secara elektronik" in text
    assert "Ditandatangani di atas kertas" in text
    assert "Halaman 1 dari" in text
    assert "Lampiran: lembar tanda tangan di atas kertas" in text
    assert verify in compact  # the URL may wrap
    assert "DRAF" not in text
    assert pdf_info(downloaded, tmp_path)["Title"] == version.title
    assert page_size(downloaded, tmp_path) == pytest.approx(A4, abs=0.05)
    assert qr_codes(downloaded, tmp_path) == [verify]


def test_a_replaced_pdf_breaks_the_chain(world, client, django_capture_on_commit_callbacks):
    side = world.a
    document, version = fully_signed(side, django_capture_on_commit_callbacks, paper=1)
    client.force_login(side.users["district_admin"])
    page = client.get(url("commitment_detail", side, document_id=document.pk)).content.decode()
    assert "Rantai catatan tanda tangan utuh" in page  # the verdict is kept from here on
    forged = PDF
    with scopes_disabled():
        assert chain.verify_chain(document) == []
        final = version.final
        final.file.save("forged.pdf", ContentFile(forged), save=False)
        GeneratedDocument.objects.filter(pk=final.pk).update(
            file=final.file.name, sha256=hashlib.sha256(forged).hexdigest()
        )
        # only the final PDF's record changed: the kept verdict is not reused
        assert chain.verify_chain(document) == ["versi 1: PDF final berbeda dari catatan rantai"]
    page = client.get(url("commitment_detail", side, document_id=document.pk)).content.decode()
    assert "Rantai catatan rusak" in page


def test_the_pdf_is_printed_on_the_district_paper(
    world, tmp_path, django_capture_on_commit_callbacks
):
    side = world.a
    with scopes_disabled():
        side.district.paper_size = "F4"
        side.district.save(update_fields=["paper_size"])
    document, version = fully_signed(side, django_capture_on_commit_callbacks, paper=1)

    with scopes_disabled():
        pdf = version.pdf.read()
    assert document.status == "signed"
    assert page_size(pdf, tmp_path) == pytest.approx(F4, abs=0.05)
    assert "Halaman 1 dari 2" in flat(pdf_text(pdf, tmp_path))  # the paper page's annex


def test_120_signature_blocks_each_stay_on_one_page(
    world, tmp_path, django_capture_on_commit_callbacks
):
    side = world.a
    rows = []
    for i in range(1, 121):
        row = {
            "position": f"Kepala Bidang {i:03d}"
            + (" Pemberdayaan Masyarakat" if i % 4 == 0 else ""),
            "name": f"Penanda Tangan {i:03d}",
        }
        if i % 3:  # two in three are civil servants
            row |= {"nip": f"19700101200003{1 + i % 2}{i:03d}", "rank": "Pembina (IV/a)"}
        if i % 5 == 0:
            row["organisation"] = "Forum Koordinasi Pimpinan Daerah"
        rows.append(row)
    with scopes_disabled():
        document = make_document(side)
        services.add_signatories(document, rows=rows, by=side.users["district_admin"])
        services.open_signing(document, by=side.users["district_admin"])
    with django_capture_on_commit_callbacks(execute=True):
        sign_everyone(side, document)

    with scopes_disabled():
        version = document.versions.get()
        job = render_job_of(version)
        assert (job.status, job.progress) == ("done", 100), job.message
        pdf = version.pdf.read()
        signatories = list(version.signatories.order_by("order"))
    seconds = (job.finished_at - job.started_at).total_seconds()
    pages = int(pdf_info(pdf, tmp_path)["Pages"])
    print(f"\n120 signatories: rendered in {seconds:.2f} s, {pages} pages, {len(pdf)} bytes")
    assert seconds < 60

    texts = {n: flat(pdf_text(pdf, tmp_path, page=n)) for n in range(1, pages + 1)}
    assert f"Halaman {pages} dari {pages}" in texts[pages]
    grid_page = {}
    for s in signatories:
        # the position (unique, only in the grid) is on exactly one page, and the rest of the
        # block is on that page too
        [page] = [n for n, text in texts.items() if f"{s.position} " in text + " "]
        text = texts[page]
        assert s.name in text, s.order
        if s.nip:
            assert f"NIP. {format_nip(s.nip)}" in text, s.order
            assert [n for n, t in texts.items() if format_nip(s.nip) in t] == [page]
        if s.rank:
            assert s.rank in text
        grid_page[s.order] = page
    # a row of three blocks is never split, and the grid runs in order
    for order, page in grid_page.items():
        assert page == grid_page[order - (order - 1) % 3], order
    assert list(grid_page.values()) == sorted(grid_page.values())
    assert grid_page[120] > grid_page[1]  # the grid really spans pages


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_large_document_is_rendered_by_a_real_celery_worker(world, postgres, celery_worker):
    side = world.a
    with scopes_disabled():
        document = make_document(side)
        signatories = add_people(document, side, paper=services.INLINE_RENDER_LIMIT + 1)
        services.open_signing(document, by=side.users["district_admin"])
        *first, last = signatories
        for signatory in first:
            services.sign_on_paper(
                document,
                signatory=signatory,
                upload=SimpleUploadedFile("lembar.pdf", PDF),
                by=side.users["district_admin"],
            )
        assert not Job.objects.exists()

    seen = []
    with scopes_disabled():
        # the last signature queues the job (on commit) instead of rendering in place
        services.sign_on_paper(
            document,
            signatory=last,
            upload=SimpleUploadedFile("lembar.pdf", PDF),
            by=side.users["district_admin"],
        )
        deadline = time.monotonic() + 90
        while True:
            job = render_job_of(document.current_version)
            seen.append(job.status)
            if job.status in ("done", "failed") or time.monotonic() > deadline:
                break
            time.sleep(0.05)

    assert (job.status, job.progress, job.message) == ("done", 100, "")
    assert job.started_at and job.finished_at
    # the request that gave the last signature did not render: the worker did, afterwards
    assert seen[0] in ("queued", "running"), seen
    with scopes_disabled():
        document.refresh_from_db()
        version = document.versions.get()
        assert document.status == "signed"
        assert version.pdf_sha256 == hashlib.sha256(version.pdf.read()).hexdigest()
        assert SignatureEvent.objects.filter(document=document, kind="finalised").count() == 1
        assert chain.verify_chain(document) == []
        assert Signature.objects.filter(signatory__version=version).count() == len(signatories)


def test_the_draft_pdf_is_marked_and_not_verifiable(world, client, tmp_path):
    side = world.a
    with scopes_disabled():
        document = make_document(side)
        add_people(document, side, users=["opd_staff"], paper=2)
    client.force_login(side.users["camat"])  # everyone in the district reads district documents

    response = client.get(url("commitment_draft_pdf", side, document_id=document.pk))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = flat(pdf_text(response.content, tmp_path))
    assert "DRAF" in text
    assert "bukan dokumen final" in text
    assert "Komitmen Bersama Percepatan Penurunan Stunting" in text
    assert "Tokoh 1" in text and "Tokoh 2" in text
    assert "verifikasi" not in text.lower()
    assert settings.SITE_URL not in text
    assert "Ditandatangani" not in text
    assert qr_codes(response.content, tmp_path) == []
    with scopes_disabled():
        document.refresh_from_db()
        version = document.versions.get()
        assert document.status == "draft" and not version.pdf and not version.pdf_sha256
        assert not Job.objects.exists()


def qr_at(pdf: bytes, tmp_path, dpi: int):
    """The QR codes found on page 1 rendered at `dpi` by pdftoppm (zxing results, with their
    corners and version), and the page as a greyscale image."""
    import zxingcpp
    from PIL import Image

    prefix = tmp_path / f"qr{dpi}"
    subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-png", "-f", "1", "-l", "1", "-singlefile"]
        + [str(write(pdf, tmp_path, f"qr{dpi}")), str(prefix)],
        check=True,
        capture_output=True,
    )
    image = Image.open(f"{prefix}.png").convert("L")
    return zxingcpp.read_barcodes(image), image


def test_the_qr_code_reads_from_a_72_dpi_rendering_and_is_25_mm_wide(
    world, tmp_path, django_capture_on_commit_callbacks
):
    """A phone photo of a printed page holds about as much detail as a 72 dpi rendering: the
    code must decode there, be at least 25 mm wide on paper and keep its quiet zone (four
    white modules all round)."""
    document, version = fully_signed(world.a, django_capture_on_commit_callbacks, paper=1)
    with scopes_disabled():
        pdf = version.pdf.read()
    verify = settings.SITE_URL + reverse("document_verify", kwargs={"token": version.verify_token})

    results, _image = qr_at(pdf, tmp_path, 72)
    assert [r.text for r in results] == [verify]

    [result], page = qr_at(pdf, tmp_path, 300)
    corners = result.position
    left = min(corners.top_left.x, corners.bottom_left.x)
    right = max(corners.top_right.x, corners.bottom_right.x)
    top = min(corners.top_left.y, corners.top_right.y)
    bottom = max(corners.bottom_left.y, corners.bottom_right.y)
    width_mm = (right - left) * 25.4 / 300
    height_mm = (bottom - top) * 25.4 / 300
    assert width_mm >= 25 and height_mm >= 25, (width_mm, height_mm)
    modules = 17 + 4 * int(result.extra["Version"])  # a version-v symbol is 17 + 4v wide
    quiet = round(4 * (right - left) / modules) - 2  # four modules, less anti-aliased edges
    for area in (
        (left - quiet, top - quiet, right + quiet, top - 2),  # above
        (left - quiet, bottom + 2, right + quiet, bottom + quiet),  # below
        (left - quiet, top, left - 2, bottom),  # left
        (right + 2, top, right + quiet, bottom),  # right
    ):
        assert page.crop(area).getextrema()[0] > 200, area  # nothing dark in the quiet zone


def test_every_fingerprint_printed_is_on_the_verification_page_under_the_same_label(
    world, client, tmp_path, django_capture_on_commit_callbacks
):
    """A reader compares what the paper says with what the verification page says: each code
    printed in the PDF must be shown there under the very same label and value. The PDF's own
    SHA-256 cannot be printed inside it, and is not."""
    side = world.a
    document, version = fully_signed(side, django_capture_on_commit_callbacks, paper=2)
    with scopes_disabled():
        pdf = version.pdf.read()
        paper_hashes = sorted(
            Signature.objects.filter(signatory__version=version, method="paper").values_list(
                "paper_sha256", flat=True
            )
        )
    verify_path = reverse("document_verify", kwargs={"token": version.verify_token})
    text = flat(pdf_text(pdf, tmp_path))
    page = client.get(verify_path).content.decode()
    shown = " ".join(re.sub(r"<[^>]+>", " ", page).split())  # the page's text

    # every run of hex digits the PDF prints, outside the verification URL
    printed = set(re.findall(r"\b[0-9a-f]{16,64}\b", text.replace(version.verify_token, "")))
    assert printed, text
    assert version.pdf_sha256 not in printed
    for digest in printed:
        assert digest in shown, digest
    [code] = set(re.findall(r"Kode isi: ([0-9a-f]{16})\b", text))  # on every page
    assert f"Kode isi {code}" in shown
    assert set(re.findall(r"\b[0-9a-f]{64}\b", text)) == set(paper_hashes)
    assert "SHA-256 pindaian lembar" in text
    for digest in paper_hashes:
        assert f"SHA-256 pindaian lembar: {digest}" in shown
    assert printed == {code, *paper_hashes}
    # the page names its own SHA-256 as the file's, which only an upload can check
    assert f"SHA-256 berkas PDF {version.pdf_sha256}" in shown


def test_documents_are_written_in_indonesian_for_an_english_interface(
    world, client, tmp_path, django_capture_on_commit_callbacks
):
    """The reader's interface language changes the pages around a document, never the
    document: its day and date ({hari}, {tanggal}, the date line) stay Indonesian on the
    signing page, in the draft and in the final PDF."""
    side = world.a
    with scopes_disabled():
        document = services.create_document(
            district=side.district,
            template="district",
            level="district",
            year=2026,
            title="Komitmen Bersama Percepatan Penurunan Stunting",
            preamble="Pada hari ini {hari}, tanggal {tanggal}, bertempat di {tempat}, kami:",
            points=list(POINTS),
            closing="Demikian komitmen ini dibuat.",
            place="Sumedang",
            signed_on=date(2026, 3, 18),  # a Wednesday
            by=side.users["district_admin"],
        )
        add_people(document, side, users=["opd_staff"], paper=1)
        services.open_signing(document, by=side.users["district_admin"])
        version = document.current_version
        paper = version.signatories.get(user=None)
        services.sign_on_paper(
            document,
            signatory=paper,
            upload=SimpleUploadedFile("lembar.pdf", PDF),
            by=side.users["district_admin"],
        )
        digest = version.content_sha256()
    preamble = "Pada hari ini Rabu, tanggal 18 Maret 2026, bertempat di Sumedang, kami:"
    client.force_login(side.users["opd_staff"])
    client.cookies["django_language"] = "en"

    page = client.get(url("commitment_sign", side, document_id=document.pk)).content.decode()
    assert "Sign document" in page  # the interface is English
    assert preamble in page and "Sumedang, 18 Maret 2026" in page
    assert "March" not in page
    draft = client.get(url("commitment_draft_pdf", side, document_id=document.pk)).content
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url("commitment_sign", side, document_id=document.pk),
            {"content_sha256": digest, "password": PASSWORD, "agree": "on"},
        )
    assert response.status_code == 302
    with scopes_disabled():
        final = document.versions.get().pdf.read()

    for pdf in (draft, final):
        text = flat(pdf_text(pdf, tmp_path))
        assert preamble in text
        assert "Sumedang, 18 Maret 2026" in text and "Halaman 1 dari" in text
        assert "March" not in text and "Wednesday" not in text and "Page" not in text


def test_a_village_document_prints_the_village_letterhead_and_address(world, client, tmp_path):
    side = world.a
    with scopes_disabled():
        side.district.letterhead_address = "Jalan Prabu Geusan Ulun Nomor 36, Sumedang"
        side.district.save(update_fields=["letterhead_address"])
        update_village_profile(
            village=side.village,
            office_address="Jalan Raya Wado Nomor 12, Cimungkal 45373",
            head_name="Asep Saepudin",
            secretary_name="Ujang Suherman",
            by=side.users["village_head"],
        )
        desa = make_document(side, level="village", template="village")
        pawenang = Village.objects.get(code="32.11.02.1002")  # a kelurahan, no profile
        kelurahan = make_document(side, level="village", village=pawenang, template="village")
        district_wide = make_document(side)
        for document in (desa, kelurahan, district_wide):
            add_people(document, side, paper=1)
    client.force_login(side.users["district_admin"])

    def draft_text(document):
        response = client.get(url("commitment_draft_pdf", side, document_id=document.pk))
        return flat(pdf_text(response.content, tmp_path))

    text = draft_text(desa)
    assert (
        "PEMERINTAH DESA CIMUNGKAL KECAMATAN WADO KABUPATEN SUMEDANG "
        "Jalan Raya Wado Nomor 12, Cimungkal 45373"
    ) in text
    assert "PEMERINTAH KABUPATEN SUMEDANG" not in text and "Prabu Geusan Ulun" not in text

    text = draft_text(kelurahan)
    assert "PEMERINTAH KABUPATEN SUMEDANG KECAMATAN JATINUNGGAL KELURAHAN PAWENANG " in text
    assert "Prabu Geusan Ulun" not in text  # no address of its own: none at all
    assert "Jalan" not in text.split("KELURAHAN PAWENANG", 1)[1].split("Komitmen", 1)[0]

    text = draft_text(district_wide)
    assert "PEMERINTAH KABUPATEN SUMEDANG Jalan Prabu Geusan Ulun Nomor 36, Sumedang" in text
