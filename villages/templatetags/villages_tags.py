from django import template

from lib.rupiah import format_rupiah as _rupiah

register = template.Library()


@register.filter
def rupiah(value) -> str:
    return _rupiah(value)


@register.filter
def pct(value) -> str:
    """Decimal('82.50') → '82,50 %'; None → '–' (nothing to divide by)."""
    if value is None or value == "":
        return "–"
    return f"{value:.2f}".replace(".", ",") + " %"


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None
