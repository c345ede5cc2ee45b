"""What the benchmarks share: a throwaway database, timing and query helpers.

Import this before Django is set up: `throwaway_database()` points DATABASE_URL at a database
of its own (PostgreSQL) or a temporary SQLite file, so a benchmark never touches real data.
"""

import os
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "true")

BATCH = 2000
# BENCH_SMALL=1: the same steps on a small slice of the country (Kabupaten Sumedang and the
# province of Gorontalo), so that the test suite runs every benchmark end to end and none of
# them can rot. The figures of a small run are not the benchmark's figures.
SMALL = bool(os.environ.get("BENCH_SMALL"))
SMALL_AREAS = ("32", "32.11", "75")


def in_small_slice(code: str) -> bool:
    return code == "32" or code.startswith(("32.11", "75"))


def region_rows():
    """The national region list (or its small slice) as parsed rows."""
    from django.conf import settings

    from villages.services import parse_region_file

    path = Path(settings.REGIONS_DEFAULT_FILE)
    rows = parse_region_file(path.read_bytes(), path.name)
    return [r for r in rows if in_small_slice(r.code)] if SMALL else rows


def throwaway_database(name: str):
    """Create database `name` (dropping an old one) and use it; returns the function that
    drops it again (a no-op with SQLite or when BENCH_KEEP_DB=1)."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
        return lambda: None
    import psycopg2

    admin = psycopg2.connect(url)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS {name}")
        cur.execute(f"CREATE DATABASE {name}")
    os.environ["DATABASE_URL"] = url.rsplit("/", 1)[0] + "/" + name

    def drop():
        if os.environ.get("BENCH_KEEP_DB"):
            return
        from django.db import connections

        connections.close_all()
        with admin.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS {name}")

    return drop


def elapsed(started):
    return time.monotonic() - started


def chunks(items, size=BATCH):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def load_regions():
    """The national region list (83,762 villages; a slice with BENCH_SMALL) into the
    database: (seconds, summary)."""
    from villages.services import import_regions

    started = time.monotonic()
    result = import_regions(region_rows())
    return elapsed(started), result.summary


def shape(sql):
    """A query with its literals taken out, to find the ones repeated per row."""
    sql = re.sub(r"'[^']*'", "?", sql)
    sql = re.sub(r"\b\d+(\.\d+)?\b", "?", sql)
    sql = re.sub(r"\(\?(, \?)*\)", "(…)", sql)
    return sql


class QueryCounter:
    """A database execute wrapper that counts queries (for jobs outside a request)."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)
