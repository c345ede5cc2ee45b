"""Read CSV and XLSX uploads as rows of raw cells, with the file's own line numbers (exports
are written by lib.spreadsheet).

Cells keep their type (XLSX numbers stay numbers), so that callers can refuse a code typed
as a number instead of silently turning `11.10` into `11.1`. Reading stops at the caller's
row cap: a file with a million rows is refused after reading cap + 1 of them.
"""

import csv
import io
import re
import zipfile
import zlib
from collections.abc import Iterator

from django.template.defaultfilters import filesizeformat
from django.utils.formats import number_format
from django.utils.translation import gettext as _

XLSX_MAGIC = b"PK\x03\x04"
# A zip that unpacks past this is refused before parsing (zip bombs).
MAX_XLSX_UNCOMPRESSED = 200 * 1024 * 1024
# Parts of an XLSX (a workbook of a few sheets has about a dozen) and columns of its first
# sheet (an import has a few dozen; openpyxl pads every row to the declared width).
MAX_XLSX_PARTS = 1_000
MAX_XLSX_COLUMNS = 1_000
# Errors a preview lists before "… and N more".
MAX_LISTED_ERRORS = 50


class TableError(ValueError):
    """The file as a whole cannot be read (wrong type, bad encoding, too large)."""


# What a file that is neither CSV nor XLSX starts with: PDF, PNG, JPEG, GIF, a Windows program,
# gzip, an old (binary) Excel or Word file; and markup (an HTML page or an XML file saved with
# a .csv name), which no CSV of ours starts with.
NOT_A_TABLE = (
    b"%PDF-",
    b"\x89PNG",
    b"\xff\xd8\xff",
    b"GIF8",
    b"MZ",
    b"\x1f\x8b",
    b"\xd0\xcf\x11\xe0",
    b"<",
)


def sniff_format(head: bytes) -> str:
    """'xlsx' or 'csv', from the content, not the name; TableError for a file that is
    neither (a NUL in its first 4 KB, or the start of another kind of file)."""
    if head.startswith(XLSX_MAGIC):
        return "xlsx"
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if b"\x00" in head[:4096] or text.startswith(NOT_A_TABLE):
        raise TableError(_("Berkas bukan CSV atau XLSX."))
    return "csv"


def check_table(data: bytes, *, max_rows: int | None = None, **limits) -> str:
    """The format of `data` ('csv' or 'xlsx') after the checks that cost nothing to parse: its
    kind from its content and, for an XLSX, its sizes and declared dimension (check_xlsx).
    For an upload stored now and read later (the national region list, applied by a job)."""
    kind = sniff_format(data[:8192])
    if kind == "xlsx":
        check_xlsx(data, max_rows=max_rows, **limits)
    return kind


def read_rows(
    data: bytes,
    filename: str = "",
    *,
    max_rows: int | None = None,
    max_uncompressed: int = MAX_XLSX_UNCOMPRESSED,
) -> Iterator[tuple[int, list]]:
    """Yield (line number, cells) for each non-empty row. With `max_rows`, raise TableError on
    reaching line max_rows + 1 (the header and blank lines count), before reading further."""
    kind = sniff_format(data[:8192])
    if kind == "xlsx":
        yield from _read_xlsx(data, max_rows, max_uncompressed)
    else:
        yield from _read_csv(data, max_rows)


def _too_many(max_rows: int) -> TableError:
    return TableError(
        _("Berkas berisi lebih dari %(n)s baris; batasnya %(n)s baris.")
        % {"n": number_format(max_rows, force_grouping=True)}
    )


