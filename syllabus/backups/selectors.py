"""Reads: the run history, and the state of the daily backup for health checks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from syllabus.backups.models import BackupRun


def run_list(*, kind: str = "") -> QuerySet[BackupRun]:
    runs = BackupRun.objects.select_related("actor").order_by("-started_at", "-id")
    if kind:
        runs = runs.filter(kind=kind)
    return runs


@dataclass(frozen=True)
class BackupState:
    """What /health and the ops dashboard say about backups."""

    status: Literal["ok", "error", "unknown"]
    message: str
    last_success_at: datetime | None = None
    last_failure_at: datetime | None = None


def backup_state(*, now: datetime | None = None) -> BackupState:
    """ "ok" when the last finished backup succeeded within SYLLABUS_BACKUP_MAX_AGE_HOURS;
    "error" when it failed, or none succeeded in that window, once backups are configured
    (a backup key is set, or a backup has ever been attempted); otherwise "unknown"."""
    now = now or timezone.now()
    window = timedelta(hours=settings.BACKUP_MAX_AGE_HOURS)
    finished = BackupRun.objects.filter(kind=BackupRun.Kind.BACKUP).exclude(
        status=BackupRun.Status.RUNNING
    )
    last = finished.order_by("-started_at", "-id").first()
    success = (
        finished.filter(status=BackupRun.Status.SUCCEEDED).order_by("-started_at", "-id").first()
    )
    success_at = success.finished_at if success else None
    if last is None:
        if settings.BACKUP_KEYS:
            return BackupState(
                "error",
                _(
                    "no backup has been taken yet: run `syllabus backup`, and keep the worker "
                    "running for the daily backup"
                ),
            )
        return BackupState(
            "unknown", _("no backup has been taken yet and no backup key is configured")
        )
    if last.status == BackupRun.Status.FAILED:
        return BackupState(
            "error",
            _("the last backup failed at %(when)s: %(message)s")
            % {"when": _iso(last.started_at), "message": last.message[:200]},
            success_at,
            last.started_at,
        )
    assert last.finished_at is not None
    age = now - last.finished_at
    if age > window:
        hours = int(age.total_seconds() // 3600)
        return BackupState(
            "error",
            _("the last successful backup is %(hours)s hours old (more than %(limit)s)")
            % {"hours": hours, "limit": settings.BACKUP_MAX_AGE_HOURS},
            success_at,
        )
    return BackupState(
        "ok", _("last backup %(when)s") % {"when": _iso(last.finished_at)}, success_at
    )


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
