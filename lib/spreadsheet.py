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


@dataclass(frozen=True)
class Sheet:
    """One sheet of a workbook: its title (made acceptable to Excel), columns and rows."""

    title: str
    columns: Sequence[Column]
    rows: Iterable[Sequence]
    header_height: float | None = None


def xlsx_bytes(
    columns: Sequence[Column],
    rows: Iterable[Sequence],
    *,
    title: str,
    header_height: float | None = None,
) -> bytes:
    """An XLSX export of one sheet (see `xlsx_workbook`)."""
    return xlsx_workbook([Sheet(title, columns, rows, header_height)])


def xlsx_workbook(sheets: Iterable[Sheet]) -> bytes:
    """An XLSX workbook, one sheet per `Sheet`: the column names in bold on a frozen first row
    (wrapped when `header_height`, in points, makes room for it), then one row per row of
    cells. Text is written as text (formula-like text with its apostrophe), numbers as numbers
    in their column's format, None as an empty cell, anything else (a date) as its text. Two
    sheets whose titles come out the same get a number after the second."""
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
    head_plain = workbook.add_format({"bold": True})
    head_wrapped = workbook.add_format({"bold": True, "text_wrap": True, "valign": "top"})
    number_formats: dict[str, object] = {}
    used: set[str] = set()
    for one in sheets:
        title = sheet_title(one.title)
        number = 2
        while title.lower() in used:
            suffix = f" ({number})"
            title = sheet_title(one.title)[: 31 - len(suffix)] + suffix
            number += 1
        used.add(title.lower())
        sheet = workbook.add_worksheet(title)
        head_format = head_plain
        if one.header_height:
            head_format = head_wrapped
            sheet.set_row(0, one.header_height)
        formats = []
        for c in one.columns:
            if c.number_format and c.number_format not in number_formats:
                number_formats[c.number_format] = workbook.add_format(
                    {"num_format": c.number_format}
                )
            formats.append(number_formats.get(c.number_format))
        for index, column in enumerate(one.columns):
            sheet.set_column(index, index, column.width)
            sheet.write_string(0, index, safe_cell(column.name), head_format)
        for row_number, row in enumerate(one.rows, start=1):
            for index, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, bool):
                    sheet.write_boolean(row_number, index, value)
                elif isinstance(value, int | float | Decimal):
                    number_format = formats[index] if index < len(formats) else None
                    sheet.write_number(row_number, index, value, number_format)
                else:
                    sheet.write_string(row_number, index, safe_cell(str(value)))
        sheet.freeze_panes(1, 0)
    workbook.close()
    return buffer.getvalue()
