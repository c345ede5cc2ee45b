"""`/healthz` for a load balancer or a monitor, and the heartbeats it reads.

Checks, each cheap (about a millisecond together on loopback; see README "Health"):
- database: `SELECT 1` on the request's connection;
- redis: one pipelined round trip (PING and the heartbeat keys below);
- worker:<queue>: a worker consuming that queue wrote its heartbeat within WORKER_STALE
  seconds (config/heartbeat.py: the workers' consumers write it every 10 s);
- beat: beat ticked within BEAT_STALE seconds (config/heartbeat.py: beat writes the time of
  its tick);
- disk: free space where MEDIA_ROOT lives is at least HEALTH_MIN_FREE_MB.

200 with JSON when every check passes, 503 naming the failing ones. No personal data and no
host names: ages in seconds and the free megabytes only. Without REDIS_URL (`make run`) tasks
run in-process: there is no worker or beat to see, and those checks are not made.

The answer is kept HEALTH_CACHE_SECONDS (2 s) per process, so that a burst of probes (several
load balancers, or someone hammering this public URL) costs one round of checks.

`HealthMiddleware`, first in MIDDLEWARE, answers /healthz before host validation, the HTTPS
redirect, sessions and the tenant middleware: a load balancer calls it by the node's address
over plain HTTP."""

import json
import logging
import shutil
import time
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.http import JsonResponse

from accounts.policy import public_view

from .heartbeat import key, redis_client

logger = logging.getLogger(__name__)

PATH = "/healthz"
WORKER_STALE = 60  # six heartbeats (config.heartbeat.HEARTBEAT_SECONDS)
BEAT_STALE = 120  # four of beat's longest sleeps (CELERY_BEAT_MAX_LOOP_INTERVAL)

_cached: tuple[float, int, dict] | None = None


def _timed(check) -> dict:
    started = time.perf_counter()
    try:
        result = check()
    except Exception as exc:  # any failure is the answer; its class, never its text
        result = {"ok": False, "error": type(exc).__name__}
    result["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return result


def _database() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"ok": True}


def _disk() -> dict:
    if not settings.STORAGES["default"]["BACKEND"].endswith("FileSystemStorage"):
        return {"ok": True, "note": "object storage"}
    folder = Path(settings.MEDIA_ROOT)
    while not folder.exists() and folder != folder.parent:  # not created before the first file
        folder = folder.parent
    free_mb = shutil.disk_usage(folder).free // (1024 * 1024)
    return {"ok": free_mb >= settings.HEALTH_MIN_FREE_MB, "free_mb": free_mb}


def _age(raw: bytes | None, now: float) -> float | None:
    if raw is None:
        return None
    return round(max(0.0, now - json.loads(raw)["at"]), 1)


def run_checks() -> dict:
    checks = {"database": _timed(_database), "disk": _timed(_disk)}
    if settings.REDIS_URL:
        names = [f"worker:{queue}" for queue in settings.HEALTH_QUEUES] + ["beat"]
        seen: dict[str, bytes | None] = {}

        def _redis() -> dict:
            pipe = redis_client().pipeline(transaction=False)
            pipe.ping()
            pipe.mget([key(name) for name in names])
            _pong, values = pipe.execute()
            seen.update(zip(names, values, strict=True))
            return {"ok": True}

        checks["redis"] = _timed(_redis)
        now = time.time()
        for name in names:
            if not checks["redis"]["ok"]:
                checks[name] = {"ok": False, "error": "redis"}
                continue
            age = _age(seen[name], now)
            limit = BEAT_STALE if name == "beat" else WORKER_STALE
            checks[name] = {"ok": age is not None and age <= limit, "age_s": age}
    return checks


def health() -> tuple[int, dict]:
    global _cached
    now = time.monotonic()
    if _cached is not None and now - _cached[0] < settings.HEALTH_CACHE_SECONDS:
        return _cached[1], _cached[2]
    checks = run_checks()
    failing = sorted(name for name, check in checks.items() if not check["ok"])
    status = 503 if failing else 200
    if failing:  # (a passing probe is not logged: one every few seconds from each balancer)
        logger.warning("health: failing %s", ", ".join(failing), extra={"checks": checks})
    body = {"status": "fail" if failing else "ok", "failing": failing, "checks": checks}
    _cached = (now, status, body)
    return status, body


@public_view()
def healthz(request):
    """The health answer (also reached through the URL list, for the URL walk)."""
    status, body = health()
    response = JsonResponse(body, status=status)
    response["Cache-Control"] = "no-store"
    # answered before the middleware that sets them: the headers every answer carries
    response["Content-Security-Policy"] = "sandbox; default-src 'none'; frame-ancestors 'none'"
    response["X-Frame-Options"] = "DENY"
    response["X-Content-Type-Options"] = "nosniff"
    response["Referrer-Policy"] = "same-origin"
    response["Cross-Origin-Opener-Policy"] = "same-origin"
    response._has_been_logged = True  # health() logged the failing checks; not Django again
    return response


class HealthMiddleware:
    """Answers GET/HEAD /healthz first, whatever the Host header or scheme."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info == PATH and request.method in ("GET", "HEAD"):
            return healthz(request)
        return self.get_response(request)
