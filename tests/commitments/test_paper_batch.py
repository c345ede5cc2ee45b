"""Paper signatures in bulk: the printed draft carries a signed QR key on every signature
sheet; a scan of the signed sheets (the real draft rendered by WeasyPrint, rasterized by
poppler and put back into an image-only PDF as a scanner writes it) is matched page by page,
shown for confirmation, and confirming records every matched signatory once, with the day
it was signed apart from when the scan was received."""

import io
import subprocess
from datetime import date

import pytest
import segno
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.crypto import salted_hmac
from django_scopes import scopes_disabled
from PIL import Image

from commitments import chain, services, sheets
from commitments.models import PaperBatch, Signature, SignatureEvent
from tests.commitments.factories import add_people, make_document
from tests.conftest import need_poppler

pytestmark = pytest.mark.django_db

RAPAT = date(2026, 8, 12)  # the rembuk day: the document's date in the factory
SIGNED_ON = date(2026, 8, 13)  # the day the sheets were signed, entered for the batch


@pytest.fixture(autouse=True)
def _poppler():
    need_poppler()


def url(name, side, **kwargs):
    return reverse(name, kwargs={"district_slug": side.district.slug, **kwargs})


def draft_pages(client, side, document, tmp_path, dpi=150) -> list[Image.Image]:
    """The printed draft as the organiser's scanner sees it: every page as a greyscale image."""
    pdf = client.get(url("commitment_draft_pdf", side, document_id=document.pk)).content
    path = tmp_path / "draf.pdf"
    path.write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-gray", "-png", str(path), str(tmp_path / "p")],
        check=True,
        capture_output=True,
    )
    return [Image.open(p).convert("L") for p in sorted(tmp_path.glob("p-*.png"))]


def scan_pdf(images: list[Image.Image]) -> bytes:
    """Images saved as one image-only PDF, as a scanner or a phone scanner app writes it."""
    buffer = io.BytesIO()
    images[0].save(buffer, "PDF", save_all=True, append_images=images[1:], resolution=150)
    return buffer.getvalue()


def png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def upload(client, side, document, files, signed_on=SIGNED_ON):
    return client.post(
        url("paper_batch_upload", side, document_id=document.pk),
        {"pages": files, "signed_on": signed_on.isoformat()},
    )


@pytest.fixture
def sixteen(world, client):
    """A document open for signing: the OPD staff member (no. 1) signs in the portal, fifteen
    community leaders (no. 2-16) on paper. Sheets of 9: sheet 1 = no. 1-9, sheet 2 = 10-16."""
    side = world.a
    with scopes_disabled():
        document = make_document(side)
        add_people(document, side, users=["opd_staff"], paper=15)
        services.open_signing(document, by=side.users["district_admin"])
    client.force_login(side.users["district_admin"])
    return side, document


def names_in(pages_row_ids):
    with scopes_disabled():
        from commitments.models import Signatory

        by_id = {str(s.pk): s.order for s in Signatory.objects.filter(pk__in=pages_row_ids)}
    return [by_id[i] for i in pages_row_ids]


