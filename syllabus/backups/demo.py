"""Demo data: a first backup, so the backups page, the health report's backup line and
``syllabus restore`` have something to show right after ``syllabus demo``.

``load_demo()`` is called by ``syllabus demo`` last (after every other app's data, so the
archive holds all of it). Running it again adds nothing once a backup has succeeded; after
a failed one (no backup key yet, say) it tries again. It must
run outside a transaction (a backup copies committed data): inside one it does nothing and
says so.
"""

from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS, connections

from syllabus.backups.crypto import BackupError
from syllabus.backups.models import BackupRun
from syllabus.backups.services import backup_create


def load_demo() -> str:
    """Take the first backup of the demo data; returns a line for the demo's output."""
    if BackupRun.objects.filter(
        kind=BackupRun.Kind.BACKUP, status=BackupRun.Status.SUCCEEDED
    ).exists():
        return "Backups: a backup exists already (see /backups/)."
    if connections[DEFAULT_DB_ALIAS].in_atomic_block:
        return "Backups: skipped (inside a transaction); run `syllabus backup` to take one."
    try:
        run = backup_create(trigger=BackupRun.Trigger.CLI)
    except BackupError as exc:  # recorded as a failed run, shown on /backups/ and /health
        return f"Backups: the first backup failed: {exc}"
    return f"Backups: first backup {run.archive} ({run.size_bytes} bytes), see /backups/."
