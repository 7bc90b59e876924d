"""Privacy jobs: building exports, carrying out approved erasures, and the daily work
(retention, overdue requests, expired download links). Each loads by id and calls a
service; each is safe to run twice."""

from __future__ import annotations

import structlog
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from syllabus.core.jobs import job
from syllabus.privacy.exports import expire_exports, export_build, export_failed
from syllabus.privacy.retention import RetentionBusy, retention_run
from syllabus.privacy.services import erasure_apply, flag_overdue

log = structlog.get_logger(__name__)


@job(retries=0)
def export_build_task(*, request_id: int) -> None:
    try:
        export_build(request_id=request_id)
    except Exception as exc:
        # The request shows as failed at once (audited, with the error), and the person
        # can ask again; a retry could not tell a half-written export from a new one.
        log.exception("privacy.export_failed", request_id=request_id)
        export_failed(request_id=request_id, error=f"{type(exc).__name__}: {exc}")


@job()
def erasure_apply_task(*, request_id: int) -> None:
    erasure_apply(request_id=request_id)


# Before the audit app's own purge (03:17), so audit events are archived before they go.
@db_periodic_task(crontab(hour="2", minute="40"))
def retention_daily_task() -> None:
    """Daily: apply the retention policy (resuming an interrupted run)."""
    try:
        retention_run()
    except RetentionBusy:
        return


@db_periodic_task(crontab(hour="6", minute="5"))
def privacy_requests_daily_task() -> None:
    """Daily: flag requests past their 30-day deadline; delete expired exports."""
    flag_overdue()
    expire_exports()
