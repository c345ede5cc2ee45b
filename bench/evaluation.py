"""Benchmark: one district's annual evaluation rendered to a PDF file, with the wall time of
each half (the HTML from the summaries, then WeasyPrint), the SQL queries, the page count and
the process's peak memory (the goal: a district of 300 villages with a full year of data in
≤ 15 s and ≤ 500 MB).

Run it against a database that holds the district, e.g. one made by
`manage.py generate_dataset --scale district --district 33.29` (Kabupaten Brebes, 297
villages):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/h2bench \\
        .venv/bin/python bench/evaluation.py 33.29 --year 2026 --output /tmp/brebes.pdf

`/usr/bin/time -v` around it gives the same peak (its "Maximum resident set size").
"""

import argparse
import resource
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402, F401 -- the project on the path, the settings module
import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django_scopes import scopes_disabled  # noqa: E402

from accounts.tenancy import district_scope  # noqa: E402
from lib.pdf import render_pdf  # noqa: E402
from reports.evaluation import Printed, evaluation_html  # noqa: E402
from villages.models import District, Village  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("district", help="code (33.29) or slug")
    parser.add_argument("--year", type=int, default=None, help="default: the district's year")
    parser.add_argument("--output", default="/tmp/evaluation.pdf")
    args = parser.parse_args()
    with scopes_disabled():
        district = District.objects.filter(code=args.district).first() or District.objects.get(
            slug=args.district
        )
    year = args.year or district.local_now().year
    printed = Printed(
        number=1,
        verify_url="https://konvergensi.example.id/verifikasi/bench0000000000/",
        requested_by="Benchmark",
        requested_at=datetime.now(UTC),
    )
    narratives = {"summary": "Ringkasan.\n" * 5, "problems": "Permasalahan.", "recommendations": ""}
    started = time.perf_counter()
    with district_scope(district), CaptureQueriesContext(connection) as queries:
        html = evaluation_html(district, year, narratives=narratives, printed=printed)
    built = time.perf_counter()
    pages = []
    pdf = render_pdf(html, on_layout=pages.append)
    done = time.perf_counter()
    with open(args.output, "wb") as handle:
        handle.write(pdf)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    with scopes_disabled():
        villages = Village.objects.active().filter(district=district).count()
    print(
        f"{district.name} ({district.code}), {year}: {villages} villages, {pages[0]} pages, "
        f"{len(pdf) / 1024:.0f} KiB → {args.output}\n"
        f"  HTML {built - started:.2f} s ({len(queries)} queries), "
        f"PDF {done - built:.2f} s, total {done - started:.2f} s; peak RSS {peak_mb:.0f} MB",
        file=sys.stdout,
    )


if __name__ == "__main__":
    main()
