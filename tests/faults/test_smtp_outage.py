"""The mail server refuses mail: the email breaker opens, emails wait in the job queue
(retried, none dropped or dead-lettered), and each is delivered once when it recovers."""

from __future__ import annotations

import sqlite3
import time

import pytest

from tests.faults import smtp
from tests.faults.procs import SYLLABUS, Proc, app_env, data_dir_from, shell, wait_for

pytestmark = [pytest.mark.faults, pytest.mark.slow]


def _queued(data_dir) -> int:
    """Jobs waiting in huey's queue or schedule, plus jobs a worker is running now."""
    with sqlite3.connect(data_dir / "jobs.sqlite3") as db:
        waiting = sum(
            db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608
            for table in ("task", "schedule")
        )
    with sqlite3.connect(data_dir / "syllabus.sqlite3") as db:
        running = db.execute("SELECT count(*) FROM ops_jobrun").fetchone()[0]
    return int(waiting + running)


def test_refused_mail_waits_behind_an_open_breaker_and_is_delivered_once(migrated, tmp_path):
    started = time.monotonic()
    data = data_dir_from(migrated, tmp_path / "data")
    server, box = smtp.start()
    port = server.server_address[1]
    env = app_env(
        data,
        SYLLABUS_SMTP_HOST="127.0.0.1",
        SYLLABUS_SMTP_PORT=str(port),
        SYLLABUS_SMTP_STARTTLS="false",
        SYLLABUS_BREAKER_FAILURES="5",
        SYLLABUS_BREAKER_RESET_SECONDS="3",
        SYLLABUS_JOBS_RETRIES="8",
        SYLLABUS_JOBS_RETRY_DELAY="1",
    )
    worker = Proc(
        "worker",
        [SYLLABUS, "worker", "--workers", "1", "--delay", "0.1", "--max-delay", "0.5"],
        env,
        data / "worker.log",
    ).start()
    try:
        # given: three emails queued while the server refuses mail
        shell(
            data,
            "from syllabus.core.email import email_queue\n"
            "for i in range(3):\n"
            "    email_queue(subject=f'fault-mail-{i}', body='hello', to=['someone@example.org'])",
            env=env,
        )

        # then: five refusals open the breaker; later tries fail fast, the mail waits
        wait_for(lambda: '"new": "open"' in worker.output(), 30, "the email breaker to open")
        assert '"breaker": "email"' in worker.output()
        assert box.refusals == 5
        assert box.messages == []
        wait_for(lambda: _queued(data) == 3, 5, "all three emails to wait in the queue")
        wait_for(lambda: worker.output().count('"event": "job.retrying"') > 5, 15,
                 "a retry refused by the open breaker")  # fmt: skip
        assert box.refusals == 5, "the open breaker kept calls away from the server"

        # when: the server accepts mail again
        with box.lock:
            box.refusing = False

        # then: the breaker's trial closes it and every email arrives exactly once
        wait_for(lambda: len(box.messages) >= 3, 40, "the three emails")
        time.sleep(1)  # nothing more may arrive
        subjects = sorted(
            line.split(":", 1)[1].strip()
            for message in box.messages
            for line in message.splitlines()
            if line.startswith("Subject:")
        )
        assert subjects == ["fault-mail-0", "fault-mail-1", "fault-mail-2"]
        assert '"new": "closed"' in worker.output()
        assert "job.dead_letter" not in worker.output()
        with sqlite3.connect(data / "syllabus.sqlite3") as db:
            assert db.execute("SELECT count(*) FROM ops_failedjob").fetchone()[0] == 0
        wait_for(lambda: _queued(data) == 0, 5, "an empty queue")
    finally:
        worker.stop()
        server.shutdown()
        server.server_close()
    assert time.monotonic() - started < 60
