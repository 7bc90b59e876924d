"""Test-wide configuration, loaded (``-p syllabus.config.pytest_plugin`` in pyproject)
before pytest-django reads Django's settings.

Tests run in production mode (SYLLABUS_DEBUG off) with a secret key generated per run,
jobs executed inline, and data under a temporary folder. DATABASE_URL / REDIS_URL, when
set, point the suite at PostgreSQL / Redis.
"""

from __future__ import annotations

import base64
import os
import secrets
import tempfile

os.environ.setdefault("SYLLABUS_DEBUG", "false")
os.environ.setdefault("SYLLABUS_SECRET_KEY", secrets.token_urlsafe(50))
# Field encryption keys per run: a current key and an older one, as after a rotation.
os.environ.setdefault(
    "SYLLABUS_FIELD_KEYS",
    f"test2:{base64.b64encode(secrets.token_bytes(32)).decode()},"
    f"test1:{base64.b64encode(secrets.token_bytes(32)).decode()}",
)
os.environ.setdefault("SYLLABUS_JOBS_IMMEDIATE", "true")
os.environ.setdefault("SYLLABUS_DATA_DIR", tempfile.mkdtemp(prefix="syllabus-test-"))
os.environ.setdefault("SYLLABUS_ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("SYLLABUS_LOG_LEVEL", "warning")
# Per-minute request aggregates are written by tests that ask (no background writer).
os.environ.setdefault("SYLLABUS_METRICS_FLUSH_SECONDS", "0")

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

# Whitenoise warns when STATIC_ROOT is missing; tests serve static files from the apps.
(Path(os.environ["SYLLABUS_DATA_DIR"]) / "static").mkdir(parents=True, exist_ok=True)


def pytest_configure(config: pytest.Config) -> None:
    from django.conf import settings

    if settings.REDIS_URL:
        # One Redis database per xdist worker, so clearing the cache between tests
        # never touches another worker's keys.
        worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
        index = 1 + int(worker.removeprefix("gw") or 0) % 15
        parts = urlsplit(str(settings.CACHES["default"]["LOCATION"]))
        settings.CACHES["default"]["LOCATION"] = urlunsplit(parts._replace(path=f"/{index}"))
        # Rate-limit counters live in the same per-worker database (cleared with it).
        settings.RATE_LIMIT_STORAGE_URL = settings.CACHES["default"]["LOCATION"]

    # Uploaded files per xdist worker: tests that list what was stored (to prove a refused
    # upload stored nothing) must not see files another worker's test is writing.
    xdist_worker = os.environ.get("PYTEST_XDIST_WORKER")
    if xdist_worker:
        settings.MEDIA_ROOT = Path(settings.MEDIA_ROOT).with_name(f"media-{xdist_worker}")

    # Tests do not run collectstatic: serve static files unhashed from the app folders.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    # Fast hashing in tests; Argon2id itself is covered by a dedicated test.
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        *settings.PASSWORD_HASHERS,
    ]
    _delete_instead_of_truncate()


def _delete_instead_of_truncate() -> None:
    """Transactional tests (browser journeys, races, live servers) empty every table when
    they end. Django's PostgreSQL flush is one TRUNCATE of all ~200 tables, which gives
    each table, index and TOAST table a new file: about a second per test here, minutes
    of a CI pass. A DELETE per table costs next to nothing on the few rows a test leaves.
    Foreign keys are DEFERRABLE INITIALLY DEFERRED (Django's), checked at the commit, when
    every table is empty. Tables whose rows a trigger refuses to delete (the append-only
    audit trail) are truncated, as before. Test processes only: Syllabus never flushes."""
    from django.db.backends.postgresql.operations import DatabaseOperations

    truncate = DatabaseOperations.sql_flush

    def sql_flush(
        self: DatabaseOperations,
        style: object,
        tables: list[str],
        *,
        reset_sequences: bool = False,
        allow_cascade: bool = False,
    ) -> list[str]:
        if reset_sequences or not tables:  # RESTART IDENTITY: Django's own
            return truncate(
                self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
            )
        with self.connection.cursor() as cursor:
            # Tables with a row-level DELETE trigger of ours (tgtype bit 3: DELETE).
            cursor.execute(
                "SELECT DISTINCT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
                " WHERE NOT t.tgisinternal AND t.tgtype & 8 <> 0"
            )
            guarded = {name for (name,) in cursor.fetchall()} & set(tables)
        statements = ["SET CONSTRAINTS ALL DEFERRED"]
        if guarded:
            statements += truncate(self, style, sorted(guarded), allow_cascade=allow_cascade)
        # Django's own table names, quoted: nothing from outside reaches this SQL.
        deletes = [f"DELETE FROM {self.quote_name(t)}" for t in tables if t not in guarded]  # noqa: S608
        return [*statements, "; ".join(deletes)]  # one round trip for the deletes

    DatabaseOperations.sql_flush = sql_flush  # type: ignore[method-assign,assignment]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``slow`` run first, the rest in file order. With xdist's files kept
    together (``--dist loadfile --no-loadscope-reorder``, the Makefile), a file of a
    couple of minutes that starts last keeps one worker busy while the other has nothing
    left: started first, it runs beside the many short files (docs/ci.md)."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """Each test ends in the default language: LocaleMiddleware leaves a request's language
    (a Spanish page's, say) active in the thread, and the next test would inherit it."""
    from django.utils import translation

    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    """Each test starts with an empty cache (local memory, or its worker's Redis db),
    fresh rate-limit counters, closed circuit breakers and no cached health report."""
    from django.core.cache import cache

    from syllabus.core.breakers import breakers_forget
    from syllabus.core.ratelimit import reset_limits
    from syllabus.ops.health import health_cache_clear
    from syllabus.privacy.selectors import CURRENT_POLICIES_KEY, forget_current_policies

    cache.clear()
    forget_current_policies()  # and this process's copy
    # Every test starts with an empty database, so no privacy policy is published: say so
    # in the cache as a running site would, so query budgets do not count the first
    # request's lookup. Publishing a policy (privacy services) replaces the value.
    cache.set(CURRENT_POLICIES_KEY, [], 300)
    breakers_forget()
    health_cache_clear()
    reset_limits()  # sign-in tests from one address must not use up each other's limits
