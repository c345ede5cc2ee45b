"""The annual evaluation's content, rendered by real WeasyPrint and read back with poppler
(pdftotext, pdfinfo, pdftoppm) and zxing: the golden district of the dashboard's test with
the figures counted by hand, an empty district whose every section says it has no data, the
F4 paper, the QR code on every page, hostile narratives printed as text, the same number of
queries for a small and a larger district, and the demo's closed year."""

import io
import re
import subprocess
from datetime import UTC, datetime

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scopes_disabled

from accounts.tenancy import district_scope
from reports.evaluation import SECTIONS, Printed, evaluation_html, render_evaluation
from tests.conftest import need_poppler, png_bytes
from tests.reports.test_dashboard import YEAR, build_a, more_data
from villages.models import District

pytestmark = pytest.mark.django_db

VERIFY = "https://konvergensi.example.id/verifikasi/3f9c2a7be01d4c55/"
REQUESTED = datetime(2026, 1, 20, 2, 30, tzinfo=UTC)  # 09:30 WIB


@pytest.fixture(autouse=True)
def _poppler():
    need_poppler()


def printed(**kwargs) -> Printed:
    return Printed(
        number=kwargs.pop("number", 3),
        verify_url=VERIFY,
        requested_by="Rina Sekretariat",
        requested_at=REQUESTED,
        **kwargs,
    )


def render(district, year=YEAR, narratives=None, **kwargs) -> bytes:
    with district_scope(district):
        return render_evaluation(
            district, year, narratives=narratives or {}, printed=printed(**kwargs)
        )


def write(pdf: bytes, tmp_path, name="evaluation") -> str:
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(pdf)
    return str(path)


def pages_of(pdf: bytes, tmp_path) -> int:
    out = subprocess.run(
        ["pdfinfo", write(pdf, tmp_path)], capture_output=True, check=True, text=True
    ).stdout
    return int(re.search(r"^Pages:\s+(\d+)", out, re.M).group(1))


def page_size(pdf: bytes, tmp_path) -> str:
    out = subprocess.run(
        ["pdfinfo", write(pdf, tmp_path)], capture_output=True, check=True, text=True
    ).stdout
    return re.search(r"^Page size:\s+(.+)$", out, re.M).group(1)


def text_of(pdf: bytes, tmp_path, page=None) -> str:
    pages = ["-f", str(page), "-l", str(page)] if page else []
    return subprocess.run(
        ["pdftotext", "-layout", "-enc", "UTF-8", *pages, write(pdf, tmp_path), "-"],
        capture_output=True,
        check=True,
        text=True,
    ).stdout


def flat(text: str) -> str:
    return " ".join(text.split())


def qr_per_page(pdf: bytes, tmp_path) -> list[list[str]]:
    import zxingcpp
    from PIL import Image

    prefix = tmp_path / "page"
    subprocess.run(
        ["pdftoppm", "-r", "150", "-png", write(pdf, tmp_path), str(prefix)],
        check=True,
        capture_output=True,
    )
    found = []
    for png in sorted(tmp_path.glob("page*.png")):
        with Image.open(png) as image:
            found.append([r.text for r in zxingcpp.read_barcodes(image)])
    return found


NARRATIVES = {
    "summary": "Tahun ini konvergensi membaik.\nBaris kedua ringkasan.",
    "prevalence": "Prevalensi turun di Jatinunggal.",
    "problems": "Laporan desa terlambat di Jatinunggal.",
    "recommendations": "Percepat verifikasi scorecard.",
}


