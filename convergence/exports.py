"""The board as XLSX or CSV. User text never becomes a formula in a spreadsheet."""

from django.utils import timezone

from lib import spreadsheet

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
WIDTHS = (6, 16, 40, 9, 48, 12, 30, 12, 14, 10, 17, 17, 40)
COLUMNS = [spreadsheet.Column(name, width) for name, width in zip(HEADER, WIDTHS, strict=True)]


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
        return spreadsheet.csv_bytes(HEADER, board_rows(rows, today)), spreadsheet.CSV
    xlsx = spreadsheet.xlsx_bytes(
        COLUMNS, board_rows(rows, today), title=f"Konvergensi {district_year.year}"
    )
    return xlsx, spreadsheet.XLSX
