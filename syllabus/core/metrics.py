"""Prometheus metrics of the application, and the per-minute request aggregates.

Metrics are prometheus-client objects in multiprocess mode: every process (each gunicorn
worker, the job worker) writes its samples to files under ``PROMETHEUS_MULTIPROC_DIR``
(settings put it under ``SYLLABUS_DATA_DIR``), and ``GET /metrics`` adds them up, so the
numbers are right however many workers serve. Labels are bounded: a request is labelled
with its URL pattern (``/courses/<public_id>/``), never its raw path.

The ops dashboard does not need Prometheus: each process also counts requests per
minute in memory (``minutes``), and a flusher thread writes finished minutes to the
database once a minute through a handler the ops app registers (``core`` must not import
``ops``). ``SYLLABUS_METRICS_FLUSH_SECONDS=0`` turns the flusher off (the test suite).
"""

from __future__ import annotations

import atexit
import bisect
import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import structlog
from prometheus_client import values as _values

# Settings set PROMETHEUS_MULTIPROC_DIR; if prometheus_client was imported before them,
# its value class was chosen without it: choose again (metrics below are created after).
if os.environ.get("PROMETHEUS_MULTIPROC_DIR") and _values.ValueClass.__name__ == "MutexValue":
    _values.ValueClass = _values.get_value_class()

from django.core.cache.backends.locmem import LocMemCache
from prometheus_client import Counter, Gauge, Histogram

from syllabus.core.cache import ResilientRedisCache

log = structlog.get_logger(__name__)

# --- Application metrics ------------------------------------------------------------------

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 2.5, 5.0, 10.0)

