"""Every benchmark runs to its end in its small mode (BENCH_SMALL=1: a slice of the country),
so that none of them can rot unnoticed: a changed function signature or a broken step fails
here. A small run checks the benchmark's own assertions (query counts that must not grow,
pages that must answer, grids that must not split) but not its time limits, which belong to
the full runs of `make bench`."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BENCHMARKS = [
    "import_regions",
    "board",
    "villages",
    "commitments",
    "spreadsheet",
    "village_documents",
    "participants",
]


@pytest.mark.parametrize("name", BENCHMARKS)
def test_benchmark_runs_in_small_mode(name):
    env = {**os.environ, "BENCH_SMALL": "1", "DEBUG": "true"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    url = env.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        # a benchmark creates its own database from the server's maintenance database
        env["DATABASE_URL"] = url.rsplit("/", 1)[0] + "/postgres"
    result = subprocess.run(  # noqa: S603
        [sys.executable, str(ROOT / "bench" / f"{name}.py")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    if name != "import_regions":
        assert "OK:" in result.stdout, output[-4000:]
