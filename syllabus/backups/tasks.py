"""Background jobs: the daily backup (take, verify, prune) and the admin page's buttons."""

from __future__ import annotations

import contextlib
from typing import Any

from django.conf import settings
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from syllabus.backups.crypto import BackupError
from syllabus.backups.models import BackupRun
from syllabus.backups.services import backup_create, backup_verify, daily_backup
from syllabus.core.jobs import job


def _actor(actor_id: int | None) -> Any:
    if actor_id is None:
        return None
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(pk=actor_id).first()


if settings.BACKUP_DAILY:

    @db_periodic_task(crontab(hour=str(settings.BACKUP_HOUR), minute="15"))
    def daily_backup_task() -> None:
        """Daily at SYLLABUS_BACKUP_HOUR:15 UTC: back up, verify that archive, prune old ones.

        A failure is recorded (run row, audit event, /health turns "error") and raised, so
        the worker logs it; the next day's run tries again.
        """
        daily_backup()


# Failures are recorded as failed runs by the services; retrying a backup that failed
# for a reason such as a missing key or a full disk would only repeat it.
@job(retries=0)
def backup_now_task(actor_id: int | None) -> None:
    # A BackupError is recorded as a failed run and a backup.failed audit event.
    with contextlib.suppress(BackupError):
        backup_create(actor=_actor(actor_id), trigger=BackupRun.Trigger.MANUAL)


@job(retries=0)
def backup_verify_task(name: str, actor_id: int | None) -> None:
    with contextlib.suppress(BackupError):
        backup_verify(actor=_actor(actor_id), trigger=BackupRun.Trigger.MANUAL, name=name)
