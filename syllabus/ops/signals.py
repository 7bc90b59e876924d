"""Huey signal handlers: a job that fails on its last try becomes a FailedJob."""

from __future__ import annotations

import traceback
from typing import Any

import structlog
from huey.signals import SIGNAL_ERROR

from syllabus.core.jobs import huey

log = structlog.get_logger(__name__)


def _on_error(signal: str, task: Any, exc: BaseException | None = None) -> None:
    if task.retries:
        log.warning("job.retrying", task=task.name, task_id=task.id, retries_left=task.retries)
        return
    from syllabus.ops.services import failed_job_record

    text = "".join(traceback.format_exception(exc)) if exc else ""
    failed = failed_job_record(task=task, error=exc or RuntimeError("unknown"), traceback_text=text)
    log.error(
        "job.dead_letter", task=failed.task_name, task_id=task.id, failed_job=failed.public_id
    )


def connect() -> None:
    queue = huey()
    if _on_error not in queue._signal.receivers.get(SIGNAL_ERROR, []):  # ready() may run twice
        queue.signal(SIGNAL_ERROR)(_on_error)
