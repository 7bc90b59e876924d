"""Named circuit breakers for calls to other systems (SMS gateway, email, webhooks, ...).

The seed's semantics (section 3.3), on pybreaker: SYLLABUS_BREAKER_FAILURES consecutive
failures (5) open the breaker; while open, calls fail at once with ``CircuitBreakerError``;
after SYLLABUS_BREAKER_RESET_SECONDS (60) one trial call goes through, and a success
closes the breaker again (a failure opens it for another period).

With REDIS_URL set, a breaker's state lives in Redis (pybreaker's CircuitRedisStorage), so
every process and server sees the same state: one process seeing the gateway down stops
the others from waiting on it too. Without Redis, each process keeps its own. If Redis
itself fails, pybreaker treats the breaker as closed (calls are tried).

Every state change is logged (``breaker.state_changed``) and sets the
``syllabus_circuit_breaker_state`` gauge; ``/health`` (``external``) and the ops dashboard
show open breakers. ``guarded(name)`` wraps a block of calls (object storage, webhooks).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pybreaker
import structlog
from django.conf import settings

CircuitBreakerError = pybreaker.CircuitBreakerError
log = structlog.get_logger(__name__)


class _QuietRedisErrors(logging.Filter):
    """pybreaker logs an error with a traceback on every call while Redis is down (it then
    uses the default state): keep one short warning a minute instead of a flood."""

    _last = 0.0
    _lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        if "RedisError" not in record.getMessage():
            return True
        now = time.monotonic()
        with self._lock:
            if now - _QuietRedisErrors._last < 60:
                return False
            _QuietRedisErrors._last = now
        record.exc_info = None
        record.exc_text = None
        record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


logging.getLogger("pybreaker").addFilter(_QuietRedisErrors())


class _Observer(pybreaker.CircuitBreakerListener):
    """Logs each state change and keeps the metrics gauge up to date."""

    def state_change(self, cb: Any, old_state: Any, new_state: Any) -> None:
        from syllabus.core.metrics import breaker_state_set

        new = getattr(new_state, "name", str(new_state))
        old = getattr(old_state, "name", str(old_state))
        breaker_state_set(cb.name, new)
        (log.warning if new == "open" else log.info)(
            "breaker.state_changed", breaker=cb.name, old=old, new=new
        )


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
                listeners=[_Observer()],
                name=name,
            )
            _breakers[name] = existing
            from syllabus.core.metrics import breaker_state_set

            breaker_state_set(name, existing.current_state)
        return existing


@contextmanager
def guarded(name: str, *, exclude: tuple[type[BaseException], ...] = ()) -> Iterator[None]:
    """Run a block as one call through breaker ``name``.

    While the breaker is open the block does not run and ``CircuitBreakerError`` is
    raised at once; an exception from the block counts as a failure (unless excluded).
    """
    with breaker(name, exclude=exclude).calling():
        yield


def breaker_states() -> dict[str, str]:
    """Each known breaker's state: "closed", "open" or "half-open" (for health pages).

    With Redis the state is read from there, so the gauge is refreshed as well: a
    breaker opened by another process shows here too.
    """
    from syllabus.core.metrics import breaker_state_set

    with _lock:
        states = {name: b.current_state for name, b in _breakers.items()}
    for name, state in states.items():
        breaker_state_set(name, state)
    return states


def breakers_forget() -> None:
    """Drop every breaker of this process (tests; state in Redis is kept)."""
    with _lock:
        _breakers.clear()
