"""The performance assessment as XLSX and as an A4 PDF: the figures of the 8-aksi framework
graded by hand (points A=4, B=3, C=2, D=1; an indicator scores points × weight)."""

import io
import os
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest
from django.urls import reverse

from convergence.models import Grade
from tests.convergence.objects import year_for
from tests.convergence.test_scoring import grade_all

pytestmark = pytest.mark.django_db
# set ASSESSMENT_PDF_DIR to keep the rendered PDF (to look at it as PNG)
_SHOTS = Path(os.environ["ASSESSMENT_PDF_DIR"]) if os.environ.get("ASSESSMENT_PDF_DIR") else None


def _graded(world):
    year = year_for(world.a, 2024)
    # aksi 1 weights [3, 2, 1]: self A,B,C = 12 + 6 + 2 = 20; province A,A,A = 4·6 = 24
    # aksi 2 weights [2, 1, 1]: self D,A,B = 2 + 4 + 3 = 9; province not graded = 0
    grade_all(year, {1: "ABC", 2: "DAB"}, Grade.Source.SELF, world.a.users["district_admin"])
    grade_all(year, {1: "AAA"}, Grade.Source.PROVINCE, world.province_viewer_a)
    return year


def _get(client, world, fmt):
    client.force_login(world.a.users["district_admin"])
    url = reverse(
        "assessment_export",
        kwargs={"district_slug": world.a.district.slug, "year": 2024, "fmt": fmt},
    )
    return client.get(url)


def test_assessment_xlsx_holds_each_action_indicator_and_total(client, world):
    _graded(world)
    response = _get(client, world, "xlsx")
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('.xlsx"')
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = [tuple(c.value for c in row) for row in sheet.iter_rows()]
    assert rows[0][:3] == ("No.", "Judul aksi / indikator", "Bobot")
    by_code = {r[0]: r for r in rows[1:] if r[0]}
    # (code, weight, self grade, self score, province grade, province score, maximum, diff)
    assert by_code["1.1"][2:] == (3, "A", 12, "A", 12, 12, 0)  # 4·3 each; max 4·3 = 12
    assert by_code["1.2"][2:] == (2, "B", 6, "A", 8, 8, 2)  # 3·2 vs 4·2
    assert by_code["1.3"][2:] == (1, "C", 2, "A", 4, 4, 2)  # 2·1 vs 4·1
    # action 1: self 20, province 24, maximum 4·(3+2+1) = 24, difference +4
    assert (
        by_code["Aksi 1"][4] == 20
        and by_code["Aksi 1"][6] == 24
        and by_code["Aksi 1"][7:] == (24, 4)
    )
    # 2.1 graded only by the district: D·2 = 2, province empty; difference 0 - 2 = -2
    assert by_code["2.1"][2:] == (2, "D", 2, None, None, 8, -2)
    # action 2: self 9, province 0, maximum 4·(2+1+1) = 16, difference -9
    assert (
        by_code["Aksi 2"][4] == 9
        and by_code["Aksi 2"][6] == 0
        and by_code["Aksi 2"][7:] == (16, -9)
    )
    # year: self 20 + 9 = 29, province 24, maximum 120 (the whole framework), difference -5
    assert by_code["Total"][4:] == (29, None, 24, 120, -5)
    tail = " ".join(str(r[1]) for r in rows[-2:])
    assert world.a.district.name in tail and "2024" in tail and "Dicetak" in tail


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_assessment_pdf_prints_the_hand_known_scores(client, world):
    _graded(world)
    response = _get(client, world, "pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = subprocess.run(
        ["pdftotext", "-layout", "-", "-"],
        input=response.content,
        capture_output=True,
        check=True,
    ).stdout.decode()
    assert "Penilaian Kinerja Aksi Konvergensi Tahun 2024" in text
    assert world.a.district.name in text
    # all eight actions with their twenty indicators fill two pages
    assert "Hal. 1 / 2" in text and "Hal. 2 / 2" in text
    # totals as Indonesian numbers: self 29,00, province 24,00, maximum 120,00, difference -5,00
    total = next(line for line in text.splitlines() if line.strip().startswith("Total"))
    assert total.split()[1:] == ["29,00", "24,00", "120,00", "-5,00"]
    assert "Dicetak" in text
    if _SHOTS:
        (_SHOTS / "assessment.pdf").write_bytes(response.content)


def test_assessment_export_refuses_other_formats(client, world):
    year_for(world.a, 2024)
    assert _get(client, world, "csv").status_code == 404
