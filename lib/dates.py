"""Dates as documents write them. A printed document (the scorecard, a commitment) is in
Indonesian whatever language the reader's interface is in, so its day and month names are
Indonesian words here, not translations that follow the active language."""

from datetime import date

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


def long_date(day: date) -> str:
    """date(2026, 3, 18) → '18 Maret 2026'."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def day_name(day: date) -> str:
    """date(2026, 3, 18) → 'Rabu'."""
    return DAYS[day.weekday()]
