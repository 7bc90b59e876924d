"""Copying the database out and back in, and fingerprinting its tables.

SQLite: the online backup API (a consistent copy while the site runs; writers wait at
most for one step). PostgreSQL: ``pg_dump -Fc`` inside an exported snapshot, so the row
counts and checksums written in the manifest describe exactly the rows in the dump.

A table's fingerprint is its row count and the SHA-256 of its rows in primary-key order
(PostgreSQL: each row's text form, ``t::text``; SQLite: Python's ``repr`` of the row), so a
restored copy can be compared with what was backed up, table by table.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import shutil
import sqlite3
import subprocess  # nosec B404  # PostgreSQL's client tools, fixed arguments
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import psycopg.conninfo
from django.db import DEFAULT_DB_ALIAS, connections

from syllabus.audit.database_roles import grant_audit_roles
from syllabus.backups.crypto import BackupError
from syllabus.core.planner import analyze

Fingerprints = dict[str, dict[str, Any]]  # table -> {"rows": int, "sha256": str}
FETCH = 2000
PG_TIMEOUT_SECONDS = 6 * 3600


def vendor() -> str:
    return str(connections[DEFAULT_DB_ALIAS].vendor)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _digest_rows(rows: Iterator[Any]) -> tuple[int, str]:
    digest = hashlib.sha256()
    count = 0
    for row in rows:
        digest.update(row.encode() if isinstance(row, str) else repr(row).encode())
        digest.update(b"\n")
        count += 1
    return count, digest.hexdigest()


# --- SQLite ----------------------------------------------------------------------------------


def _sqlite_tables(conn: sqlite3.Connection) -> list[str]:
    rows = conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' "
        "ESCAPE '\\' ORDER BY name"
    ).fetchall()
    return [r[0] for r in rows]


def _sqlite_rows(conn: sqlite3.Connection, table: str) -> Iterator[Any]:
    """Each row as SQLite's own text form (``quote()`` of every column): the same whatever
    type converters the connection has (Django's parse declared types)."""
    info = conn.execute(f"PRAGMA table_info({_quote(table)})").fetchall()
    pk = [row[1] for row in sorted(info, key=lambda r: r[5]) if row[5] > 0]
    order = ", ".join(_quote(c) for c in (pk or [row[1] for row in info]))
    columns = " || char(31) || ".join(f"quote({_quote(row[1])})" for row in info) or "''"
    cursor = conn.execute(
        f"SELECT {columns} AS row FROM {_quote(table)} ORDER BY {order}"  # noqa: S608  # nosec B608  # quoted names
    )
    while batch := cursor.fetchmany(FETCH):
        for row in batch:
            yield row[0]


def sqlite_fingerprints(conn: sqlite3.Connection) -> Fingerprints:
    result: Fingerprints = {}
    for table in _sqlite_tables(conn):
        rows, sha = _digest_rows(_sqlite_rows(conn, table))
        result[table] = {"rows": rows, "sha256": sha}
    return result


def _live_sqlite() -> sqlite3.Connection:
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.in_atomic_block:
        raise BackupError("Backups and restores run outside a database transaction.")
    connection.ensure_connection()
    raw = connection.connection
    assert isinstance(raw, sqlite3.Connection)
    return raw


def sqlite_snapshot(dest: Path) -> tuple[Fingerprints, list[str]]:
    """Copy the live database to ``dest`` with the backup API; fingerprint the copy."""
    source = _live_sqlite()
    target = sqlite3.connect(dest)
    try:
        source.backup(target)  # one step: a consistent copy
        target.execute("PRAGMA journal_mode=DELETE")
        return sqlite_fingerprints(target), _sqlite_migrations(target)
    finally:
        target.close()


def _sqlite_migrations(conn: sqlite3.Connection) -> list[str]:
    try:
        rows = conn.execute("SELECT app, name FROM django_migrations ORDER BY id").fetchall()
    except sqlite3.DatabaseError:
        return []
    return [f"{app}.{name}" for app, name in rows]


def sqlite_check_copy(path: Path) -> Fingerprints:
    """Open a restored copy, run SQLite's integrity check, and fingerprint it."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"The database in the archive cannot be opened: {exc}") from None
    try:
        result = conn.execute("PRAGMA integrity_check").fetchone()
        if not result or result[0] != "ok":
            raise BackupError(f"The database in the archive fails SQLite's check: {result}")
        return sqlite_fingerprints(conn)
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"The database in the archive cannot be read: {exc}") from None
    finally:
        conn.close()


def sqlite_is_empty() -> bool:
    return not _sqlite_tables(_live_sqlite())


def sqlite_restore(copy: Path) -> Fingerprints:
    """Replace the live database's content with ``copy`` (already checked).

    The backup API writes the whole copy into the live database in one transaction:
    other connections see the old or the new database, never a mix, and a failure
    leaves the old one.
    """
    connections[DEFAULT_DB_ALIAS].close()
    target = _live_sqlite()
    source = sqlite3.connect(f"file:{copy}?mode=ro", uri=True)
    try:
        source.backup(target)
    except sqlite3.Error as exc:
        raise BackupError(f"SQLite could not write the restored database: {exc}") from None
    finally:
        source.close()
    connections[DEFAULT_DB_ALIAS].close()
    return sqlite_fingerprints(_live_sqlite())


# --- PostgreSQL ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PgTarget:
    name: str
    host: str
    port: str
    user: str
    password: str
    sslmode: str

    @classmethod
    def default(cls) -> PgTarget:
        settings_dict = connections[DEFAULT_DB_ALIAS].settings_dict
        options = settings_dict.get("OPTIONS") or {}
        return cls(
            name=str(settings_dict["NAME"]),
            host=str(settings_dict.get("HOST") or ""),
            port=str(settings_dict.get("PORT") or ""),
            user=str(settings_dict.get("USER") or ""),
            password=str(settings_dict.get("PASSWORD") or ""),
            sslmode=str(options.get("sslmode") or ""),
        )

    def with_name(self, name: str) -> PgTarget:
        return PgTarget(name, self.host, self.port, self.user, self.password, self.sslmode)

    def env(self, *, lock_timeout_ms: int = 0) -> dict[str, str]:
        """The environment for pg_dump / pg_restore (the password never on a command line)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        if lock_timeout_ms:
            env["PGOPTIONS"] = f"-c lock_timeout={lock_timeout_ms}"
        env.update(
            {
                key: value
                for key, value in {
                    "PGHOST": self.host,
                    "PGPORT": self.port,
                    "PGUSER": self.user,
                    "PGPASSWORD": self.password,
                    "PGDATABASE": self.name,
                    "PGSSLMODE": self.sslmode,
                    "PGCONNECT_TIMEOUT": "10",
                }.items()
                if value
            }
        )
        return env

    def connect(self, *, autocommit: bool = False) -> psycopg.Connection[Any]:
        params = {
            "dbname": self.name,
            "host": self.host,
            "port": self.port,
            "user": self.user,
            "password": self.password,
            "sslmode": self.sslmode,
            "connect_timeout": "10",
        }
        conninfo = psycopg.conninfo.make_conninfo(**{k: v for k, v in params.items() if v})
        return psycopg.connect(conninfo, autocommit=autocommit)


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            f"{name} is not installed: install the PostgreSQL client (Debian: postgresql-client)."
        )
    return path