def test_a_scan_of_the_signed_draft_is_matched_and_recorded(
    sixteen, client, tmp_path, django_capture_on_commit_callbacks
):
    side, document = sixteen
    pages = draft_pages(client, side, document, tmp_path)
    # page 1 the wording, page 2 sheet 1 (no. 1-9), page 3 sheet 2 (no. 10-16)
    assert len(pages) == 3
    # scanned out of order, the wording page in the middle
    scan = scan_pdf([pages[2], pages[0], pages[1]])

    response = upload(client, side, document, [SimpleUploadedFile("pindaian.pdf", scan)])
    assert response.status_code == 302, response.context["form"].errors
    with scopes_disabled():
        batch = PaperBatch.objects.get(document=document)
        assert [(p["page"], p.get("sheet"), p.get("problem")) for p in batch.pages] == [
            (1, 2, None),
            (2, None, "none"),
            (3, 1, None),
        ]
        assert names_in(batch.pages[0]["signatories"]) == [10, 11, 12, 13, 14, 15, 16]
        assert names_in(batch.pages[2]["signatories"]) == list(range(1, 10))
        assert Signature.objects.count() == 0  # nothing recorded before the confirmation
    assert response["Location"] == url(
        "paper_batch", side, document_id=document.pk, paper_batch_id=batch.pk
    )

    preview = client.get(response["Location"])
    assert preview.status_code == 200
    assert preview.context["to_record"] == 15  # no. 1 signs in the portal
    text = preview.content.decode()
    assert "Konfirmasi 15 tanda tangan" in text
    assert "Halaman 2: Tidak ada kode lembar yang terbaca" in text

    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(response["Location"])
    assert done.status_code == 302
    with scopes_disabled():
        signatures = list(
            Signature.objects.filter(signatory__version__document=document)
            .select_related("signatory")
            .order_by("signatory__order")
        )
        assert [s.signatory.order for s in signatures] == list(range(2, 17))
        assert {(s.method, s.paper_signed_on) for s in signatures} == {("paper", SIGNED_ON)}
        # the received moment is the confirmation, not the signing day
        assert all(s.signed_at.date() > SIGNED_ON for s in signatures)
        # no. 2-9 share the single page of sheet 1, no. 10-16 that of sheet 2; each is a
        # one-page PDF
        sheet1 = {s.paper.name for s in signatures if s.signatory.order <= 9}
        sheet2 = {s.paper.name for s in signatures if s.signatory.order > 9}
        assert len(sheet1) == 1 and len(sheet2) == 1 and sheet1 != sheet2
        page = signatures[0].paper.read()
        assert page.startswith(b"%PDF-") and signatures[0].paper_content_type == "application/pdf"
        import pypdfium2

        assert len(pypdfium2.PdfDocument(page)) == 1
        events = list(SignatureEvent.objects.filter(document=document).order_by("seq"))
        assert len(events) == 15
        assert {e.payload["paper_signed_on"] for e in events} == {"2026-08-13"}
        assert chain.verify_chain(document) == []
        batch.refresh_from_db()
        assert batch.recorded == 15 and batch.confirmed_at is not None

    # the document page shows both dates
    detail = client.get(url("commitment_detail", side, document_id=document.pk)).content.decode()
    assert "ditandatangani 13 Agu 2026" in detail or "ditandatangani 13 Aug 2026" in detail
    assert "lembar diterima" in detail


def test_confirming_twice_records_once(sixteen, client, tmp_path):
    side, document = sixteen
    pages = draft_pages(client, side, document, tmp_path)
    upload(client, side, document, [SimpleUploadedFile("s.pdf", scan_pdf(pages))])
    with scopes_disabled():
        batch = PaperBatch.objects.get()
    target = url("paper_batch", side, document_id=document.pk, paper_batch_id=batch.pk)
    client.post(target)
    with scopes_disabled():
        after_first = (Signature.objects.count(), SignatureEvent.objects.count())
    assert after_first == (15, 15)
    second = client.post(target, follow=True)
    assert "sudah dikonfirmasi sebelumnya" in second.content.decode()
    with scopes_disabled():
        assert (Signature.objects.count(), SignatureEvent.objects.count()) == (15, 15)
        # a second upload of the same sheets finds everyone signed: nothing more to record
    upload(client, side, document, [SimpleUploadedFile("s.pdf", scan_pdf(pages))])
    with scopes_disabled():
        again = PaperBatch.objects.exclude(pk=batch.pk).get()
    preview = client.get(url("paper_batch", side, document_id=document.pk, paper_batch_id=again.pk))
    assert preview.context["to_record"] == 0
    client.post(url("paper_batch", side, document_id=document.pk, paper_batch_id=again.pk))
    with scopes_disabled():
        assert (Signature.objects.count(), SignatureEvent.objects.count()) == (15, 15)


