"""The board as XLSX or CSV. User text never becomes a formula in a spreadsheet."""

from decimal import Decimal

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation

from lib import pdf, spreadsheet

HEADER = [
    "aksi",
    "kode_aksi",
    "judul_aksi",
    "keluaran",
    "judul_keluaran",
    "opd",
    "opd_pendukung",
    "penanggung_jawab",
    "tenggat",
    "status",
    "terlambat",
    "dikirim",
    "diverifikasi",
    "catatan",
]
WIDTHS = (6, 16, 40, 9, 48, 12, 12, 30, 12, 14, 10, 17, 17, 40)
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
                d.supporting_agency.short_name if d.supporting_agency else "",
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


# --- the performance assessment -------------------------------------------------------------

ASSESSMENT_COLUMNS = [
    spreadsheet.Column("No.", 9),
    spreadsheet.Column("Judul aksi / indikator", 60),
    spreadsheet.Column("Bobot", 8, "0.00"),
    spreadsheet.Column("Nilai mandiri", 10),
    spreadsheet.Column("Skor mandiri", 12, "0.00"),
    spreadsheet.Column("Nilai provinsi", 10),
    spreadsheet.Column("Skor provinsi", 12, "0.00"),
    spreadsheet.Column("Skor maksimum", 12, "0.00"),
    spreadsheet.Column("Selisih (provinsi - mandiri)", 14, "0.00"),
]


def indicator_maximum(indicator) -> Decimal:
    """The best points an indicator's options give, times its weight (options prefetched)."""
    best = max((o.points for o in indicator.options.all()), default=Decimal(0))
    return best * indicator.weight


def assessment_lines(scores) -> list[dict]:
    """The assessment as printed: per action a heading line with its totals, then its
    indicators (grade and score given, maximum), and the year's total. Shared by the XLSX and
    the PDF so both show the same figures."""
    lines = []
    for row in scores.actions:
        action = row.year_action.action
        lines.append(
            {
                "kind": "action",
                "code": action.code,
                "text": action.title,
                "self": row.self_score,
                "province": row.province_score,
                "maximum": row.maximum,
                "difference": row.difference,
            }
        )
        for number, (indicator, own, province) in enumerate(row.indicators, start=1):
            self_score = own.score if own else None
            province_score = province.score if province else None
            lines.append(
                {
                    "kind": "indicator",
                    "code": f"{action.number}.{number}",
                    "text": indicator.text,
                    "weight": indicator.weight,
                    "self_grade": own.option.grade if own else "",
                    "self": self_score,
                    "province_grade": province.option.grade if province else "",
                    "province": province_score,
                    "maximum": indicator_maximum(indicator),
                    "difference": (province_score or 0) - (self_score or 0)
                    if own or province
                    else None,
                }
            )
    return lines


def assessment_xlsx(district, district_year, scores, printed: str) -> bytes:
    """One sheet: a title block (district, year, printing date), the table, the totals."""
    lines = assessment_lines(scores)

    def rows():
        for line in lines:
            if line["kind"] == "action":
                yield [
                    line["code"],
                    line["text"],
                    None,
                    None,
                    line["self"],
                    None,
                    line["province"],
                    line["maximum"],
                    line["difference"],
                ]
            else:
                yield [
                    line["code"],
                    line["text"],
                    line["weight"],
                    line["self_grade"] or None,
                    line["self"],
                    line["province_grade"] or None,
                    line["province"],
                    line["maximum"],
                    line["difference"],
                ]
        yield [
            "Total",
            "",
            None,
            None,
            scores.self_total,
            None,
            scores.province_total,
            scores.maximum,
            scores.difference,
        ]
        yield []
        yield ["", f"{district.name}: penilaian kinerja aksi konvergensi {district_year.year}"]
        yield ["", f"Dicetak {printed}"]

    return spreadsheet.xlsx_bytes(
        ASSESSMENT_COLUMNS, rows(), title=f"Penilaian {district_year.year}", header_height=30
    )


def assessment_pdf(district, district_year, scores, printed: str) -> bytes:
    """The assessment on A4 for the coordination meeting, in Indonesian whatever the reader's
    language (it goes on the table as the district's document). Small: rendered at once."""
    with translation.override(settings.LANGUAGE_CODE):
        html = render_to_string(
            "convergence/print/assessment.html",
            {
                "district": district,
                "district_year": district_year,
                "scores": scores,
                "lines": assessment_lines(scores),
                "printed": printed,
                "emblem": pdf.stored_image_data_uri(district.emblem),
            },
        )
    return pdf.render_pdf(html)