def _read_csv(data: bytes, max_rows: int | None) -> Iterator[tuple[int, list]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError as exc:
            raise TableError(_("Berkas CSV harus ber-encoding UTF-8.")) from exc
    # the header line decides: text in later cells may hold either character
    header = text[:4096].split("\n", 1)[0]
    delimiter = ";" if header.count(";") > header.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    for row in reader:
        if max_rows is not None and reader.line_num > max_rows:
            raise _too_many(max_rows)
        if any(cell.strip() for cell in row):
            yield reader.line_num, row


def _read_xlsx(
    data: bytes, max_rows: int | None, max_uncompressed: int
) -> Iterator[tuple[int, list]]:
    from openpyxl import load_workbook

    check_xlsx(data, max_rows=max_rows, max_uncompressed=max_uncompressed)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for damaged files
        raise TableError(_("Berkas XLSX tidak dapat dibaca.")) from exc
    try:
        sheet = workbook.worksheets[0]
        for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            if max_rows is not None and number > max_rows:
                raise _too_many(max_rows)
            cells = list(row)
            if any(c is not None and str(c).strip() for c in cells):
                yield number, cells
    finally:
        workbook.close()


def check_xlsx(
    data: bytes, *, max_rows: int | None = None, max_uncompressed: int = MAX_XLSX_UNCOMPRESSED
) -> None:
    """TableError unless the XLSX `data` can be handed to openpyxl, judged before it is:

    - at most MAX_XLSX_PARTS parts, whose sizes once unpacked, as the zip declares them, add
      up to `max_uncompressed` at most (openpyxl reads the shared strings whole). A zip bomb
      may declare small sizes: Python's zipfile stops unpacking a part at its declared size
      and then fails its CRC, so every part is unpacked here once, counted and checked, and
      a lie is refused now rather than halfway through the parse;
    - the first sheet's declared dimension (`<dimension ref="A1:C1200">`, what openpyxl pads
      every row to) within `max_rows` rows and MAX_XLSX_COLUMNS columns."""
    too_big = TableError(
        _("Isi berkas XLSX terlalu besar (lebih dari %(size)s setelah dibuka).")
        % {"size": filesizeformat(max_uncompressed)}
    )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = archive.infolist()
            if "[Content_Types].xml" not in archive.namelist() or len(parts) > MAX_XLSX_PARTS:
                raise TableError(_("Berkas XLSX tidak sah."))
            if sum(info.file_size for info in parts) > max_uncompressed:
                raise too_big
            unpacked = 0
            for info in parts:
                with archive.open(info) as member:
                    while chunk := member.read(1 << 20):
                        unpacked += len(chunk)
                        if unpacked > max_uncompressed:
                            raise too_big
            rows, columns = _first_sheet_dimension(archive)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as exc:
        # damaged, an unknown compression, or encrypted
        raise TableError(_("Berkas XLSX rusak.")) from exc
    except KeyError as exc:  # a part the workbook names is missing
        raise TableError(_("Berkas XLSX rusak.")) from exc
    if max_rows is not None and rows > max_rows:
        raise _too_many(max_rows)
    if columns > MAX_XLSX_COLUMNS:
        raise TableError(
            _("Lembar pertama berkas XLSX berisi %(n)s kolom; paling banyak %(max)s kolom.")
            % {
                "n": number_format(columns, force_grouping=True),
                "max": number_format(MAX_XLSX_COLUMNS, force_grouping=True),
            }
        )


_SHEET = re.compile(rb"<(?:\w+:)?sheet\b[^>]*?\s(?:\w+:)?id=\"([^\"]+)\"")
_RELATIONSHIP = re.compile(rb"<(?:\w+:)?Relationship\b[^>]*>")
_DIMENSION = re.compile(
    rb"<(?:\w+:)?dimension\s+ref=\"\$?([A-Z]{0,3})\$?(\d*)(?::\$?([A-Z]{1,3})\$?(\d+))?\""
)


def _first_sheet_dimension(archive: zipfile.ZipFile) -> tuple[int, int]:
    """(rows, columns) of the first sheet as its `<dimension>` declares them; (0, 0) when it
    declares none (openpyxl then pads nothing, and the row cap applies while reading)."""
    sheet = _SHEET.search(archive.read("xl/workbook.xml"))
    if sheet is None:
        return 0, 0
    target = None
    for tag in _RELATIONSHIP.findall(archive.read("xl/_rels/workbook.xml.rels")):
        if re.search(rb'\sId="' + re.escape(sheet.group(1)) + rb'"', tag):
            found = re.search(rb'\sTarget="([^"]+)"', tag)
            target = found and found.group(1).decode()
    if not target:
        return 0, 0
    path = target.lstrip("/") if target.startswith("/") else "xl/" + target
    with archive.open(path) as part:
        head = part.read(64 * 1024)
    dimension = _DIMENSION.search(head)
    if dimension is None:
        return 0, 0
    first_column, first_row, last_column, last_row = dimension.groups()
    column = (last_column or first_column or b"").decode()
    columns = 0
    for letter in column:
        columns = columns * 26 + ord(letter) - ord("A") + 1
    return int(last_row or first_row or 0), columns


def truncated_errors(errors: list, limit: int = MAX_LISTED_ERRORS) -> tuple[list, int]:
    """The first `limit` errors and how many more there are."""
    return errors[:limit], max(len(errors) - limit, 0)
