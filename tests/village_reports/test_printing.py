"""The printed scorecard (PDF through WeasyPrint, read back with poppler) and the XLSX export
of a period's village reports."""

import base64
import io
import re
import subprocess
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django_scopes import scopes_disabled

from accounts.models import Membership
from accounts.policy import access_for
from lib.pdf import image_data_uri, paper_css, render_pdf
from tests.conftest import need_poppler, png_bytes
from village_reports import printing, scorecard
from village_reports.models import ReportPeriod, VillageReport
from village_reports.reports import completeness
from villages.models import Village

pytestmark = pytest.mark.django_db

# yes answers per indicator; "visit" is not applicable to those not at risk
PREGNANT = {"anc": 9, "iron": 8, "postnatal": 7, "counselling": 8, "visit": 4, "water": 9}
PREGNANT |= {"latrine": 8, "insurance": 10}  # Σ 63 of 8 × 10 − 5 = 75 → 84,00 %
CHILDREN = {"immunisation": 18, "weighing": 19, "length": 16, "counselling": 15, "visit": 8}
CHILDREN |= {"water": 17, "latrine": 15, "birth_cert": 18, "insurance": 17, "parenting": 12}
# Σ 155 of 10 × 20 − 10 = 190 → 81,58 %; PAUD 13 of 15 → 86,67 %
# village: (63 + 155 + 13) ÷ (75 + 190 + 15) = 231 ÷ 280 = 82,50 %


def full_data() -> dict:
    data = {
        "t_households": 28,
        "t_pregnant": 10,
        "t_pregnant_risk": 5,
        "t_children": 20,
        "t_children_poor": 10,
        "t_children_2_6": 15,
        "g_green": 14,
        "g_yellow": 4,
        "g_red": 1,
        "f_development": 450_000_000,
        "f_empowerment": 150_000_000,
        "f_stunting": 84_000_000,  # 14,00 % of 600.000.000
        "sign_secretary": "Dedi Suhendar",
        "sign_head": "Hj. Nining Kurniasih",
    }
    yes = {"pregnant": PREGNANT, "children": CHILDREN, "paud": {"paud": 13}}
    na = {"pregnant": {"visit": 5}, "children": {"visit": 10}, "paud": {}}
    for group in scorecard.GROUPS:
        target = data[group.target]
        for indicator in group.indicators:
            y, n = yes[group.key][indicator.key], na[group.key].get(indicator.key, 0)
            data[scorecard.answer_key(group, indicator, "yes")] = y
            data[scorecard.answer_key(group, indicator, "na")] = n
            data[scorecard.answer_key(group, indicator, "no")] = target - y - n
    assert scorecard.submit_errors("scorecard", data, files=set(), today=date(2026, 10, 5)) == {}
    return data


def make_period(district, kind="scorecard", number=3):
    months = {("scorecard", 3): (7, 9), ("semester", 1): (1, 6)}[(kind, number)]
    return ReportPeriod.objects.create(
        district=district,
        year=2026,
        kind=kind,
        number=number,
        starts_on=date(2026, months[0], 1),
        ends_on=date(2026, months[1], 30),
        due_on=date(2026, months[1] + 1, 10),
    )


def make_report(world, data, *, status="verified", **fields):
    side = world.a
    with scopes_disabled():
        period = ReportPeriod.objects.filter(district=side.district, kind="scorecard").first()
        period = period or make_period(side.district)
        return VillageReport.objects.create(
            district=side.district,
            village=side.village,
            period=period,
            data=data,
            status=status,
            created_by=side.users["village_head"],
            **fields,
        )


def pdf_text(pdf: bytes, tmp_path, name="doc") -> str:
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout


def pdf_info(pdf: bytes, tmp_path) -> dict[str, str]:
    path = tmp_path / "info.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdfinfo", str(path)], capture_output=True, check=True, text=True)
    return dict(line.split(":", 1) for line in out.stdout.splitlines() if ":" in line)


def image_count(pdf: bytes, tmp_path) -> int:
    path = tmp_path / "images.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdfimages", "-list", str(path)], capture_output=True, text=True)
    return len(out.stdout.splitlines()) - 2  # two header lines


@pytest.fixture(autouse=True)
def _poppler():
    need_poppler()