def test_golden_district_counted_by_hand(world, tmp_path):
    a, _villages = build_a(world)
    with scopes_disabled():
        District.objects.filter(pk=a.district.pk).update(
            sekda_name="Drs. Herman Suryatman", sekda_nip="197001011990031001"
        )
        a.district.refresh_from_db()
    pdf = render(a.district, narratives=NARRATIVES)
    text = text_of(pdf, tmp_path)
    words = flat(text)

    # the cover
    assert (
        "Laporan Evaluasi Tahunan Konvergensi Percepatan Penurunan Stunting "
        f"{a.district.name} Tahun {YEAR}" in words
    )
    assert "Versi 3" in words and "Rina Sekretariat" in words
    assert "20-01-2026 09:30 WIB" in words  # 02:30 UTC in Jakarta (UTC+7)
    # every section's title, in order
    titles = [str(title) for _key, title in SECTIONS]
    places = [words.index(f"{i}. {t}") for i, t in enumerate(titles, start=1)]
    assert places == sorted(places)

    # prevalence with its source and year: the district 24.5 % (SSGI, YEAR − 2 = 2024)
    assert re.search(r"Kabupaten/kota\s+24,50 %\s+Tinggi \(20–30 %\)\s+SSGI\s+2024", text)
    # the kecamatan: Wado 31.2 % (e-PPGBM, 2024, red band), Jatinunggal 9.8 % (blue)
    assert re.search(
        r"Wado\s+31,20 %\s+Sangat tinggi \(> 30 %\)\s+e-PPGBM / bulan timbang\s+2024", text
    )
    assert re.search(r"Jatinunggal\s+9,80 %\s+Rendah \(< 10 %\)", text)

    # actions: action 1 every deliverable verified (100,0 %); action 2: 1 of 3 (33,3 %)
    assert re.search(r"1\. Analisis Situasi\s+selesai\s+3\s*/\s*3\s+100,0 %", text)
    assert re.search(r"2\. Penguatan Perencanaan\s+\w+\s+1\s*/\s*3\s+33,3 %", text)

    # report completeness, quarter 1: all 4 villages, 2 verified (v1, v3), 1 waiting (v2),
    # 1 not sent (v4, late); focus: v1 only (verified)
    assert re.search(r"Semua desa/kelurahan\s+4\s+2\s+1\s+0\s+1\s+1\s+50,00 %", text)
    # convergence rates: focus v1 6/10 = 60 %, others v3 1/(5−1) = 25 %, all 7/14 = 50 %
    assert re.search(r"Desa lokus\s+1\s+1\s+0\s+0\s+0\s+0\s+60,00 %", text)
    assert re.search(r"Desa lainnya\s+3\s+1\s+1\s+0\s+1\s+1\s+25,00 %", text)

    # budgets: APBD 300 M + 50 M = 350 M, DAK 150 M, APBDes 20 M = 520 M; in the RKPD the
    # APBD 300 M and APBDes 20 M = 320 M = 61,54 % of 520 M
    assert "Rp 350.000.000" in words and "Rp 150.000.000" in words
    assert "Rp 520.000.000" in words and "Rp 320.000.000 (61,54 %)" in words
    # village fund: v1 85 M/40 M and v3 15 M/5 M (v2 not verified) = 100 M, 45 M, 45 %
    assert re.search(r"Kabupaten/kota\s+2\s+Rp 100\.000\.000\s+Rp 45\.000\.000\s+45,00 %", text)

    # follow-ups: done 2 (verified + done), in progress 2, not started 1, missed 0, late 1
    assert re.search(
        r"Selesai\s+2\s+Berjalan\s+2\s+Belum dimulai\s+1\s+Tidak tercapai\s+0\s+"
        r"Terlambat \(lewat tenggat, belum selesai\)\s+1\s+Jumlah tindak lanjut\s+5",
        words,
    )

    # the secretariat's words, line breaks kept
    assert re.search(r"Tahun ini konvergensi membaik\.\s*\n\s*Baris kedua ringkasan\.", text)
    for typed in NARRATIVES.values():
        assert flat(typed) in words
    # the signature page: the Sekda with the NIP grouped as it is printed, the head unknown
    assert "Drs. Herman Suryatman" in words and "NIP. 19700101 199003 1 001" in words
    assert "Kepala Sekretariat Percepatan Penurunan Stunting" in words

    # "Hal. x / N" on every page
    n = pages_of(pdf, tmp_path)
    assert n >= 3
    for page in range(1, n + 1):
        assert f"Hal. {page} / {n}" in flat(text_of(pdf, tmp_path, page)), page


