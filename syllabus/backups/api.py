"""The backups JSON API (mounted at /api/v1/): the run history, and queueing a backup or
a verification (sensitive: recent MFA). Restoring is command-line only."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from syllabus.accounts.permissions import acting_user
from syllabus.accounts.sensitive import api_require_recent_mfa
from syllabus.accounts.tokens import api_has_perm
from syllabus.backups.crypto import BackupError
from syllabus.backups.location import NAME_RE, backup_location
from syllabus.backups.models import BackupRun
from syllabus.backups.selectors import backup_state, run_list
from syllabus.backups.tasks import backup_now_task, backup_verify_task
from syllabus.core.api_schemas import Error
from syllabus.core.jobs import enqueue_on_commit

router = Router(tags=["backups"])

PAGE_SIZE = 50
_ERRORS: dict[int, Any] = {401: Error, 403: Error, 429: Error}


class RunOut(Schema):
    id: str = Field(..., description="The run's public id.")
    kind: str = Field(..., description="backup, verify, restore or prune.")
    status: str = Field(..., description="running, succeeded or failed.")
    trigger: str = Field(..., description="schedule, manual (page or API) or cli.")
    archive: str
    size_bytes: int | None
    duration_seconds: float | None
    tables: int | None
    rows: int | None
    files: int | None
    verification: str = Field(..., description="passed, failed or empty (not verified).")
    verified_at: datetime | None
    started_at: datetime
    finished_at: datetime | None
    message: str


class RunsQuery(Schema):
    kind: str = Field("", pattern="^(|backup|verify|restore|prune)$")
    page: int = Field(1, ge=1)


class RunsPage(Schema):
    status: str = Field(..., description="The daily backup's health: ok, error or unknown.")
    status_message: str
    count: int
    page: int
    pages: int
    results: list[RunOut]


class VerifyIn(Schema):
    archive: str = Field(
        ..., max_length=100, description="An archive name from the backup location."
    )


class Queued(Schema):
    detail: str
    archive: str = ""


def _require(request: HttpRequest) -> None:
    if not api_has_perm(request, "backup.run"):
        raise PermissionDenied(_("This needs the backup.run permission."))


def _run(run: BackupRun) -> dict[str, Any]:
    return {
        "id": run.public_id,
        "kind": run.kind,
        "status": run.status,
        "trigger": run.trigger,
        "archive": run.archive,
        "size_bytes": run.size_bytes,
        "duration_seconds": run.duration_seconds,
        "tables": run.tables,
        "rows": run.rows,
        "files": run.files,
        "verification": run.verification,
        "verified_at": run.verified_at,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "message": run.message,
    }


@router.get(
    "/backups",
    response={200: RunsPage, **_ERRORS},
    summary="Backup history: backups, verifications, restores and prunes, newest first",
)
def list_runs(request: HttpRequest, query: Query[RunsQuery]) -> Any:
    _require(request)
    runs = run_list(kind=query.kind)
    count = runs.count()
    pages = max(1, -(-count // PAGE_SIZE))
    start = (query.page - 1) * PAGE_SIZE
    state = backup_state()
    return {
        "status": state.status,
        "status_message": state.message,
        "count": count,
        "page": query.page,
        "pages": pages,
        "results": [_run(r) for r in runs[start : start + PAGE_SIZE]],
    }


@router.post(
    "/backups",
    response={202: Queued, **_ERRORS},
    summary="Queue a backup now (sensitive: recent MFA)",
    description="The backup runs in the job worker; follow it with GET /backups.",
)
def create_backup(request: HttpRequest) -> Any:
    _require(request)
    api_require_recent_mfa(request)
    enqueue_on_commit(backup_now_task, acting_user(request).pk)
    return Status(202, {"detail": _("A backup has been queued.")})


@router.post(
    "/backups/verify",
    response={202: Queued, 404: Error, 422: Error, 503: Error, **_ERRORS},
    summary="Queue a verification of an archive (sensitive: recent MFA)",
    description=(
        "Restores the archive into a scratch database and compares every table's row count "
        "and checksum with its manifest; the result appears in GET /backups."
    ),
)
def verify_backup(request: HttpRequest, payload: VerifyIn) -> Any:
    _require(request)
    api_require_recent_mfa(request)
    name = payload.archive.strip()
    if not NAME_RE.match(name):
        return Status(
            422,
            {"detail": _("This is not a backup archive name."), "code": "invalid_archive"},
        )
    try:
        names = {a.name for a in backup_location().list()}
    except (BackupError, OSError):
        return Status(
            503,
            {"detail": _("The backup location cannot be read."), "code": "location_unavailable"},
        )
    if name not in names:
        return Status(
            404,
            {"detail": _("There is no archive with this name."), "code": "archive_not_found"},
        )
    enqueue_on_commit(backup_verify_task, name, acting_user(request).pk)
    return Status(202, {"detail": _("A verification has been queued."), "archive": name})
