"""Named circuit breakers for calls to other systems (SMS gateway, email, webhooks, ...).

The seed's semantics (section 3.3), on pybreaker: SYLLABUS_BREAKER_FAILURES consecutive
failures (5) open the breaker; while open, calls fail at once with ``CircuitBreakerError``;
after SYLLABUS_BREAKER_RESET_SECONDS (60) one trial call goes through, and a success
closes the breaker again (a failure opens it for another period).

With REDIS_URL set, a breaker's state lives in Redis (pybreaker's CircuitRedisStorage), so
every process and server sees the same state: one process seeing the gateway down stops
the others from waiting on it too. Without Redis, each process keeps its own. If Redis
itself fails, pybreaker treats the breaker as closed (calls are tried).
"""

from __future__ import annotations

import threading
from typing import Any

import pybreaker
from django.conf import settings

CircuitBreakerError = pybreaker.CircuitBreakerError

_lock = threading.Lock()
_breakers: dict[str, pybreaker.CircuitBreaker] = {}


def _redis_location() -> str | None:
    cache = settings.CACHES.get("default", {})
    if "redis" in str(cache.get("BACKEND", "")).lower():
        return str(cache["LOCATION"])
    return None


def _storage(name: str) -> pybreaker.CircuitBreakerStorage:
    location = _redis_location()
    if location is None:
        return pybreaker.CircuitMemoryStorage(pybreaker.STATE_CLOSED)
    import redis

    client = redis.Redis.from_url(location, socket_connect_timeout=1, socket_timeout=1)
    try:
        return pybreaker.CircuitRedisStorage(
            pybreaker.STATE_CLOSED, client, namespace=f"syllabus:breaker:{name}"
        )
    except redis.RedisError:
        # Redis is down at start: count failures in this process rather than not at all.
        return pybreaker.CircuitMemoryStorage(pybreaker.STATE_CLOSED)


def breaker(name: str, *, exclude: tuple[type[BaseException], ...] = ()) -> Any:
    """The process's breaker called ``name`` (created on first use).

    ``exclude``: exceptions that mean "the other system answered, we asked wrongly"; they
    do not count as failures. Only the first caller's ``exclude`` is used.
    """
    with _lock:
        existing = _breakers.get(name)
        if existing is None:
            existing = pybreaker.CircuitBreaker(
                fail_max=settings.BREAKER_FAILURES,
                reset_timeout=settings.BREAKER_RESET_SECONDS,
                success_threshold=1,
                exclude=list(exclude),
                state_storage=_storage(name),
                name=name,
            )
            _breakers[name] = existing
        return existing


def breaker_states() -> dict[str, str]:
    """Each known breaker's state: "closed", "open" or "half-open" (for health pages)."""
    with _lock:
        return {name: b.current_state for name, b in _breakers.items()}


def breakers_forget() -> None:
    """Drop every breaker of this process (tests; state in Redis is kept)."""
    with _lock:
        _breakers.clear()
