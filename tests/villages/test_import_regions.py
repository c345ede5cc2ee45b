import io

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import Workbook

from villages.models import District, Kecamatan, Province, Village

pytestmark = pytest.mark.django_db

BASE = """kode,nama
11,Aceh
11.01,Kabupaten Aceh Selatan
11.01.01,Bakongan
11.01.01.2001,Keude Bakongan
11.01.01.2002,Ujong Mangki
11.71,Kota Banda Aceh
11.71.01,Meuraxa
11.71.01.1001,Ulee Lheue
"""


def run(tmp_path, text, *args, name="wilayah.csv"):
    path = tmp_path / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    out, err = io.StringIO(), io.StringIO()
    call_command("import_regions", str(path), *args, stdout=out, stderr=err)
    return out.getvalue().strip().splitlines()[-1]


def snapshot():
    return {
        model.__name__: sorted(model.objects.values_list("code", "name", "retired_at"))
        for model in (Province, District, Kecamatan, Village)
    }


def test_import_builds_the_hierarchy_from_codes(tmp_path):
    summary = run(tmp_path, BASE)
    assert summary == ("provinces=1 districts=2 kecamatan=2 villages=3 added=8 renamed=0 retired=0")
    village = Village.objects.get(code="11.01.01.2001")
    assert village.kecamatan.code == "11.01.01"
    assert village.district.code == "11.01"
    assert village.kind == "desa"
    assert Village.objects.get(code="11.71.01.1001").kind == "kelurahan"
    kota = District.objects.get(code="11.71")
    assert kota.is_kota and kota.slug == "kota-banda-aceh"
    assert District.objects.get(code="11.01").slug == "kab-aceh-selatan"
    assert kota.time_zone == "Asia/Jakarta"


def test_reimport_is_idempotent(tmp_path):
    run(tmp_path, BASE)
    before = snapshot()
    summary = run(tmp_path, BASE)
    assert summary.endswith("added=0 renamed=0 retired=0")
    assert snapshot() == before


def test_header_is_optional(tmp_path):
    summary = run(tmp_path, BASE.split("\n", 1)[1])
    assert summary.startswith("provinces=1 districts=2 kecamatan=2 villages=3")


def test_newer_list_renames_adds_retires_and_reactivates(tmp_path):
    run(tmp_path, BASE)
    newer = (
        BASE.replace("Ujong Mangki", "Ujung Mangki").replace("11.01.01.2001,Keude Bakongan\n", "")
        + "11.01.01.2003,Gampong Baru\n"
    )
    summary = run(tmp_path, newer)
    assert summary == "provinces=1 districts=2 kecamatan=2 villages=3 added=1 renamed=1 retired=1"
    gone = Village.objects.get(code="11.01.01.2001")
    assert gone.retired_at is not None and gone.name == "Keude Bakongan"  # kept, never deleted
    assert Village.objects.get(code="11.01.01.2002").name == "Ujung Mangki"
    # the area comes back in a later list: reactivated
    summary = run(tmp_path, BASE)
    assert summary == "provinces=1 districts=2 kecamatan=2 villages=3 added=1 renamed=1 retired=1"
    assert Village.objects.get(code="11.01.01.2001").retired_at is None
    assert Village.objects.get(code="11.01.01.2003").retired_at is not None


def test_partial_only_adds_and_renames(tmp_path):
    run(tmp_path, BASE)
    part = "kode,nama\n11.01.01.2002,Ujung Mangki\n11.01.01.2009,Lhok Baru\n"
    summary = run(tmp_path, part, "--partial")
    assert summary == "provinces=1 districts=2 kecamatan=2 villages=4 added=1 renamed=1 retired=0"
    assert Village.objects.active().count() == 4


BAD_CASES = [
    ("11.1,Salah\n", "baris 10: kode '11.1' tidak sesuai format"),
    ("11.01.01.5001,Kode desa salah\n", "baris 10: kode '11.01.01.5001' tidak sesuai format"),
    ("11.02.01.2001,Tanpa induk\n", "baris 10: induk 11.02.01 dari kode 11.02.01.2001 tidak ada"),
    ("11.01.01.2001,Dobel\n", "baris 10: kode 11.01.01.2001 sudah ada di baris 5"),
    ("11.01.01.2005,\n", "baris 10: nama kosong untuk kode 11.01.01.2005"),
]


@pytest.mark.parametrize("extra,message", BAD_CASES)
def test_bad_line_is_named_and_nothing_changes(tmp_path, extra, message):
    run(tmp_path, BASE)
    before = snapshot()
    newer = BASE.replace("Ujong Mangki", "Nama Baru") + extra
    with pytest.raises(CommandError, match="basis data tidak berubah"):
        run(tmp_path, newer)
    err = io.StringIO()
    with pytest.raises(CommandError):
        path = tmp_path / "again.csv"
        path.write_text(newer)
        call_command("import_regions", str(path), stderr=err)
    assert message in err.getvalue()
    assert snapshot() == before  # the rename on another line did not happen either


def test_several_errors_are_all_reported(tmp_path):
    err = io.StringIO()
    path = tmp_path / "bad.csv"
    path.write_text(BASE + "xx,Salah\n11.99.01,Yatim\n")
    with pytest.raises(CommandError):
        call_command("import_regions", str(path), stderr=err)
    lines = err.getvalue().splitlines()
    assert lines[0].startswith("baris 10: kode 'xx'")
    assert not Province.objects.exists()


def xlsx(rows) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_xlsx_with_text_codes(tmp_path):
    rows = [["kode", "nama"]] + [line.split(",") for line in BASE.strip().splitlines()[1:]]
    summary = run(tmp_path, xlsx(rows), name="wilayah.xlsx")
    assert summary.startswith("provinces=1 districts=2 kecamatan=2 villages=3 added=8")


def test_xlsx_code_typed_as_number_is_refused(tmp_path):
    rows = [["kode", "nama"], ["11", "Aceh"], [11.10, "Kabupaten angka"]]
    err = io.StringIO()
    path = tmp_path / "angka.xlsx"
    path.write_bytes(xlsx(rows))
    with pytest.raises(CommandError):
        call_command("import_regions", str(path), stderr=err)
    assert "baris 3: kode 11.1 ditulis sebagai angka" in err.getvalue()
    assert not Province.objects.exists()


def test_not_a_table_is_refused(tmp_path):
    err = io.StringIO()
    path = tmp_path / "gambar.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00binary")
    with pytest.raises(CommandError):
        call_command("import_regions", str(path), stderr=err)
    assert "bukan CSV atau XLSX" in err.getvalue()


def test_the_shipped_national_list(tmp_path):
    """The 2025 decree, then the 2022 one (37 provinces), then 2025 again."""
    out = io.StringIO()
    call_command("import_regions", stdout=out)
    assert out.getvalue().strip().splitlines()[-1] == (
        "provinces=38 districts=514 kecamatan=7285 villages=83762 added=91599 renamed=0 retired=0"
    )
    assert settings.REGIONS_DEFAULT_FILE.is_file()
    assert District.objects.get(code="91.03").time_zone == "Asia/Jayapura"
    assert District.objects.get(code="73.71").time_zone == "Asia/Makassar"
    assert District.objects.values("slug").distinct().count() == 514
