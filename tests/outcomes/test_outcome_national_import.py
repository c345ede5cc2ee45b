"""The national admin's import: one file with rows of many districts, previewed per district,
applied all or nothing across every district, once, as one national job."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from accounts.models import AuditEvent
from documents.models import Job
from outcomes.models import Indicator, IndicatorValue, NationalOutcomeImport

pytestmark = pytest.mark.django_db

HEADER = "kode_wilayah,indikator,tahun,bulan,nilai,pembilang,penyebut,sumber,catatan\n"
PAGE = "/nasional/capaian/impor/"


def upload(client, world, text, name="capaian-nasional.csv"):
    client.force_login(world.national_admin)
    return client.post(
        reverse("national_outcome_import"), {"file": SimpleUploadedFile(name, text.encode())}
    )


def the_upload():
    return NationalOutcomeImport.objects.get()


def stored():
    """{(district code, area code, year, month, source): value} of every stored value."""
    with scopes_disabled():
        return {
            (
                v.district.code,
                (v.village or v.kecamatan or v.district).code,
                v.year,
                v.month,
                v.source,
            ): v.value
            for v in IndicatorValue.objects.select_related("district", "kecamatan", "village")
        }


def imported_audit():
    with scopes_disabled():
        return sorted(
            (e.district.code, e.data["added"], e.data["changed"])
            for e in AuditEvent.objects.filter(action="outcome_imported").select_related("district")
        )


def an_old_value(side, value="25.00"):
    """A value stored before the import: A's district SSGI 2024."""
    with scopes_disabled():
        IndicatorValue.objects.create(
            district=side.district,
            indicator=Indicator.objects.get(code="prevalensi_stunting"),
            year=2024,
            source="ssgi",
            value=Decimal(value),
        )


def test_the_url_is_the_national_one():
    assert reverse("national_outcome_import") == PAGE


def test_rows_of_two_districts_are_previewed_per_district_then_applied_to_both(client, world):
    a, b = world.a, world.b
    an_old_value(a)
    text = HEADER + (
        f"{a.district.code},prevalensi_stunting,2024,,19.6,,,SSGI,survei nasional\n"  # line 2
        f'{b.village.code},prevalensi_stunting,2024,,"21,5",,,ssgi,\n'  # line 3
        f"{a.kecamatan.code},prevalensi_stunting,2024,8,,45,250,e-PPGBM,\n"  # line 4
        f"{b.district.code},prevalensi_stunting,2024,8,,30,200,bulan timbang,\n"  # line 5
        f"{a.village.code},prevalensi_stunting,2023,,12,,,SKI,\n"  # line 6
    )
    response = upload(client, world, text)
    assert response.status_code == 302
    row = the_upload()
    assert response["Location"] == reverse(
        "national_outcome_import_preview", kwargs={"national_outcome_import_id": row.pk}
    )
    preview = row.preview
    assert preview["error_count"] == 0
    # A: line 2 changes the stored 25.00 into 19.60, lines 4 and 6 are new; B: lines 3 and 5
    assert [
        (d["code"], d["rows"], d["added"], d["changed"], d["kept"]) for d in preview["districts"]
    ] == [("32.11", 3, 2, 1, 0), ("53.02", 2, 2, 0, 0)]
    assert (preview["rows"], preview["added"], preview["changed"]) == (5, 4, 1)
    page = client.get(response["Location"]).content.decode()
    assert "Kabupaten Sumedang" in page and "Kabupaten Timor Tengah Selatan" in page
    assert stored() == {("32.11", "32.11", 2024, None, "ssgi"): Decimal("25.00")}

    done = client.post(response["Location"])
    assert done.status_code == 302
    assert stored() == {
        ("32.11", "32.11", 2024, None, "ssgi"): Decimal("19.60"),
        ("32.11", a.kecamatan.code, 2024, 8, "eppgbm"): Decimal("18.00"),  # 45 / 250 × 100
        ("32.11", a.village.code, 2023, None, "ski"): Decimal("12.00"),
        ("53.02", b.village.code, 2024, None, "ssgi"): Decimal("21.50"),
        ("53.02", "53.02", 2024, 8, "eppgbm"): Decimal("15.00"),  # 30 / 200 × 100
    }
    # one entry in each district's own audit log: (district, added, changed)
    assert imported_audit() == [("32.11", 2, 1), ("53.02", 2, 0)]
    with scopes_disabled():
        assert IndicatorValue.objects.get(district=b.district, village=b.village).entered_by == (
            world.national_admin
        )
    # the page shows what was applied, district by district
    result = client.get(response["Location"]).content.decode()
    assert "Hasil per kabupaten/kota" in result
    assert "2 kabupaten/kota: 4 nilai ditambah, 1 diubah." in result


