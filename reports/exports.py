"""The district dashboard as one XLSX workbook: one sheet per table of the page, with the same
figures (read from the same `dashboard.build`, never computed twice) as numbers, not text, and
each prevalence figure with its source and year. A camat's workbook holds his kecamatan's rows,
as his page does. In Indonesian whatever the reader's language: it is the district's table.
Text a user typed (names, titles) goes through lib.spreadsheet, which keeps it inert."""

from django.conf import settings
from django.utils import translation

from lib import formats
from lib.spreadsheet import Column, Sheet, xlsx_workbook

from . import dashboard

PERCENT = "0.00"
ONE_DECIMAL = "0.0"
RUPIAH = "#,##0"
SCORE = "0.00"


def _prevalence(board) -> Sheet:
    p = board["prevalence"]
    rows = [
        [
            "Kabupaten/kota (terbaru)",
            line["figure"].value,
            line["band"]["label"] if line["band"] else None,
            line["figure"].source_label,
            line["figure"].year,
        ]
        for line in p["latest"]
    ]
    rows += [
        [r["name"], r["raw"], r["band"]["label"] if r["band"] else None, r["source"], r["year"]]
        for r in p["rows"]
    ]
    return Sheet(
        "Prevalensi",
        [
            Column("Wilayah", 32),
            Column("Prevalensi stunting (%)", 14, PERCENT),
            Column("Kategori", 12),
            Column("Sumber", 28),
            Column("Tahun", 8),
        ],
        rows,
        header_height=30,
    )


def _actions(board) -> Sheet | None:
    actions = board.get("actions")
    if not actions or not actions.get("year_actions"):
        return None
    rows = [
        [
            a.number,
            a.title,
            a.lead_agency,
            a.total,
            a.draft,
            a.submitted,
            a.returned,
            a.verified,
            a.overdue,
            a.verified_percent,
        ]
        for a in (r["action"] for r in actions["rows"])
    ]
    t = actions["year_actions"].progress
    rows.append(
        [
            "Total",
            "",
            "",
            t.total,
            t.draft,
            t.submitted,
            t.returned,
            t.verified,
            t.overdue,
            t.verified_percent,
        ]
    )
    return Sheet(
        "Aksi konvergensi",
        [
            Column("Aksi", 7),
            Column("Judul", 40),
            Column("OPD", 12),
            Column("Keluaran", 10),
            Column("Draf", 8),
            Column("Dikirim", 9),
            Column("Dikembalikan", 12),
            Column("Terverifikasi", 12),
            Column("Terlambat", 10),
            Column("Terverifikasi (%)", 13, ONE_DECIMAL),
        ],
        rows,
        header_height=30,
    )


def _assessment(board) -> Sheet | None:
    actions = board.get("actions")
    if not actions or not actions.get("year_actions"):
        return None
    rows = [
        [
            r["action"].number,
            r["action"].title,
            r["action"].score.maximum,
            r["action"].score.self_score,
            r["action"].score.province_score,
            r["action"].score.difference,
        ]
        for r in actions["score_rows"]
    ]
    score = actions["score"]
    rows.append(
        ["Total", "", score.maximum, score.self_score, score.province_score, score.difference]
    )
    return Sheet(
        "Penilaian",
        [
            Column("Aksi", 7),
            Column("Judul", 40),
            Column("Maksimum", 11, SCORE),
            Column("Mandiri", 11, SCORE),
            Column("Provinsi", 11, SCORE),
            Column("Selisih", 11, SCORE),
        ],
        rows,
    )


def _counts(row) -> list:
    c = row["counts"]
    return [
        row["name"],
        c.all,
        c.verified,
        c.submitted,
        c.returned,
        c.missing,
        c.late,
        row["light"]["label"],
    ]


