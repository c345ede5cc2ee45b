from django import template

from lib import formats
from lib.rupiah import format_rupiah as _rupiah

register = template.Library()


@register.filter
def rupiah(value) -> str:
    """400000000 → '400.000.000' (templates write "Rp" before it); '' when not a number, so
    that `|default:value` shows what was typed."""
    return _rupiah(value)


@register.filter
def pct(value) -> str:
    """Decimal('82.50') → '82,50 %'; None → '–' (nothing to divide by)."""
    return formats.percent(value)


@register.filter
def number_id(value, decimals=0) -> str:
    """`{{ 1234567.5|number_id:1 }}` → '1.234.567,5'; '–' when there is no value."""
    return formats.number(value, int(decimals))


@register.filter
def date_id(value) -> str:
    """A date in Indonesian whatever the interface language (documents): '18 Maret 2026'."""
    return formats.date_id(value)


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None
