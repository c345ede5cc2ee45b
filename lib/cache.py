"""The cache behind rate limits and one-time-code replay protection: Redis, and the database
when Redis does not answer.

Rate limits must be shared by every worker process (a per-process cache lets three processes
allow three times the logins), and must not turn a Redis outage into a server error on the
login page. `FailoverCache` sends every operation to Redis; when Redis fails to answer it
logs at ERROR and serves the operation, and every operation for `RETRY_AFTER` seconds, from
the database cache instead (`django.core.cache.backends.db.DatabaseCache`, the table made by
the `createcachetable` migration in accounts). Counters restart in the other store when it
switches: a limit may allow one window's worth more during an outage, never less.
"""

import logging
import time

from django.core.cache import caches
from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.redis import RedisCache

logger = logging.getLogger(__name__)

_OPERATIONS = (
    "add",
    "get",
    "set",
    "touch",
    "delete",
    "get_many",
    "has_key",
    "incr",
    "decr",
    "set_many",
    "delete_many",
    "clear",
)


class FailoverCache(BaseCache):
    """Redis at LOCATION; OPTIONS["FALLBACK"] names the cache alias used while Redis does not
    answer (default "database"), OPTIONS["RETRY_AFTER"] how many seconds to wait before trying
    Redis again (default 30). Other OPTIONS go to the Redis client."""

    def __init__(self, server, params):
        super().__init__(params)
        options = dict(params.get("OPTIONS") or {})
        self._fallback_alias = options.pop("FALLBACK", "database")
        self._retry_after = float(options.pop("RETRY_AFTER", 30))
        self._primary = RedisCache(server, {**params, "OPTIONS": options})
        self._down_until = 0.0

    def _fallback(self):
        return caches[self._fallback_alias]

    def _call(self, name, *args, **kwargs):
        import redis

        if time.monotonic() >= self._down_until:
            try:
                return getattr(self._primary, name)(*args, **kwargs)
            except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as exc:
                self._down_until = time.monotonic() + self._retry_after
                logger.error(
                    "Redis does not answer (%s); rate limits and one-time codes use the "
                    "database cache for the next %d s",
                    exc,
                    self._retry_after,
                )
        return getattr(self._fallback(), name)(*args, **kwargs)

    def close(self, **kwargs):
        self._primary.close(**kwargs)


def _operation(name):
    def method(self, *args, **kwargs):
        return self._call(name, *args, **kwargs)

    method.__name__ = name
    return method


for _name in _OPERATIONS:
    setattr(FailoverCache, _name, _operation(_name))
