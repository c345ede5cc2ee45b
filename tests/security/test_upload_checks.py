"""Uploads judged by their bytes before anything parses them, hostile file names made
harmless where they are stored and downloaded, and pasted lists capped.

The forms that take these files are fuzzed in test_bad_input.py (every file field gets a file
that lies about its type, an empty one, an oversized one and, for the imports, the XLSX files
below); this module checks the rules themselves, and that they answer before the parse."""

import io
import time

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_scopes import scopes_disabled

from lib import pasted, tabular, uploads
from tests.conftest import png_bytes
from tests.security import files

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.mark.parametrize(
    ("content", "name", "content_type"),
    [
        (files.HTML, "laporan.pdf", "application/pdf"),
        (files.EXE, "foto.png", "image/png"),
        (files.EXE, "foto.jpg", "image/jpeg"),
        (b"PK\x03\x04" + b"\x00" * 100, "data.xlsx", files.XLSX_TYPE),  # a broken zip
        (b"GIF89a" + b"\x00" * 50, "foto.png", "image/png"),
    ],
)
def test_an_upload_is_judged_by_its_bytes_not_its_name_or_declared_type(
    content, name, content_type
):
    with pytest.raises(ValidationError):
        uploads.read_upload(SimpleUploadedFile(name, content, content_type=content_type))


def test_a_file_of_the_right_kind_is_taken_whatever_it_is_called():
    data, kind = uploads.read_upload(SimpleUploadedFile("catatan.txt", png_bytes(), "text/plain"))
    assert kind == uploads.PNG and data.startswith(b"\x89PNG")


def test_the_size_limit_counts_the_bytes_not_the_declared_size(settings):
    settings.MAX_UPLOAD_BYTES = 1000
    upload = SimpleUploadedFile("besar.pdf", PDF + b"0" * 1000, "application/pdf")
    upload.size = 10  # the client's word
    with pytest.raises(ValidationError, match="terlalu besar"):
        uploads.read_upload(upload)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (files.HTML, "bukan CSV atau XLSX"),
        (b"\xef\xbb\xbf  <?xml version='1.0'?><a/>", "bukan CSV atau XLSX"),
        (PDF, "bukan CSV atau XLSX"),
        (png_bytes(), "bukan CSV atau XLSX"),
        (files.EXE, "bukan CSV atau XLSX"),
        (files.xlsx_declaring("A1:B9000000"), "lebih dari 1.000 baris"),
        (files.xlsx_declaring("A1:XFD2"), "16.384 kolom"),
        (files.xlsx_bomb(), "rusak"),  # it declares 2 KB and unpacks to 40 MB
        (files.xlsx_bomb(declared=None), "terlalu besar"),
    ],
)
def test_a_table_is_refused_before_it_is_parsed(content, expected):
    started = time.perf_counter()
    with pytest.raises(tabular.TableError, match=expected):
        list(tabular.read_rows(content, max_rows=1_000, max_uncompressed=20 * 1024 * 1024))
    # judged from the zip's directory and one pass of unpacking, not by openpyxl
    assert time.perf_counter() - started < 2


def test_an_xlsx_within_the_limits_is_read():
    rows = list(tabular.read_rows(files.small_xlsx(), max_rows=10))
    assert rows == [(1, ["kode", "nama"]), (2, ["32.11", "Sumedang"])]
    # the declared dimension is the last row: 10 lines is the cap, 2 are there
    tabular.check_xlsx(files.small_xlsx(), max_rows=2)
    with pytest.raises(tabular.TableError):
        tabular.check_xlsx(files.small_xlsx(), max_rows=1)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\win.ini", "win.ini"),
        ("<script>alert(1)</script>.pdf", "script>.pdf"),  # the last "/" ends a path
        ("foto\u202egnp.exe", "fotognp.exe"),  # shown reversed as "fotoexe.png"
        ("a\r\nX-Injected: 1.pdf", "aX-Injected: 1.pdf"),
        ("\x00.pdf", "pdf"),
        (".htaccess", "htaccess"),
        ("   ", "berkas"),
        ("x" * 400 + ".pdf", "x" * 150),
    ],
)
def test_hostile_file_names_are_cleaned(name, expected):
    assert uploads.clean_file_name(name, "berkas") == expected


@pytest.mark.parametrize(
    "name",
    ['"; filename="evil.html', "a\r\nSet-Cookie: x=1.pdf", "../../etc/passwd", "\u202efdp.exe"],
)
def test_a_hostile_name_is_harmless_in_the_download_header(name):
    shown = uploads.display_name(SimpleUploadedFile(name, PDF), "berkas", uploads.PDF)
    response = uploads.private_file_response(
        io.BytesIO(PDF), content_type="application/pdf", filename=shown
    )
    header = response["Content-Disposition"]
    assert "\r" not in header and "\n" not in header and "/" not in header
    assert "\u202e" not in header and 'filename="evil.html' not in header
    assert shown.endswith(".pdf")  # the real kind's extension, not the one in the name
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]


@pytest.mark.django_db
def test_an_evidence_upload_with_a_hostile_name_is_stored_and_shown_harmlessly(
    client, world, values
):
    from convergence.models import Evidence

    deliverable_id = values["a"]["deliverable_id"]
    client.force_login(world.a.users["district_admin"])
    url = reverse(
        "evidence_upload",
        kwargs={"district_slug": world.a.district.slug, "deliverable_id": deliverable_id},
    )
    hostile = "../../<img src=x onerror=alert(1)>\u202egnp.html"
    with scopes_disabled():
        before = set(Evidence.objects.filter(deliverable_id=deliverable_id).values_list("pk"))
    response = client.post(url, {"file": SimpleUploadedFile(hostile, png_bytes(), "text/html")})
    assert response.status_code == 302
    with scopes_disabled():
        (name,) = (
            Evidence.objects.filter(deliverable_id=deliverable_id)
            .exclude(pk__in=[pk for (pk,) in before])
            .values_list("original_name", flat=True)
        )
    assert name == "<img src=x onerror=alert(1)>gnp.png", name
    page = client.get(response["Location"]).content.decode()
    assert "<img src=x onerror" not in page


@pytest.mark.django_db
def test_a_paste_of_too_many_lines_is_refused_as_a_whole(client, world, values):
    from rembuk.models import Participant

    lines = "\n".join(f"Peserta {n}; Kader" for n in range(pasted.MAX_PASTED_LINES + 1))
    client.force_login(world.a.users["district_admin"])
    url = reverse(
        "rembuk_participants",
        kwargs={"district_slug": world.a.district.slug, "session_id": values["a"]["session_id"]},
    )
    with scopes_disabled():
        before = Participant.objects.count()
    response = client.post(url, {"lines": lines})
    assert response.status_code == 200
    assert "Paling banyak 5000 baris" in response.content.decode()
    with scopes_disabled():
        assert Participant.objects.count() == before
