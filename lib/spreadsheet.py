"""The one spreadsheet writer: an export as CSV or XLSX, from a header and rows of cells.

Text a user typed never runs as a formula (OWASP CSV injection): text that a spreadsheet would
run starts with = + - @, a tab or a carriage return, and gets a leading apostrophe, in both
formats. An XLSX cell holding text is also written as text, never read as a formula, a number
or a link. A CSV quotes every field, so that no separator inside a cell (the `,`, or the `;`
that a spreadsheet in the Indonesian locale splits on) can start a new cell there: ";=1+1"
stays one inert cell.

XLSX is written by XlsxWriter: 2.5 to 2.7 times as fast as openpyxl for the completeness export
of the district with the most villages (bench/spreadsheet.py). lib.tabular reads uploads.
"""

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

CSV = "text/csv; charset=utf-8"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Characters Excel refuses in a sheet's name; it also has at most 31 characters.
_BAD_TITLE = re.compile(r"[\[\]:*?/\\]")


def safe_cell(value):
    """Text that a spreadsheet would run as a formula gets a leading apostrophe (OWASP)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


@dataclass(frozen=True)
class Column:
    """A column of an export: its name in the header row, its width in XLSX (in characters)
    and the XLSX number format of the numbers in it ('#,##0', '0.00'; None: as typed)."""

    name: str
    width: float = 12
    number_format: str | None = None


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    """A CSV export: every field quoted, formula-like text made inert, `;`-separated as
    spreadsheets in the Indonesian locale expect, with a BOM so that Excel reads UTF-8.
    lib.tabular.read_rows reads it back."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow([safe_cell(name) for name in header])
    for row in rows:
        writer.writerow(["" if c is None else safe_cell(c) for c in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def sheet_title(text: str) -> str:
    """A name Excel accepts for a sheet: without []:*?/\\, not quoted, at most 31 characters."""
    title = _BAD_TITLE.sub("-", str(text)).strip("'")[:31].strip("'")
    return title or "Sheet1"


def xlsx_bytes(
    columns: Sequence[Column],
    rows: Iterable[Sequence],
    *,
    title: str,
    header_height: float | None = None,
) -> bytes:
    """An XLSX export of one sheet: the column names in bold on a frozen first row (wrapped
    when `header_height`, in points, makes room for it), then one row per row of cells. Text is
    written as text (formula-like text with its apostrophe), numbers as numbers in their
    column's format, None as an empty cell, anything else (a date) as its text."""
    import xlsxwriter

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(
        buffer,
        {
            "in_memory": True,
            # text stays text whatever it looks like; safe_cell keeps it inert elsewhere too
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
            "nan_inf_to_errors": True,
        },
    )
    sheet = workbook.add_worksheet(sheet_title(title))
    head = {"bold": True}
    if header_height:
        head |= {"text_wrap": True, "valign": "top"}
        sheet.set_row(0, header_height)
    head_format = workbook.add_format(head)
    formats = [
        workbook.add_format({"num_format": c.number_format}) if c.number_format else None
        for c in columns
    ]
    for index, column in enumerate(columns):
        sheet.set_column(index, index, column.width)
        sheet.write_string(0, index, safe_cell(column.name), head_format)
    for number, row in enumerate(rows, start=1):
        for index, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, bool):
                sheet.write_boolean(number, index, value)
            elif isinstance(value, int | float | Decimal):
                number_format = formats[index] if index < len(formats) else None
                sheet.write_number(number, index, value, number_format)
            else:
                sheet.write_string(number, index, safe_cell(str(value)))
    sheet.freeze_panes(1, 0)
    workbook.close()
    return buffer.getvalue()