VERIFIED = {
    "first_submitted_at": datetime(2026, 10, 3, 2, 0, tzinfo=UTC),
    "submitted_at": datetime(2026, 10, 3, 2, 0, tzinfo=UTC),
    # 03:00 on 6 October in Sumedang (WIB)
    "decided_at": datetime(2026, 10, 5, 20, 0, tzinfo=UTC),
}


@pytest.mark.parametrize("paper,size", [("A4", (595.3, 841.9)), ("F4", (609.4, 935.4))])
def test_scorecard_prints_on_the_district_paper(world, tmp_path, paper, size):
    district = world.a.district
    district.paper_size = paper
    district.letterhead_address = "Jalan Prabu Geusan Ulun Nomor 36, Sumedang"
    district.save()
    report = make_report(world, full_data(), **VERIFIED)

    pdf = printing.scorecard_pdf(report)

    assert pdf.startswith(b"%PDF")
    (tmp_path / f"scorecard-{paper.lower()}.pdf").write_bytes(pdf)
    info = pdf_info(pdf, tmp_path)
    width, height = (float(x) for x in re.findall(r"[\d.]+", info["Page size"])[:2])
    assert (round(width, 1), round(height, 1)) == size
    text = pdf_text(pdf, tmp_path)
    assert "DATA SCORECARD KONVERGENSI KUARTAL 3 TAHUN 2026" in text
    # the village's own letterhead; the district's street address is not the village's
    assert "PEMERINTAH DESA CIMUNGKAL\nKECAMATAN WADO\nKABUPATEN SUMEDANG\n" in text
    assert "Jalan Prabu Geusan Ulun Nomor 36" not in text
    assert "Cimungkal" in text and "Wado" in text
    assert "82,50 %" in text  # the village's convergence rate
    assert "84,00 %" in text and "81,58 %" in text and "86,67 %" in text
    assert "231" in text and "280" in text
    assert "Rp 450.000.000" in text and "Rp 600.000.000" in text and "14,00 %" in text
    assert "95,00 % dari 20 anak" in text  # measured on the growth mat
    assert "Kepala Desa Cimungkal" in text and "Sekretaris Desa Cimungkal" in text
    assert "Hj. Nining Kurniasih" in text and "Dedi Suhendar" in text
    assert "Cimungkal, 3 Oktober 2026" in text  # sent on, in the district's zone
    assert re.search(r"Halaman 1 dari \d", text)
    assert "DRAF" not in text and "Menunggu verifikasi" not in text
    assert image_count(pdf, tmp_path) == 1  # the emblem, embedded


def test_unverified_scorecard_is_marked_and_empty_figures_show_dashes(world, tmp_path):
    data = full_data()
    # no children 2–6: PAUD has no answers and no rate
    data["t_children_2_6"] = 0
    for a, _label in scorecard.ANSWERS:
        del data[f"s_paud_paud_{a}"]
    data["sign_head"] = ""
    report = make_report(world, data, status="draft")
    world.a.district.emblem = ""
    world.a.district.save()

    text = pdf_text(printing.scorecard_pdf(report), tmp_path, "draft")

    assert "DRAF — belum diverifikasi camat" in text
    assert "(..............................)" in text  # no head's name yet
    paud = text[text.index("Terdaftar dan aktif di PAUD") :]
    assert paud.split()[5:9] == ["–", "–", "–", "–"]
    # Σ yes 218 of 265 = 82,26 %
    assert "82,26 %" in text

    report.status = "submitted"
    report.submitted_at = datetime(2026, 10, 9, 18, 0, tzinfo=UTC)
    report.save()
    text = pdf_text(printing.scorecard_pdf(report), tmp_path, "submitted")
    assert "Menunggu verifikasi camat" in text and "DRAF —" not in text
    assert "Cimungkal, 10 Oktober 2026" in text


def test_pdf_loads_nothing_but_data_uris(tmp_path):
    picture = png_bytes((40, 40))
    (tmp_path / "logo.png").write_bytes(picture)
    html = (
        "<html><body><p>Uji</p>"
        f'<img src="file://{tmp_path}/logo.png"><img src="logo.png">'
        '<img src="http://127.0.0.1:9/logo.png">'
        "</body></html>"
    )
    pdf = render_pdf(html, base_url=str(tmp_path) + "/")
    assert pdf.startswith(b"%PDF") and image_count(pdf, tmp_path) == 0

    uri = image_data_uri(picture)
    assert uri == "data:image/png;base64," + base64.b64encode(picture).decode()
    assert image_count(render_pdf(f'<img src="{uri}">'), tmp_path) == 1
    assert image_data_uri(b"<svg onload=alert(1)>") is None


