"""What /health says about backups, and retention."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from django.utils import timezone

from syllabus.audit.models import AuditEvent
from syllabus.backups.models import BackupRun
from syllabus.backups.selectors import backup_state
from syllabus.backups.services import backups_prune
from syllabus.ops.health import health_cache_clear

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 31, 12, 0, tzinfo=UTC)


def _backup(status: str, finished: datetime, message: str = "") -> BackupRun:
    return BackupRun.objects.create(
        kind=BackupRun.Kind.BACKUP,
        status=status,
        trigger=BackupRun.Trigger.SCHEDULE,
        started_at=finished - timedelta(minutes=1),
        finished_at=finished,
        message=message,
    )


def test_unknown_before_backups_are_configured(settings):
    settings.BACKUP_KEYS = []
    assert backup_state(now=NOW).status == "unknown"


def test_error_when_a_key_is_set_but_no_backup_was_ever_taken(backup_settings):
    state = backup_state(now=NOW)
    assert state.status == "error"
    assert "syllabus backup" in state.message


@pytest.mark.parametrize(("hours", "status"), [(1, "ok"), (25.9, "ok"), (26.1, "error")])
def test_ok_only_within_the_maximum_age(backup_settings, hours, status):
    _backup(BackupRun.Status.SUCCEEDED, NOW - timedelta(hours=hours))
    assert backup_state(now=NOW).status == status


def test_error_when_the_last_backup_failed_even_after_earlier_successes(backup_settings):
    _backup(BackupRun.Status.SUCCEEDED, NOW - timedelta(hours=3))
    _backup(BackupRun.Status.FAILED, NOW - timedelta(hours=1), "No space left on device")
    state = backup_state(now=NOW)
    assert state.status == "error"
    assert "No space left on device" in state.message
    assert state.last_success_at == NOW - timedelta(hours=3)


def test_a_running_backup_does_not_hide_the_last_result(backup_settings):
    _backup(BackupRun.Status.SUCCEEDED, NOW - timedelta(hours=2))
    BackupRun.objects.create(kind=BackupRun.Kind.BACKUP, trigger="schedule", started_at=NOW)
    assert backup_state(now=NOW).status == "ok"


@pytest.mark.django_db(transaction=True)  # the checks run in threads of their own
def test_the_health_endpoint_turns_503_on_a_missed_backup(client, backup_settings):
    with time_machine.travel(NOW, tick=False):
        _backup(BackupRun.Status.SUCCEEDED, NOW - timedelta(hours=30))
        health_cache_clear()
        response = client.get("/health")
    assert response.status_code == 503
    backup = response.json()["services"]["backup"]
    assert backup["status"] == "error"
    assert "30 hours old" in backup["message"]
    assert backup["last_success"].startswith("2026-03-30T06:00")


@pytest.mark.django_db(transaction=True)
def test_the_health_endpoint_is_ok_after_a_recent_backup(client, backup_settings):
    with time_machine.travel(NOW, tick=False):
        _backup(BackupRun.Status.SUCCEEDED, NOW - timedelta(hours=2))
        health_cache_clear()
        response = client.get("/health")
    assert response.json()["services"]["backup"]["status"] == "ok"


def _archives(folder: Path, days_ago: list[int]) -> list[str]:
    folder.mkdir(parents=True, exist_ok=True)
    names = []
    for n, days in enumerate(days_ago):
        stamp = (NOW - timedelta(days=days)).strftime("%Y%m%dT%H%M%SZ")
        name = f"syllabus-backup-{stamp}-{n:08x}.sbk"
        (folder / name).write_bytes(b"x" * 10)
        names.append(name)
    (folder / "notes.txt").write_text("not an archive: never touched")
    return names


def test_prune_deletes_archives_past_retention_and_is_audited(backup_settings):
    folder = Path(backup_settings.BACKUP_DIR)
    names = _archives(folder, [0, 1, 29, 31, 45])
    run = backups_prune(now=NOW)
    assert sorted(p.name for p in folder.glob("*.sbk")) == sorted(names[:3])
    assert (folder / "notes.txt").exists()
    assert run.files == 2 and run.size_bytes == 20
    assert sorted(run.details["deleted"]) == sorted(names[3:])
    event = AuditEvent.objects.get(action="backup.pruned")
    assert sorted(event.details["deleted"]) == sorted(names[3:])


def test_prune_keeps_the_newest_archive_however_old(backup_settings):
    folder = Path(backup_settings.BACKUP_DIR)
    names = _archives(folder, [60, 90])
    backups_prune(now=NOW)
    assert [p.name for p in folder.glob("*.sbk")] == [names[0]]


def test_prune_dry_run_deletes_nothing(backup_settings):
    folder = Path(backup_settings.BACKUP_DIR)
    _archives(folder, [0, 40])
    run = backups_prune(now=NOW, dry_run=True)
    assert len(list(folder.glob("*.sbk"))) == 2
    assert len(run.details["deleted"]) == 1


def test_retention_follows_the_setting(backup_settings):
    backup_settings.BACKUP_RETENTION_DAYS = 7
    folder = Path(backup_settings.BACKUP_DIR)
    _archives(folder, [0, 6, 8])
    backups_prune(now=timezone.make_aware(NOW.replace(tzinfo=None), UTC))
    assert len(list(folder.glob("*.sbk"))) == 2
