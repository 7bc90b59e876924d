"""A Redis cache whose loss makes Syllabus slower, never broken.

Django's RedisCache raises when Redis is unreachable, so a Redis outage would turn every
request that touches the cache (sessions included) into a 500. Here every operation that
fails on a connection or timeout error acts as a cache miss, and a warning is logged at
most once a minute per process. No maintained library wraps Django's built-in backend
this way, hence this small subclass.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import structlog
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = structlog.get_logger(__name__)

UNAVAILABLE = (RedisConnectionError, RedisTimeoutError, OSError)
_WARN_EVERY = 60.0


class ReusedClientRedisCacheClient(RedisCacheClient):
    """Django's client builds a new ``redis.Redis`` for every cache operation (about 0.4
    ms each: it copies the response callbacks into a fresh dictionary), six or more per
    page. A ``redis.Redis`` over a connection pool is thread-safe, so one per pool is
    kept and reused."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        base: Any = self  # Django's private attributes, which django-stubs does not declare
        index = base._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            # setdefault: two threads racing here end up sharing one pool and one client.
            pool = base._pools.get(index) or base._pools.setdefault(
                index, base._pool_class.from_url(base._servers[index], **base._pool_options)
            )
            client = self._clients.setdefault(index, base._client(connection_pool=pool))
        return client


class ResilientRedisCache(RedisCache):
    _last_warning = 0.0
    _lock = threading.Lock()

    def __init__(self, server: Any, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = ReusedClientRedisCacheClient  # Django's __init__ sets its own

    def _unavailable(self, operation: str, exc: BaseException) -> None:
        now = time.monotonic()
        with self._lock:
            if now - ResilientRedisCache._last_warning < _WARN_EVERY:
                return
            ResilientRedisCache._last_warning = now
        log.warning("cache.unavailable", operation=operation, error=type(exc).__name__)

    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        try:
            return super().get(key, default, version)
        except UNAVAILABLE as exc:
            self._unavailable("get", exc)
            return default

    def get_many(self, keys: Any, version: int | None = None) -> dict[Any, Any]:
        try:
            return super().get_many(keys, version)
        except UNAVAILABLE as exc:
            self._unavailable("get_many", exc)
            return {}

    def has_key(self, key: Any, version: int | None = None) -> bool:
        try:
            return super().has_key(key, version)
        except UNAVAILABLE as exc:
            self._unavailable("has_key", exc)
            return False

    def set(self, key: Any, value: Any, timeout: Any = ..., version: int | None = None) -> None:
        kwargs = {} if timeout is ... else {"timeout": timeout}
        try:
            super().set(key, value, version=version, **kwargs)
        except UNAVAILABLE as exc:
            self._unavailable("set", exc)

    def add(self, key: Any, value: Any, timeout: Any = ..., version: int | None = None) -> bool:
        """True (stored) while Redis is unreachable: callers use ``add`` as a lock
        (allauth's rate limits take one around every sign-in), and a lock that can never be
        taken turned a Redis outage into 429s for every sign-in (found by
        tests/faults/test_redis_outage.py). Failing open matches the rest of the outage
        behaviour: slower and less strict, never refusing."""
        kwargs = {} if timeout is ... else {"timeout": timeout}
        try:
            return super().add(key, value, version=version, **kwargs)
        except UNAVAILABLE as exc:
            self._unavailable("add", exc)
            return True

    def set_many(self, data: Any, timeout: Any = ..., version: int | None = None) -> list[Any]:
        kwargs = {} if timeout is ... else {"timeout": timeout}
        try:
            return super().set_many(data, version=version, **kwargs)
        except UNAVAILABLE as exc:
            self._unavailable("set_many", exc)
            return list(data)

    def touch(self, key: Any, timeout: Any = ..., version: int | None = None) -> bool:
        kwargs = {} if timeout is ... else {"timeout": timeout}
        try:
            return super().touch(key, version=version, **kwargs)
        except UNAVAILABLE as exc:
            self._unavailable("touch", exc)
            return False

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        """Raises ValueError for a missing key (as Django's does), also when Redis is
        unreachable: callers then fall back to ``set``, which is a no-op."""
        try:
            return super().incr(key, delta, version)
        except UNAVAILABLE as exc:
            self._unavailable("incr", exc)
            raise ValueError("cache unavailable") from exc

    def delete(self, key: Any, version: int | None = None) -> bool:
        try:
            return super().delete(key, version)
        except UNAVAILABLE as exc:
            # A missed invalidation could serve stale data until the key expires; the
            # cache is down anyway, so nothing is served from it meanwhile.
            self._unavailable("delete", exc)
            return False

    def delete_many(self, keys: Any, version: int | None = None) -> None:
        try:
            super().delete_many(keys, version)
        except UNAVAILABLE as exc:
            self._unavailable("delete_many", exc)

    def clear(self) -> None:
        try:
            super().clear()
        except UNAVAILABLE as exc:
            self._unavailable("clear", exc)
