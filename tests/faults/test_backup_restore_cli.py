"""Backup -> drop -> restore -> compare with the real `syllabus` command on a SQLite file
(WAL mode, as installed), in separate processes: after the database files are deleted,
every table, row and the uploaded file come back; a truncated archive changes nothing, and
a database that is not empty is replaced only with --force."""

from __future__ import annotations

import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from syllabus.backups.crypto import generate_key_text
from syllabus.backups.databases import compare, sqlite_fingerprints
from tests.faults.procs import REPO, SYLLABUS, app_env, data_dir_from, shell

pytestmark = [pytest.mark.faults, pytest.mark.slow]

BUDGET = 240  # seconds for the whole test


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SYLLABUS, *args], env=env, cwd=REPO, capture_output=True, text=True, timeout=120
    )


def _fingerprints(database: Path) -> dict:
    conn = sqlite3.connect(database)
    try:
        return sqlite_fingerprints(conn)
    finally:
        conn.close()


def test_backup_drop_restore_with_the_command_line(migrated, tmp_path):
    started = time.monotonic()
    data = data_dir_from(migrated, tmp_path / "data")
    env = app_env(data, SYLLABUS_BACKUP_KEY=generate_key_text(), SYLLABUS_LOG_LEVEL="warning")
    shell(
        data,
        "from django.core.files.base import ContentFile; "
        "from django.core.files.storage import default_storage; "
        "from syllabus.courses.models import Course; "
        "Course.objects.create(title='Kept', slug='kept'); "
        "default_storage.save('courses/kept.txt', ContentFile(b'kept'))",
        env=env,
    )
    database = data / "syllabus.sqlite3"

    # given: a backup, proven to restore
    backed_up = _cli(env, "backup", "--verify")
    assert backed_up.returncode == 0, backed_up.stderr
    assert "Verification succeeded" in backed_up.stdout
    before = _fingerprints(database)
    archive = next((data / "backups").glob("*.sbk"))

    # then: over a database that is not empty, restoring needs --force
    refused = _cli(env, "restore", archive.name, "--yes")
    assert refused.returncode == 1 and "--force" in refused.stderr

    # a truncated copy of the archive is refused, even with --force, and changes nothing
    shell(
        data, "from syllabus.courses.models import Course; Course.objects.all().delete()", env=env
    )
    damaged_before = _fingerprints(database)
    cut = tmp_path / "cut.sbk"
    cut.write_bytes(archive.read_bytes()[:-100])
    damaged = _cli(env, "restore", str(cut), "--yes", "--force")
    assert damaged.returncode == 1 and "cut short" in damaged.stderr
    unchanged = _fingerprints(database)
    assert unchanged["courses_course"] == damaged_before["courses_course"]

    # when: the database is lost (its files deleted) and an uploaded file too
    for path in data.glob("syllabus.sqlite3*"):
        path.unlink(missing_ok=True)  # SQLite may delete its -wal/-shm files itself
    (data / "media" / "courses" / "kept.txt").unlink()

    # then: the archive restores into the new, empty database: every table as it was
    restored = _cli(env, "restore", archive.name, "--yes")
    assert restored.returncode == 0, restored.stderr
    after = _fingerprints(database)
    changed = {line.split(":")[0] for line in compare(before, after)}
    assert changed <= {"backups_backuprun", "audit_auditevent"}  # the restore's own row, event
    assert after["courses_course"] == before["courses_course"]
    assert after["accounts_user"] == before["accounts_user"]
    assert (data / "media" / "courses" / "kept.txt").read_bytes() == b"kept"
    assert time.monotonic() - started < BUDGET
