"""Structured logs: one JSON object per line in production (LOG_FORMAT=json, the default when
DEBUG is off), plain text under `make run`.

- `RequestLogMiddleware` (first in MIDDLEWARE) gives every request an id: the proxy's
  X-Request-ID when a proxy of ours stands in front (TRUSTED_PROXY_COUNT > 0) and the value is
  a plausible id, else a new one. It is returned as the X-Request-ID response header, attached
  to every record logged while the request runs, and the request ends with one line
  (`konvergensi.request`): method, path, route, status, duration, user id and district slug.
  URL arguments named like a token (invitation and verification links) are replaced by `…`
  in the logged path: a log must not hand out a working link.
- Celery tasks: config/celery.py puts the task's id and name and its job's id into the same
  context (`bind_task`), so that every line a task logs carries them.
- `JsonFormatter`: a dozen lines rather than a dependency; the standard fields, the context
  above, whatever a call passes in `extra=`, and the traceback."""

import contextvars
import json
import logging
import re
import time
import uuid
from datetime import UTC, datetime

from django.conf import settings

CONTEXT: contextvars.ContextVar[dict | None] = contextvars.ContextVar("log_context", default=None)
# letters, digits and . _ : - only, 8 to 128 of them: a UUID, a hex id, nginx's $request_id
REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{7,127}")
REQUEST_LOGGER = logging.getLogger("konvergensi.request")

# the attributes every LogRecord has; anything else on a record came from `extra=`
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


def bind(**values) -> contextvars.Token:
    """Add `values` to every record logged in this context until `unbind(token)`."""
    return CONTEXT.set({**(CONTEXT.get() or {}), **values})


def unbind(token: contextvars.Token) -> None:
    CONTEXT.reset(token)


class ContextFilter(logging.Filter):
    """Puts the context's values on each record (the plain format shows the request id)."""

    def filter(self, record):
        context = CONTEXT.get() or {}
        for name, value in context.items():
            if not hasattr(record, name):
                setattr(record, name, value)
        if not hasattr(record, "request_id"):
            record.request_id = "-"
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record):
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name, value in vars(record).items():
            if name not in _STANDARD and not name.startswith("_") and value not in (None, "-"):
                entry[name] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


def _request_id(request) -> str:
    if settings.TRUSTED_PROXY_COUNT > 0:
        given = request.headers.get("X-Request-ID", "")
        if REQUEST_ID.fullmatch(given):
            return given
    return uuid.uuid4().hex


def _logged_path(request) -> tuple[str, str]:
    """The path with token-like URL arguments blanked, and the route that matched."""
    path = request.path
    match = getattr(request, "resolver_match", None)
    if match is None:
        return path, ""
    for name, value in match.kwargs.items():
        if "token" in name and isinstance(value, str) and value:
            path = path.replace(value, "…")
    return path, match.route


class RequestLogMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = _request_id(request)
        request.request_id = request_id
        token = bind(request_id=request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request_id
            duration_ms = round((time.perf_counter() - started) * 1000, 1)
            path, route = _logged_path(request)
            # the user only if the request looked him up (no extra query for the log's sake)
            user = getattr(request, "_cached_user", None)
            district = getattr(request, "district", None)
            REQUEST_LOGGER.log(
                logging.ERROR if response.status_code >= 500 else logging.INFO,
                "%s %s %s %.1fms",
                request.method,
                path,
                response.status_code,
                duration_ms,
                extra={
                    "method": request.method,
                    "path": path,
                    "route": route,
                    "status": response.status_code,
                    "duration_ms": duration_ms,
                    "user_id": user.pk if user is not None and user.is_authenticated else None,
                    "district": district.slug if district is not None else None,
                },
            )
            return response
        finally:
            unbind(token)
