"""A request carrying a NUL character in any field is refused as a whole, before a view sees it.

Nobody types a NUL: it comes from a tool or an attack. PostgreSQL cannot store it in text, so a
NUL that reached a query or a save as raw text (a reason, a remark, a note read straight from
request.POST) failed the request with a 500 after the work had begun. Django's form fields
refuse it one field at a time; this refuses it everywhere, with a 400 and a message, so that no
view and no service has to remember to.
"""

from django.shortcuts import render
from django.utils.translation import gettext as _


def has_nul(request) -> bool:
    """True when a query or form value, a field name or an uploaded file's name holds NUL."""
    sources = [request.GET]
    if request.method in ("POST", "PUT", "PATCH"):
        sources.append(request.POST)
        sources.append({k: [f.name or "" for f in v] for k, v in request.FILES.lists()})
    for source in sources:
        items = source.lists() if hasattr(source, "lists") else source.items()
        for key, values in items:
            if "\x00" in key or any(isinstance(v, str) and "\x00" in v for v in values):
                return True
    return False


class RefuseNulMiddleware:
    """After lib.ratelimit.RequestGuardMiddleware (whose size and per-address limits answer
    before the body is read) and before CSRF checking and the view."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not has_nul(request):
            return None
        message = _("Isian berisi karakter yang tidak sah (NUL). Ketik ulang isiannya lalu kirim.")
        return render(request, "refused.html", {"message": message, "status": 400}, status=400)
