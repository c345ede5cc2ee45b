"""Imports that cannot tie up a server: a file over the row cap is refused at the upload,
quickly, after reading one row past the cap; the preview is worked out once, at upload, and a
reload shows the stored preview without reading the file again; a file with many bad lines
lists the first fifty and counts the rest. For the focus villages, the board and the national
region list (whose cap is above the ~91,600 lines of the real list)."""

import io
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_scopes import scopes_disabled
from openpyxl import Workbook

from convergence.models import BoardImport
from tests.convergence.objects import year_for
from tests.village_reports.test_focus import decree_for
from village_reports.models import FocusImport
from villages.services import RegionImportError, parse_region_file

MAX_REGION_ROWS = 150_000  # lines of a region list (villages.services.MAX_REGION_ROWS)

pytestmark = pytest.mark.django_db


def focus_upload(client, side, content: bytes, name="lokus.csv"):
    return client.post(
        reverse("focus_import", kwargs={"district_slug": side.district.slug, "year": 2026}),
        {"file": SimpleUploadedFile(name, content)},
    )


def board_upload(client, side, content: bytes, name="papan.csv"):
    return client.post(
        reverse("board_import", kwargs={"district_slug": side.district.slug, "year": 2026}),
        {"file": SimpleUploadedFile(name, content)},
    )


def big_xlsx(rows: int) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(["kode_desa", "catatan"])
    for i in range(rows):
        sheet.append([f"32.11.01.{2000 + i % 9000}", "baris"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def admin_a(client, world):
    decree_for(world.a, 2026)
    with scopes_disabled():
        year_for(world.a, 2026)
    client.force_login(world.a.users["district_admin"])
    return world.a


# --- row caps -------------------------------------------------------------------------------


@pytest.mark.parametrize("upload", [focus_upload, board_upload], ids=["focus", "board"])
def test_a_file_over_the_row_cap_is_refused_at_the_upload(client, admin_a, upload):
    header = b"kode_desa,aksi,keluaran\n"
    content = header + b"32.11.01.2001,1,1\n" * 1_000  # 1,001 lines with the header
    started = time.monotonic()
    response = upload(client, admin_a, content)
    assert time.monotonic() - started < 5
    assert response.status_code == 200
    assert "lebih dari 1.000 baris" in " ".join(response.context["form"].errors["file"])
    with scopes_disabled():
        assert not FocusImport.objects.exists() and not BoardImport.objects.exists()


def test_a_long_xlsx_is_refused_after_reading_past_the_cap(client, admin_a):
    content = big_xlsx(20_000)
    started = time.monotonic()
    response = focus_upload(client, admin_a, content, "lokus.xlsx")
    seconds = time.monotonic() - started
    assert "lebih dari 1.000 baris" in " ".join(response.context["form"].errors["file"])
    assert seconds < 5, f"took {seconds:.1f} s: the rows past the cap were read"


def test_an_xlsx_that_unpacks_too_large_is_refused_before_parsing(client, admin_a):
    workbook = Workbook()
    workbook.active.append(["kode_desa", "catatan"])
    workbook.active.append(["32.11.01.2001", "a" * 32_000])
    for i in range(700):  # 700 cells of 32,000 characters: 22 MB unpacked, small packed
        workbook.active.cell(row=3 + i, column=2, value=f"{i}" + "b" * 31_990)
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = focus_upload(client, admin_a, buffer.getvalue(), "lokus.xlsx")
    assert "terlalu besar" in " ".join(response.context["form"].errors["file"])


def test_the_national_region_list_fits_its_cap_and_a_longer_file_is_refused():
    from django.conf import settings

    with open(settings.REGIONS_DEFAULT_FILE, "rb") as handle:
        assert sum(1 for _line in handle) < MAX_REGION_ROWS  # 91,600 lines today
    content = b"kode,nama\n" + b"99.99,Tidak Ada\n" * MAX_REGION_ROWS
    started = time.monotonic()
    with pytest.raises(RegionImportError) as refused:
        parse_region_file(content, "wilayah.csv")
    assert time.monotonic() - started < 10
    assert refused.value.errors == [
        "Berkas berisi lebih dari 150.000 baris; batasnya 150.000 baris."
    ]


# --- the preview is stored ------------------------------------------------------------------


def _replace_stored_file(job):
    """What a re-parse would now find: not a table at all."""
    with job.file.open("wb") as handle:
        handle.write(b"\x00\x01 not a table any more")


def test_reloading_the_focus_preview_does_not_read_the_file_again(client, admin_a):
    side = admin_a
    content = f"kode_desa\n{side.village.code}\n{side.other_village.code}\n".encode()
    preview = focus_upload(client, side, content)["Location"]
    with scopes_disabled():
        _replace_stored_file(FocusImport.objects.get())
    html = client.get(preview).content.decode()
    assert "2 desa di berkas: 2 ditambah" in html and "kesalahan" not in html


def test_reloading_the_board_preview_does_not_read_the_file_again(client, admin_a):
    preview = board_upload(client, admin_a, b"aksi,keluaran,tenggat\n1,1,2026-02-15\n")["Location"]
    with scopes_disabled():
        _replace_stored_file(BoardImport.objects.get())
    html = client.get(preview).content.decode()
    assert "1 perubahan dari 1 baris." in html and "kesalahan" not in html


# --- many errors ----------------------------------------------------------------------------


def test_the_focus_preview_lists_the_first_fifty_errors_and_counts_the_rest(client, admin_a):
    content = b"kode_desa\n" + b"".join(b"32.11.01.%d\n" % (3000 + i) for i in range(120))
    html = client.get(focus_upload(client, admin_a, content)["Location"]).content.decode()
    assert "120 kesalahan; tidak ada yang akan diubah." in html
    assert html.count("tidak ada dalam daftar wilayah") == 50
    assert "… dan 70 kesalahan lain." in html


def test_the_board_preview_lists_the_first_fifty_errors_and_counts_the_rest(client, admin_a):
    content = b"aksi,keluaran\n" + b"99,1\n" * 80
    page = client.get(board_upload(client, admin_a, content)["Location"])
    html = page.content.decode()
    assert "80 kesalahan; tidak ada yang akan diubah." in html
    assert html.count("tidak ada pada tahun ini") == 50
    assert "… dan 30 kesalahan lain." in html