def test_a_bad_line_in_one_district_refuses_every_district(client, world):
    a, b = world.a, world.b
    an_old_value(a)
    text = HEADER + (
        f"{a.district.code},prevalensi_stunting,2024,,19.6,,,SSGI,\n"  # line 2: good (A)
        f"{a.kecamatan.code},prevalensi_stunting,2024,,22,,,SSGI,\n"  # line 3: good (A)
        f"{b.village.code},indikator_lain,2024,,30,,,SSGI,\n"  # line 4: bad (B)
    )
    response = upload(client, world, text)
    preview = the_upload().preview
    assert preview["error_count"] == 1
    assert preview["errors"][0].startswith("baris 4:") and "indikator_lain" in preview["errors"][0]
    # A's rows alone would be fine: they are counted, and refused with B's
    assert [(d["code"], d["added"], d["changed"], d["errors"]) for d in preview["districts"]] == [
        ("32.11", 1, 1, 0),
        ("53.02", 0, 0, 1),
    ]
    page = client.get(response["Location"]).content.decode()
    assert "baris 4:" in page and "Terapkan" not in page
    client.post(response["Location"])
    # nothing written anywhere: A keeps its old value, B has none, no job, no audit
    assert stored() == {("32.11", "32.11", 2024, None, "ssgi"): Decimal("25.00")}
    assert not Job.national.filter(kind="outcome_national_import").exists()
    assert imported_audit() == []
    assert the_upload().applied_at is None


def test_the_file_is_planned_again_when_applied_and_refused_whole(client, world):
    """A district retired between the preview and the confirmation: the job refuses the whole
    file, the other district's rows included."""
    a, b = world.a, world.b
    text = HEADER + (
        f"{a.district.code},prevalensi_stunting,2024,,19.6,,,SSGI,\n"
        f"{b.district.code},prevalensi_stunting,2024,,30,,,SSGI,\n"
    )
    response = upload(client, world, text)
    assert the_upload().preview["error_count"] == 0
    b.district.retired_at = timezone.now()
    b.district.save(update_fields=["retired_at"])
    page = client.post(response["Location"])
    assert page.status_code == 200
    assert "tidak ada yang diubah" in page.content.decode()
    job = Job.national.get(kind="outcome_national_import")
    assert job.status == "failed"
    assert stored() == {}
    assert imported_audit() == []
    assert the_upload().applied_at is None  # the claim is undone with everything else


def test_error_lines_keep_their_numbers_in_file_order(client, world):
    a, b = world.a, world.b
    text = HEADER + (
        f"{a.district.code},prevalensi_stunting,2024,,19.6,,,SSGI,\n"  # line 2: good
        f"{b.district.code},prevalensi_stunting,2024,,130,,,SSGI,\n"  # line 3: over 100
        ",,,,,,,,\n"  # line 4: blank, skipped but counted
        f"{a.kecamatan.code},prevalensi_stunting,1890,,20,,,SSGI,\n"  # line 5: bad year
        "32.99.01,prevalensi_stunting,2024,,20,,,SSGI,\n"  # line 6: no such district
        "32,prevalensi_stunting,2024,,20,,,SSGI,\n"  # line 7: a province
        f"{b.village.code},prevalensi_stunting,2024,,20,,,SSGI,\n"  # line 8: good
        "32.11.09,prevalensi_stunting,2024,,20,,,SSGI,\n"  # line 9: no such kecamatan in A
        ",prevalensi_stunting,2024,,20,,,SSGI,\n"  # line 10: no code
    )
    upload(client, world, text)
    preview = the_upload().preview
    assert [e.split(":")[0] for e in preview["errors"]] == [
        "baris 3",
        "baris 5",
        "baris 6",
        "baris 7",
        "baris 9",
        "baris 10",
    ]
    assert "32.99" in preview["errors"][2]
    assert "32.11.09" in preview["errors"][4]
    # lines 2–10 less the blank line 4: 8 rows; A holds lines 2, 5 and 9, B lines 3 and 8
    assert preview["rows"] == 8
    assert [(d["code"], d["rows"], d["errors"]) for d in preview["districts"]] == [
        ("32.11", 3, 2),
        ("53.02", 2, 1),
    ]


