"""Rupiah amounts as people type them, and as the portal writes them.

Indonesian writing puts dots between thousands and a comma before cents: "Rp 400.000.000",
"400.000.000", "400000000" and "Rp 400.000.000,-" are all four hundred million. Rupiah
amounts in budgets carry no cents, so a comma is read only when nothing but zeros follows it
("400.000,00"). Everything that could mean two different amounts is refused with a message
instead of being guessed:

- "400.000,50" has cents;
- "400,000" or "400,000,000" may be English thousands, or 400 with cents;
- "1.5" or "40.00.000" are not thousands groups.
"""

import re

from django.utils.translation import gettext_lazy as _

from lib import formats

# more than any district's whole budget; keeps the number inside a bigint
MAX_RUPIAH = 10**15

GROUPED = re.compile(r"[0-9]{1,3}(\.[0-9]{3})+")
PLAIN = re.compile(r"[0-9]+")
PREFIX = re.compile(r"^rp\.?", re.IGNORECASE)


def parse_rupiah(text: str | None) -> int | None:
    """Whole rupiah from what was typed; None when blank. Raises ValueError whose argument is
    the message for the user."""
    raw = (text or "").replace("\u00a0", " ").strip()
    if not raw:
        return None
    typed = PREFIX.sub("", raw).replace(" ", "")
    typed = typed.removesuffix(",-")
    if typed.startswith("-"):
        raise ValueError(_("Tidak boleh negatif."))
    if "," in typed:
        typed, _comma, cents = typed.partition(",")
        if len(cents) == 3 and cents.isdigit() or "," in cents:
            raise ValueError(
                _("Pakai titik untuk memisahkan ribuan, mis. 400.000.000 (koma berarti sen).")
            )
        if not (cents.isdigit() and cents.isascii()):
            raise ValueError(_("Isi angka rupiah, mis. 400.000.000."))
        if cents.strip("0"):
            raise ValueError(_("Rupiah tidak memakai sen; hapus angka di belakang koma."))
    if GROUPED.fullmatch(typed):
        typed = typed.replace(".", "")
    elif "." in typed and PLAIN.fullmatch(typed.replace(".", "")):
        raise ValueError(_("Titik hanya untuk memisahkan ribuan, mis. 400.000.000."))
    if not PLAIN.fullmatch(typed):
        raise ValueError(_("Isi angka rupiah, mis. 400.000.000."))
    value = int(typed)
    if value >= MAX_RUPIAH:
        raise ValueError(_("Angka terlalu besar."))
    return value


def format_rupiah(value) -> str:
    """12345678 → '12.345.678' (without "Rp", lib.formats.rupiah writes it with); anything
    that is not a whole number → '' (so that a form shows what was typed)."""
    try:
        whole = int(value)
    except (TypeError, ValueError, OverflowError):
        return ""
    return formats.number(whole, empty="")
