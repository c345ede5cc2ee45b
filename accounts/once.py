"""Forms that create something apply once, however often they are sent.

A form that creates a record (a document, a comment, an invitation, an upload…) carries a
one-time key in a hidden field (`{% once_field %}`). `@submitted_once` claims the key for the
user in the same transaction as the view's work: a double click, a resent request after a
timeout or a second tab with the same form finds the key taken and is sent where the first
submission led, without applying anything a second time. A refused form frees its key, so the
corrected form can be sent again.
"""

import secrets
from datetime import timedelta
from functools import wraps

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import FormSubmission

FIELD = "once"
KEPT = timedelta(days=2)  # a form left open longer than this may apply again


def new_key() -> str:
    return secrets.token_urlsafe(18)


def key_for(request) -> str:
    """The key a rendered form carries: the posted one when the form is shown again after a
    refusal (so that the retry is protected too), a new one otherwise."""
    posted = request.POST.get(FIELD, "") if request.method == "POST" else ""
    return posted if _valid(posted) else new_key()


def _valid(key: str) -> bool:
    return 16 <= len(key) <= 64 and key.replace("-", "").replace("_", "").isalnum()


def _refused(request) -> bool:
    """The view said, with an error message, that it applied nothing (some views answer a
    refused form with a redirect to the page that shows the message)."""
    queued = getattr(getattr(request, "_messages", None), "_queued_messages", ())
    return any(m.level >= messages.ERROR for m in queued)


def submitted_once(view):
    """Apply a POST once per form key. GETs and forms without a key pass through unchanged."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        key = request.POST.get(FIELD, "") if request.method == "POST" else ""
        if not _valid(key) or not request.user.is_authenticated:
            return view(request, *args, **kwargs)
        with transaction.atomic():
            try:
                with transaction.atomic():
                    claim = FormSubmission.objects.create(user=request.user, key=key)
            except IntegrityError:
                # A twin of this request got here first; its transaction has committed, since
                # the unique index made this insert wait for it.
                earlier = FormSubmission.objects.filter(user=request.user, key=key).first()
                messages.info(request, _("Formulir ini sudah terkirim; tidak diterapkan dua kali."))
                return redirect((earlier and earlier.result_url) or request.get_full_path())
            FormSubmission.objects.filter(user=request.user, at__lt=timezone.now() - KEPT).delete()
            response = view(request, *args, **kwargs)
            if (
                300 <= response.status_code < 400
                and response.get("Location")
                and not _refused(request)
            ):
                FormSubmission.objects.filter(pk=claim.pk).update(
                    result_url=response["Location"][:500]
                )
            else:
                # The form was refused (shown again, or a redirect saying why): the corrected
                # form may be sent.
                FormSubmission.objects.filter(pk=claim.pk).delete()
            return response

    return wrapped
