"""Numbers, percentages, rupiah and dates written the Indonesian way, the one formatter of
every page, document, chart and export.

Indonesian writing puts dots between thousands and a comma before decimals: "1.234.567,5",
"17,62 %", "Rp 400.000.000". These do not follow the server's locale or the reader's interface
language: a printed document (the scorecard, a commitment) is in Indonesian whatever language
the reader's interface is in, so its day and month names are Indonesian words here, not
translations that follow the active language.

Rounding is half up (17,625 → 17,63), as people round by hand. A missing value (None or "")
is written as an en dash, like the printed forms do.
"""

from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

DASH = "–"

MONTHS = (
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
)
DAYS = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")


def _decimal(value) -> Decimal | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def number(value, decimals: int = 0, *, empty: str = DASH) -> str:
    """1234567.5 → '1.234.567' (decimals=0) or '1.234.567,5' (decimals=1); `empty` for None,
    '' or anything that is not a number."""
    amount = _decimal(value)
    if amount is None:
        return empty
    amount = amount.quantize(Decimal(1).scaleb(-decimals), ROUND_HALF_UP)
    text = f"{abs(amount):,.{decimals}f}"  # '1,234,567.5'
    whole, _dot, fraction = text.partition(".")
    text = whole.replace(",", ".") + ("," + fraction if fraction else "")
    return ("-" + text) if amount < 0 else text


def percent(value, decimals: int = 2, *, empty: str = DASH) -> str:
    """17.62 → '17,62 %' (a space before the sign, as every page and document writes it)."""
    text = number(value, decimals, empty="")
    return f"{text} %" if text else empty


def rupiah(value, *, empty: str = DASH) -> str:
    """400000000 → 'Rp 400.000.000' (whole rupiah: budgets carry no cents)."""
    text = number(value, 0, empty="")
    return f"Rp {text}" if text else empty


def date_id(day: date | None, *, empty: str = DASH) -> str:
    """date(2026, 3, 18) → '18 Maret 2026'."""
    if day is None:
        return empty
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def day_name(day: date) -> str:
    """date(2026, 3, 18) → 'Rabu'."""
    return DAYS[day.weekday()]
