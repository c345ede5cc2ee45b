"""Benchmark: the XLSX writer, XlsxWriter (lib.spreadsheet) against openpyxl (what the two exports
used before), on the completeness export of the district with the most villages: 852 rows with
the export's own columns (the quarterly scorecard: every count, the computed rates), one in
seven villages without a report. Also the same rows as CSV. Needs no database.

    .venv/bin/python bench/spreadsheet.py

Prints the median and best of 7 runs of each writer; the file XlsxWriter wrote is read back
with openpyxl and must hold every row and keep formula-like text inert.
"""

import io
import random
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import SMALL  # noqa: E402  (sets up the environment before Django)

# isort: split
import django  # noqa: E402

django.setup()
from lib import spreadsheet  # noqa: E402
from village_reports import printing  # noqa: E402

VILLAGES = 40 if SMALL else 852
RUNS = 2 if SMALL else 7


def dataset():
    keys = printing._data_keys("scorecard")
    columns = printing._columns("scorecard", keys)
    computed = len(columns) - len(printing.BASE_HEADER) - len(keys)
    rnd = random.Random(852)
    rows = []
    for i in range(VILLAGES):
        kecamatan = i % 26
        row = [
            f"32.04.{kecamatan:02d}",
            f"Kecamatan {kecamatan}",
            f"32.04.{kecamatan:02d}.{2001 + i:04d}",
            f"Desa {i}",
            "ya" if i % 5 == 0 else "tidak",
        ]
        if i % 7 == 0:
            rows.append(row + ["belum dikirim", None, "ya", None, None, None])
            continue
        remark = "=1+1" if i == 1 else ("Data posyandu belum lengkap" if i % 3 == 0 else None)
        row += ["terverifikasi", 1 + i % 3, "tidak", "2026-04-03 09:00", "2026-04-06 10:00"]
        row += [remark, *(rnd.randint(0, 400) for _ in keys)]
        row += [Decimal(rnd.randint(0, 10_000)) / 100 for _ in range(computed)]
        rows.append(row)
    return columns, rows


def with_openpyxl(columns, rows):
    """The writer the exports used before (village_reports.printing at 2edbb20)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Kuartal 1 2026"
    sheet.append([c.name for c in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for values in rows:
        sheet.append([spreadsheet.safe_cell(v) for v in values])
    for cells in sheet.iter_rows(min_row=2):
        for cell in cells:
            if isinstance(cell.value, str):
                cell.data_type = "s"
            elif isinstance(cell.value, Decimal):
                cell.number_format = "0.00"
            elif isinstance(cell.value, int):
                cell.number_format = "#,##0"
    for index, column in enumerate(columns, 1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.row_dimensions[1].height = 30
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def with_xlsxwriter(columns, rows):
    return spreadsheet.xlsx_bytes(columns, rows, title="Kuartal 1 2026", header_height=30)


def with_csv(columns, rows):
    return spreadsheet.csv_bytes([c.name for c in columns], rows)


def timed(write, columns, rows):
    seconds, data = [], b""
    for _ in range(RUNS):
        started = time.perf_counter()
        data = write(columns, rows)
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds), min(seconds), data


def main():
    from openpyxl import load_workbook

    columns, rows = dataset()
    print(f"{len(rows)} rows × {len(columns)} columns, {RUNS} runs each")
    results = {}
    for name, write in (
        ("openpyxl", with_openpyxl),
        ("xlsxwriter", with_xlsxwriter),
        ("csv", with_csv),
    ):
        median, best, data = timed(write, columns, rows)
        results[name] = (median, data)
        print(
            f"  {name:<10} median {median * 1000:6.0f} ms  best {best * 1000:6.0f} ms  "
            f"{len(data) / 1024:5.0f} KiB"
        )

    sheet = load_workbook(io.BytesIO(results["xlsxwriter"][1]), read_only=True).active
    read = list(sheet.iter_rows(values_only=True))
    inert = [c for r in read for c in r if isinstance(c, str) and "1+1" in c]
    ok = len(read) == 1 + len(rows) and inert == ["'=1+1"]
    ratio = results["openpyxl"][0] / results["xlsxwriter"][0]
    print()
    print(
        f"{'OK' if ok else 'PROBLEM'}: XlsxWriter {ratio:.1f}× as fast as openpyxl "
        f"({results['xlsxwriter'][0] * 1000:.0f} ms against {results['openpyxl'][0] * 1000:.0f} "
        f"ms for {len(rows)} villages); read back {len(read) - 1} rows"
    )
    if not ok:
        sys.exit(1)


main()