def key_qr_page(text: str) -> bytes:
    """A sheet-sized page with one QR code carrying `text`, where the draft prints it."""
    page = Image.new("L", (1240, 1754), 255)  # A4 at 150 dpi
    qr = segno.make(text, error="m")
    buffer = io.BytesIO()
    qr.save(buffer, kind="png", scale=4, border=4)
    page.paste(Image.open(io.BytesIO(buffer.getvalue())).convert("L"), (110, 110))
    return png(page)


def test_forged_and_foreign_keys_are_not_matched(sixteen, client):
    side, document = sixteen
    with scopes_disabled():
        version = document.current_version
        code = version.content_code()
        genuine = sheets.sheet_key(version, 1, code)
    body, _sep, mac = genuine.rpartition(":")
    # sheet 1's key with sheet 2 written in by hand, the mac left as it was
    altered = body.replace(f":{1}:{sheets.SHEET_SIZE}:", f":{2}:{sheets.SHEET_SIZE}:") + ":" + mac
    assert altered != genuine
    # a key made the same way with another secret than this portal's
    foreign = salted_hmac(sheets.SALT, body, secret="x" * 50, algorithm="sha256")
    other_portal = f"{body}:{foreign.hexdigest()[:20]}"

    files = [
        SimpleUploadedFile("a.png", key_qr_page(genuine)),
        SimpleUploadedFile("b.png", key_qr_page(altered)),
        SimpleUploadedFile("c.png", key_qr_page(other_portal)),
        SimpleUploadedFile("d.png", key_qr_page("https://example.com/not-a-sheet")),
        SimpleUploadedFile("e.png", key_qr_page(genuine)),
    ]
    response = upload(client, side, document, files)
    assert response.status_code == 302
    with scopes_disabled():
        batch = PaperBatch.objects.get()
    assert [(p["page"], p.get("problem"), p.get("sheet")) for p in batch.pages] == [
        (1, None, 1),
        (2, "forged", None),
        (3, "forged", None),
        (4, "none", None),  # a QR code that is no sheet key is ignored
        (5, "duplicate", 1),
    ]
    assert batch.pages[4]["duplicate_of"] == 1
    text = client.get(response["Location"]).content.decode()
    assert "Halaman 2: Kode lembar tidak sah" in text
    assert "Halaman 5: Lembar yang sama sudah ada di halaman sebelumnya. (halaman 1)" in text


def test_a_sheet_printed_before_the_signatories_changed_is_not_matched(sixteen, client, tmp_path):
    side, document = sixteen
    pages = draft_pages(client, side, document, tmp_path)
    with scopes_disabled():
        # nobody has signed yet: the same version changes, and with it its content code
        services.add_signatories(
            document,
            rows=[{"position": "Ketua PKK", "name": "Ibu Ani"}],
            by=side.users["district_admin"],
        )
    upload(client, side, document, [SimpleUploadedFile("s.pdf", scan_pdf(pages[1:]))])
    with scopes_disabled():
        batch = PaperBatch.objects.get()
    assert [p.get("problem") for p in batch.pages] == ["changed", "changed"]


def test_bad_uploads_change_nothing(sixteen, client):
    side, document = sixteen
    cases = [
        ([], SIGNED_ON, "Pilih pindaian"),
        ([SimpleUploadedFile("x.txt", b"hello")], SIGNED_ON, "harus PDF atau gambar"),
        ([SimpleUploadedFile("x.pdf", b"%PDF-1.4 broken")], SIGNED_ON, "tidak dapat dibaca"),
        ([SimpleUploadedFile("x.pdf", b"%PDF-1.4")], date(2027, 1, 1), "setelah hari ini"),
    ]
    for files, signed_on, message in cases:
        response = upload(client, side, document, files, signed_on=signed_on)
        assert response.status_code == 200
        assert message in response.content.decode()
    with scopes_disabled():
        assert PaperBatch.objects.count() == 0 and Signature.objects.count() == 0


