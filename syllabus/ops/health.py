"""Health checks for load balancers, orchestrators and monitoring (``/health``).

``health_report()`` checks each service Syllabus depends on: the database, the cache,
file storage, the circuit breakers of other systems, the job queue and backups. Each check
runs in its own thread with a time limit (SYLLABUS_HEALTH_TIMEOUT_SECONDS), so a hanging
dependency is reported as "timed out" instead of hanging the endpoint. One report is kept in
this process's memory for SYLLABUS_HEALTH_CACHE_SECONDS (never in the cache being checked),
and only one thread runs the checks at a time, so probing the endpoint cannot add load to
the database or Redis.

A service's status is "ok", "error" or "unknown" ("unknown": Syllabus cannot tell, e.g.
no backup has been configured yet). Only "error" makes the report unhealthy (503).

Messages name the exception type and say what failed in our own words: an exception's
text can carry host names, users or connection strings, so it is only logged, with any
credentials masked.

Running checks in threads under a deadline is written here by hand: the maintained
health-check packages (django-health-check) have no per-check deadline, cache through the
cache being checked, and have another JSON shape than the seed's.
"""

from __future__ import annotations

import contextlib
import re
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import structlog
from django.conf import settings
from django.core.cache import caches
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.migrations.executor import MigrationExecutor

from syllabus.core import jobs
from syllabus.core.breakers import CircuitBreakerError, breaker_states

log = structlog.get_logger(__name__)

Status = Literal["ok", "error", "unknown"]
TIMED_OUT = "timed out"


class CheckFailed(Exception):
    """A check found its service unhealthy; the message is ours and safe to show."""


@dataclass(frozen=True)
class Outcome:
    """What a check found (a check that raises is an "error")."""

    status: Status = "ok"
    message: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ServiceHealth:
    status: Status
    latency: float  # milliseconds, rounded to 0.1
    message: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"status": self.status, "latency": self.latency}
        if self.message:
            data["message"] = self.message
        return {**data, **self.extra}


@dataclass(frozen=True)
class HealthReport:
    timestamp: datetime
    services: Mapping[str, ServiceHealth]

    @property
    def healthy(self) -> bool:
        return all(s.status != "error" for s in self.services.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": "ok" if self.healthy else "error",
            "timestamp": _iso(self.timestamp),
            "services": {name: s.as_dict() for name, s in self.services.items()},
        }


@dataclass(frozen=True)
class Readiness:
    ready: bool
    message: str = ""

    def as_dict(self) -> dict[str, Any]:
        if self.ready:
            return {"status": "ok"}
        return {"status": "error", "message": self.message}


# --- The checks ----------------------------------------------------------------------------


def _timeout() -> float:
    return float(settings.HEALTH_TIMEOUT_SECONDS)


def check_database() -> Outcome:
    """``SELECT 1`` on the default connection, cut off by a statement timeout."""
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor == "postgresql":
        milliseconds = max(1, int(_timeout() * 1000))
        with transaction.atomic(using=DEFAULT_DB_ALIAS), connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL statement_timeout = {milliseconds}")
            cursor.execute("SELECT 1")
            row = cursor.fetchone()
    else:
        # SQLite: no statement timeout, and no transaction (ours take the write lock).
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            row = cursor.fetchone()
    if row is None or row[0] != 1:
        raise CheckFailed("SELECT 1 returned an unexpected result")
    return Outcome()


def check_cache() -> Outcome:
    """Write, read back and delete a unique key on the default cache.

    Our Redis cache turns connection errors into misses (Syllabus slows down rather than
    fails), so a failed round trip shows only as the value not coming back.
    """
    cache = caches["default"]
    key = f"health:{uuid.uuid4().hex}"
    token = uuid.uuid4().hex
    cache.set(key, token, timeout=30)
    read = cache.get(key)
    cache.delete(key)
    if read != token:
        raise CheckFailed("cache round trip failed: the value written was not read back")
    return Outcome()


def check_storage() -> Outcome:
    """Write, read back and delete a small file under ``health/`` in the default storage.

    Each call goes through the ``storage`` circuit breaker (the storage classes of
    ``syllabus.core.storage``): while storage keeps failing, the check fails at once
    instead of waiting on it again.
    """
    content = uuid.uuid4().hex.encode()
    try:
        name = default_storage.save(f"health/{uuid.uuid4().hex}.txt", ContentFile(content))
        try:
            with default_storage.open(name, "rb") as stored:
                read = stored.read()
        finally:
            default_storage.delete(name)
    except CircuitBreakerError:
        raise CheckFailed("the storage circuit breaker is open: recent calls failed") from None
    if read != content:
        raise CheckFailed("storage round trip failed: the file written was not read back")
    return Outcome()


def check_external() -> Outcome:
    """The circuit breakers of other systems (email, SMS, ...); no call is made to them.

    A breaker exists once this process has used it; with Redis its state is shared by
    every process. An open breaker means calls to that system fail at once.
    """
    states = breaker_states()
    extra = {"breakers": dict(sorted(states.items()))}
    opened = sorted(name for name, state in states.items() if state == "open")
    if opened:
        return Outcome("error", f"open circuit breakers: {', '.join(opened)}", extra)
    if not states:
        return Outcome("ok", "no circuit breaker used by this process yet", extra)
    return Outcome("ok", "", extra)


def check_queue() -> Outcome:
    """The job queue answers; its depth is reported as ``pending``."""
    queue = jobs.huey()
    if queue.immediate:
        return Outcome("ok", "jobs run inline (SYLLABUS_JOBS_IMMEDIATE): no queue to check")
    return Outcome("ok", "", {"pending": int(queue.pending_count())})