def _run(args: list[str], target: PgTarget, what: str, *, lock_timeout_ms: int = 0) -> None:
    try:
        result = subprocess.run(  # noqa: S603 (fixed program, arguments are ours)  # nosec B603
            args,
            env=target.env(lock_timeout_ms=lock_timeout_ms),
            capture_output=True,
            text=True,
            timeout=PG_TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise BackupError(f"{what} did not finish within {PG_TIMEOUT_SECONDS} s.") from None
    if result.returncode != 0:
        # pg_* messages name objects, not credentials (the password is in the environment).
        detail = " ".join(result.stderr.strip().splitlines()[-3:])[:500]
        hint = ""
        if "lock timeout" in detail:
            hint = " Stop the web servers and job workers first: they hold locks on the tables."
        raise BackupError(f"{what} failed (exit {result.returncode}): {detail}{hint}")


@contextmanager
def _pg_errors(what: str, hint: str = "") -> Iterator[None]:
    """PostgreSQL errors as BackupError: recorded as a failed run, printed as a sentence."""
    try:
        yield
    except psycopg.Error as exc:
        first = (str(exc).strip().splitlines() or [""])[0][:300]
        raise BackupError(f"{what}: {type(exc).__name__}: {first}{hint}") from None


def _pg_tables(cursor: psycopg.Cursor[Any]) -> list[str]:
    cursor.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename"
    )
    return [row[0] for row in cursor.fetchall()]


def _pg_primary_key(cursor: psycopg.Cursor[Any], table: str) -> list[str]:
    cursor.execute(
        "SELECT a.attname FROM pg_index i "
        "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
        "WHERE i.indrelid = %s::regclass AND i.indisprimary "
        "ORDER BY array_position(i.indkey, a.attnum)",
        [_quote(table)],
    )
    return [row[0] for row in cursor.fetchall()]


def pg_fingerprints(conn: psycopg.Connection[Any]) -> Fingerprints:
    """Fingerprints of every table, read in ``conn``'s current transaction."""
    result: Fingerprints = {}
    with conn.cursor() as cursor:
        tables = _pg_tables(cursor)
        for table in tables:
            pk = _pg_primary_key(cursor, table)
            order = ", ".join(_quote(c) for c in pk) if pk else "1"
            query = f"SELECT t::text FROM {_quote(table)} AS t ORDER BY {order}"  # noqa: S608  # nosec B608  # quoted names
            if not pk:
                query = f"SELECT t::text AS row FROM {_quote(table)} AS t ORDER BY row"  # noqa: S608  # nosec B608  # quoted names
            with conn.cursor(name=f"fp_{secrets.token_hex(4)}") as rows:
                rows.itersize = FETCH
                rows.execute(query)
                count, sha = _digest_rows(row[0] for row in rows)
            result[table] = {"rows": count, "sha256": sha}
    return result


