"""Focus (lokus) villages: setting up a year, the picker, one entry's figures, the decree's
scan, the all-or-nothing import from CSV/XLSX, history across years and who sees what."""

import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled
from openpyxl import Workbook

from accounts.models import AuditEvent
from tests.conftest import png_bytes
from village_reports import focus
from village_reports.models import FocusDecree, FocusImport, FocusVillage
from villages.models import Village

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def url(side, name, **kwargs):
    return reverse(name, kwargs={"district_slug": side.district.slug, **kwargs})


def decree_for(side, year, *villages, number="SK-1"):
    with scopes_disabled():
        decree, _created = FocusDecree.objects.get_or_create(
            district=side.district, year=year, defaults={"number": number}
        )
        for village in villages:
            FocusVillage.objects.get_or_create(
                decree=decree, village=village, defaults={"district": side.district}
            )
    return decree


def snapshot(district):
    with scopes_disabled():
        return sorted(
            (
                e.decree.year,
                e.village.code,
                e.prevalence,
                e.prevalence_source,
                e.stunted_children,
                e.figures,
                e.note,
            )
            for e in FocusVillage.objects.filter(district=district).select_related(
                "decree", "village"
            )
        )


def village(code):
    return Village.objects.get(code=code)


def upload_import(client, side, year, content: bytes, name="lokus.csv"):
    response = client.post(
        url(side, "focus_import", year=year), {"file": SimpleUploadedFile(name, content)}
    )
    assert response.status_code == 302, response.content[:500]
    return response["Location"]


def audit_count(action):
    with scopes_disabled():
        return AuditEvent.objects.filter(action=action).count()


# --- Setting up a year ----------------------------------------------------------------------


def test_admin_sets_up_a_year_with_its_decree(client, world):
    a = world.a
    client.force_login(a.users["district_admin"])
    page = client.get(url(a, "focus_years"))
    assert page.status_code == 200 and "Siapkan tahun lokus" in page.content.decode()
    response = client.post(
        url(a, "focus_decree_create"),
        {"year": 2026, "number": "400.5/Kep.12-Bappeda/2026", "signed_on": "2026-01-20"},
    )
    assert response.status_code == 302
    assert response["Location"] == url(a, "focus_year", year=2026)
    with scopes_disabled():
        decree = FocusDecree.objects.get(district=a.district, year=2026)
    assert decree.number == "400.5/Kep.12-Bappeda/2026"
    assert decree.signed_on == date(2026, 1, 20)
    assert decree.updated_by == a.users["district_admin"]
    assert audit_count("focus_decree_created") == 1
    html = client.get(url(a, "focus_year", year=2026)).content.decode()
    assert "400.5/Kep.12-Bappeda/2026" in html and "20 Januari 2026" in html
    listing = client.get(url(a, "focus_years")).content.decode()
    assert url(a, "focus_year", year=2026) in listing

    # the same year again, or no year at all, is refused on the form
    again = client.post(url(a, "focus_decree_create"), {"year": 2026})
    assert again.status_code == 200 and "sudah ada" in again.content.decode()
    assert client.post(url(a, "focus_decree_create"), {}).status_code == 200
    with scopes_disabled():
        assert FocusDecree.objects.filter(district=a.district).count() == 1


def test_readers_see_the_list_but_not_the_admin_tools(client, world):
    decree_for(world.a, 2026, world.a.village)
    client.force_login(world.a.users["executive"])
    listing = client.get(url(world.a, "focus_years")).content.decode()
    assert "Siapkan tahun lokus" not in listing
    page = client.get(url(world.a, "focus_year", year=2026)).content.decode()
    assert world.a.village.name in page
    assert url(world.a, "focus_pick", year=2026) not in page
    assert url(world.a, "focus_entry", year=2026, village_id=world.a.village.pk) not in page