def test_paper_and_number_formats():
    assert "size: 215mm 330mm" in paper_css("F4")
    assert "size: 210mm 297mm" in paper_css("A4") == paper_css("letter")
    assert '"Halaman " counter(page) " dari " counter(pages)' in paper_css("A4")
    assert printing.long_date(date(2026, 11, 22)) == "22 November 2026"
    assert printing.percent_text(Decimal("82.5")) == "82,50 %"
    assert printing.percent_text(None) == "–"
    assert printing.count_text(12345) == "12.345" and printing.count_text(None) == "–"


def _sheet(xlsx: bytes):
    from openpyxl import load_workbook

    return load_workbook(io.BytesIO(xlsx)).active


def _completeness(world, period):
    admin = world.a.users["district_admin"]
    district = world.a.district
    access = access_for(list(Membership.objects.active().filter(user=admin)), district)
    return completeness(district=district, period=period, access=access)


def test_scorecard_reports_as_xlsx(world):
    report = make_report(world, full_data(), remark="=1+1", **VERIFIED)
    with scopes_disabled():
        xlsx = printing.reports_xlsx(_completeness(world, report.period), report.period)

    sheet = _sheet(xlsx)
    header = [c.value for c in sheet[1]]
    assert header[:11] == [
        "kode_kecamatan",
        "kecamatan",
        "kode_desa",
        "desa",
        "lokus",
        "status",
        "versi",
        "terlambat",
        "dikirim",
        "diverifikasi",
        "catatan_camat",
    ]
    assert "s_children_immunisation_na" in header and "f_stunting" in header
    assert "sign_head" not in header
    assert header[-5:] == [
        "konvergensi_ibu_hamil_%",
        "konvergensi_anak_0_23_%",
        "konvergensi_paud_%",
        "konvergensi_total_%",
        "dana_desa_stunting_%",
    ]
    assert sheet.freeze_panes == "A2"
    rows = {r[2].value: {h: c for h, c in zip(header, r, strict=True)} for r in sheet.iter_rows(2)}
    assert set(rows) == {"32.11.01.2001", "32.11.01.2002", "32.11.02.2001", "32.11.02.1002"}
    mine = rows["32.11.01.2001"]
    assert mine["desa"].value == "Cimungkal" and mine["kecamatan"].value == "Wado"
    assert mine["status"].value == "terverifikasi" and mine["versi"].value == 1
    assert mine["terlambat"].value == "tidak" and mine["lokus"].value == "tidak"
    assert mine["dikirim"].value == "2026-10-03 09:00"  # WIB
    assert mine["diverifikasi"].value == "2026-10-06 03:00"
    # text a spreadsheet would run is escaped and stored as text
    assert mine["catatan_camat"].value == "'=1+1" and mine["catatan_camat"].data_type == "s"
    assert mine["s_children_weighing_yes"].value == 19
    assert mine["f_development"].value == 450_000_000
    assert mine["konvergensi_total_%"].value == pytest.approx(82.5)
    assert mine["konvergensi_anak_0_23_%"].value == pytest.approx(81.58)
    assert mine["dana_desa_stunting_%"].value == pytest.approx(14.0)
    other = rows["32.11.02.2001"]
    assert other["status"].value == "belum dikirim" and other["versi"].value is None
    assert other["t_children"].value is None


def test_semester_reports_as_xlsx(world):
    with scopes_disabled():
        period = make_period(world.a.district, "semester", 1)
        VillageReport.objects.create(
            district=world.a.district,
            village=world.a.village,
            period=period,
            status="submitted",
            submitted_at=datetime(2026, 7, 5, 1, 0, tzinfo=UTC),
            first_submitted_at=datetime(2026, 7, 5, 1, 0, tzinfo=UTC),
            data={
                "perdes_status": "enacted",
                "perdes_number": "@SUM(A1)",
                "perdes_date": "2026-03-02",
                "fund_budget": 80_000_000,
                "fund_spent": 60_000_000,
            },
        )
        xlsx = printing.reports_xlsx(_completeness(world, period), period)

    sheet = _sheet(xlsx)
    header = [c.value for c in sheet[1]]
    assert header[11:] == [f.key for f in scorecard.SEMESTER] + ["realisasi_%"]
    row = {h: c.value for h, c in zip(header, sheet[2], strict=True)}
    assert row["desa"] == "Cimungkal" and row["status"] == "menunggu verifikasi"
    assert row["terlambat"] == "tidak" and row["diverifikasi"] is None
    assert row["perdes_status"] == "sudah ditetapkan"
    assert row["perdes_number"] == "'@SUM(A1)"
    assert row["realisasi_%"] == pytest.approx(75.0)


