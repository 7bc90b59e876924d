"""Read replicas and failover with real PostgreSQL servers (issue #8, seed 3.2).

The test makes its own two clusters on 127.0.0.1 (initdb, then pg_basebackup for a
streaming replica) so it never touches the machine's own server, and checks:

1. reads of safe requests are served by the replica (a stale read while its replay is
   paused proves it), while a client that just wrote reads its writes from the primary;
2. the replica going down mid-test: readers see no error, the primary serves them;
3. a multi-host DATABASE_URL with target_session_attrs=read-write: the primary stops,
   the replica is promoted, and the same app server keeps writing without a restart.

Needs PostgreSQL's server binaries (Debian: /usr/lib/postgresql/*/bin); runs in the
PostgreSQL pass of the suite; bounded to a few minutes; 127.0.0.1 only.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faults.procs import (
    Browser,
    app_env,
    run_cli,
    served,
    shell,
    wait_for,
)
from tests.ports import free_port

pytestmark = [pytest.mark.faults, pytest.mark.slow]


def _bin_dir() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return found[-1].parent if found else None


BIN = _bin_dir()
AS_POSTGRES = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


class Cluster:
    def __init__(self, folder: Path, port: int) -> None:
        self.folder = folder
        self.port = port
        self.log = folder.parent / f"{folder.name}.log"

    def run(self, tool: str, *args: str) -> str:
        assert BIN is not None
        result = subprocess.run(
            [*AS_POSTGRES, str(BIN / tool), *args], capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 0, f"{tool}: {result.stdout}{result.stderr}"
        return result.stdout

    def init_primary(self) -> None:
        self.run("initdb", "-D", str(self.folder), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        with (self.folder / "postgresql.conf").open("a") as conf:
            conf.write(
                f"\nport = {self.port}\nlisten_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{self.folder.parent}'\n"
                "wal_level = replica\nmax_wal_senders = 5\nhot_standby = on\n"
                "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
            )
        (self.folder / "pg_hba.conf").write_text(
            "local all all trust\nhost all all 127.0.0.1/32 trust\n"
            "host replication all 127.0.0.1/32 trust\n"
        )

    def init_replica_of(self, primary: Cluster) -> None:
        # --checkpoint=fast: the default spread checkpoint can keep the copy waiting for
        # minutes on an idle primary (it did in CI).
        self.run("pg_basebackup", "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres",
                 "-D", str(self.folder), "-R", "-X", "stream", "--checkpoint=fast")  # fmt: skip
        with (self.folder / "postgresql.conf").open("a") as conf:
            conf.write(f"\nport = {self.port}\n")

    def start(self) -> None:
        self.run("pg_ctl", "-D", str(self.folder), "-l", str(self.log), "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        with contextlib.suppress(AssertionError):
            self.run("pg_ctl", "-D", str(self.folder), "-m", mode, "-w", "stop")

    def promote(self) -> None:
        self.run("pg_ctl", "-D", str(self.folder), "-w", "promote")

    def sql(self, statement: str, database: str = "postgres") -> list[tuple[object, ...]]:
        import psycopg

        with psycopg.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname=database,
            autocommit=True, connect_timeout=3,
        ) as conn:  # fmt: skip
            cursor = conn.execute(statement)
            return cursor.fetchall() if cursor.description else []

    def url(self, database: str = "syllabus") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"


@contextlib.contextmanager
def clusters() -> Iterator[tuple[Cluster, Cluster]]:
    root = Path(tempfile.mkdtemp(prefix="syllabus-replica-", dir="/tmp"))
    root.chmod(0o755)
    if AS_POSTGRES:
        shutil.chown(root, "postgres", "postgres")
    primary = Cluster(root / "primary", free_port())
    replica = Cluster(root / "replica", free_port())
    try:
        primary.init_primary()
        primary.start()
        primary.sql("CREATE DATABASE syllabus")
        replica.init_replica_of(primary)
        replica.start()
        yield primary, replica
    finally:
        replica.stop("immediate")
        primary.stop("immediate")
        shutil.rmtree(root, ignore_errors=True)


def _notifications(browser: Browser) -> str:
    page = browser.get("/notifications/")
    assert page.status == 200, (page.status, page.headers.get("Location"), page.body[:300])
    return page.body


def _pinned_post(browser: Browser) -> None:
    """A write (marking notifications read): the browser is pinned to the primary."""
    page = browser.get("/notifications/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.body)
    assert token
    answer = browser.post_form("/notifications/read-all/", {"csrfmiddlewaretoken": token[1]})
    assert answer.status in (200, 302), answer.status
    assert any(cookie.name == "syllabus_primary" for cookie in browser.jar)


def _forget_pin(browser: Browser) -> None:
    for cookie in list(browser.jar):
        if cookie.name == "syllabus_primary":
            browser.jar.clear(cookie.domain, cookie.path, cookie.name)


def _notify(data: Path, env: dict[str, str], title: str) -> None:
    shell(
        data,
        "from syllabus.accounts.models import User; "
        "from syllabus.communication.services import notify; "
        f"notify(User.objects.all(), kind='test', title={title!r})",
        env=env,
    )


@pytest.mark.skipif(BIN is None, reason="PostgreSQL server binaries are not installed")
@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")),
    reason="runs once, in the PostgreSQL pass (it makes its own clusters)",
)
def test_replica_reads_read_your_writes_replica_down_and_failover(tmp_path):
    started = time.monotonic()
    data = tmp_path / "data"
    data.mkdir()
    with clusters() as (primary, replica):
        env = app_env(
            data,
            DATABASE_URL=primary.url(),
            DATABASE_REPLICA_URLS=replica.url(),
            SYLLABUS_REPLICA_CHECK_SECONDS="1",
            SYLLABUS_REPLICA_MAX_LAG_SECONDS="120",
            SYLLABUS_READ_YOUR_WRITES_SECONDS="3",
            SYLLABUS_DB_POOL_MIN="0",
        )
        run_cli(data, "migrate", "--noinput", "-v", "0", env=env, timeout=300)
        run_cli(data, "collectstatic", "--noinput", "-v", "0", env=env)
        shell(
            data,
            "from tests.factories import UserFactory; "
            "from django.contrib.auth.hashers import make_password; "
            "UserFactory(email='fault@example.org', "
            "password=make_password('Fault-Tests-Password-42')); "
            "UserFactory(email='other@example.org', "
            "password=make_password('Fault-Tests-Password-42'))",
            env=env,
        )
        with served(data, env) as (_, base):
            browser, other = Browser(base), Browser(base)  # two people
            assert browser.sign_in().status == 302
            assert other.sign_in("other@example.org", "Fault-Tests-Password-42").status == 302
            signed_in = time.monotonic()
            wait_for(
                lambda: replica.sql("SELECT count(*) FROM accounts_usersession", "syllabus")[0][0]
                == 2,
                20, "the replica to catch up",
            )  # fmt: skip
            time.sleep(max(0.0, 3.5 - (time.monotonic() - signed_in)))  # sign-in pins expire
            for client in (browser, other):
                _forget_pin(client)

            # 1. With the replica's replay paused, a new notification exists only on the
            # primary: a plain read does not see it (it came from the replica)...
            replica.sql("SELECT pg_wal_replay_pause()")
            _notify(data, env, "Only on the primary")
            assert "Only on the primary" not in _notifications(browser)
            # ...a person who has just written reads their own writes from the primary...
            _pinned_post(browser)
            assert "Only on the primary" in _notifications(browser)
            _forget_pin(browser)  # in any browser: the pin follows the person
            assert "Only on the primary" in _notifications(browser)
            # ...and someone else, who wrote nothing, still reads from the replica.
            assert "Only on the primary" not in _notifications(other)
            replica.sql("SELECT pg_wal_replay_resume()")
            wait_for(lambda: "Only on the primary" in _notifications(other), 20, "replay")

            # 2. The replica goes down mid-test: readers see no error.
            replica.stop("immediate")
            for _ in range(5):
                assert "Only on the primary" in _notifications(other)
            replica.start()

        # 3. Failover: the same server, given both hosts, finds the new primary.
        wait_for(
            lambda: replica.sql("SELECT count(*) FROM communication_notification", "syllabus")
            == primary.sql("SELECT count(*) FROM communication_notification", "syllabus"),
            20, "the replica to catch up again",
        )  # fmt: skip
        both = (
            f"postgres://postgres@127.0.0.1:{primary.port},127.0.0.1:{replica.port}/syllabus"
            "?target_session_attrs=read-write"
        )
        failover_env = {**env, "DATABASE_URL": both, "DATABASE_REPLICA_URLS": ""}
        with served(data, failover_env, log_name="failover.log") as (_, base):
            writer = Browser(base)
            assert writer.sign_in().status == 302
            primary.stop("immediate")
            replica.promote()
            failed_over = time.monotonic()
            wait_for(lambda: Browser(base).sign_in().status == 302, 30, "writes after failover")
            assert time.monotonic() - failed_over < 30
            # The new primary took the writes: the sign-ins are in its audit trail.
            logins = replica.sql(
                "SELECT count(*) FROM audit_auditevent WHERE action = 'auth.login'", "syllabus"
            )[0][0]
            assert isinstance(logins, int) and logins >= 3
    assert time.monotonic() - started < 300
