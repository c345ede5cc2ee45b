"""The heartbeats that /healthz reads (config/health.py), written to Redis by the Celery
processes themselves: no task is sent for them, so they cost the queues nothing.

- `WorkerHeartbeat`, a bootstep of every worker's consumer (config/celery.py adds it): it
  starts once the worker consumes its queues (again after a lost broker connection) and writes
  `worker:<queue>` for each queue it consumes, then every HEARTBEAT_SECONDS from the worker's
  own timer, in its event loop. A worker that is gone, has lost the broker, or whose event
  loop hangs stops writing.
- `BeatScheduler`: Celery's default scheduler (the schedule file of `--schedule`), writing the
  time of its tick (CELERY_BEAT_SCHEDULER in settings); beat ticks at least every
  CELERY_BEAT_MAX_LOOP_INTERVAL seconds.

This module is imported with the Celery app, before Django's apps are ready: no models here."""

import json
import logging
import time

import redis
from celery import bootsteps
from celery.beat import PersistentScheduler
from django.conf import settings

logger = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 10
KEY_TTL = 600  # a heartbeat key outlives its staleness, so that the page can say how old it is

_client: redis.Redis | None = None


def key(name: str) -> str:
    return f"{settings.CACHE_KEY_PREFIX}:health:{name}"


def redis_client() -> redis.Redis:
    """One connection pool per process, with short timeouts: a health check must not hang."""
    global _client
    if _client is None:
        _client = redis.Redis.from_url(
            settings.REDIS_URL, socket_connect_timeout=0.5, socket_timeout=0.5
        )
    return _client


def _write(name: str) -> None:
    try:
        redis_client().set(key(name), json.dumps({"at": time.time()}), ex=KEY_TTL)
    except redis.RedisError as exc:  # the health page will say so; do not stop the worker
        logger.warning("health heartbeat %s not written: %s", name, exc)


class WorkerHeartbeat(bootsteps.StartStopStep):
    """A consumer bootstep: starts once the worker consumes its queues (after a lost broker
    connection, again), writes `worker:<queue>` for each queue it consumes, and repeats from
    the worker's timer."""

    requires = {"celery.worker.consumer.tasks:Tasks"}

    def __init__(self, parent, **kwargs):
        super().__init__(parent, **kwargs)
        self.timer_ref = None

    def start(self, parent):
        queues = sorted(queue.name for queue in parent.task_consumer.queues)

        def beat():
            for queue in queues:
                _write(f"worker:{queue}")

        beat()
        self.timer_ref = parent.timer.call_repeatedly(HEARTBEAT_SECONDS, beat)

    def stop(self, parent):
        if self.timer_ref is not None:
            self.timer_ref.cancel()
            self.timer_ref = None

    shutdown = stop


class BeatScheduler(PersistentScheduler):
    """Celery's default scheduler (the schedule file of `--schedule`), writing the time of its
    tick for the health check; beat ticks at least every CELERY_BEAT_MAX_LOOP_INTERVAL."""

    _written = 0.0

    def tick(self, *args, **kwargs):
        interval = super().tick(*args, **kwargs)
        now = time.monotonic()
        if now - self._written >= HEARTBEAT_SECONDS / 2:
            _write("beat")
            self._written = now
        return interval
