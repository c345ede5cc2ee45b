"""bench/load.py talks only to this machine: any other host is refused before anything runs
(the load test itself needs a built dataset and gunicorn: `make bench-load`)."""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "host", ["http://example.org:8105", "http://10.0.0.1", "https://127.0.0.1.example.org"]
)
def test_only_loopback_is_loaded(host):
    # the optional `bench` dependencies; not imported here (locust patches the standard
    # library with gevent on import)
    from tests.conftest import need

    need(importlib.util.find_spec("locust") is not None, "needs locust: pip install -e '.[bench]'")
    result = subprocess.run(  # noqa: S603
        [sys.executable, str(ROOT / "bench" / "load.py"), "--host", host],
        cwd=ROOT,
        env={**os.environ, "DEBUG": "true"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "refused" in result.stderr and "not this machine" in result.stderr
