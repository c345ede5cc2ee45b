"""Refusing a save made from a page that is out of date.

A form that edits a record carries the record's edit token (its last-change time) in a hidden
field. The service compares it with the locked row before writing: when someone else saved in
between, the save is refused with who changed it and when, and the view shows the form again
with what the user typed, so that nothing is silently overwritten and nothing typed is lost.
"""

from django.core.exceptions import ValidationError
from django.utils import formats, timezone
from django.utils.translation import gettext as _

FIELD = "edit_token"


def edit_token(obj, field: str = "updated_at") -> str:
    value = getattr(obj, field, None)
    return value.isoformat() if value else "-"


class StaleEdit(ValidationError):
    """Someone else saved the record after the form was opened."""


def check_fresh(obj, expected: str | None, *, field: str = "updated_at", by: str = "updated_by"):
    """Raise StaleEdit when `expected` (the token the form was opened with) is not the record's
    current token. `expected=None` means the caller has no form token (commands, the demo):
    nothing to compare."""
    if expected is None or expected == edit_token(obj, field):
        return
    who = getattr(obj, by, None)
    when = getattr(obj, field, None)
    name = (who.full_name or who.email) if who is not None else _("pengguna lain")
    moment = formats.date_format(timezone.localtime(when), "j F Y H:i") if when else "?"
    raise StaleEdit(
        _(
            "Data ini sudah diubah oleh %(who)s pada %(when)s, setelah halaman ini Anda buka. "
            "Isian Anda belum disimpan dan masih ada di bawah: periksa lagi, lalu simpan."
        )
        % {"who": name, "when": moment}
    )


def posted_token(request) -> str | None:
    """The edit token of a posted form, or None when the form carried none."""
    return request.POST.get(FIELD) if request.method == "POST" else None
