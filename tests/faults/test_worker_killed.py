"""A worker killed in the middle of a job: the next worker runs the job again (from the
running-jobs ledger) and its effect, guarded by an idempotency key, happens once."""

from __future__ import annotations

import sqlite3
import time

import pytest

from tests.faults.procs import SYLLABUS, Proc, app_env, data_dir_from, shell, wait_for

pytestmark = pytest.mark.faults


def _ledger_rows(data_dir) -> int:
    with sqlite3.connect(data_dir / "syllabus.sqlite3") as db:
        return int(db.execute("SELECT count(*) FROM ops_jobrun").fetchone()[0])


def test_a_job_killed_mid_run_runs_again_and_its_effect_happens_once(migrated, tmp_path):
    started = time.monotonic()
    data = data_dir_from(migrated, tmp_path / "data")
    work = tmp_path / "work"
    work.mkdir()
    env = app_env(data, DJANGO_SETTINGS_MODULE="tests.faults.settings_jobs")
    args = [SYLLABUS, "worker", "--workers", "1", "--delay", "0.1", "--max-delay", "0.5"]
    first = Proc("worker-1", args, env, data / "worker-1.log").start()
    second: Proc | None = None
    try:
        # given: the job runs, has had its effect, and is not finished
        shell(
            data,
            "from tests.faults.jobapp.tasks import effect_once\n"
            f"effect_once('order-42', {str(work)!r})",
            env=env,
        )
        wait_for(lambda: (work / "effects.log").exists(), 30, "the job to start")
        wait_for(lambda: _ledger_rows(data) == 1, 5, "the ledger row of the running job")

        # when: the worker is killed (no cleanup, no signal handler)
        first.kill()
        assert not (work / "done-order-42").exists()

        # then: the next worker runs the job again, and the effect is not repeated
        second = Proc("worker-2", args, env, data / "worker-2.log").start()
        wait_for(lambda: (work / "done-order-42").exists(), 40, "the job to run again")
        assert (work / "runs.log").read_text().split() == ["order-42", "order-42"]
        assert (work / "effects.log").read_text().split() == ["order-42"]
        assert '"event": "job.orphan_requeued"' in second.output()
        wait_for(lambda: _ledger_rows(data) == 0, 5, "the ledger to empty")
    finally:
        first.stop()
        if second is not None:
            second.stop()
    assert time.monotonic() - started < 60