def test_a_kelurahan_scorecard_prints_lurah_and_dana_kelurahan(world, tmp_path):
    from villages.models import Village

    with scopes_disabled():
        kelurahan = Village.objects.get(code="32.11.02.1002")  # Pawenang
    report = make_report(world, full_data(), **VERIFIED)
    with scopes_disabled():
        VillageReport.objects.filter(pk=report.pk).update(village=kelurahan)
        report.refresh_from_db()
    text = pdf_text(printing.scorecard_pdf(report), tmp_path, "kelurahan")
    flat = re.sub(r"\s+", " ", text)
    assert "Tabel 4. Tingkat konvergensi kelurahan" in flat
    assert "Tabel 5. Penggunaan Dana Kelurahan untuk pencegahan stunting" in flat
    assert "Bidang pembangunan sarana dan prasarana kelurahan" in flat
    assert "Bidang pemberdayaan masyarakat kelurahan" in flat
    assert "Lurah Pawenang" in flat and "Sekretaris Kelurahan" in flat
    assert "Tingkat konvergensi kelurahan" in flat
    for desa_word in ("Dana Desa", "Kepala Desa", "Sekretaris Desa", "konvergensi desa"):
        assert desa_word not in flat, desa_word


def _profile(world, village, **values):
    from villages.services import update_village_profile

    with scopes_disabled():
        return update_village_profile(village=village, by=world.a.users["village_head"], **values)


def _report_of(world, village, data, **fields):
    with scopes_disabled():
        period = ReportPeriod.objects.filter(district=world.a.district, kind="scorecard").first()
        return VillageReport.objects.create(
            district=world.a.district,
            village=village,
            period=period or make_period(world.a.district),
            data=data,
            created_by=world.a.users["village_head"],
            **fields,
        )


def test_scorecard_prints_the_village_letterhead_names_and_the_report_date(world, tmp_path):
    """The village's own kop surat and address; under the signatures the names typed on the
    report, else those of the village profile, else a line to write one; the date of the
    report (when it was sent, else the end of its period), never the day it is printed."""
    district = world.a.district
    district.letterhead_address = "Jalan Prabu Geusan Ulun Nomor 36, Sumedang"
    district.save()
    _profile(
        world,
        world.a.village,
        office_address="Jalan Raya Wado Nomor 12, Cimungkal 45373",
        head_name="Asep Saepudin",
        secretary_name="Ujang Suherman",
    )
    data = full_data() | {"sign_head": "", "sign_secretary": ""}
    draft = _report_of(world, world.a.village, data, status="draft")

    text = pdf_text(printing.scorecard_pdf(draft), tmp_path, "draft")
    assert (
        "PEMERINTAH DESA CIMUNGKAL\nKECAMATAN WADO\nKABUPATEN SUMEDANG\n"
        "Jalan Raya Wado Nomor 12, Cimungkal 45373\n"
    ) in text
    assert "Prabu Geusan Ulun" not in text and "PEMERINTAH KABUPATEN" not in text
    assert "Cimungkal, 30 September 2026" in text  # not sent: the end of the quarter
    assert "Asep Saepudin" in text and "Ujang Suherman" in text
    assert "(....." not in text

    # sent at 01:30 on 3 October in Sumedang (WIB), still 2 October in UTC; typed names win
    sent = full_data() | {"sign_head": "H. Dadan Ramdani", "sign_secretary": "Ujang Suherman"}
    with scopes_disabled():
        VillageReport.objects.filter(pk=draft.pk).update(
            status="submitted",
            data=sent,
            submitted_at=datetime(2026, 10, 2, 18, 30, tzinfo=UTC),
            first_submitted_at=datetime(2026, 10, 2, 18, 30, tzinfo=UTC),
        )
        draft.refresh_from_db()
    text = pdf_text(printing.scorecard_pdf(draft), tmp_path, "sent")
    assert "Cimungkal, 3 Oktober 2026" in text
    assert "H. Dadan Ramdani" in text and "Asep Saepudin" not in text

    # a kelurahan without a profile: its own form of letterhead, no address, blank name lines
    with scopes_disabled():
        pawenang = Village.objects.get(code="32.11.02.1002")
    report = _report_of(world, pawenang, data, status="draft")
    text = pdf_text(printing.scorecard_pdf(report), tmp_path, "kelurahan")
    heading = "PEMERINTAH KABUPATEN SUMEDANG KECAMATAN JATINUNGGAL KELURAHAN PAWENANG DATA"
    assert heading in " ".join(text.split())  # and no address between it and the title
    assert "Prabu Geusan Ulun" not in text
    assert "Lurah Pawenang" in text and "Sekretaris Kelurahan Pawenang" in text
    assert "Kepala Desa" not in text and "Sekretaris Desa" not in text
    assert text.count("(..............................)") == 2