def test_other_figures_name_the_decree_they_come_from(client, world):
    a = world.a
    decree_for(a, 2026, a.village, a.other_village)
    with scopes_disabled():
        FocusVillage.objects.filter(village=a.village).update(figures={"keluarga miskin (%)": "17"})
    client.force_login(a.users["executive"])
    page = client.get(url(a, "focus_year", year=2026)).content.decode()
    assert (
        'keluarga miskin (%): 17<br><small class="muted">sumber: SK desa lokus 2026</small></td>'
    ) in page
    assert page.count("sumber: SK desa lokus 2026") == 1  # the other village has none: no source
    assert (
        "Data lain adalah angka yang dicatat bersama SK desa lokus 2026 (diisi atau diimpor "
        "Bappeda). Tahun pengukurannya hanya tercatat bila tertulis pada namanya, mis. "
        '"keluarga miskin 2025".'
    ) in page
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    english = client.get(url(a, "focus_year", year=2026)).content.decode()
    assert "source: focus-village decree 2026" in english


def test_a_year_without_decree_is_404(client, world):
    decree_for(world.b, 2025, world.b.village)
    client.force_login(world.a.users["district_admin"])
    for name in ("focus_year", "focus_pick", "focus_import", "focus_decree_edit"):
        assert client.get(url(world.a, name, year=2025)).status_code == 404
    # B's year named on B's own slug is not A's business either (no membership there)
    assert client.get(url(world.b, "focus_year", year=2025)).status_code == 404


# --- The picker and one entry ---------------------------------------------------------------


def test_picker_sets_the_years_villages(client, world):
    a = world.a
    decree_for(a, 2026)
    client.force_login(a.users["district_admin"])
    page = client.get(url(a, "focus_pick", year=2026))
    html = page.content.decode()
    assert "<details" in html and a.village.name in html and a.other_village.name in html
    assert world.b.village.name not in html

    response = client.post(
        url(a, "focus_pick", year=2026), {"village": [a.village.pk, a.other_village.pk]}
    )
    assert response.status_code == 302
    assert focus.focus_village_ids(a.district, 2026) == {a.village.pk, a.other_village.pk}
    # checked = current
    html = client.get(url(a, "focus_pick", year=2026)).content.decode()
    assert f'value="{a.village.pk}" checked' in html

    # unticking removes
    client.post(url(a, "focus_pick", year=2026), {"village": [a.other_village.pk]})
    assert focus.focus_village_ids(a.district, 2026) == {a.other_village.pk}
    assert audit_count("focus_villages_set") == 2

    # another district's village or a retired one is refused, and nothing changes
    refused = client.post(
        url(a, "focus_pick", year=2026), {"village": [a.other_village.pk, world.b.village.pk]}
    )
    assert refused.status_code == 200
    assert "bukan desa di Kabupaten Sumedang" in refused.content.decode()
    retired = village("32.11.01.2002")
    Village.objects.filter(pk=retired.pk).update(retired_at=timezone.now())
    refused = client.post(url(a, "focus_pick", year=2026), {"village": [retired.pk]})
    assert "tidak berlaku" in refused.content.decode()
    assert focus.focus_village_ids(a.district, 2026) == {a.other_village.pk}


def test_entry_figures_and_history_across_years(client, world):
    a = world.a
    decree_for(a, 2025, a.village)
    decree_for(a, 2026, a.village, a.other_village)
    client.force_login(a.users["district_admin"])
    entry_url = url(a, "focus_entry", year=2026, village_id=a.village.pk)
    assert client.get(entry_url).status_code == 200
    response = client.post(
        entry_url,
        {
            "prevalence": "19,75",
            "prevalence_source": "e-PPGBM Agustus 2025",
            "stunted_children": "23",
            "note": "Akses air minum rendah",
        },
    )
    assert response.status_code == 302
    with scopes_disabled():
        entry = FocusVillage.objects.get(decree__year=2026, village=a.village)
    assert entry.prevalence == Decimal("19.75") and entry.stunted_children == 23
    assert entry.prevalence_source == "e-PPGBM Agustus 2025"
    assert audit_count("focus_village_updated") == 1

    bad = client.post(entry_url, {"prevalence": "120", "stunted_children": "-1"})
    assert bad.status_code == 200
    assert "0–100" in bad.content.decode()

    with scopes_disabled():
        assert focus.focus_history([a.village, a.other_village]) == {
            a.village.pk: [2025, 2026],
            a.other_village.pk: [2026],
        }
    html = client.get(url(a, "focus_year", year=2026)).content.decode()
    assert url(a, "focus_year", year=2025) in html  # the 2025 year is a link
    assert "19,75%" in html and "e-PPGBM Agustus 2025" in html and "Akses air minum" in html

    # a village that is not on the year's list has no entry page
    not_listed = village("32.11.01.2002")
    assert (
        client.get(url(a, "focus_entry", year=2025, village_id=a.other_village.pk)).status_code
        == 404
    )
    assert client.get(url(a, "focus_entry", year=2026, village_id=not_listed.pk)).status_code == 404

    # removing
    assert client.post(entry_url, {"hapus": "1"}).status_code == 302
    assert focus.focus_village_ids(a.district, 2026) == {a.other_village.pk}
    assert focus.focus_village_ids(a.district, 2025) == {a.village.pk}