def _completeness(board) -> Sheet | None:
    found = board["reports"].get("completeness")
    if not found:
        return None
    quarter = board["reports"]["quarter"]
    rows = [_counts(r) for r in found["rows"]]
    rows += [_counts(found[k]) for k in ("total", "focus", "other")]
    return Sheet(
        f"Kelengkapan Q{quarter.number}",
        [
            Column("Kecamatan / kelompok", 28),
            Column("Desa", 8),
            Column("Terverifikasi", 12),
            Column("Menunggu verifikasi", 12),
            Column("Dikembalikan", 12),
            Column("Belum dikirim", 12),
            Column("Terlambat", 10),
            Column("Status", 12),
        ],
        rows,
        header_height=30,
    )


def _rates(board) -> Sheet | None:
    rates = board["reports"].get("rates")
    if not rates:
        return None
    quarter = board["reports"]["quarter"]

    def line(name, r):
        rate = r["rate"]
        return [name, rate.reports, rate.received, rate.expected, rate.percent]

    rows = [line(r["name"], r) for r in rates["rows"]]
    rows += [
        line("Semua desa/kelurahan", rates["total"]),
        line("Desa lokus", rates["focus"]),
        line("Desa lainnya", rates["other"]),
    ]
    return Sheet(
        f"Konvergensi Q{quarter.number}",
        [
            Column("Kecamatan / kelompok", 28),
            Column("Laporan terverifikasi", 12),
            Column("Layanan diterima", 12),
            Column("Layanan seharusnya", 12),
            Column("Tingkat konvergensi (%)", 14, PERCENT),
        ],
        rows,
        header_height=30,
    )


def _fund(board) -> Sheet | None:
    fund = board["reports"].get("fund")
    if not fund:
        return None
    semester = board["reports"]["semester"]

    def line(name, f):
        return [name, f.reports, f.budget, f.spent, f.spent_percent]

    rows = [line(r["name"], r["fund"]) for r in fund["rows"]]
    rows.append(line("Semua desa/kelurahan", fund["total"]))
    return Sheet(
        f"Dana desa S{semester.number}",
        [
            Column("Kecamatan", 28),
            Column("Laporan terverifikasi", 12),
            Column("Anggaran stunting (Rp)", 18, RUPIAH),
            Column("Realisasi (Rp)", 18, RUPIAH),
            Column("Realisasi (%)", 12, PERCENT),
        ],
        rows,
        header_height=30,
    )


def _plan(board) -> Sheet:
    plan = board["plan"]
    totals = plan["totals"]
    rows = [[r["label"], r["raw"]] for r in plan["rows"]]
    rows.append(["Total", totals.total])
    rows.append(["Masuk RKPD", totals.in_rkpd])
    return Sheet(
        "Rencana rembuk",
        [Column("Sumber dana", 32), Column("Anggaran (Rp)", 20, RUPIAH)],
        rows,
    )


def _follow_ups(board) -> Sheet:
    found = board["follow_ups"]

    def line(name, c):
        return [name, c.total, c.completed, c.in_progress, c.not_started, c.missed, c.late]

    rows = [line(o["owner"].name, o["counts"]) for o in found["owners"]]
    rows.append(line("Total", found["total"]))
    return Sheet(
        "Tindak lanjut",
        [
            Column("Penanggung jawab", 28),
            Column("Jumlah", 8),
            Column("Selesai", 8),
            Column("Berjalan", 9),
            Column("Belum dimulai", 10),
            Column("Tidak tercapai", 10),
            Column("Terlambat", 10),
        ],
        rows,
        header_height=30,
    )


def _deadlines(board) -> Sheet:
    return Sheet(
        "Tenggat",
        [Column("Tenggat", 14), Column("Apa", 60)],
        [[formats.date_id(d["due_on"]), d["what"]] for d in board["deadlines"]],
    )


def dashboard_xlsx(request, year: int | None) -> tuple[bytes, int]:
    """The request user's dashboard (his district, his kecamatan for a camat) of `year` as a
    workbook, and the year it shows."""
    with translation.override(settings.LANGUAGE_CODE):
        board = dashboard.build(request, year)
        sheets = [
            _prevalence(board),
            _actions(board),
            _assessment(board),
            _completeness(board),
            _rates(board),
            _fund(board),
            _plan(board),
            _follow_ups(board),
            _deadlines(board),
        ]
        body = xlsx_workbook(s for s in sheets if s is not None)
    return body, board["year"]
