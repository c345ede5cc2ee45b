"""Read CSV and XLSX uploads as rows of raw cells, with the file's own line numbers (exports
are written by lib.spreadsheet).

Cells keep their type (XLSX numbers stay numbers), so that callers can refuse a code typed
as a number instead of silently turning `11.10` into `11.1`. Reading stops at the caller's
row cap: a file with a million rows is refused after reading cap + 1 of them.
"""

import csv
import io
import zipfile
from collections.abc import Iterator

from django.template.defaultfilters import filesizeformat
from django.utils.formats import number_format
from django.utils.translation import gettext as _

XLSX_MAGIC = b"PK\x03\x04"
# A zip that unpacks past this is refused before parsing (zip bombs).
MAX_XLSX_UNCOMPRESSED = 200 * 1024 * 1024
# Errors a preview lists before "… and N more".
MAX_LISTED_ERRORS = 50


class TableError(ValueError):
    """The file as a whole cannot be read (wrong type, bad encoding, too large)."""


def sniff_format(head: bytes) -> str:
    """'xlsx' or 'csv', from the content, not the name."""
    if head.startswith(XLSX_MAGIC):
        return "xlsx"
    if b"\x00" in head[:4096]:
        raise TableError("Berkas bukan CSV atau XLSX.")
    return "csv"


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
            raise TableError("Berkas CSV harus ber-encoding UTF-8.") from exc
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

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
            if "[Content_Types].xml" not in names:
                raise TableError("Berkas XLSX tidak sah.")
            if sum(info.file_size for info in archive.infolist()) > max_uncompressed:
                raise TableError(
                    _("Isi berkas XLSX terlalu besar (lebih dari %(size)s setelah dibuka).")
                    % {"size": filesizeformat(max_uncompressed)}
                )
    except zipfile.BadZipFile as exc:
        raise TableError("Berkas XLSX rusak.") from exc
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for damaged files
        raise TableError("Berkas XLSX tidak dapat dibaca.") from exc
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


def truncated_errors(errors: list, limit: int = MAX_LISTED_ERRORS) -> tuple[list, int]:
    """The first `limit` errors and how many more there are."""
    return errors[:limit], max(len(errors) - limit, 0)
