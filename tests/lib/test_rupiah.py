"""Rupiah as typed in Indonesia: dots between thousands, a comma before cents, which budgets
never have. Whatever could be read as two different amounts is refused with a message."""

import pytest

from lib.rupiah import format_rupiah, parse_rupiah


@pytest.mark.parametrize(
    "typed",
    [
        "400.000.000",
        "Rp 400.000.000",
        "Rp400.000.000",
        "rp. 400.000.000",
        "400000000",
        " 400 000 000 ",
        "400.000.000,00",
        "Rp 400.000.000,-",
        "400\u00a0000\u00a0000",  # a no-break space, as pasted from a spreadsheet
    ],
)
def test_four_hundred_million_however_typed(typed):
    assert parse_rupiah(typed) == 400_000_000


def test_small_and_blank_amounts():
    assert parse_rupiah("0") == 0
    assert parse_rupiah("950") == 950
    assert parse_rupiah("1.500") == 1_500  # Indonesian thousands, not one and a half
    assert parse_rupiah("") is None
    assert parse_rupiah("   ") is None
    assert parse_rupiah(None) is None


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        # 400 thousand rupiah and 50 sen: rupiah budgets have no cents
        ("400.000,50", "Rupiah tidak memakai sen"),
        ("1.000,5", "Rupiah tidak memakai sen"),
        # English thousands, or 400 with three decimals: ambiguous
        ("400,000", "Pakai titik untuk memisahkan ribuan"),
        ("400,000,000", "Pakai titik untuk memisahkan ribuan"),
        # not groups of three
        ("1.5", "Titik hanya untuk memisahkan ribuan"),
        ("40.00.000", "Titik hanya untuk memisahkan ribuan"),
        ("400.000.00", "Titik hanya untuk memisahkan ribuan"),
        ("-100", "Tidak boleh negatif"),
        ("Rp -100.000", "Tidak boleh negatif"),
        ("1,5 juta", "Isi angka rupiah"),
        ("seratus ribu", "Isi angka rupiah"),
        ("Rp", "Isi angka rupiah"),
        ("\u0664\u0660\u0660", "Isi angka rupiah"),  # Arabic-Indic digits
        ("9" * 16, "Angka terlalu besar"),
    ],
)
def test_ambiguous_or_wrong_amounts_are_refused_with_a_reason(typed, message):
    with pytest.raises(ValueError) as refused:
        parse_rupiah(typed)
    assert str(refused.value.args[0]).startswith(message)


def test_format():
    assert format_rupiah(400_000_000) == "400.000.000"
    assert format_rupiah(0) == "0"
    assert format_rupiah(None) == ""
    assert parse_rupiah(format_rupiah(123_456_789)) == 123_456_789