def test_the_qr_code_on_every_page_leads_to_the_verification_page(world, tmp_path):
    a, _villages = build_a(world)
    pdf = render(a.district)
    found = qr_per_page(pdf, tmp_path)
    assert len(found) == pages_of(pdf, tmp_path)
    assert all(codes == [VERIFY] for codes in found), found
    assert "konvergensi.example.id/verifikasi/3f9c2a7be01d4c55/" in flat(text_of(pdf, tmp_path))


def test_an_empty_district_says_so_in_every_section(world, tmp_path):
    b = world.b
    words = flat(text_of(render(b.district), tmp_path))
    for i, (_key, title) in enumerate(SECTIONS, start=1):
        assert f"{i}. {title}" in words
    for sentence in (
        f"Belum ada data prevalensi stunting kabupaten/kota untuk tahun {YEAR}.",
        f"Belum ada data prevalensi per kecamatan untuk tahun {YEAR}.",
        f"Belum ada data aksi konvergensi untuk tahun {YEAR}",
        f"Belum ada data desa lokus untuk tahun {YEAR}.",
        f"Belum ada data laporan desa (scorecard) untuk tahun {YEAR}.",
        f"Belum ada data rembuk stunting untuk tahun {YEAR}.",
        f"Belum ada data dokumen komitmen untuk tahun {YEAR}.",
        f"Belum ada data tindak lanjut komitmen untuk tahun {YEAR}.",
        f"Belum ada data anggaran rencana kegiatan untuk tahun {YEAR}.",
        f"Belum ada data Dana Desa dari laporan semester untuk tahun {YEAR}.",
    ):
        assert sentence in words, sentence
    # problems and recommendations: not written yet
    assert words.count("Belum diisi oleh sekretariat.") == 2


def test_f4_paper_and_the_emblem(world, tmp_path):
    b = world.b
    with scopes_disabled():
        district = District.objects.get(pk=b.district.pk)
        district.paper_size = "F4"
        district.emblem.save("lambang.png", ContentFile(png_bytes((120, 140))), save=False)
        district.save()
    pdf = render(district, replaces=2)
    # 215 × 330 mm = 609.45 × 935.43 pt
    width, height = (
        float(v) for v in re.match(r"([\d.]+) x ([\d.]+) pts", page_size(pdf, tmp_path)).groups()
    )
    assert (round(width, 1), round(height, 1)) == (609.4, 935.4)
    assert "menggantikan versi final 2" in flat(text_of(pdf, tmp_path, 1))
    images = subprocess.run(
        ["pdfimages", "-list", "-f", "1", "-l", "1", write(pdf, tmp_path)],
        capture_output=True,
        check=True,
        text=True,
    ).stdout
    assert re.search(r"\b120\s+140\b", images)  # the emblem on the cover


def test_hostile_narratives_are_printed_as_text(world, tmp_path):
    hostile = '<script>alert("x")</script><img src=x onerror=alert(1)> & <b>tebal</b>'
    b = world.b
    with district_scope(b.district):
        html = evaluation_html(
            b.district, YEAR, narratives={"problems": hostile}, printed=printed()
        )
    assert "<script>" not in html and "<img src=x" not in html
    words = flat(text_of(render(b.district, narratives={"problems": hostile}), tmp_path))
    assert hostile in words


def test_the_document_is_indonesian_for_an_english_reader(world, tmp_path):
    from django.utils import translation

    with translation.override("en"):
        words = flat(text_of(render(world.b.district), tmp_path))
    assert "Belum diisi oleh sekretariat." in words and "Ringkasan" in words


