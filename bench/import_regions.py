"""Benchmark: the national region list into an empty database, then a re-import, then the
2022 decree over it (renames, retirements) and back.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
        .venv/bin/python bench/import_regions.py

It creates and drops its own database `konvergensi_bench` (PostgreSQL) or uses a temporary
SQLite file, so it never touches real data.
"""

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "true")
url = os.environ.get("DATABASE_URL", "")
if url.startswith("postgres"):
    import psycopg2

    admin = psycopg2.connect(url)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute("DROP DATABASE IF EXISTS konvergensi_bench")
        cur.execute("CREATE DATABASE konvergensi_bench")
    os.environ["DATABASE_URL"] = url.rsplit("/", 1)[0] + "/konvergensi_bench"
else:
    tmp = tempfile.mkdtemp()
    os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite3"

import django  # noqa: E402

django.setup()
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402

from villages.services import import_regions, parse_region_file  # noqa: E402

OLD = ROOT.parent / "shared" / "data" / "wilayah-kemendagri-2022.csv"


SMALL = bool(os.environ.get("BENCH_SMALL"))  # a slice of the list, for the test suite


def timed(label, path, partial=False):
    started = time.monotonic()
    rows = parse_region_file(Path(path).read_bytes(), Path(path).name)
    if SMALL:
        rows = [r for r in rows if r.code == "32" or r.code.startswith(("32.11", "75"))]
    parsed = time.monotonic()
    result = import_regions(rows, partial=partial)
    done = time.monotonic()
    print(f"{label:<32} {done - started:6.1f} s (parse {parsed - started:4.1f} s) {result.summary}")


call_command("migrate", verbosity=0)
engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
print(f"engine={engine} rows={'slice' if SMALL else 91599} cpus={os.cpu_count()}")
timed("2025 list into empty database", settings.REGIONS_DEFAULT_FILE)
timed("2025 list again (no change)", settings.REGIONS_DEFAULT_FILE)
if OLD.is_file():
    timed("2022 list over it", OLD)
    timed("2025 list back", settings.REGIONS_DEFAULT_FILE)

if url.startswith("postgres"):
    from django.db import connections

    connections.close_all()
    with admin.cursor() as cur:
        cur.execute("DROP DATABASE IF EXISTS konvergensi_bench")
