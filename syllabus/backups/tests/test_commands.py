"""The command-line entry points: backup, verify-backup, restore, prune-backups, backups."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from syllabus.backups.crypto import generate_key_text
from syllabus.backups.models import BackupRun
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _call(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_backup_verify_prune_and_list(backup_settings):
    UserFactory()
    output = _call("backup", "--verify", "--prune")
    assert "Backup succeeded" in output and "Verification succeeded" in output
    assert "Pruned 0 archives." in output
    archive = BackupRun.objects.get(kind="backup").archive
    listing = _call("backups")
    assert archive in listing and "passed" in listing
    assert "matches its manifest" in _call("verify-backup", archive)
    assert "Would delete 0 archives older than" in _call("prune-backups", "--dry-run")


def test_verify_backup_with_a_bad_name_or_missing_file_fails_clearly(backup_settings):
    with pytest.raises(CommandError, match="no archive file"):
        call_command("verify-backup", "/nonexistent/file.sbk")
    with pytest.raises(CommandError, match="no backup archive"):
        call_command("verify-backup")


def test_restore_needs_confirmation(backup_settings, monkeypatch):
    _call("backup")
    archive = BackupRun.objects.get(kind="backup").archive
    monkeypatch.setattr("sys.stdin", io.StringIO("no\n"))
    with pytest.raises(CommandError, match="confirm by typing"):
        call_command("restore", archive)  # not a terminal: refuse rather than guess

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr("sys.stdin", Terminal("no\n"))
    with pytest.raises(CommandError, match="Not confirmed"):
        call_command("restore", archive, stdout=io.StringIO())
    assert not BackupRun.objects.filter(kind="restore").exists()

    monkeypatch.setattr("sys.stdin", Terminal("restore\n"))
    output = _call("restore", archive, "--force")
    assert "Restored." in output
    assert BackupRun.objects.filter(kind="restore", status="succeeded").exists()


def test_restore_into_a_non_empty_database_without_force_fails(backup_settings):
    _call("backup")
    archive = BackupRun.objects.get(kind="backup").archive
    with pytest.raises(CommandError, match="--force"):
        call_command("restore", archive, "--yes")


def test_restore_of_a_file_that_is_not_an_archive_fails(backup_settings, tmp_path):
    bogus = Path(tmp_path) / "bogus.sbk"
    bogus.write_bytes(b"PGDMP" + b"\x00" * 200)
    with pytest.raises(CommandError, match="not a Syllabus backup archive"):
        call_command("restore", str(bogus), "--yes", "--force")


def test_demo_takes_a_first_backup_once(backup_settings):
    from syllabus.backups.demo import load_demo

    assert "first backup" in load_demo()
    assert "exists already" in load_demo()
    assert BackupRun.objects.filter(kind="backup", status="succeeded").count() == 1


def test_demo_tries_again_after_a_failed_first_backup(backup_settings):
    """`make run` once started without a backup key: the demo's backup failed. With a key
    set, the next `syllabus demo` takes one instead of saying one exists."""
    from syllabus.backups.demo import load_demo

    backup_settings.BACKUP_KEYS = []
    backup_settings.DEBUG = False  # production mode: no key is generated for us
    assert "the first backup failed: No backup key" in load_demo()
    assert BackupRun.objects.get(kind="backup").status == "failed"

    backup_settings.BACKUP_KEYS = [generate_key_text()]
    assert "first backup" in load_demo()
    assert "exists already" in load_demo()
    assert BackupRun.objects.filter(kind="backup", status="succeeded").count() == 1
    assert BackupRun.objects.filter(kind="backup", status="failed").count() == 1