def _pg_migrations(conn: psycopg.Connection[Any]) -> list[str]:
    with conn.cursor() as cursor:
        cursor.execute("SELECT to_regclass('django_migrations')")
        row = cursor.fetchone()
        if not row or row[0] is None:
            return []
        cursor.execute("SELECT app, name FROM django_migrations ORDER BY id")
        return [f"{app}.{name}" for app, name in cursor.fetchall()]


def pg_snapshot(dest: Path) -> tuple[Fingerprints, list[str]]:
    """``pg_dump -Fc`` of the live database into ``dest``, in one exported snapshot that the
    fingerprints are read from too."""
    target = PgTarget.default()
    pg_dump = _tool("pg_dump")
    with _pg_errors("Reading the database failed"), target.connect() as conn:
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        row = conn.execute("SELECT pg_export_snapshot()").fetchone()
        assert row is not None
        snapshot = str(row[0])
        _run(
            [pg_dump, "-Fc", f"--snapshot={snapshot}", "-f", str(dest), target.name],
            target,
            "pg_dump",
        )
        fingerprints = pg_fingerprints(conn)
        migrations = _pg_migrations(conn)
        conn.rollback()
    return fingerprints, migrations


def pg_check_dump(dump: Path) -> None:
    """``pg_restore --list``: the dump's table of contents can be read."""
    _run([_tool("pg_restore"), "--list", str(dump)], PgTarget.default(), "pg_restore --list")


_SAFE_NAME = re.compile(r"[^a-z0-9_]")


@contextmanager
def pg_scratch_database() -> Iterator[PgTarget]:
    """A new, empty database next to the live one, dropped afterwards."""
    target = PgTarget.default()
    base = _SAFE_NAME.sub("_", target.name.lower())[:40]
    scratch = target.with_name(f"{base}_verify_{secrets.token_hex(4)}")
    hint = (
        f" (the database user needs the CREATEDB privilege to verify backups: "
        f"ALTER ROLE {_quote(target.user or 'syllabus')} CREATEDB)"
    )
    with (
        _pg_errors("Creating a scratch database failed", hint),
        target.connect(autocommit=True) as admin,
    ):
        admin.execute(f"CREATE DATABASE {_quote(scratch.name)}")
    try:
        yield scratch
    finally:
        with target.connect(autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {_quote(scratch.name)} WITH (FORCE)")


def pg_restore_into(dump: Path, target: PgTarget, *, clean: bool) -> Fingerprints:
    """``pg_restore`` in one transaction (all or nothing), then fingerprint the result."""
    args = [_tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error",
            "--single-transaction", "-d", target.name]  # fmt: skip
    if clean:
        args[1:1] = ["--clean", "--if-exists"]
    # Over a live database, a table another session holds cannot wait forever.
    _run([*args, str(dump)], target, "pg_restore", lock_timeout_ms=60_000 if clean else 0)
    with _pg_errors("Reading the restored database failed"), target.connect() as conn:
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        fingerprints = pg_fingerprints(conn)
        conn.rollback()
    return fingerprints


def pg_is_empty() -> bool:
    with (
        _pg_errors("Reading the database failed"),
        PgTarget.default().connect() as conn,
        conn.cursor() as cursor,
    ):
        return not _pg_tables(cursor)


def pg_restore_live(dump: Path) -> Fingerprints:
    """Replace the live database's tables with the dump's, in one transaction."""
    connections[DEFAULT_DB_ALIAS].close()
    wrapper: Any = connections[DEFAULT_DB_ALIAS]
    if getattr(wrapper, "pool", None) is not None:
        wrapper.close_pool()  # psycopg's pool: no connection may hold locks on the tables
    fingerprints = pg_restore_into(dump, PgTarget.default(), clean=True)
    # pg_restore --no-privileges left the audit table without its roles' grants.
    grant_audit_roles(connections[DEFAULT_DB_ALIAS])
    # A dump carries no planner statistics: without them every query plans blind until
    # autovacuum analyses the tables (syllabus.core.planner).
    analyze()
    return fingerprints


# --- Either ----------------------------------------------------------------------------------


def snapshot(dest: Path) -> tuple[Fingerprints, list[str]]:
    return pg_snapshot(dest) if vendor() == "postgresql" else sqlite_snapshot(dest)


def database_is_empty() -> bool:
    return pg_is_empty() if vendor() == "postgresql" else sqlite_is_empty()


def compare(expected: Fingerprints, found: Fingerprints) -> list[str]:
    """What differs, one line per table (empty: identical)."""
    problems = []
    for table in sorted(set(expected) | set(found)):
        want, got = expected.get(table), found.get(table)
        if want is None:
            problems.append(f"{table}: in the restored database but not in the manifest")
        elif got is None:
            problems.append(f"{table}: missing from the restored database")
        elif want["rows"] != got["rows"]:
            problems.append(f"{table}: {got['rows']} rows restored, {want['rows']} backed up")
        elif want["sha256"] != got["sha256"]:
            problems.append(f"{table}: same row count, different content (checksum)")
    return problems
