"""The two commands of the README, read through make itself: `make run PORT=…` serves where it
says, and `make reset-demo` empties var/ only when the demo's own SQLite is in use. Dry runs
(`make -n`) and a copy of the Makefile in a temporary folder: nothing here installs or deletes
anything in the checkout."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _make():
    if not shutil.which("make"):
        pytest.skip("needs make")


def dry_run(*args, env=None):
    result = subprocess.run(
        ["make", "-n", "--no-print-directory", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        check=True,
    )
    return result.stdout


def test_run_serves_on_the_port_asked_for():
    default = dry_run("run")
    assert "runserver 127.0.0.1:8000" in default
    other = dry_run("run", "PORT=8001")
    assert "runserver 127.0.0.1:8001" in other and "8000" not in other
    assert "SITE_URL=http://127.0.0.1:8001" in other  # links in emails point at it too
    assert "http://127.0.0.1:8001/accounts/login/" in other  # the printed login address


def test_reset_demo_removes_var_and_seeds_again():
    steps = dry_run("reset-demo", env={"DATABASE_URL": ""})
    order = ["rm -rf var", "migrate", "import_regions --if-empty", "seed_demo"]
    positions = [steps.index(step) for step in order]
    assert positions == sorted(positions), steps
    assert "runserver" not in steps


def _copy(tmp_path):
    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    (tmp_path / "var").mkdir()
    (tmp_path / "var" / "db.sqlite3").write_text("demo")


def test_reset_demo_refuses_another_database(tmp_path):
    _copy(tmp_path)
    env = {**os.environ, "DATABASE_URL": "postgres://somebody@db.example/konvergensi"}
    result = subprocess.run(
        ["make", "reset-demo"], cwd=tmp_path, capture_output=True, text=True, env=env
    )
    assert result.returncode != 0
    assert "unset DATABASE_URL" in result.stderr
    assert (tmp_path / "var" / "db.sqlite3").exists()


def test_reset_demo_empties_var(tmp_path):
    _copy(tmp_path)
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    # in the copy the seeding cannot start (no project), but var/ is gone first
    subprocess.run(["make", "reset-demo"], cwd=tmp_path, capture_output=True, env=env)
    assert not (tmp_path / "var").exists()
