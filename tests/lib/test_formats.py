"""Indonesian numbers, percentages, rupiah and dates (lib.formats), the same on pages, in
documents and in the template filters, whatever the interface language."""

from datetime import date
from decimal import Decimal

from django.template import Context, Template
from django.utils import translation

from lib import formats


def test_numbers_group_thousands_with_dots_and_decimals_with_a_comma():
    assert formats.number(1234567.5, decimals=1) == "1.234.567,5"
    assert formats.number(1234567) == "1.234.567"
    assert formats.number(999) == "999"
    assert formats.number(0) == "0"
    assert formats.number(Decimal("82.5"), 2) == "82,50"
    assert formats.number("1500") == "1.500"
    assert formats.number(-1234.5, 1) == "-1.234,5"


def test_rounding_is_half_up():
    assert formats.number(1234567.5) == "1.234.568"
    assert formats.number(0.125, 2) == "0,13"
    assert formats.number(2.675, 2) == "2,68"  # the float is a little below 2.675
    assert formats.number(Decimal("2.5")) == "3"
    assert formats.number(-0.4) == "0"  # no "-0"


def test_a_missing_value_is_a_dash_or_what_the_caller_says():
    for missing in (None, "", "abc", float("nan"), True):
        assert formats.number(missing) == "–"
    assert formats.number(None, empty="") == ""
    assert formats.percent(None) == "–"
    assert formats.rupiah(None) == "–"
    assert formats.date_id(None) == "–"


def test_percentages_as_pages_and_documents_print_them():
    assert formats.percent(17.62) == "17,62 %"
    assert formats.percent(Decimal("82.5")) == "82,50 %"
    assert formats.percent(7, decimals=0) == "7 %"
    assert formats.percent(100) == "100,00 %"


def test_rupiah_without_cents():
    assert formats.rupiah(400_000_000) == "Rp 400.000.000"
    assert formats.rupiah(0) == "Rp 0"
    assert formats.rupiah(Decimal("1250000000")) == "Rp 1.250.000.000"


def test_dates_are_indonesian_whatever_the_interface_language():
    with translation.override("en"):
        assert formats.date_id(date(2026, 3, 18)) == "18 Maret 2026"
        assert formats.date_id(date(2026, 1, 1)) == "1 Januari 2026"
        assert formats.date_id(date(2025, 12, 31)) == "31 Desember 2025"
        assert formats.day_name(date(2026, 3, 18)) == "Rabu"
        assert formats.day_name(date(2026, 3, 22)) == "Minggu"


def test_template_filters():
    template = Template(
        "{% load villages_tags %}{{ n|number_id:1 }} | {{ p|pct }} | {{ none|pct }} | "
        "Rp {{ r|rupiah }} | {{ bad|rupiah|default:bad }} | {{ d|date_id }}"
    )
    context = Context(
        {
            "n": 1234567.5,
            "p": Decimal("82.5"),
            "none": None,
            "r": 400_000_000,
            "bad": "12x",
            "d": date(2026, 3, 18),
        }
    )
    with translation.override("en"):
        assert template.render(context) == (
            "1.234.567,5 | 82,50 % | – | Rp 400.000.000 | 12x | 18 Maret 2026"
        )