def test_queries_do_not_grow_with_the_villages(world):
    a, _villages = build_a(world)

    def html():
        with district_scope(a.district):
            return evaluation_html(a.district, YEAR, narratives={}, printed=printed())

    html()  # warm the catalogues
    with CaptureQueriesContext(connection) as small:
        html()
    more_data(a, 15)
    with CaptureQueriesContext(connection) as large:
        page = html()
    assert "Desa 14" in page  # the new focus villages are listed
    assert len(large) == len(small), [q["sql"][:120] for q in large]


def test_the_demo_closed_year(regions, tmp_path):
    """The demo's previous year, closed (DOMAIN: every deliverable verified and locked in
    January). Counted from the demo's rules on the test regions: Sumedang's focus decree of
    that year names the first demo village (Cimungkal) and the others of the pool without the
    second demo village (Ganjarresik), in code order: Pawenang (32.11.02.1002) and Cimanintin
    (32.11.02.2001): 3 focus villages."""
    call_command("seed_demo", "--password", "demo-password-123", stdout=io.StringIO())
    with scopes_disabled():
        district = District.objects.get(code="32.11")
    year = district.local_now().year - 1
    pdf = render(district, year=year)
    words = flat(text_of(pdf, tmp_path))
    assert f"3 desa lokus tahun {year}" in words
    for name in ("Cimungkal", "Pawenang", "Cimanintin"):
        assert name in words
    assert "Ganjarresik" not in words.split("Desa lokus Kecamatan")[-1]
    # every deliverable verified: each action at 100 %, none at anything else
    assert words.count("selesai") >= 6 and "terlambat · " not in words
    assert "Drs. Budi Santoso, M.Si." in words and "NIP. 19680512 199003 1 007" in words
    width, height = (
        float(v) for v in re.match(r"([\d.]+) x ([\d.]+) pts", page_size(pdf, tmp_path)).groups()
    )
    assert (round(width, 1), round(height, 1)) == (609.4, 935.4)  # F4, the demo's choice


def test_a_district_with_many_focus_villages_lists_only_those_lagging(world, tmp_path, monkeypatch):
    """More focus villages than FOCUS_LISTED: only those lagging behind are named. Counted
    from build_a and more_data(6): the focus villages are Cimungkal (verified on time, rate
    6/10 = 60 %: not lagging) and Desa 0, 2, 4 (every other new village, their scorecards
    submitted, not verified: lagging), 4 in all."""
    monkeypatch.setattr("reports.evaluation.FOCUS_LISTED", 2)
    a, _villages = build_a(world)
    more_data(a, 6)
    text = text_of(render(a.district), tmp_path)
    words = flat(text)
    assert f"4 desa lokus tahun {YEAR}" in words
    assert "Hanya desa lokus yang tertinggal yang dicantumkan (3 dari 4)" in words
    listed = words.split("Desa lokus yang tertinggal")[-1].split("5. Rembuk")[0]
    for name in ("Desa 0", "Desa 2", "Desa 4"):
        assert re.search(rf"{name}\s+menunggu verifikasi", listed), name
    assert "Cimungkal" not in listed and "Desa 1 " not in listed


def test_a_later_years_figure_is_not_printed_in_an_earlier_years_evaluation(world, tmp_path):
    from outcomes.models import Source
    from tests.reports.test_dashboard import prevalence

    a, _villages = build_a(world)
    # measured the year after the evaluated one (as a 2025 evaluation rendered in 2026 meets)
    prevalence(a, "19.7", source=Source.SKI, year=YEAR + 1)
    words = flat(text_of(render(a.district), tmp_path))
    assert "19,70 %" not in words and f"SKI {YEAR + 1}" not in words
    # the latest figure up to the evaluated year: SSGI 24.50 % of YEAR − 2
    assert "24,50 %" in words
    # the year after's evaluation does print it
    assert "19,70 %" in flat(text_of(render(a.district, year=YEAR + 1), tmp_path))
