"""Lists of people pasted into a text box: "name; position; organisation" per line, as the
rembuk's participants and a commitment's signatories are added.

A tab separates too (rows copied from a spreadsheet) and a leading "12." or "12)" is dropped
(a numbered list copied from a document). A bad line does not hide the others: each comes back
with its number, its text and what is wrong with it, so that a page can list it and offer it
again to be corrected.
"""

import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

from lib import text

# one paste: a district rembuk has hundreds of people, a large one a few thousand
MAX_PASTED_LINES = 5_000
# characters of one paste: 5,000 lines of about a hundred characters, with room to spare
MAX_PASTED_CHARS = 1_000_000

_NUMBERING = re.compile(r"^\d{1,4}[.)]\s+")


@dataclass(frozen=True)
class PastedPerson:
    name: str
    position: str = ""
    organisation: str = ""
    number: int = 0  # the line in the paste (1-based); 0 when not pasted

    @property
    def key(self) -> tuple[str, str, str]:
        """The same person: the same name, position and organisation, whatever the case or
        spacing ("Hj.  SITI ; Ketua PKK" = "hj. siti; ketua pkk")."""
        return (same(self.name), same(self.position), same(self.organisation))


@dataclass(frozen=True)
class BadLine:
    number: int
    text: str
    reason: str


def same(value: str) -> str:
    """A value compared without regard to case or spacing."""
    return " ".join((value or "").split()).casefold()


def read_people(
    pasted: str, *, name_required: bool = True, position_required: bool = False
) -> tuple[list[PastedPerson], list[BadLine]]:
    """The people of a pasted list and its bad lines. Empty lines are ignored. More than
    MAX_PASTED_LINES lines is refused as a whole (one BadLine numbered 0)."""
    raw_lines = text.strip_bidi(pasted or "").splitlines()
    if len(raw_lines) > MAX_PASTED_LINES:
        message = _("Paling banyak %(max)d baris sekali tempel (yang ditempel: %(n)d).") % {
            "max": MAX_PASTED_LINES,
            "n": len(raw_lines),
        }
        return [], [BadLine(0, "", message)]
    people, bad = [], []
    for number, raw in enumerate(raw_lines, start=1):
        line = _NUMBERING.sub("", raw.strip())
        if not line:
            continue
        parts = [" ".join(p.split()) for p in re.split(r"[;\t]", line)]
        while len(parts) > 1 and not parts[-1]:
            parts.pop()
        if len(parts) > 3:
            bad.append(
                BadLine(
                    number, raw.strip(), _("paling banyak tiga bagian (nama; jabatan; instansi)")
                )
            )
            continue
        parts += [""] * (3 - len(parts))
        name, position, organisation = parts
        if name_required and not name:
            bad.append(BadLine(number, raw.strip(), _("nama belum diisi")))
        elif position_required and not position:
            bad.append(BadLine(number, raw.strip(), _("jabatan belum diisi")))
        elif max(len(name), len(position), len(organisation)) > text.NAME:
            bad.append(BadLine(number, raw.strip()[:300], _("paling banyak 200 huruf per bagian")))
        else:
            people.append(PastedPerson(name, position, organisation, number))
    return people, bad


def line_message(bad: BadLine) -> str:
    """ "Baris 3: nama belum diisi." """
    if not bad.number:
        return bad.reason
    return _("Baris %(n)d: %(reason)s.") % {"n": bad.number, "reason": bad.reason}
