"""The running-jobs ledger: a job's row lives while it runs, and jobs of dead workers on
this host are enqueued again (once) by the next worker to start."""

from __future__ import annotations

import os
import subprocess
from datetime import timedelta

import pytest

from syllabus.core.jobs import huey as real_huey
from syllabus.ops import jobruns
from syllabus.ops.models import JobRun
from syllabus.ops.tests import jobs_for_tests

pytestmark = pytest.mark.django_db


class FakeQueue:
    immediate = False

    def __init__(self) -> None:
        self._registry = real_huey()._registry
        self.enqueued: list = []

    def enqueue(self, task) -> None:
        self.enqueued.append(task)


@pytest.fixture
def queue(monkeypatch):
    fake = FakeQueue()
    monkeypatch.setattr(jobruns, "huey", lambda: fake)
    return fake


def _task(*args):
    return jobs_for_tests.records.s(*args)


def _dead_pid() -> int:
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def test_a_running_job_has_a_row_until_it_ends(queue):
    task = _task(7)
    jobruns.job_started(task)
    run = JobRun.objects.get(task_id=task.id)
    assert (run.args, run.pid, run.host) == ([7], os.getpid(), jobruns._host())
    jobruns.job_ended(task)
    assert not JobRun.objects.exists()


def test_inline_jobs_are_not_recorded(monkeypatch):
    monkeypatch.setattr(jobruns, "huey", lambda: type("Q", (), {"immediate": True})())
    jobruns.job_started(_task(1))
    assert not JobRun.objects.exists()


def test_jobs_of_dead_workers_on_this_host_are_enqueued_again_once(queue):
    dead = _task(1)
    jobruns.job_started(dead)
    JobRun.objects.filter(task_id=dead.id).update(pid=_dead_pid())
    alive = _task(2)
    jobruns.job_started(alive)
    JobRun.objects.filter(task_id=alive.id).update(pid=os.getppid())
    elsewhere = _task(3)
    jobruns.job_started(elsewhere)
    JobRun.objects.filter(task_id=elsewhere.id).update(host="another-host", pid=_dead_pid())

    assert jobruns.orphans_requeue() == 1
    assert [(t.id, t.args) for t in queue.enqueued] == [(dead.id, (1,))]
    assert set(JobRun.objects.values_list("task_id", flat=True)) == {alive.id, elsewhere.id}
    assert jobruns.orphans_requeue() == 0  # not twice


def test_a_row_of_this_pid_from_before_this_process_started_is_a_predecessors(queue):
    """Containers reuse pids: the same pid before this process started was another one."""
    task = _task(5)
    jobruns.job_started(task)
    JobRun.objects.filter(task_id=task.id).update(
        started_at=jobruns.PROCESS_STARTED - timedelta(minutes=1)
    )
    assert jobruns.orphans_requeue() == 1
    current = _task(6)
    jobruns.job_started(current)  # this process's own running job stays
    assert jobruns.orphans_requeue() == 0


def test_an_unknown_task_is_dropped_from_the_ledger(queue):
    JobRun.objects.create(
        task_id="gone", task_name="no.such.task", args=[], kwargs={}, host=jobruns._host(),
        pid=_dead_pid(),
    )  # fmt: skip
    assert jobruns.orphans_requeue() == 0
    assert not JobRun.objects.exists()
