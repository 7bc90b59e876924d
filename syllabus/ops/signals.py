"""Signal receivers of the ops app: jobs (dead letters, metrics, the running-jobs ledger),
security metrics (sign-ins, lockouts, MFA), and the per-minute aggregate writer."""

from __future__ import annotations

import threading
import time
import traceback
from typing import Any

import structlog
from allauth.mfa import signals as mfa_signals
from axes.signals import user_locked_out
from django.contrib.auth import signals as auth_signals
from huey.signals import (
    SIGNAL_CANCELED,
    SIGNAL_COMPLETE,
    SIGNAL_ERROR,
    SIGNAL_EXECUTING,
    SIGNAL_EXPIRED,
    SIGNAL_RETRYING,
    SIGNAL_REVOKED,
)

from syllabus.core import metrics
from syllabus.core.jobs import huey

log = structlog.get_logger(__name__)

# --- Jobs ----------------------------------------------------------------------------------


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


_started: dict[str, float] = {}
_started_lock = threading.Lock()


def _ledger(action: str, task: Any) -> None:
    from syllabus.ops import jobruns

    try:
        (jobruns.job_started if action == "start" else jobruns.job_ended)(task)
    except Exception as exc:  # the ledger must never stop a job
        log.warning("job.ledger_failed", action=action, task=task.name, error=type(exc).__name__)


def _on_job_signal(signal: str, task: Any, *args: Any) -> None:
    """Metrics for every job, and the ledger that re-runs jobs of dead workers."""
    key = str(task.id)
    if signal == SIGNAL_EXECUTING:
        with _started_lock:
            _started[key] = time.perf_counter()
        _ledger("start", task)
        return
    with _started_lock:
        started = _started.pop(key, None)
    if started is not None and signal in (SIGNAL_COMPLETE, SIGNAL_ERROR):
        metrics.JOB_DURATION.labels(task=task.name).observe(time.perf_counter() - started)
    if signal in (SIGNAL_COMPLETE, SIGNAL_ERROR, SIGNAL_RETRYING):
        metrics.JOBS.labels(task=task.name, outcome=signal).inc()
    if signal != SIGNAL_RETRYING:
        _ledger("end", task)


def _requeue_orphans() -> None:
    from syllabus.ops import jobruns

    try:
        jobruns.orphans_requeue()
    except Exception as exc:
        log.warning("job.orphan_check_failed", error=type(exc).__name__)


_JOB_SIGNALS = (
    SIGNAL_EXECUTING, SIGNAL_COMPLETE, SIGNAL_ERROR, SIGNAL_RETRYING, SIGNAL_CANCELED,
    SIGNAL_REVOKED, SIGNAL_EXPIRED,
)  # fmt: skip

# --- Security metrics -------------------------------------------------------------------------


def _on_logged_in(sender: Any, **kwargs: Any) -> None:
    metrics.signin_recorded(success=True)


def _on_login_failed(sender: Any, **kwargs: Any) -> None:
    metrics.signin_recorded(success=False)


def _on_locked_out(sender: Any, **kwargs: Any) -> None:
    metrics.LOCKOUTS.inc()


def _on_mfa_used(sender: Any, **kwargs: Any) -> None:
    metrics.MFA_CHALLENGES.labels(result="success").inc()


def _on_mfa_failed(sender: Any, **kwargs: Any) -> None:
    metrics.MFA_CHALLENGES.labels(result="failure").inc()


def connect() -> None:
    queue = huey()
    if _on_error not in queue._signal.receivers.get(SIGNAL_ERROR, []):  # ready() may run twice
        queue.signal(SIGNAL_ERROR)(_on_error)
    if _on_job_signal not in queue._signal.receivers.get(SIGNAL_EXECUTING, []):
        queue.signal(*_JOB_SIGNALS)(_on_job_signal)
    queue.on_startup("syllabus_requeue_orphans")(_requeue_orphans)

    for signal, receiver in (
        (auth_signals.user_logged_in, _on_logged_in),
        (auth_signals.user_login_failed, _on_login_failed),
        (user_locked_out, _on_locked_out),
        (mfa_signals.authenticator_used, _on_mfa_used),
        (mfa_signals.authentication_failed, _on_mfa_failed),
    ):
        signal.connect(receiver, dispatch_uid=f"syllabus.ops.metrics.{receiver.__name__}")

    from syllabus.ops.aggregates import minutes_write

    metrics.minutes.set_handler(minutes_write)