# the first indicator row of each group of Tabel 3
FIRST_ROWS = {
    "Ibu hamil — jumlah sasaran": "Pemeriksaan kehamilan minimal 4 kali",
    "Anak 0–23 bulan — jumlah sasaran": "Imunisasi dasar lengkap",
    "Anak 2–6 tahun — jumlah sasaran": "Terdaftar dan aktif di PAUD",
}


def _pages(pdf: bytes, tmp_path) -> list[list[str]]:
    """Each page's lines as laid out (pdftotext -layout), stripped, blank lines left out."""
    path = tmp_path / "pages.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(
        ["pdftotext", "-layout", "-enc", "UTF-8", str(path), "-"],
        capture_output=True,
        check=True,
        text=True,
    ).stdout
    return [
        [line.strip() for line in page.splitlines() if line.strip()] for page in out.split("\f")
    ]


def test_a_group_heading_is_never_left_alone_at_the_bottom_of_a_page(world, tmp_path):
    """Tabel 3 breaks across pages. Wherever the break falls (the letterhead grows with the
    address, the paper may be A4 or F4, a draft carries a banner), each group's heading row
    stays on the page of its first row; in some of these layouts the break falls right at a
    heading, which then opens the next page."""
    district = world.a.district
    addresses = [
        "",
        "Jalan Raya Wado Nomor 12, Cimungkal",
        "Jalan Raya Wado Nomor 12, Dusun Cikaret RT 002 RW 005, Desa Cimungkal, Kecamatan "
        "Wado, Kabupaten Sumedang, Jawa Barat 45373. Telepon (0261) 123456, pos-el "
        "desa.cimungkal@sumedangkab.go.id, laman cimungkal.desa.id",
    ]
    at_top = 0
    layouts = 0
    for paper in ("A4", "F4"):
        district.paper_size = paper
        district.save()
        for address in addresses:
            _profile(world, world.a.village, office_address=address)
            for status in ("verified", "draft"):
                with scopes_disabled():
                    VillageReport.objects.filter(village=world.a.village).delete()
                report = make_report(world, full_data(), status=status, **VERIFIED)
                with scopes_disabled():  # as a request would: the village and its profile anew
                    report = VillageReport.objects.select_related("village").get(pk=report.pk)
                pages = _pages(printing.scorecard_pdf(report), tmp_path)
                layouts += 1
                for heading, first_row in FIRST_ROWS.items():
                    [(page, index)] = [
                        (p, i)
                        for p, lines in enumerate(pages)
                        for i, line in enumerate(lines)
                        if heading in line
                    ]
                    where = (paper, len(address), status, heading)
                    assert any(first_row in line for line in pages[page][index + 1 :]), where
                    before = pages[page][index - 1]
                    at_top += "berlaku" in before or "Indikator layanan" in before
    assert layouts == 12
    assert at_top >= 1  # the case in question did occur: a heading opened a page


def test_the_scorecard_is_in_indonesian_for_an_english_interface(world, client, tmp_path):
    report = make_report(world, full_data(), **VERIFIED)
    client.force_login(world.a.users["village_head"])
    client.cookies["django_language"] = "en"
    path = f"/{world.a.district.slug}/laporan/{report.pk}/cetak/"

    text = " ".join(pdf_text(client.get(path).content, tmp_path).split())

    assert "Periode 1 Juli 2026 – 30 September 2026" in text
    assert "Batas kirim : 10 Oktober 2026" in text and "Cimungkal, 3 Oktober 2026" in text
    assert "Halaman 1 dari 2" in text and "Mengetahui, Kepala Desa Cimungkal" in text
    for english in ("July", "October", "Page", "Village head", "Due"):
        assert english not in text
