"""The board as XLSX or CSV. User text never becomes a formula in a spreadsheet."""

import io

from django.utils import timezone

from lib.tabular import csv_bytes, safe_cell

__all__ = ["HEADER", "board_file", "board_rows", "safe_cell"]

HEADER = [
    "aksi",
    "kode_aksi",
    "judul_aksi",
    "keluaran",
    "judul_keluaran",
    "opd",
    "penanggung_jawab",
    "tenggat",
    "status",
    "terlambat",
    "dikirim",
    "diverifikasi",
    "catatan",
]


def _local(moment):
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def board_rows(rows, today):
    for row in rows:
        ya = row.year_action
        responsible = "; ".join(sorted(u.email for u in ya.responsible.all()))
        for d in row.deliverables:
            yield [
                ya.action.number,
                ya.action.code,
                ya.action.title,
                d.template.number,
                d.template.title,
                ya.lead_agency.short_name if ya.lead_agency else "",
                responsible,
                d.due_date.isoformat(),
                str(d.get_status_display()),
                "ya" if d.is_overdue(today) else "tidak",
                _local(d.submitted_at),
                _local(d.verified_at),
                d.note,
            ]


def board_file(district_year, rows, today, fmt: str) -> tuple[bytes, str]:
    if fmt == "csv":
        return csv_bytes(HEADER, board_rows(rows, today)), "text/csv; charset=utf-8"
    data = [[safe_cell(c) for c in r] for r in board_rows(rows, today)]
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook(write_only=False)
    sheet = workbook.active
    sheet.title = f"Konvergensi {district_year.year}"
    sheet.append(HEADER)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for values in data:
        sheet.append(values)
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # never a formula, whatever the text
    for column, width in zip(
        "ABCDEFGHIJKLM", (6, 16, 40, 9, 48, 12, 30, 12, 14, 10, 17, 17, 40), strict=True
    ):
        sheet.column_dimensions[column].width = width
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return (
        buffer.getvalue(),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