HTTP_REQUESTS = Counter(
    "syllabus_http_requests_total",
    "HTTP requests answered, by URL pattern, method and status code.",
    ["route", "method", "status"],
)
HTTP_DURATION = Histogram(
    "syllabus_http_request_duration_seconds",
    "Time to answer an HTTP request, by URL pattern and method.",
    ["route", "method"],
    buckets=LATENCY_BUCKETS,
)
DB_QUERIES = Histogram(
    "syllabus_http_request_db_queries",
    "Database queries made while answering one HTTP request.",
    buckets=(0, 1, 2, 5, 10, 20, 50, 100, 200, 500),
)
DB_TIME = Histogram(
    "syllabus_http_request_db_seconds",
    "Time spent in database queries while answering one HTTP request.",
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
CACHE_REQUESTS = Counter(
    "syllabus_cache_requests_total",
    "Reads of the default cache, by area (the key's first part: course, api, session...) "
    "and result (hit or miss); hits / all is the hit ratio.",
    ["area", "result"],
)
JOBS = Counter(
    "syllabus_jobs_total",
    "Background jobs run, by task and outcome (complete, error, retrying).",
    ["task", "outcome"],
)
JOB_DURATION = Histogram(
    "syllabus_job_duration_seconds",
    "Run time of background jobs, by task.",
    ["task"],
    buckets=(0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0),
)
BREAKER_STATE = Gauge(
    "syllabus_circuit_breaker_state",
    "Circuit breaker state: 0 closed, 1 half-open, 2 open (the worst seen by a live process).",
    ["breaker"],
    multiprocess_mode="livemax",
)
BREAKER_VALUES = {"closed": 0, "half-open": 1, "open": 2}

# --- Security metrics ---------------------------------------------------------------------

SIGNINS = Counter(
    "syllabus_signin_total", "Sign-in attempts with a password, by result.", ["result"]
)
LOCKOUTS = Counter("syllabus_lockouts_total", "Accounts or addresses locked out (django-axes).")
MFA_CHALLENGES = Counter(
    "syllabus_mfa_challenges_total",
    "Second-factor checks (TOTP, recovery code, security key), by result.",
    ["result"],
)
RATE_LIMITED = Counter(
    "syllabus_rate_limit_refusals_total",
    "Requests refused with 429 by the rate limits, by kind (api or web).",
    ["kind"],
)
PERMISSION_DENIED = Counter(
    "syllabus_permission_denials_total",
    "Requests refused with 403, by kind (api or web).",
    ["kind"],
)


def signin_recorded(*, success: bool) -> None:
    SIGNINS.labels(result="success" if success else "failure").inc()
    if not success:
        minutes.add_signin_failure()


def breaker_state_set(name: str, state: str) -> None:
    BREAKER_STATE.labels(breaker=name).set(BREAKER_VALUES.get(state, 0))


# --- Route templates ----------------------------------------------------------------------

_CONVERTER = re.compile(r"<(?:[^>:]+:)?([^>]+)>")
_NAMED_GROUP = re.compile(r"\(\?P<([^>]+)>(?:[^()]|\([^()]*\))*\)")
UNMATCHED = "unmatched"


def route_template(request: Any) -> str:
    """The URL pattern that answered ``request``, as ``/courses/<public_id>/``.

    Raw paths would give every course its own time series; patterns keep the label set
    small. Requests that matched no pattern (404s, static files) are "unmatched"/"static".
    """
    match = getattr(request, "resolver_match", None)
    route = getattr(match, "route", None) if match is not None else None
    if route is None:
        path = getattr(request, "path_info", "") or ""
        from django.conf import settings

        static = str(getattr(settings, "STATIC_URL", "/static/") or "/static/")
        return "static" if path.startswith(static) else UNMATCHED
    route = _NAMED_GROUP.sub(lambda m: f"<{m[1]}>", route)
    route = _CONVERTER.sub(lambda m: f"<{m[1]}>", route)
    route = route.replace("^", "").replace("$", "").replace("\\", "")
    return "/" + route.lstrip("/")


# --- Database queries per request -----------------------------------------------------------


@dataclass
class QueryTally:
    count: int = 0
    seconds: float = 0.0

    def __call__(
        self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.count += 1
            self.seconds += time.perf_counter() - started


@contextmanager
def count_queries() -> Iterator[QueryTally]:
    """Count queries and their time on every database connection of this thread."""
    from django.db import connections

    tally = QueryTally()
    wrapped = []
    try:
        for connection in connections.all(initialized_only=False):
            connection.execute_wrappers.append(tally)
            wrapped.append(connection)
        yield tally
    finally:
        for connection in wrapped:
            if tally in connection.execute_wrappers:
                connection.execute_wrappers.remove(tally)


# --- Cache hits and misses ----------------------------------------------------------------

_MISSING = object()


_inside_get_many = threading.local()


# The areas counted on their own; other keys count as "other" (a bounded label set).
CACHE_AREAS = frozenset(
    {
        "course",
        "api",
        "learning",
        "notifications",
        "ops",
        "privacy",
        "health",
        "roles",
    }
)
_SESSION_PREFIX = "django.contrib.sessions"


def cache_area(key: Any) -> str:
    """The metric's area of a cache key: ``course:12:outline`` is ``course``."""
    text = str(key)
    if text.startswith(_SESSION_PREFIX):
        return "session"
    area = text.split(":", 1)[0]
    return area if area in CACHE_AREAS else "other"


class _CountingCache:
    """Counts hits and misses of ``get`` and ``get_many`` (mixed into a cache backend)."""

    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        value = super().get(key, _MISSING, version)  # type: ignore[misc]
        if getattr(_inside_get_many, "active", False):  # counted by get_many
            return default if value is _MISSING else value
        area = cache_area(key)
        if value is _MISSING:
            CACHE_REQUESTS.labels(area=area, result="miss").inc()
            return default
        CACHE_REQUESTS.labels(area=area, result="hit").inc()
        return value

    def get_many(self, keys: Any, version: int | None = None) -> dict[Any, Any]:
        keys = list(keys)
        # Some backends (local memory) implement get_many with get: count once, here.
        _inside_get_many.active = True
        try:
            found: dict[Any, Any] = super().get_many(keys, version)  # type: ignore[misc]
        finally:
            _inside_get_many.active = False
        for key in keys:
            result = "hit" if key in found else "miss"
            CACHE_REQUESTS.labels(area=cache_area(key), result=result).inc()
        return found


class CountingLocMemCache(_CountingCache, LocMemCache):
    """Django's local-memory cache, counting hits and misses."""


class CountingRedisCache(_CountingCache, ResilientRedisCache):
    """Our Redis cache (misses when Redis is down), counting hits and misses."""


# --- Per-minute aggregates for the ops dashboard -----------------------------------------------

# Upper bounds (milliseconds) of the duration buckets kept per minute; the last is open.
MINUTE_BUCKETS_MS = (50, 100, 250, 500, 1000, 2000, 5000)


@dataclass
class MinuteCounts:
    requests: int = 0
    errors_4xx: int = 0
    errors_5xx: int = 0
    duration_ms_sum: float = 0.0
    buckets: list[int] = field(default_factory=lambda: [0] * (len(MINUTE_BUCKETS_MS) + 1))
    signin_failures: int = 0

    def merge(self, other: MinuteCounts) -> None:
        self.requests += other.requests
        self.errors_4xx += other.errors_4xx
        self.errors_5xx += other.errors_5xx
        self.duration_ms_sum += other.duration_ms_sum
        self.buckets = [a + b for a, b in zip(self.buckets, other.buckets, strict=True)]
        self.signin_failures += other.signin_failures


FlushHandler = Callable[[dict[int, MinuteCounts]], None]


class MinuteAggregator:
    """Request counts per minute (epoch seconds of the minute's start) in this process."""

    KEEP_UNFLUSHED = 60  # minutes kept while the database cannot take them

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._minutes: dict[int, MinuteCounts] = {}
        self._handler: FlushHandler | None = None
        self._thread: threading.Thread | None = None
        self._pid = 0
        self._flush_lock = threading.Lock()

    def set_handler(self, handler: FlushHandler | None) -> None:
        self._handler = handler

    def _current(self, now: float | None = None) -> MinuteCounts:
        minute = int((time.time() if now is None else now) // 60 * 60)
        counts = self._minutes.get(minute)
        if counts is None:
            counts = self._minutes[minute] = MinuteCounts()
        return counts

    def add_request(self, *, status: int, duration_ms: float, now: float | None = None) -> None:
        with self._lock:
            counts = self._current(now)
            counts.requests += 1
            if 400 <= status < 500:
                counts.errors_4xx += 1
            elif status >= 500:
                counts.errors_5xx += 1
            counts.duration_ms_sum += duration_ms
            counts.buckets[bisect.bisect_left(MINUTE_BUCKETS_MS, duration_ms)] += 1
        self._ensure_flusher()

    def add_signin_failure(self, now: float | None = None) -> None:
        with self._lock:
            self._current(now).signin_failures += 1

    def take(
        self, *, include_current: bool = False, now: float | None = None
    ) -> dict[int, MinuteCounts]:
        """Remove and return the finished minutes (and the current one if asked)."""
        current = int((time.time() if now is None else now) // 60 * 60)
        with self._lock:
            done = {m: c for m, c in self._minutes.items() if include_current or m < current}
            for minute in done:
                del self._minutes[minute]
        return done

    def give_back(self, taken: dict[int, MinuteCounts], now: float | None = None) -> None:
        """Put back minutes that could not be written (oldest dropped past KEEP_UNFLUSHED)."""
        oldest = int((time.time() if now is None else now) // 60 * 60) - self.KEEP_UNFLUSHED * 60
        with self._lock:
            for minute, counts in taken.items():
                if minute < oldest:
                    continue
                existing = self._minutes.get(minute)
                if existing is None:
                    self._minutes[minute] = counts
                else:
                    existing.merge(counts)

    def flush(self, *, include_current: bool = False) -> int:
        """Write finished minutes through the handler; returns how many were written."""
        handler = self._handler
        if handler is None or not self._flush_lock.acquire(blocking=False):
            return 0
        try:
            taken = self.take(include_current=include_current)
            if not taken:
                return 0
            try:
                handler(taken)
            except Exception as exc:
                self.give_back(taken)
                log.warning("metrics.flush_failed", error=type(exc).__name__, minutes=len(taken))
                return 0
            return len(taken)
        finally:
            self._flush_lock.release()

    def _ensure_flusher(self) -> None:
        from django.conf import settings

        every = int(getattr(settings, "METRICS_FLUSH_SECONDS", 60))
        if every <= 0 or self._handler is None:
            return
        pid = os.getpid()
        if self._thread is not None and self._pid == pid and self._thread.is_alive():
            return
        with self._lock:
            if self._thread is not None and self._pid == pid and self._thread.is_alive():
                return
            self._pid = pid
            self._thread = threading.Thread(
                target=self._run, args=(every,), name="metrics-flusher", daemon=True
            )
            self._thread.start()

    def _run(self, every: int) -> None:
        from django.db import connections

        while True:
            # A few seconds past each boundary, so the minute just ended is complete.
            time.sleep(every - (time.time() % every) + 2)
            self.flush()
            connections.close_all()

    def reset(self) -> None:
        with self._lock:
            self._minutes.clear()


minutes = MinuteAggregator()


@atexit.register
def _flush_at_exit() -> None:  # pragma: no cover - runs at interpreter exit
    try:
        from django.conf import settings

        if int(getattr(settings, "METRICS_FLUSH_SECONDS", 0)) > 0:
            minutes.flush(include_current=True)
    except Exception:  # noqa: S110 (nothing left to tell at exit)  # nosec B110
        pass
