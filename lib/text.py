"""Free text typed by people: the limits on its length and the one cleaner every form and
service runs it through before storing it.

The cleaner removes the invisible characters that change the direction of text (the
right-to-left override U+202E and its kin): names and points with them are stored and printed
reversed, so that an official PDF reads differently from what the portal shows. Indonesian
documents are written left to right; Arabic or other right-to-left letters themselves are
kept, only the control characters go.

The limits keep any one request cheap: 4.5 MB of text in a commitment's preamble kept a worker
busy for more than a minute. They are generous for what the fields are for.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from lib import formats

# U+202A–U+202E (embeddings, overrides, pop), U+2066–U+2069 (isolates), U+200E/U+200F (marks)
# and U+061C (Arabic letter mark)
BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
_NO_BIDI = str.maketrans("", "", BIDI_CONTROLS)

# Characters. NAME: a person, position, organisation, place; LINE: a title, a commitment point,
# a caption; NOTE: remarks, reasons, comments, justifications, a preamble, an agenda;
# MINUTES: the minutes of a meeting (about 25 printed pages).
NAME = 200
LINE = 1_000
NOTE = 5_000
MINUTES = 50_000
# Lines in one pasted list (commitment points, participants)
MAX_LINES = 500


def strip_bidi(text: str) -> str:
    """`text` without bidirectional control characters."""
    return text.translate(_NO_BIDI) if text else text


def too_long(limit: int, length: int) -> str:
    return _("Paling banyak %(limit)s karakter (yang diisi: %(n)s).") % {
        "limit": formats.number(limit),
        "n": formats.number(length),
    }


def cleaned(**fields: tuple[str | None, int]) -> dict[str, str]:
    """Each `name=(value, limit)` as the value without bidirectional controls, or one
    ValidationError naming every field longer than its limit (so that nothing is stored)."""
    values, errors = {}, {}
    for name, (value, limit) in fields.items():
        value = strip_bidi(value or "")
        if len(value) > limit:
            errors[name] = too_long(limit, len(value))
        values[name] = value
    if errors:
        raise ValidationError(errors)
    return values


def clean_one(value: str | None, limit: int, field: str | None = None) -> str:
    """One value without bidirectional controls, or a ValidationError (at `field` when given)
    when it is longer than `limit`."""
    value = strip_bidi(value or "")
    if len(value) > limit:
        message = too_long(limit, len(value))
        raise ValidationError({field: message} if field else message)
    return value


def strip_form_text(cleaned_data: dict) -> dict:
    """A form's cleaned data with bidirectional controls removed from every text value (for
    forms that save a model themselves)."""
    for name, value in cleaned_data.items():
        if isinstance(value, str):
            cleaned_data[name] = strip_bidi(value)
    return cleaned_data