def test_year_page_queries_do_not_grow_with_villages(client, world):
    a = world.a
    decree_for(a, 2025, a.village)
    decree_for(a, 2026, a.village)
    client.force_login(a.users["district_admin"])
    page = url(a, "focus_year", year=2026)
    client.get(page)
    with CaptureQueriesContext(connection) as one:
        assert client.get(page).status_code == 200
    decree_for(a, 2026, a.other_village, village("32.11.01.2002"), village("32.11.02.1002"))
    with CaptureQueriesContext(connection) as four:
        assert client.get(page).status_code == 200
    assert len(four) == len(one)
    with CaptureQueriesContext(connection) as years:
        assert client.get(url(a, "focus_years")).status_code == 200
    decree_for(a, 2024, a.village)
    with CaptureQueriesContext(connection) as more_years:
        client.get(url(a, "focus_years"))
    assert len(more_years) == len(years)


# --- Who sees what --------------------------------------------------------------------------


def test_camat_sees_only_his_kecamatans_villages(client, world):
    a = world.a
    decree_for(a, 2026, a.village, a.other_village)
    client.force_login(a.users["camat"])
    html = client.get(url(a, "focus_year", year=2026)).content.decode()
    assert a.village.name in html  # in his kecamatan
    assert a.other_village.name not in html  # in the other one
    assert "1 desa lokus di kecamatan Anda" in html
    listing = client.get(url(a, "focus_years"))
    assert [d.n_villages for d in listing.context["decrees"]] == [1]
    # the decree itself is his to read
    with scopes_disabled():
        decree = FocusDecree.objects.get(district=a.district, year=2026)
        decree.scan.save("sk", ContentFile(PDF))
    assert client.get(url(a, "focus_decree_scan", year=2026)).status_code == 200
    # but not to change
    assert client.get(url(a, "focus_pick", year=2026)).status_code == 403
    assert client.post(url(a, "focus_decree_create"), {"year": 2027}).status_code == 403
    # the admin sees both
    client.force_login(a.users["district_admin"])
    html = client.get(url(a, "focus_year", year=2026)).content.decode()
    assert a.village.name in html and a.other_village.name in html


@pytest.mark.parametrize("role", ["village_head", "kpm"])
def test_village_roles_get_403(client, world, role):
    a = world.a
    focus_import_id = (
        FocusImport.objects.with_scopes_disabled()
        .create(district=a.district, year=2026, file="x", original_name="x.csv")
        .pk
    )
    decree_for(a, 2026, a.village)
    client.force_login(a.users[role])
    pages = [
        url(a, "focus_years"),
        url(a, "focus_year", year=2026),
        url(a, "focus_decree_scan", year=2026),
        url(a, "focus_decree_edit", year=2026),
        url(a, "focus_pick", year=2026),
        url(a, "focus_entry", year=2026, village_id=a.village.pk),
        url(a, "focus_import", year=2026),
        url(a, "focus_import_preview", year=2026, focus_import_id=focus_import_id),
    ]
    for page in pages:
        assert client.get(page).status_code == 403, page
    assert client.post(url(a, "focus_decree_create"), {"year": 2027}).status_code == 403


def test_another_districts_objects_are_404_on_my_urls(client, world):
    a, b = world.a, world.b
    decree_for(a, 2026, a.village)
    decree_for(b, 2026, b.village)
    with scopes_disabled():
        job_b = FocusImport(district=b.district, year=2026, original_name="b.csv")
        job_b.file.save("impor", ContentFile(f"kode_desa\n{b.village.code}\n".encode()))
    client.force_login(a.users["district_admin"])
    for method in (client.get, client.post):
        assert method(url(a, "focus_entry", year=2026, village_id=b.village.pk)).status_code == 404
        preview = url(a, "focus_import_preview", year=2026, focus_import_id=job_b.pk)
        assert method(preview).status_code == 404
    assert focus.focus_village_ids(b.district, 2026) == {b.village.pk}
    with scopes_disabled():
        job_b.refresh_from_db()
    assert job_b.applied_at is None