def check_backup() -> Outcome:
    """The daily backup: "ok" when the last one succeeded within
    SYLLABUS_BACKUP_MAX_AGE_HOURS, "error" when it failed or is too old once backups are
    configured, "unknown" before any backup is configured."""
    from syllabus.backups.selectors import backup_state

    state = backup_state()
    extra: dict[str, Any] = {}
    if state.last_success_at is not None:
        extra["last_success"] = _iso(state.last_success_at)
    return Outcome(state.status, state.message, extra)


CHECKS: dict[str, Callable[[], Outcome]] = {
    "database": check_database,
    "cache": check_cache,
    "storage": check_storage,
    "external": check_external,
    "queue": check_queue,
    "backup": check_backup,
}

# What each check says when it raises something other than CheckFailed.
FAILURES = {
    "database": "the database did not answer",
    "cache": "the cache did not answer",
    "storage": "the file storage did not answer",
    "external": "the circuit breaker states could not be read",
    "queue": "the job queue did not answer",
    "backup": "the backup state could not be read",
    "migrations": "the applied migrations could not be read",
}


# --- Running them --------------------------------------------------------------------------

_CREDENTIALS = re.compile(r"(?i)(://[^:/@\s]*:)[^@\s]*@|(password|passwd|pwd)\s*[=:]\s*\S+")


def _mask(text: str) -> str:
    """Hide credentials in an exception's text before it is logged."""
    return _CREDENTIALS.sub(lambda m: f"{m[1]}***@" if m[1] else f"{m[2]}=***", text)[:300]


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _in_thread(name: str, check: Callable[[], Outcome]) -> Future[ServiceHealth]:
    """Run ``check`` in a daemon thread (one that hangs for good cannot block shutdown)."""
    future: Future[ServiceHealth] = Future()

    def run() -> None:
        started = time.perf_counter()
        try:
            outcome = check()
            result = ServiceHealth(
                outcome.status, _ms(time.perf_counter() - started), outcome.message, outcome.extra
            )
        except Exception as exc:
            latency = _ms(time.perf_counter() - started)
            log.warning(
                "health.check_failed", check=name, error=type(exc).__name__, detail=_mask(str(exc))
            )
            message = (
                str(exc)
                if isinstance(exc, CheckFailed)
                else f"{type(exc).__name__}: {FAILURES[name]}"
            )
            result = ServiceHealth("error", latency, message)
        future.set_result(result)
        # The database connections this thread opened are its own: give them back. A broken
        # one may fail to close; the report is already made.
        with contextlib.suppress(Exception):
            connections.close_all()

    threading.Thread(target=run, name=f"health-{name}", daemon=True).start()
    return future


def run_checks(checks: Mapping[str, Callable[[], Outcome]]) -> dict[str, ServiceHealth]:
    """Run every check at once; those not done within the time limit are "timed out"."""
    timeout = _timeout()
    started = time.perf_counter()
    futures = {name: _in_thread(name, check) for name, check in checks.items()}
    results: dict[str, ServiceHealth] = {}
    for name, future in futures.items():
        remaining = max(0.0, timeout - (time.perf_counter() - started))
        try:
            results[name] = future.result(timeout=remaining)
        except TimeoutError:
            log.warning("health.check_timed_out", check=name, timeout=timeout)
            results[name] = ServiceHealth(
                "error", _ms(time.perf_counter() - started), f"{TIMED_OUT} after {timeout:g} s"
            )
    return results


class _Memo:
    """One value kept for SYLLABUS_HEALTH_CACHE_SECONDS; computed by one thread at a time.

    Wall-clock time (time-machine moves it in tests); a clock that went back expires it.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._value: tuple[float, Any] | None = None

    def get(self, compute: Callable[[], Any]) -> Any:
        with self._lock:
            now = time.time()
            if self._value is not None:
                at, value = self._value
                if 0 <= now - at < settings.HEALTH_CACHE_SECONDS:
                    return value
            value = compute()
            self._value = (time.time(), value)
            return value

    def clear(self) -> None:
        with self._lock:
            self._value = None


_report = _Memo()
_readiness = _Memo()
_migrations_applied = False


def health_report() -> HealthReport:
    """Every service's health, at most SYLLABUS_HEALTH_CACHE_SECONDS old."""

    def compute() -> HealthReport:
        return HealthReport(timestamp=datetime.now(UTC), services=run_checks(CHECKS))

    report: HealthReport = _report.get(compute)
    return report


def check_migrations() -> Outcome:
    """No migration is waiting to be applied (once true, remembered for the process)."""
    global _migrations_applied
    if _migrations_applied:
        return Outcome()
    executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        names = [f"{migration.app_label}.{migration.name}" for migration, _ in plan]
        shown = ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")
        raise CheckFailed(f"{len(names)} unapplied migrations: {shown}")
    _migrations_applied = True
    return Outcome()


def readiness() -> Readiness:
    """Whether this process should get traffic: the database answers, migrations applied."""

    def compute() -> Readiness:
        def database_then_migrations() -> Outcome:
            try:
                check_database()
            except Exception as exc:
                if isinstance(exc, CheckFailed):
                    raise
                raise CheckFailed(f"{type(exc).__name__}: {FAILURES['database']}") from exc
            return check_migrations()

        result = run_checks({"migrations": database_then_migrations})["migrations"]
        if result.status == "error":
            return Readiness(False, result.message)
        return Readiness(True)

    ready: Readiness = _readiness.get(compute)
    return ready


def health_cache_clear() -> None:
    """Forget the kept report, readiness and migration state (tests)."""
    global _migrations_applied
    _report.clear()
    _readiness.clear()
    _migrations_applied = False