def test_the_final_pdf_and_the_verification_page_print_the_signing_day(
    world, client, tmp_path, django_capture_on_commit_callbacks
):
    """All on paper, one batch: the last signature renders the final PDF."""
    side = world.a
    with scopes_disabled():
        document = make_document(side)
        add_people(document, side, paper=3)
        services.open_signing(document, by=side.users["district_admin"])
    client.force_login(side.users["district_admin"])
    pages = draft_pages(client, side, document, tmp_path)
    assert len(pages) == 2
    upload(client, side, document, [SimpleUploadedFile("s.png", png(pages[1]))])
    with scopes_disabled():
        batch = PaperBatch.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url("paper_batch", side, document_id=document.pk, paper_batch_id=batch.pk))
    with scopes_disabled():
        document.refresh_from_db()
        version = document.current_version
        assert document.status == "signed"
        pdf = version.pdf.read()
        token = version.verify_token
    path = tmp_path / "final.pdf"
    path.write_bytes(pdf)
    text = " ".join(
        subprocess.run(
            ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True
        ).stdout.split()
    )
    assert text.count("Ditandatangani di atas kertas pada 13 Agustus 2026") == 3
    client.logout()
    page = client.get(reverse("document_verify", kwargs={"token": token})).content.decode()
    assert page.count("<strong>13 Agustus 2026</strong>") == 3


def test_the_preview_costs_the_same_queries_for_many_signatories(world, client, tmp_path):
    side = world.a
    counts = []
    for paper in (3, 30):
        with scopes_disabled():
            document = make_document(side)
            add_people(document, side, paper=paper)
            services.open_signing(document, by=side.users["district_admin"])
        client.force_login(side.users["district_admin"])
        folder = tmp_path / str(paper)
        folder.mkdir()
        pages = draft_pages(client, side, document, folder)
        upload(client, side, document, [SimpleUploadedFile("s.pdf", scan_pdf(pages[1:]))])
        with scopes_disabled():
            batch = PaperBatch.objects.filter(document=document).get()
        target = url("paper_batch", side, document_id=document.pk, paper_batch_id=batch.pk)
        with CaptureQueriesContext(connection) as preview:
            assert client.get(target).status_code == 200
        with CaptureQueriesContext(connection) as confirm:
            client.post(target)
        counts.append((len(preview), len(confirm)))
        with scopes_disabled():
            assert Signature.objects.filter(signatory__version__document=document).count() == paper
    assert counts[0] == counts[1]


def test_a_sheet_of_long_blocks_running_over_a_page_is_matched_whole(world, client, tmp_path):
    """Nine blocks with the longest positions, an organisation, a rank and an NIP each run
    over a page: the sheet's key is in the page footer, so its second page is read as the
    same sheet, and the sheet's evidence is both pages."""
    side = world.a
    position = (
        "Kepala Dinas Pengendalian Penduduk, Keluarga Berencana, Pemberdayaan Perempuan dan "
        "Perlindungan Anak serta Urusan Pemerintahan Lain yang Ditugaskan oleh Bupati"
    )
    with scopes_disabled():
        document = make_document(side)
        services.add_signatories(
            document,
            rows=[
                {
                    "position": position,
                    "name": f"Dr. Hj. Siti Nurhayati Kusumawardani, S.K.M., M.Kes. {i}",
                    "organisation": "Pemerintah Kabupaten Sumedang",
                    "rank": "Pembina Utama Muda (IV/c)",
                    "nip": "197001012000031002",
                }
                for i in range(18)
            ],
            by=side.users["district_admin"],
        )
        services.open_signing(document, by=side.users["district_admin"])
    client.force_login(side.users["district_admin"])
    pages = draft_pages(client, side, document, tmp_path)
    assert len(pages) == 5  # the wording, then two pages for each of the two sheets
    upload(client, side, document, [SimpleUploadedFile("s.pdf", scan_pdf(pages))])
    with scopes_disabled():
        batch = PaperBatch.objects.get()
    assert [
        (p["page"], p.get("sheet"), p.get("continues"), p.get("problem")) for p in batch.pages
    ] == [
        (1, None, None, "none"),
        (2, 1, None, None),
        (3, 1, 2, None),
        (4, 2, None, None),
        (5, 2, 4, None),
    ]
    assert [len(p["signatories"]) for p in batch.matched] == [9, 9]
    assert [p["last_page"] for p in batch.matched] == [3, 5]
    import pypdfium2

    with scopes_disabled():
        from commitments.models import Signature as S

        storage = S._meta.get_field("paper").storage
        with storage.open(batch.matched[0]["file"]) as handle:
            assert len(pypdfium2.PdfDocument(handle.read())) == 2