# --- The decree's scan ----------------------------------------------------------------------


def test_scan_is_stored_served_and_replaced(client, world, django_capture_on_commit_callbacks):
    a = world.a
    decree = decree_for(a, 2026, a.village)
    client.force_login(a.users["district_admin"])
    edit = url(a, "focus_decree_edit", year=2026)
    assert client.get(url(a, "focus_decree_scan", year=2026)).status_code == 404  # none yet
    response = client.post(
        edit,
        {
            "number": "400/2026",
            "signed_on": "2026-02-01",
            "scan": SimpleUploadedFile("SK Lokus.pdf", PDF),
        },
    )
    assert response.status_code == 302
    decree.refresh_from_db()
    assert decree.number == "400/2026" and decree.scan_name == "SK Lokus.pdf"
    assert len(decree.scan_sha256) == 64
    served = client.get(url(a, "focus_decree_scan", year=2026))
    assert served.status_code == 200 and served["Content-Type"] == "application/pdf"
    assert "no-store" in served["Cache-Control"]
    assert served["X-Content-Type-Options"] == "nosniff"
    assert served["Content-Security-Policy"].startswith("sandbox")
    assert b"".join(served.streaming_content) == PDF

    old = decree.scan.name
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            edit,
            {
                "number": "400/2026",
                "signed_on": "2026-02-01",
                "scan": SimpleUploadedFile("foto.jpg", png_bytes()),
            },
        )
    assert response.status_code == 302
    decree.refresh_from_db()
    assert decree.scan_name == "foto.png"  # named after what it is
    assert not decree.scan.storage.exists(old)
    served = client.get(url(a, "focus_decree_scan", year=2026))
    assert served["Content-Type"] == "image/png"


def test_scan_refuses_a_text_file_renamed_pdf_and_saves_nothing(client, world):
    a = world.a
    decree = decree_for(a, 2026, a.village, number="SK-LAMA")
    client.force_login(a.users["district_admin"])
    response = client.post(
        url(a, "focus_decree_edit", year=2026),
        {
            "number": "SK-BARU",
            "signed_on": "",
            "scan": SimpleUploadedFile("sk.pdf", b"Ini hanya teks, bukan PDF.\n"),
        },
    )
    assert response.status_code == 200
    assert "harus berupa berkas PDF atau gambar PNG/JPEG" in response.content.decode()
    decree.refresh_from_db()
    assert not decree.scan and decree.number == "SK-LAMA"
    assert audit_count("focus_decree_updated") == 0


