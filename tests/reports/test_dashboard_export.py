"""The dashboard as one XLSX workbook: every table a sheet, the figures of
tests/reports/test_dashboard.py's district A written out by hand, as numbers; a camat's
workbook only his kecamatan; typed text never a formula."""

import io
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse
from django_scopes import scopes_disabled

from tests.reports.test_dashboard import YEAR, build_a, build_b

pytestmark = pytest.mark.django_db


def workbook(client, user, district, **query):
    client.force_login(user)
    url = reverse("dashboard_export", kwargs={"district_slug": district.slug})
    response = client.get(url, query)
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        f'attachment; filename="dasbor-{district.slug}-{YEAR}.xlsx"'
    )
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    return {
        ws.title: [tuple(c.value for c in row) for row in ws.iter_rows()] for ws in book.worksheets
    }


def by_first(rows):
    return {r[0]: r for r in rows[1:]}


def test_every_table_of_the_dashboard_with_figures_by_hand(client, world):
    a, _villages = build_a(world)
    build_b(world)
    sheets = workbook(client, a.users["executive"], a.district)
    assert list(sheets) == [
        "Prevalensi",
        "Aksi konvergensi",
        "Penilaian",
        "Kelengkapan Q1",
        "Konvergensi Q1",
        "Dana desa S1",
        "Rencana rembuk",
        "Tindak lanjut",
        "Tenggat",
    ]
    # prevalence with source and year: the district 24.5 % SSGI 2024 (yellow: 20–30),
    # Jatinunggal 9.8 % e-PPGBM (blue: < 10), Wado 31.2 % e-PPGBM (red: > 30)
    p = by_first(sheets["Prevalensi"])
    assert p["Kabupaten/kota (terbaru)"][1:] == (24.5, "Tinggi (20–30 %)", "SSGI", 2024)
    assert (
        p["Wado"][1] == 31.2 and p["Wado"][2] == "Sangat tinggi (> 30 %)" and p["Wado"][4] == 2024
    )
    assert p["Jatinunggal"][1:3] == (9.8, "Rendah (< 10 %)")
    assert p["Wado"][3] == p["Jatinunggal"][3] != "SSGI"  # the posyandu census, named

    # actions: action 1 all verified (100 %); action 3 none (0 %)
    actions = by_first(sheets["Aksi konvergensi"])
    assert actions[1][9] == 100 and actions[1][7] == actions[1][3]
    assert actions[3][7] == 0 and actions[3][9] == 0
    # action 2: 1 of its 3 deliverables verified, 1 submitted: 33.3 %
    assert actions[2][3:8] == (3, 1, 1, 0, 1) and actions[2][9] == 33.3
    # the year: 3 + 3 + 3 + 3 + 2 + 2 = 16 deliverables, 3 + 1 = 4 verified → 25 %
    assert actions["Total"][3] == 16 and actions["Total"][7] == 4 and actions["Total"][9] == 25

    # completeness: Wado 2 villages, 1 verified, 1 waiting, none late; Jatinunggal 1 verified,
    # 1 not sent and late; all 4, 2 verified, 1 waiting, 1 missing, 1 late
    c = by_first(sheets["Kelengkapan Q1"])
    assert c["Wado"][1:] == (2, 1, 1, 0, 0, 0, "berjalan")
    assert c["Jatinunggal"][1:] == (2, 1, 0, 0, 1, 1, "terlambat")
    assert c["Semua desa/kelurahan"][1:7] == (4, 2, 1, 0, 1, 1)
    assert c["Desa lokus"][1:] == (1, 1, 0, 0, 0, 0, "lengkap")  # v1

    # convergence rates of verified scorecards: Wado 6 of 10 = 60 %; Jatinunggal 1 of
    # (5 − 1 n/a) = 25 %; all (6 + 1) ÷ (10 + 4) = 50 %
    r = by_first(sheets["Konvergensi Q1"])
    assert r["Wado"][1:] == (1, 6, 10, 60)
    assert r["Jatinunggal"][1:] == (1, 1, 4, 25)
    assert r["Semua desa/kelurahan"][1:] == (2, 7, 14, 50)

    # village fund of the verified semester reports: Wado v1 85 M / 40 M = 47.06 %;
    # Jatinunggal v3 15 M / 5 M = 33.33 %; all 100 M / 45 M = 45 %
    f = by_first(sheets["Dana desa S1"])
    assert f["Wado"][1:4] == (1, 85_000_000, 40_000_000)
    assert f["Jatinunggal"][1:4] == (1, 15_000_000, 5_000_000)
    assert f["Semua desa/kelurahan"][1:] == (2, 100_000_000, 45_000_000, 45)
    assert round(Decimal(str(f["Wado"][4])), 2) == Decimal("47.06")  # 40 ÷ 85

    # the rembuk plan by fund source: APBD 300 M + 50 M = 350 M, DAK 150 M, APBDes 20 M;
    # total 520 M; in the RKPD 300 M + 20 M = 320 M (B's 777 M never)
    plan = sheets["Rencana rembuk"]
    assert [row[1] for row in plan[1:4]] == [350_000_000, 150_000_000, 20_000_000]
    assert by_first(plan)["Total"][1] == 520_000_000
    assert by_first(plan)["Masuk RKPD"][1] == 320_000_000

    # follow-ups: DINKES 4 (2 completed, 1 in progress and late, 1 not started); v1's 1
    fu = by_first(sheets["Tindak lanjut"])
    assert fu["DINKES"][1:] == (4, 2, 1, 1, 0, 1)
    assert fu[a.village.name][1:] == (1, 0, 1, 0, 0, 0)
    assert fu["Total"][1:] == (5, 2, 2, 1, 0, 1)
    everything = repr(sheets)
    assert "777000000" not in everything and "44.4" not in everything


def test_the_camats_workbook_holds_only_his_kecamatan(client, world):
    a, _villages = build_a(world)
    sheets = workbook(client, a.users["camat"], a.district)
    assert "Aksi konvergensi" not in sheets and "Penilaian" not in sheets  # not his board
    assert [r[0] for r in sheets["Kelengkapan Q1"][1:2]] == ["Wado"]
    assert "Jatinunggal" not in repr(sheets)
    # his village fund: v1's 85 M only
    assert by_first(sheets["Dana desa S1"])["Semua desa/kelurahan"][2] == 85_000_000


def test_typed_names_stay_text(client, world):
    a, _villages = build_a(world)
    with scopes_disabled():
        a.kecamatan.name = "=HYPERLINK(1)"
        a.kecamatan.save(update_fields=["name"])
    sheets = workbook(client, a.users["executive"], a.district)
    assert "'=HYPERLINK(1)" in [r[0] for r in sheets["Kelengkapan Q1"]]
