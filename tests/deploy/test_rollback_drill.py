"""deploy/scripts/rollback-drill.sh, the drill docs/runbooks/rollback.md describes: it
migrates and loads the demo data, rolls every app back to the previous release's
migrations with the data in place, upgrades again, and rolls back once more. It runs on
SQLite here, and on the PostgreSQL test server's scratch database when the suite runs
against PostgreSQL (DATABASE_URL)."""

from __future__ import annotations

import os
import subprocess
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.deploy.tools import DEPLOY

SCRIPT = DEPLOY / "scripts" / "rollback-drill.sh"
pytestmark = pytest.mark.slow


def _scratch_postgres_url() -> str | None:
    """A database of its own on the suite's PostgreSQL server, made empty."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        return None
    import psycopg

    parts = urlsplit(url)
    name = "deploy_rollback_drill"
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(parts._replace(path=f"/{name}", query=""))


def test_rollback_drill_rolls_back_and_upgrades_the_demo_data():
    args = [str(SCRIPT)]
    if url := _scratch_postgres_url():
        args += ["--database-url", url]
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    result = subprocess.run(args, capture_output=True, text=True, env=env, timeout=900, check=False)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert result.stdout.rstrip().endswith("rollback drill passed")
    assert result.stdout.count("rolled back to N-1; data intact") == 2
    assert result.stdout.count("upgraded to N; nothing pending; data intact") == 2
    # The previous release really is earlier: some app's newest migration was reversed.
    lines = dict(line.split(":", 1) for line in output.splitlines() if line.startswith("release N"))
    assert lines["release N"].split() != lines["release N-1"].split()


def test_rollback_drill_refuses_a_database_with_tables(tmp_path):
    database = tmp_path / "has-data.sqlite3"
    import sqlite3

    with sqlite3.connect(database) as connection:
        connection.execute("CREATE TABLE precious (id integer)")
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    result = subprocess.run(
        [str(SCRIPT), "--database-url", f"sqlite:///{database}"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert result.returncode != 0
    assert "the database has 1 tables; use an empty one" in result.stderr
    with sqlite3.connect(database) as connection:
        assert connection.execute("SELECT name FROM sqlite_master").fetchall() == [("precious",)]


@pytest.mark.parametrize("option", ["--bogus", "--database"])
def test_rollback_drill_refuses_unknown_options(option):
    result = subprocess.run(
        [str(SCRIPT), option], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 2
    assert f"unknown option {option}" in result.stderr