def test_scan_refuses_an_oversized_file(client, world, settings):
    settings.MAX_UPLOAD_BYTES = 1024
    a = world.a
    decree = decree_for(a, 2026, a.village)
    client.force_login(a.users["district_admin"])
    big = PDF + b"0" * 2048
    response = client.post(
        url(a, "focus_decree_edit", year=2026),
        {"number": "SK-1", "scan": SimpleUploadedFile("sk.pdf", big)},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Berkas terlalu besar" in html and "batasnya 1,0" in html
    decree.refresh_from_db()
    assert not decree.scan
    # the service says the same when called directly
    with scopes_disabled(), pytest.raises(ValidationError, match="terlalu besar"):
        focus.store_decree_scan(
            decree=decree, upload=SimpleUploadedFile("sk.pdf", big), by=a.users["district_admin"]
        )


# --- Import ---------------------------------------------------------------------------------


def test_csv_import_previews_then_replaces_the_list(client, world):
    a = world.a
    ganjarresik = village("32.11.01.2002")
    decree_for(a, 2026, a.village, ganjarresik)
    client.force_login(a.users["district_admin"])
    content = (
        "kode_desa;nama_desa;prevalensi;sumber_prevalensi;balita_stunting;Keluarga miskin;catatan\n"
        f"{a.village.code};Cimungkal;23,5;e-PPGBM Agustus 2025;17;41;\n"
        f"{a.other_village.code};Cimanintin;18.25;SSGI 2024;9;;dekat sungai\n"
    ).encode()
    before = snapshot(a.district)
    preview = upload_import(client, a, 2026, content)
    response = client.get(preview)
    plan = response.context["plan"]  # the preview stored at upload
    assert plan["errors"] == [] and plan["error_count"] == 0
    assert [r["code"] for r in plan["added"]] == [a.other_village.code]
    assert [r["code"] for r in plan["changed"]] == [a.village.code]
    assert [e["code"] for e in plan["removed"]] == [ganjarresik.code]
    assert plan["figure_columns"] == ["Keluarga miskin"]  # nama_desa is only for reading
    html = response.content.decode()
    assert "Terapkan perubahan" in html and ganjarresik.name in html and "23,50 %" in html
    assert snapshot(a.district) == before  # the preview changes nothing

    assert client.post(preview).status_code == 302
    with scopes_disabled():
        entries = {
            e.village.code: e
            for e in FocusVillage.objects.filter(decree__year=2026).select_related("village")
        }
    assert set(entries) == {a.village.code, a.other_village.code}
    first, second = entries[a.village.code], entries[a.other_village.code]
    assert first.prevalence == Decimal("23.50") and first.stunted_children == 17
    assert first.prevalence_source == "e-PPGBM Agustus 2025"
    assert first.figures == {"Keluarga miskin": "41"}
    assert second.prevalence == Decimal("18.25") and second.note == "dekat sungai"
    assert second.figures == {}
    assert audit_count("focus_imported") == 1
    with scopes_disabled():
        assert FocusImport.objects.get().applied_at is not None


def test_xlsx_import_with_numbers_typed_as_numbers(client, world):
    a = world.a
    decree_for(a, 2026)
    client.force_login(a.users["district_admin"])
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Kode Desa", "Prevalensi", "Balita Stunting", "Jumlah balita diukur"])
    sheet.append([a.village.code, 31.4, 12, 250])
    sheet.append([a.other_village.code, 9, 3.0, None])
    buffer = io.BytesIO()
    workbook.save(buffer)
    preview = upload_import(client, a, 2026, buffer.getvalue(), "lokus.xlsx")
    plan = client.get(preview).context["plan"]
    assert plan["errors"] == [] and len(plan["added"]) == 2
    assert client.post(preview).status_code == 302
    with scopes_disabled():
        entries = {e.village_id: e for e in FocusVillage.objects.filter(decree__year=2026)}
    assert entries[a.village.pk].prevalence == Decimal("31.40")
    assert entries[a.village.pk].stunted_children == 12
    assert entries[a.village.pk].figures == {"Jumlah balita diukur": "250"}
    assert entries[a.other_village.pk].prevalence == Decimal("9.00")
    assert entries[a.other_village.pk].stunted_children == 3
    assert entries[a.other_village.pk].figures == {}


def test_import_with_errors_lists_every_bad_line_and_changes_nothing(client, world):
    a = world.a
    ganjarresik = village("32.11.01.2002")
    Village.objects.filter(pk=ganjarresik.pk).update(retired_at=timezone.now())
    decree_for(a, 2026, a.village)
    client.force_login(a.users["district_admin"])
    content = (
        "kode_desa,prevalensi,balita_stunting\n"
        f"{a.other_village.code},20,5\n"  # 2: fine
        "32.11.01.2099,10,1\n"  # 3: unknown
        f"{world.b.village.code},10,1\n"  # 4: another district
        f"{ganjarresik.code},10,1\n"  # 5: retired
        f"{a.other_village.code},10,1\n"  # 6: duplicate of line 2
        f"{a.village.code},abc,1\n"  # 7: prevalence not a number
        "32.11.02.1002,101,-3\n"  # 8: prevalence out of range, negative count
        "3211012001,1,1\n"  # 9: not a village code
        ",5,5\n"  # 10: no code
    ).encode()
    before = snapshot(a.district)
    preview = upload_import(client, a, 2026, content)
    response = client.get(preview)
    errors = response.context["plan"]["errors"]
    lines = [e.split(":", 1)[0] for e in errors]
    assert lines == [f"baris {n}" for n in (3, 4, 5, 6, 7, 8, 8, 9, 10)]
    assert "tidak ada dalam daftar wilayah" in errors[0]
    assert "bukan desa di Kabupaten Sumedang" in errors[1]
    assert "tidak berlaku" in errors[2]
    assert "baris 2" in errors[3].split(":", 1)[1]
    assert "prevalensi" in errors[4] and "prevalensi" in errors[5]
    assert "balita_stunting" in errors[6]
    html = response.content.decode()
    assert "baris 3: " in html and "Terapkan perubahan" not in html
    assert client.post(preview).status_code == 200
    assert snapshot(a.district) == before
    with scopes_disabled():
        assert FocusImport.objects.get().applied_at is None
        # the service refuses the same file on its own, and leaves the job unclaimed
        job = FocusImport.objects.get()
        with pytest.raises(ValidationError):
            focus.apply_focus_import(job, by=a.users["district_admin"])
        job.refresh_from_db()
        assert job.applied_at is None
    assert snapshot(a.district) == before


@pytest.mark.parametrize(
    "content,message",
    [
        (b"", "Berkas kosong"),
        (b"nama_desa,prevalensi\nCimungkal,20\n", "baris 1: kolom wajib kode_desa tidak ada"),
        (b"kode_desa,prevalensi\n", "tidak berisi satu desa pun"),
        (b"kode_desa,Kode Desa\n32.11.01.2001,x\n", "muncul dua kali"),
        (b"\x00\x01\x02binary", "bukan CSV atau XLSX"),
    ],
)
def test_import_refuses_files_without_a_list(world, content, message):
    with scopes_disabled():
        plan = focus.plan_focus_import(world.a.district, 2026, content, "lokus.csv")
    assert len(plan.errors) == 1 and message in plan.errors[0]
    assert not plan.has_changes


def test_applying_twice_applies_once(client, world):
    a = world.a
    decree_for(a, 2026)
    client.force_login(a.users["district_admin"])
    preview = upload_import(client, a, 2026, f"kode_desa\n{a.village.code}\n".encode())
    assert client.post(preview).status_code == 302
    # the admin then takes the village off the list by hand
    client.post(url(a, "focus_pick", year=2026), {})
    assert focus.focus_village_ids(a.district, 2026) == set()
    # confirming the old preview again does not put it back
    again = client.post(preview)
    assert again.status_code == 200 and "sudah diterapkan" in again.content.decode()
    assert focus.focus_village_ids(a.district, 2026) == set()
    with scopes_disabled():
        job = FocusImport.objects.get()
        with pytest.raises(ValidationError, match="sudah diterapkan"):
            focus.apply_focus_import(job, by=a.users["district_admin"])
    assert focus.focus_village_ids(a.district, 2026) == set()
    assert audit_count("focus_imported") == 1


def test_import_refuses_anothers_year_and_oversized_uploads(client, world, settings):
    a = world.a
    decree_for(a, 2026)
    decree_for(a, 2025)
    client.force_login(a.users["district_admin"])
    preview = upload_import(client, a, 2026, f"kode_desa\n{a.village.code}\n".encode())
    job_id = preview.rstrip("/").rsplit("/", 1)[-1]
    # the same import named under another year of the same district
    assert (
        client.get(url(a, "focus_import_preview", year=2025, focus_import_id=job_id)).status_code
        == 404
    )
    settings.MAX_UPLOAD_BYTES = 10
    response = client.post(
        url(a, "focus_import", year=2026),
        {"file": SimpleUploadedFile("lokus.csv", b"kode_desa\n32.11.01.2001\n")},
    )
    assert response.status_code == 200 and "terlalu besar" in response.content.decode()


def test_focus_village_ids_and_history_are_per_district(world):
    a, b = world.a, world.b
    decree_for(a, 2026, a.village, a.other_village)
    decree_for(b, 2026, b.village)
    decree_for(b, 2024, b.village)
    assert focus.focus_village_ids(a.district, 2026) == {a.village.pk, a.other_village.pk}
    assert focus.focus_village_ids(a.district, 2025) == set()
    with CaptureQueriesContext(connection) as queries:
        history = focus.focus_history([a.village, b.village, b.other_village])
    assert len(queries) == 1
    assert history == {a.village.pk: [2026], b.village.pk: [2024, 2026], b.other_village.pk: []}
    assert focus.focus_history([]) == {}
