"""Read replicas (DATABASE_REPLICA_URLS): reads go to a healthy replica, writes to the
primary, and a request that wrote keeps reading its own writes.

The rules, all in ``ReplicaRouter`` and ``ReplicaMiddleware``:

- Only reads made while serving a **safe request** (GET, HEAD, OPTIONS) may go to a
  replica. Everything else (POST handlers, background jobs, commands, migrations) reads
  from the primary, so code that reads then writes always sees the latest rows.
- Inside a transaction (``atomic``) reads stay on the primary, as does the rest of a
  request once it has written anything.
- **Read your writes.** A request that wrote pins its user (and its API token) to the
  primary for ``SYLLABUS_READ_YOUR_WRITES_SECONDS`` (a shared cache key, so it holds
  across app servers and browsers) and sets a short-lived cookie for the same purpose.
  Writes of request bookkeeping (sessions, the sessions list, rate limits) do not pin.
- **Health.** Each process checks each replica at most every
  ``SYLLABUS_REPLICA_CHECK_SECONDS`` with a separate short-timeout connection: a replica
  that does not answer, is not in recovery (promoted), or whose replay lags more than
  ``SYLLABUS_REPLICA_MAX_LAG_SECONDS`` behind is skipped until a later check passes.
- **A replica dying mid-request.** A safe request whose replica query failed is marked
  down and served again from the primary once, so readers see no error.

With no replica configured the router answers None everywhere (Django's default).
"""

from __future__ import annotations

import contextvars
import hashlib
import itertools
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.db.models import Model
from django.http import HttpRequest, HttpResponse

logger = logging.getLogger("syllabus.replicas")

PRIMARY = "default"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
PIN_COOKIE = "syllabus_primary"
# Writes that are request bookkeeping, not the person's data: they do not pin reads.
BOOKKEEPING = frozenset(
    {
        ("sessions", "session"),
        ("accounts", "usersession"),
        ("accounts", "apitoken"),  # last-used time
        ("axes", "accessattempt"),
        ("axes", "accesslog"),
        ("ops", "requestminute"),
        ("audit", "auditevent"),  # e.g. records.viewed on a staff page
    }
)


def replica_aliases() -> list[str]:
    return [alias for alias in settings.DATABASES if alias.startswith("replica")]


# --- Per-request state ---------------------------------------------------------------------


@dataclass
class RequestState:
    may_use_replica: bool
    wrote: bool = False
    used: set[str] = field(default_factory=set)


_state: contextvars.ContextVar[RequestState | None] = contextvars.ContextVar(
    "syllabus_replica_state", default=None
)


# --- Replica health ------------------------------------------------------------------------


@dataclass
class Health:
    healthy: bool = False
    checked_at: float = 0.0
    reason: str = "not checked yet"
    lag_seconds: float | None = None


class HealthBoard:
    """Each replica's last known health in this process."""

    def __init__(self) -> None:
        self._health: dict[str, Health] = {}
        self._lock = threading.Lock()
        self._checking: set[str] = set()

    def get(self, alias: str) -> Health:
        return self._health.setdefault(alias, Health())

    def mark_down(self, alias: str, reason: str) -> None:
        self._health[alias] = Health(healthy=False, checked_at=time.monotonic(), reason=reason)
        logger.warning("replica %s skipped: %s", alias, reason)

    def healthy(self, alias: str) -> bool:
        health = self.get(alias)
        if time.monotonic() - health.checked_at >= settings.REPLICA_CHECK_SECONDS:
            self._check(alias)
        return self.get(alias).healthy

    def _check(self, alias: str) -> None:
        with self._lock:  # one thread checks; the others use the last result meanwhile
            if alias in self._checking:
                return
            self._checking.add(alias)
        try:
            self._health[alias] = probe(alias)
        finally:
            with self._lock:
                self._checking.discard(alias)

    def reset(self) -> None:
        self._health.clear()


board = HealthBoard()

LAG_SQL = """
SELECT pg_is_in_recovery(),
       CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
            ELSE EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()) END
"""


def probe(alias: str) -> Health:
    return probe_database(settings.DATABASES[alias])


