import os
from pathlib import Path

import pytest

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screens"

BROWSER_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    import shutil

    path = shutil.which("chromium") or "/usr/bin/chromium"
    # Debian's Chromium; Playwright must never download a browser of its own.
    return {**browser_type_launch_args, "executable_path": path, "args": BROWSER_ARGS}


@pytest.fixture(scope="session", autouse=True)
def _allow_orm_beside_playwright():
    # Playwright's sync API runs an event loop in this thread until the session ends; the ORM
    # calls made meanwhile (fixtures, database flushes) are still synchronous and safe.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture(autouse=True)
def _browser_env(chromium_path):
    SHOTS.mkdir(parents=True, exist_ok=True)


def shot(page, name):
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
