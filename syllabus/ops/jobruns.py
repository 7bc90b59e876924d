"""The ledger of running jobs: a job whose worker died is enqueued again.

Huey takes a job off the queue when a worker starts it. If the worker is killed in the
middle (SIGKILL, out of memory, a lost machine), the job would be gone. Each worker
therefore writes a ``JobRun`` row when it starts a job and deletes it when the job ends
(done, failed, or handed back to huey for a retry). When a worker starts, rows left by
dead workers of the same host are enqueued again with their original arguments and id.
Jobs must be idempotent (DESIGN.md): running one twice has its effect once.
"""

from __future__ import annotations

import json
import os
import socket
from typing import Any

import structlog
from django.utils import timezone

from syllabus.core.jobs import huey
from syllabus.ops.models import JobRun

log = structlog.get_logger(__name__)
PROCESS_STARTED = timezone.now()


def _host() -> str:
    return socket.gethostname()[:255]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _jsonable(value: Any) -> Any:
    json.dumps(value)
    return value


def job_started(task: Any) -> None:
    """Note that this process started ``task`` (not for jobs run inline)."""
    queue = huey()
    if queue.immediate:
        return
    try:
        args, kwargs = _jsonable(list(task.args or ())), _jsonable(dict(task.kwargs or {}))
    except (TypeError, ValueError):
        return  # cannot be re-created from the ledger; huey's own handling applies
    JobRun.objects.update_or_create(
        task_id=str(task.id),
        defaults={
            "task_name": queue._registry.task_to_string(type(task)),
            "args": args,
            "kwargs": kwargs,
            "host": _host(),
            "pid": os.getpid(),
        },
    )


def job_ended(task: Any) -> None:
    if huey().immediate:
        return
    JobRun.objects.filter(task_id=str(task.id)).delete()


def orphans_requeue() -> int:
    """Enqueue again the jobs of dead workers of this host; returns how many."""
    queue = huey()
    own = os.getpid()
    requeued = 0
    for run in JobRun.objects.filter(host=_host()):
        if run.pid == own:
            # Containers reuse pids: a row of "this" pid from before this process started
            # belongs to a dead predecessor.
            if run.started_at >= PROCESS_STARTED:
                continue
        elif _alive(run.pid):
            continue
        # Deleting first makes each row re-run once, even with several worker threads.
        if not JobRun.objects.filter(pk=run.pk).delete()[0]:
            continue
        try:
            task_class = queue._registry.string_to_task(run.task_name)
        except Exception:
            log.error("job.orphan_unknown_task", task=run.task_name, task_id=run.task_id)
            continue
        queue.enqueue(task_class(args=tuple(run.args), kwargs=dict(run.kwargs), id=run.task_id))
        requeued += 1
        log.warning("job.orphan_requeued", task=run.task_name, task_id=run.task_id, pid=run.pid)
    return requeued
