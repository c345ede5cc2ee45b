"""Read CSV and XLSX uploads as rows of raw cells, with the file's own line numbers.

Cells keep their type (XLSX numbers stay numbers), so that callers can refuse a code typed
as a number instead of silently turning `11.10` into `11.1`.
"""

import csv
import io
import zipfile
from collections.abc import Iterator

XLSX_MAGIC = b"PK\x03\x04"
# A zip that unpacks past this is refused before parsing (zip bombs).
MAX_XLSX_UNCOMPRESSED = 200 * 1024 * 1024


class TableError(ValueError):
    """The file as a whole cannot be read (wrong type, bad encoding, too large)."""


def sniff_format(head: bytes) -> str:
    """'xlsx' or 'csv', from the content, not the name."""
    if head.startswith(XLSX_MAGIC):
        return "xlsx"
    if b"\x00" in head[:4096]:
        raise TableError("Berkas bukan CSV atau XLSX.")
    return "csv"


def read_rows(data: bytes, filename: str = "") -> Iterator[tuple[int, list]]:
    """Yield (line number, cells) for each non-empty row."""
    kind = sniff_format(data[:8192])
    if kind == "xlsx":
        yield from _read_xlsx(data)
    else:
        yield from _read_csv(data)


def _read_csv(data: bytes) -> Iterator[tuple[int, list]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError as exc:
            raise TableError("Berkas CSV harus ber-encoding UTF-8.") from exc
    sample = text[:4096]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    for row in reader:
        if any(cell.strip() for cell in row):
            yield reader.line_num, row


def _read_xlsx(data: bytes) -> Iterator[tuple[int, list]]:
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
            if "[Content_Types].xml" not in names:
                raise TableError("Berkas XLSX tidak sah.")
            if sum(info.file_size for info in archive.infolist()) > MAX_XLSX_UNCOMPRESSED:
                raise TableError("Isi berkas XLSX terlalu besar.")
    except zipfile.BadZipFile as exc:
        raise TableError("Berkas XLSX rusak.") from exc
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for damaged files
        raise TableError("Berkas XLSX tidak dapat dibaca.") from exc
    try:
        sheet = workbook.worksheets[0]
        for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = list(row)
            if any(c is not None and str(c).strip() for c in cells):
                yield number, cells
    finally:
        workbook.close()
