"""The one spreadsheet writer (lib.spreadsheet): text a user typed never runs as a formula, in
CSV or XLSX; numbers stay numbers; the CSV reads back through the upload reader."""

import csv
import io
from decimal import Decimal

from openpyxl import load_workbook

from lib import spreadsheet
from lib.tabular import read_rows

TRAPS = ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", '=HYPERLINK("http://evil.test","x")']


def test_formula_like_text_gets_an_apostrophe():
    for text in TRAPS:
        assert spreadsheet.safe_cell(text) == "'" + text
    for value in ("Desa Cimungkal", "1+1", " =1", "", 12, None, Decimal("-1.5")):
        assert spreadsheet.safe_cell(value) == value


def test_csv_quotes_every_field_and_reads_back():
    data = spreadsheet.csv_bytes(["nama", "jumlah"], [[t, 1] for t in TRAPS] + [[";=1+1", None]])
    assert data.startswith("\ufeff".encode())
    text = data.decode("utf-8-sig")
    assert text.startswith('"nama";"jumlah"\r\n')
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    assert [r[0] for r in rows[1:]] == ["'" + t for t in TRAPS] + [";=1+1"]
    assert rows[-1] == [";=1+1", ""]
    assert [cells for _line, cells in read_rows(data)][1] == ["'=1+1", "1"]


def test_xlsx_writes_text_as_text_and_numbers_as_numbers():
    columns = [
        spreadsheet.Column("nama", 30),
        spreadsheet.Column("jumlah", 10, "#,##0"),
        spreadsheet.Column("persen", 10, "0.00"),
        spreadsheet.Column("kode"),
    ]
    rows = [
        ["=1+1", 1_250_000, Decimal("82.5"), "0012"],
        ["https://contoh.test", None, 14.0, "11.10"],
        ["Cimungkal", 0, None, None],
    ]
    sheet = load_workbook(
        io.BytesIO(spreadsheet.xlsx_bytes(columns, rows, title="Kuartal 1", header_height=30))
    ).active
    assert sheet.title == "Kuartal 1"
    assert sheet.freeze_panes == "A2"
    assert [c.value for c in sheet[1]] == ["nama", "jumlah", "persen", "kode"]
    assert all(c.font.b for c in sheet[1])
    assert sheet.row_dimensions[1].height == 30
    first, second, third = (list(r) for r in sheet.iter_rows(min_row=2))
    assert first[0].value == "'=1+1" and first[0].data_type == "s"
    assert first[1].value == 1_250_000 and first[1].number_format == "#,##0"
    assert first[2].value == 82.5 and first[2].number_format == "0.00"
    assert first[3].value == "0012" and first[3].data_type == "s"  # not read as a number
    assert second[0].value == "https://contoh.test" and second[0].hyperlink is None
    assert second[1].value is None and second[3].value == "11.10"
    assert third[1].value == 0 and third[2].value is None
    assert sheet.max_row == 4
    assert sheet.column_dimensions["A"].width > sheet.column_dimensions["B"].width


def test_sheet_titles_excel_accepts():
    assert spreadsheet.sheet_title("Kuartal 1/2026: [x]*?") == "Kuartal 1-2026- -x---"
    assert spreadsheet.sheet_title("x" * 40) == "x" * 31
    assert spreadsheet.sheet_title("'kutip'") == "kutip"
    assert spreadsheet.sheet_title("") == "Sheet1"
    columns = [spreadsheet.Column("a")]
    xlsx = spreadsheet.xlsx_bytes(columns, [["1"]], title="Semester 1/2026")
    assert load_workbook(io.BytesIO(xlsx)).active.title == "Semester 1-2026"


def test_a_workbook_of_several_sheets_each_with_its_rows():
    body = spreadsheet.xlsx_workbook(
        [
            spreadsheet.Sheet("Prevalensi", [spreadsheet.Column("a")], [["=1+1"], [12.5]]),
            spreadsheet.Sheet("Prevalensi", [spreadsheet.Column("b")], [[3]]),
            spreadsheet.Sheet("a/b", [spreadsheet.Column("c", number_format="0.00")], []),
        ]
    )
    book = load_workbook(io.BytesIO(body))
    # the second "Prevalensi" is numbered; "/" is not allowed in a title
    assert book.sheetnames == ["Prevalensi", "Prevalensi (2)", "a-b"]
    first = [tuple(c.value for c in row) for row in book["Prevalensi"].iter_rows()]
    assert first == [("a",), ("'=1+1",), (12.5,)]  # typed text inert, numbers as numbers
    assert [c.value for c in book["Prevalensi (2)"]["A"]] == ["b", 3]