def test_a_retired_district_is_a_line_error(client, world):
    b = world.b
    b.district.retired_at = timezone.now()
    b.district.save(update_fields=["retired_at"])
    text = HEADER + (
        f"{world.a.district.code},prevalensi_stunting,2024,,19.6,,,SSGI,\n"
        f"{b.village.code},prevalensi_stunting,2024,,20,,,SSGI,\n"
    )
    upload(client, world, text)
    preview = the_upload().preview
    assert preview["error_count"] == 1
    assert preview["errors"][0].startswith("baris 3:") and "tidak berlaku" in preview["errors"][0]
    assert [d["code"] for d in preview["districts"]] == ["32.11"]


def test_many_errors_are_truncated_like_the_district_preview(client, world):
    text = HEADER + "".join(
        f"{world.a.district.code},indikator_lain,2024,,1,,,SSGI,\n" for _ in range(60)
    )
    response = upload(client, world, text)
    preview = the_upload().preview
    assert (preview["error_count"], len(preview["errors"]), preview["more_errors"]) == (60, 50, 10)
    assert preview["errors"][-1].startswith("baris 51:")
    assert "… dan 10 kesalahan lain" in client.get(response["Location"]).content.decode()


def test_an_unreadable_file_is_refused_on_the_form(client, world):
    response = upload(client, world, "\x00\x01binary", name="x.csv")
    assert response.status_code == 200
    assert not NationalOutcomeImport.objects.exists()


def test_confirming_twice_applies_once(client, world):
    a, b = world.a, world.b
    text = HEADER + (
        f"{a.district.code},prevalensi_stunting,2024,,19.6,,,SSGI,\n"
        f"{b.district.code},prevalensi_stunting,2024,,30,,,SSGI,\n"
    )
    page = upload(client, world, text)["Location"]
    assert client.post(page).status_code == 302
    assert client.post(page).status_code in (200, 302)  # a second click: the same job
    job = Job.national.get(kind="outcome_national_import")
    assert (job.status, job.attempts) == ("done", 1)
    assert job.result["added"] == 2 and job.result["changed"] == 0
    # the job handed over again (the sweep, a redelivered message) finds it done
    from outcomes.tasks import apply_national_outcome_file

    apply_national_outcome_file.apply(kwargs={"job_id": str(job.pk)})
    job.refresh_from_db()
    assert job.attempts == 1
    # the import itself refuses a second application
    from django.core.exceptions import ValidationError

    from outcomes.imports import apply_national_outcome_import

    with pytest.raises(ValidationError):
        apply_national_outcome_import(the_upload(), by=world.national_admin)
    assert imported_audit() == [("32.11", 1, 0), ("53.02", 1, 0)]
    assert len(stored()) == 2


def test_other_roles_cannot_reach_the_national_pages(client, world):
    text = HEADER + f"{world.a.district.code},prevalensi_stunting,2024,,19.6,,,SSGI,\n"
    preview = upload(client, world, text)["Location"]
    client.logout()
    for url in (PAGE, preview):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
    for user in (
        world.a.users["district_admin"],
        world.a.users["executive"],
        world.national_viewer,
        world.province_viewer_a,
        world.outsider,
    ):
        client.force_login(user)
        assert client.get(PAGE).status_code == 403
        assert client.get(preview).status_code == 403
        assert client.post(preview).status_code == 403
    assert stored() == {}
    assert not Job.national.filter(kind="outcome_national_import").exists()


def test_the_national_admins_home_links_to_it(client, world):
    client.force_login(world.national_admin)
    assert PAGE in client.get("/").content.decode()
    client.force_login(world.national_viewer)
    assert PAGE not in client.get("/").content.decode()


def test_the_preview_page_reads_a_fixed_number_of_queries(
    client, world, django_assert_max_num_queries
):
    small = HEADER + f"{world.a.district.code},prevalensi_stunting,2024,,19.6,,,SSGI,\n"
    large = HEADER + "".join(
        f"{code},prevalensi_stunting,{year},,19.6,,,SSGI,\n"
        for code in (world.a.district.code, world.a.kecamatan.code, world.b.village.code)
        for year in range(2015, 2025)
    )
    for text in (small, large):
        page = upload(client, world, text)["Location"]
        with django_assert_max_num_queries(10):
            assert client.get(page).status_code == 200