def probe_database(db: dict[str, Any]) -> Health:
    """Connect to a replica (a connection of its own, 2-second timeout, to the
    maintenance database so the application database's statistics are untouched) and
    read whether it is a standby and how far its replay lags."""
    import psycopg

    now = time.monotonic()
    try:
        with psycopg.connect(
            host=db["HOST"] or None,
            port=db["PORT"] or None,
            user=db["USER"] or None,
            password=db["PASSWORD"] or None,
            dbname="postgres",
            connect_timeout=2,
            sslmode=db["OPTIONS"].get("sslmode", "prefer"),
            autocommit=True,
        ) as conn:
            row = conn.execute(LAG_SQL).fetchone()
    except Exception as error:  # down, refusing, unreachable: skipped until it answers
        return Health(False, now, f"does not answer ({type(error).__name__})")
    assert row is not None
    in_recovery, lag = bool(row[0]), row[1]
    lag_seconds = float(lag) if lag is not None else 0.0
    if not in_recovery:
        return Health(False, now, "is not a standby (promoted?)", lag_seconds)
    if lag_seconds > settings.REPLICA_MAX_LAG_SECONDS:
        return Health(False, now, f"lags {lag_seconds:.1f} s", lag_seconds)
    return Health(True, now, "ok", lag_seconds)


# --- Router ---------------------------------------------------------------------------------

_round_robin = itertools.count()


def _in_transaction() -> bool:
    """An atomic block is open on the primary (the test runner's own wrapping
    transaction, which Django marks, does not count)."""
    blocks = connections[PRIMARY].atomic_blocks
    return any(not getattr(block, "_from_testcase", False) for block in blocks)


class ReplicaRouter:
    def db_for_read(self, model: type[Model], **hints: Any) -> str | None:
        aliases = replica_aliases()
        if not aliases:
            return None
        state = _state.get()
        if state is None or not state.may_use_replica or state.wrote:
            return PRIMARY
        if _in_transaction():
            return PRIMARY
        start = next(_round_robin)
        for offset in range(len(aliases)):
            alias = aliases[(start + offset) % len(aliases)]
            if board.healthy(alias):
                state.used.add(alias)
                return alias
        return PRIMARY

    def db_for_write(self, model: type[Model], **hints: Any) -> str | None:
        if not replica_aliases():
            return None
        state = _state.get()
        label = (model._meta.app_label, model._meta.model_name)
        if state is not None and label not in BOOKKEEPING:
            state.wrote = True
        return PRIMARY

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        return True  # the same data everywhere

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        return db == PRIMARY


# --- Middleware -----------------------------------------------------------------------------


def _pin_keys(request: HttpRequest) -> list[str]:
    """Who wrote: the signed-in user (all their browsers and tokens) and the credential
    itself (an API token, before the view has authenticated it)."""
    keys = []
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        keys.append(f"replica-pin:user:{user.pk}")
    if credential := request.META.get("HTTP_AUTHORIZATION"):
        keys.append("replica-pin:" + hashlib.sha256(credential.encode()).hexdigest()[:32])
    return keys


class ReplicaMiddleware:
    """Decides per request whether reads may use a replica, pins writers to the primary,
    and serves a safe request again from the primary when its replica failed.

    It sits after AuthenticationMiddleware: the session and the user are read (from the
    primary) before it decides, so a pin follows the user, not one browser."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not replica_aliases():
            return self.get_response(request)
        keys = _pin_keys(request)
        pinned = bool(request.COOKIES.get(PIN_COOKIE)) or any(cache.get_many(keys).values())
        safe = request.method in SAFE_METHODS
        state = RequestState(may_use_replica=safe and not pinned)
        token = _state.set(state)
        try:
            response = self.get_response(request)
            if (
                state.used
                and safe
                and getattr(request, "_syllabus_unavailable", None) == "database"
            ):
                for alias in state.used:
                    board.mark_down(alias, "a query failed while serving a request")
                request._syllabus_unavailable = None  # type: ignore[attr-defined]
                state = RequestState(may_use_replica=False)
                _state.set(state)
                response = self.get_response(request)
        finally:
            _state.reset(token)
        if state.wrote:
            seconds = settings.READ_YOUR_WRITES_SECONDS
            # Again: the request may have signed someone in.
            cache.set_many(dict.fromkeys(_pin_keys(request), 1), seconds)
            response.set_cookie(
                PIN_COOKIE,
                "1",
                max_age=seconds,
                httponly=True,
                samesite="Lax",
                secure=settings.SESSION_COOKIE_SECURE,
            )
        return response
