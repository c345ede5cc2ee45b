"""Who is asking, and how often: the client address behind our proxies, fixed-window counters
in the shared cache, and a middleware that answers before anything reads a request's body.

`client_ip` is the one reader of the client address: allauth (login and reset limits, user
sessions, through accounts.adapter), the audit log and every limit of our own use it.
"""

import hashlib
import ipaddress
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.shortcuts import render
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)


def client_ip(request) -> str:
    """The client's address. Behind settings.TRUSTED_PROXY_COUNT proxies it is the entry that
    many hops from the right of X-Forwarded-For: each proxy appends the address it was
    reached from, so entries further left are the client's own word and are ignored. With no
    trusted proxy the header is ignored and the socket address is used, and so it is when the
    header is shorter than the proxy count or not an address (a request that bypassed the
    proxy, or a misconfiguration: logged), which at worst puts such requests in one bucket."""
    remote = request.META.get("REMOTE_ADDR") or ""
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    header = request.META.get("HTTP_X_FORWARDED_FOR", "")
    hops = [hop.strip() for hop in header.split(",") if hop.strip()]
    if len(hops) < count:
        logger.warning(
            "X-Forwarded-For has %d entries for %d trusted proxies; using the socket address",
            len(hops),
            count,
        )
        return remote
    try:
        return str(ipaddress.ip_address(hops[-count]))
    except ValueError:
        logger.warning("X-Forwarded-For entry %r is not an address", hops[-count][:60])
        return remote


def _key(scope: str, who: str) -> str:
    return f"rl:{scope}:{hashlib.sha256(who.encode()).hexdigest()[:32]}"


def hit(scope: str, who: str, *, limit: int, seconds: int) -> bool:
    """Count one use of `scope` by `who` in the current window of `seconds`; True when this use
    is over `limit` (the caller refuses it)."""
    key = _key(scope, who)
    cache.add(key, 0, seconds)
    try:
        count = cache.incr(key)
    except ValueError:  # the window ended between add and incr
        cache.set(key, 1, seconds)
        count = 1
    return count > limit


def exceeded(scope: str, who: str, *, limit: int) -> bool:
    """Whether `who` has used up `scope` in the current window, without counting a use."""
    return (cache.get(_key(scope, who)) or 0) >= limit


@dataclass(frozen=True)
class Limit:
    scope: str
    limit: int  # requests per address per window
    seconds: int
    methods: tuple[str, ...]
    max_body: int | None  # bytes; None: settings.MAX_REQUEST_BYTES


def limited(scope: str, *, limit: int, seconds: int, methods=("POST",), max_body=None):
    """Declare a per-address limit on a view (and optionally a smaller body cap), applied by
    RequestGuardMiddleware before CSRF checking or the view reads the body."""

    def decorate(view):
        view.request_limit = Limit(scope, limit, seconds, tuple(methods), max_body)
        return view

    return decorate


def _content_length(request) -> int:
    try:
        return max(int(request.META.get("CONTENT_LENGTH") or 0), 0)
    except ValueError:
        return 0


def _refuse(request, status: int, message: str):
    return render(request, "refused.html", {"message": message, "status": status}, status=status)


class RequestGuardMiddleware:
    """Refuses, before any part of the body is read, a request whose declared size is over
    settings.MAX_REQUEST_BYTES (Django only reads up to CONTENT_LENGTH, so the declared size
    bounds what a request costs), and a request to a view declared `limited` that is over
    its size or its per-address budget. Must come before CsrfViewMiddleware, whose check of
    a POST reads the form."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _content_length(request) > settings.MAX_REQUEST_BYTES:
            return self._too_large(request, settings.MAX_REQUEST_BYTES)
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        rule = getattr(view_func, "request_limit", None)
        if rule is None or request.method not in rule.methods:
            return None
        if rule.max_body is not None and _content_length(request) > rule.max_body:
            return self._too_large(request, rule.max_body)
        if hit(rule.scope, client_ip(request), limit=rule.limit, seconds=rule.seconds):
            response = _refuse(
                request,
                429,
                _("Terlalu banyak permintaan dari alamat ini. Coba lagi dalam %(n)d menit.")
                % {"n": max(rule.seconds // 60, 1)},
            )
            response["Retry-After"] = str(rule.seconds)
            return response
        return None

    def _too_large(self, request, limit: int):
        # the body stays unread: close the connection rather than drain it
        response = _refuse(
            request,
            413,
            _("Permintaan terlalu besar; batasnya %(limit)s.") % {"limit": filesizeformat(limit)},
        )
        response["Connection"] = "close"
        return response
