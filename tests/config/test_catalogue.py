"""Indonesian is the interface's language and English its second: every string the interface
can show has its English, none is left fuzzy (a guess gettext made from a similar string, such
as "Resubmit to Bappeda" for "Kirim ulang ke antrean"). The catalogue is extracted afresh from
the source, so a new string without its English fails here."""

import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.conftest import need

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "locale" / "en" / "LC_MESSAGES" / "django.po"


def _msgids(*flags) -> list[str]:
    out = subprocess.run(
        ["msgattrib", *flags, "--no-location", "--no-wrap", str(CATALOGUE)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    ids = [line[len('msgid "') : -1] for line in out.splitlines() if line.startswith("msgid ")]
    return [i for i in ids if i]  # the header's empty msgid


def test_every_interface_string_has_its_english(monkeypatch):
    need(shutil.which("msgattrib") and shutil.which("xgettext"), "needs gettext (msgattrib)")
    monkeypatch.chdir(ROOT)
    saved = CATALOGUE.read_bytes()
    try:
        call_command(
            "makemessages",
            locale=["en"],
            ignore_patterns=[".venv", "bench", "tests", "var", "staticfiles", "media"],
            verbosity=0,
        )
        untranslated = _msgids("--untranslated")
        fuzzy = _msgids("--only-fuzzy")
    finally:
        CATALOGUE.write_bytes(saved)
    assert untranslated == [], f"no English yet: {untranslated}"
    assert fuzzy == [], f"fuzzy guesses to check: {fuzzy}"


@pytest.mark.parametrize("flag", ["--untranslated", "--only-fuzzy"])
def test_the_committed_catalogue_is_complete(flag):
    need(shutil.which("msgattrib"), "needs gettext (msgattrib)")
    assert _msgids(flag) == []
