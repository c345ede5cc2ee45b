"""Hostile files, made small: each is a few kilobytes on the wire."""

import io
import re
import zipfile

from openpyxl import Workbook

HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 500


def small_xlsx(rows=(("kode", "nama"), ("32.11", "Sumedang"))) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _rewrite(data: bytes, change) -> bytes:
    """A copy of the zip `data` with each part's bytes passed through change(name, bytes)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            target.writestr(info, change(info.filename, source.read(info)), zipfile.ZIP_DEFLATED)
    return out.getvalue()


def xlsx_declaring(ref: str) -> bytes:
    """A two-row XLSX whose first sheet declares the dimension `ref` (A1:B9000000: nine million
    rows; A1:XFD2: 16,384 columns, to which openpyxl would pad every row)."""

    def change(name, body):
        if name == "xl/worksheets/sheet1.xml":
            return re.sub(rb'<dimension ref="[^"]*"', f'<dimension ref="{ref}"'.encode(), body)
        return body

    return _rewrite(small_xlsx(), change)


def xlsx_bomb(unpacked: int = 40 * 1024 * 1024, declared: int | None = 2_000) -> bytes:
    """An XLSX whose first sheet unpacks to `unpacked` bytes (blank space inside the sheet's
    XML, which deflates about a thousand to one) and, unless `declared` is None, whose zip
    directory declares only `declared` bytes for it: the lie that a check of the declared
    sizes alone believes."""
    head, tail = b"", b""

    def split(name, body):
        nonlocal head, tail
        if name == "xl/worksheets/sheet1.xml":
            head, tail = body.split(b"<sheetData>", 1)
        return body

    original = small_xlsx()
    _rewrite(original, split)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(original)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            if info.filename != "xl/worksheets/sheet1.xml":
                target.writestr(info, source.read(info), zipfile.ZIP_DEFLATED)
                continue
            sheet = zipfile.ZipInfo(info.filename, info.date_time)
            sheet.compress_type = zipfile.ZIP_DEFLATED
            with target.open(sheet, "w", force_zip64=True) as part:
                part.write(head + b"<sheetData>")
                blank = b" " * (1024 * 1024)
                for _ in range(unpacked // len(blank)):
                    part.write(blank)
                part.write(tail)
            if declared is not None:
                sheet.file_size = declared  # the central directory is written at close
    return out.getvalue()