def test_a_single_paper_page_records_its_signing_day(sixteen, client):
    """The per-signatory upload stays for the odd page: the day entered, or the document's."""
    side, document = sixteen
    with scopes_disabled():
        from commitments.models import Signatory

        second, third = Signatory.objects.filter(version__document=document, order__in=(2, 3))
    for signatory, signed_on in ((second, "2026-08-10"), (third, "")):
        response = client.post(
            url("signature_paper", side, document_id=document.pk, signatory_id=signatory.pk),
            {
                "page": SimpleUploadedFile("p.png", png(Image.new("L", (50, 50), 255))),
                "signed_on": signed_on,
            },
        )
        assert response.status_code == 302
    response = client.post(
        url("signature_paper", side, document_id=document.pk, signatory_id=second.pk),
        {"page": SimpleUploadedFile("p.png", b"x"), "signed_on": "2027-01-01"},
    )
    with scopes_disabled():
        days = dict(
            Signature.objects.filter(signatory__in=(second, third)).values_list(
                "signatory__order", "paper_signed_on"
            )
        )
    assert days == {2: date(2026, 8, 10), 3: RAPAT}


def test_a_batch_read_before_the_list_changed_is_not_confirmed(sixteen, client, tmp_path):
    side, document = sixteen
    pages = draft_pages(client, side, document, tmp_path)
    upload(client, side, document, [SimpleUploadedFile("s.pdf", scan_pdf(pages))])
    with scopes_disabled():
        batch = PaperBatch.objects.get()
        services.add_signatories(
            document,
            rows=[{"position": "Ketua PKK", "name": "Ibu Ani"}],
            by=side.users["district_admin"],
        )
    target = url("paper_batch", side, document_id=document.pk, paper_batch_id=batch.pk)
    assert client.get(target).context["stale"] is True
    response = client.post(target, follow=True)
    assert "Dokumen telah berubah sejak pindaian diunggah" in response.content.decode()
    with scopes_disabled():
        assert Signature.objects.count() == 0
        batch.refresh_from_db()
        assert batch.confirmed_at is None


def test_a_signatory_listed_without_a_name_is_left_to_his_own_upload(world, client, tmp_path):
    """A block of village heads may be listed before their names are known; the name written
    on the sheet is typed with his own upload, so a batch leaves him waiting."""
    side = world.a
    with scopes_disabled():
        from commitments.models import Signatory

        document = make_document(side)
        add_people(document, side, users=[], paper=3)
        Signatory.objects.filter(version__document=document, order=2).update(name="")
        services.open_signing(document, by=side.users["district_admin"])
    client.force_login(side.users["district_admin"])
    pages = draft_pages(client, side, document, tmp_path)
    upload(client, side, document, [SimpleUploadedFile("s.pdf", scan_pdf(pages))])
    with scopes_disabled():
        batch = PaperBatch.objects.get()
    target = url("paper_batch", side, document_id=document.pk, paper_batch_id=batch.pk)
    preview = client.get(target)
    assert preview.context["to_record"] == 2
    assert "tanpa nama: unggah lembarnya sendiri" in preview.content.decode()
    client.post(target)
    with scopes_disabled():
        recorded = Signature.objects.filter(signatory__version__document=document)
        assert sorted(recorded.values_list("signatory__order", flat=True)) == [1, 3]
