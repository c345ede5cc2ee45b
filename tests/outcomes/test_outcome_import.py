"""The import: a good file applied once, a bad line refuses everything with its line number,
another district's code is refused."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_scopes import scopes_disabled

from outcomes.models import IndicatorValue, OutcomeImport

pytestmark = pytest.mark.django_db

HEADER = "kode_wilayah,indikator,tahun,bulan,nilai,pembilang,penyebut,sumber,catatan\n"


def upload(client, side, text, name="capaian.csv"):
    client.force_login(side.users["district_admin"])
    url = reverse("outcome_import", kwargs={"district_slug": side.district.slug})
    return client.post(url, {"file": SimpleUploadedFile(name, text.encode())})


def stored():
    with scopes_disabled():
        return {
            (v.kecamatan_id, v.village_id, v.year, v.month, v.source): v.value
            for v in IndicatorValue.objects.all()
        }


def test_a_good_file_is_previewed_then_applied_once(client, world):
    a = world.a
    text = HEADER + (
        f"{a.district.code},prevalensi_stunting,2024,,19.6,,,SSGI,survei nasional\n"
        f"{a.district.code},prevalensi_stunting,2024,8,,45,250,e-PPGBM,\n"
        f'{a.kecamatan.code},prevalensi_stunting,2024,,"21,5",,,ssgi,\n'
        f"{a.village.code},prevalensi_stunting,2024,8,,3,40,bulan timbang,\n"
    )
    response = upload(client, a, text)
    assert response.status_code == 302
    with scopes_disabled():
        row = OutcomeImport.objects.get()
    assert row.preview["error_count"] == 0
    assert len(row.preview["added"]) == 4
    assert stored() == {}  # the preview changes nothing
    page = response["Location"]
    assert client.post(page).status_code == 302
    assert client.post(page).status_code in (200, 302)  # a second confirmation: nothing more
    assert stored() == {
        (None, None, 2024, None, "ssgi"): Decimal("19.60"),
        (None, None, 2024, 8, "eppgbm"): Decimal("18.00"),  # 45 / 250 × 100
        (a.kecamatan.pk, None, 2024, None, "ssgi"): Decimal("21.50"),
        (a.village.kecamatan_id, a.village.pk, 2024, 8, "eppgbm"): Decimal("7.50"),  # 3 / 40
    }


def test_one_bad_line_refuses_everything(client, world):
    a = world.a
    text = HEADER + (
        f"{a.district.code},prevalensi_stunting,2024,,19.6,,,SSGI,\n"
        f"{a.district.code},prevalensi_stunting,2024,,20,45,250,SSGI,\n"
        f"{a.district.code},indikator_lain,2024,,12,,,SSGI,\n"
    )
    response = upload(client, a, text)
    with scopes_disabled():
        row = OutcomeImport.objects.get()
    errors = row.preview["errors"]
    assert row.preview["error_count"] == 2
    assert errors[0].startswith("baris 3:") and "18.00" in errors[0]
    assert errors[1].startswith("baris 4:")
    page = client.get(response["Location"])
    assert "baris 3" in page.content.decode()
    client.post(response["Location"])
    assert stored() == {}


def test_another_districts_code_is_refused(client, world):
    text = HEADER + (
        f"{world.a.district.code},prevalensi_stunting,2024,,19.6,,,SSGI,\n"
        f"{world.b.village.code},prevalensi_stunting,2024,,30,,,SSGI,\n"
    )
    response = upload(client, world.a, text)
    with scopes_disabled():
        row = OutcomeImport.objects.get()
    assert row.preview["error_count"] == 1
    assert row.preview["errors"][0].startswith("baris 3:")
    assert world.b.village.code in row.preview["errors"][0]
    client.post(response["Location"])
    assert stored() == {}


def test_an_xlsx_file_is_read_too(client, world):
    import io

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["kode_wilayah", "indikator", "tahun", "nilai", "sumber"])
    sheet.append([world.a.district.code, "prevalensi_stunting", 2023, 22.75, "SKI"])
    buffer = io.BytesIO()
    book.save(buffer)
    client.force_login(world.a.users["district_admin"])
    url = reverse("outcome_import", kwargs={"district_slug": world.a.district.slug})
    response = client.post(url, {"file": SimpleUploadedFile("capaian.xlsx", buffer.getvalue())})
    client.post(response["Location"])
    assert stored() == {(None, None, 2023, None, "ski"): Decimal("22.75")}


def test_the_export_reads_back_and_keeps_formulas_inert(client, world):
    """Exported in the import's columns: a note that starts like a formula gets its
    apostrophe; the camat's file holds only what he may see."""
    from lib.tabular import read_rows

    a = world.a
    text = HEADER + (
        f"{a.district.code},prevalensi_stunting,2024,,19.6,,,SSGI,=HYPERLINK(1)\n"
        f"{a.other_kecamatan.code},prevalensi_stunting,2024,8,,45,250,e-PPGBM,\n"
    )
    client.post(upload(client, a, text)["Location"])
    response = client.get(reverse("outcome_export_csv", kwargs={"district_slug": a.district.slug}))
    rows = [cells for _line, cells in read_rows(response.content, "capaian.csv")]
    assert rows[0][:3] == ["kode_wilayah", "indikator", "tahun"]
    assert rows[1][0] == a.district.code and rows[1][-1] == "'=HYPERLINK(1)"
    assert rows[2][0] == a.other_kecamatan.code and rows[2][4] == "18.0"
    client.force_login(a.users["camat"])
    response = client.get(reverse("outcome_export_xlsx", kwargs={"district_slug": a.district.slug}))
    codes = [cells[0] for _line, cells in read_rows(response.content, "capaian.xlsx")][1:]
    assert codes == [a.district.code]  # not the other kecamatan
