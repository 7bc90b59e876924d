"""Backup -> drop -> restore -> compare, on whichever database the suite runs on (SQLite
by default, PostgreSQL with DATABASE_URL); corrupt, truncated and foreign archives fail
cleanly and leave the current database and files untouched."""

from __future__ import annotations

import io
import json
import tarfile
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection

from syllabus.accounts.models import User
from syllabus.audit.models import AuditEvent
from syllabus.backups import databases
from syllabus.backups.archive import DB_MEMBERS, MANIFEST, MEDIA_INDEX
from syllabus.backups.crypto import (
    ArchiveCorrupt,
    BackupError,
    BackupKeyMissing,
    DecryptingReader,
    EncryptingWriter,
    backup_keys,
)
from syllabus.backups.location import backup_location
from syllabus.backups.models import BackupRun
from syllabus.backups.services import (
    VerificationMismatch,
    backup_create,
    backup_restore,
    backup_verify,
    daily_backup,
)
from syllabus.courses.models import Course
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _fingerprints() -> dict:
    if connection.vendor == "postgresql":
        with databases.PgTarget.default().connect() as conn:
            return databases.pg_fingerprints(conn)
    return databases.sqlite_fingerprints(databases._live_sqlite())


def _actions() -> list[str]:
    return list(AuditEvent.objects.order_by("occurred_at", "id").values_list("action", flat=True))


@pytest.fixture
def site(backup_settings):
    """Some people, a course and an uploaded file."""
    learner = UserFactory(email="kept@example.org")
    Course.objects.create(title="Algebra", slug="algebra")
    default_storage.save("courses/algebra/notes.txt", ContentFile(b"x^2 + y^2"))
    return learner


def _archive_path(run: BackupRun) -> Path:
    return Path(backup_location().description) / run.archive


def test_backup_drop_restore_gives_back_every_row_and_file(site, backup_settings):
    # given: a backup, proven to restore
    backup = backup_create()
    before = _fingerprints()
    verified = backup_verify(name=backup.archive)
    assert backup.status == BackupRun.Status.SUCCEEDED
    assert backup.size_bytes == _archive_path(backup).stat().st_size
    assert backup.files == 1 and backup.tables and backup.rows
    assert verified.verification == BackupRun.Verification.PASSED
    assert verified.rows == backup.rows

    # when: data is lost and changed, then the backup is restored
    User.objects.filter(email="kept@example.org").delete()
    Course.objects.create(title="Written after the backup", slug="later")
    default_storage.delete("courses/algebra/notes.txt")
    default_storage.save("courses/later.txt", ContentFile(b"new"))
    restored = backup_restore(source=backup.archive, force=True)

    # then: the database and files are as they were when the backup was taken
    after = _fingerprints()
    assert databases.compare(before, after) == [
        # only the run history moved on: the restore's own row and audit event
        line
        for line in databases.compare(before, after)
        if line.startswith(("backups_backuprun", "audit_auditevent"))
    ]
    assert User.objects.filter(email="kept@example.org").exists()
    assert not Course.objects.filter(slug="later").exists()
    with default_storage.open("courses/algebra/notes.txt") as handle:
        assert handle.read() == b"x^2 + y^2"
    assert not default_storage.exists("courses/later.txt")
    assert restored.status == BackupRun.Status.SUCCEEDED
    assert restored.details["problems"] == []
    previous = Path(restored.details["media"]["previous_media"])
    assert (previous / "courses" / "later.txt").read_bytes() == b"new"  # kept aside
    # the restored audit trail has the backup, then the restore
    actions = _actions()
    assert "backup.created" not in actions  # recorded after the snapshot was taken
    assert actions[-1] == "backup.restored"
    # the backup's own row, running in the snapshot, is settled as succeeded
    row = BackupRun.objects.get(kind=BackupRun.Kind.BACKUP, archive=backup.archive)
    assert row.status == BackupRun.Status.SUCCEEDED


def test_every_step_is_audited(site):
    run = daily_backup()
    assert run.verification == BackupRun.Verification.PASSED
    assert [a for a in _actions() if a.startswith("backup.")] == [
        "backup.created",
        "backup.verified",
        "backup.pruned",
    ]
    kinds = set(BackupRun.objects.values_list("kind", "status", "trigger"))
    assert kinds == {
        ("backup", "succeeded", "schedule"),
        ("verify", "succeeded", "schedule"),
        ("prune", "succeeded", "schedule"),
    }


def test_a_database_that_is_not_empty_is_replaced_only_with_force(site):
    backup = backup_create()
    UserFactory(email="after@example.org")
    with pytest.raises(BackupError, match="not empty"):
        backup_restore(source=backup.archive)
    assert User.objects.filter(email="after@example.org").exists()
    failed = BackupRun.objects.get(kind=BackupRun.Kind.RESTORE)
    assert failed.status == BackupRun.Status.FAILED
    assert _actions()[-1] == "backup.failed"


def _tamper(path: Path, how: str) -> Path:
    data = path.read_bytes()
    target = path.with_name(f"damaged-{how}.sbk")
    if how == "truncated":
        target.write_bytes(data[: len(data) // 2])
    elif how == "cut-at-the-end":
        target.write_bytes(data[:-1])
    else:
        changed = bytearray(data)
        changed[len(data) // 2] ^= 0xFF
        target.write_bytes(bytes(changed))
    return target


@pytest.mark.parametrize("how", ["truncated", "cut-at-the-end", "flipped"])
def test_a_damaged_archive_fails_cleanly_and_changes_nothing(site, how):
    # given: a backup, then more work on the site
    backup = backup_create()
    damaged = _tamper(_archive_path(backup), how)
    UserFactory(email="after@example.org")
    before = _fingerprints()

    # when
    with pytest.raises(ArchiveCorrupt):
        backup_restore(source=str(damaged), force=True)

    # then: the database and the files are those of before the attempt
    after = _fingerprints()
    changed = [
        line
        for line in databases.compare(before, after)
        if not line.startswith(("backups_backuprun", "audit_auditevent"))
    ]
    assert changed == []
    assert User.objects.filter(email="after@example.org").exists()
    assert default_storage.exists("courses/algebra/notes.txt")
    failed = BackupRun.objects.filter(kind=BackupRun.Kind.RESTORE).get()
    assert failed.status == BackupRun.Status.FAILED
    assert "integrity check" in failed.message or "cut short" in failed.message
    assert failed.details == {"database_replaced": False}


def test_verifying_a_damaged_archive_marks_the_backup_failed(site):
    backup = backup_create()
    path = _archive_path(backup)
    damaged = bytearray(path.read_bytes())
    damaged[len(damaged) // 3] ^= 0x10
    path.write_bytes(bytes(damaged))
    with pytest.raises(ArchiveCorrupt):
        backup_verify(name=backup.archive)
    backup.refresh_from_db()
    assert backup.verification == BackupRun.Verification.FAILED
    assert _actions()[-1] == "backup.failed"


def _rewrite(path: Path, change) -> None:
    """Decrypt an archive, let ``change`` edit its manifest, and re-encrypt it with the
    real key: a well-formed archive whose content does not match what it claims."""
    keys = backup_keys()
    with path.open("rb") as handle:
        plain = DecryptingReader(handle, keys).read()
    out = io.BytesIO()
    writer = EncryptingWriter(out, keys[0])
    with (
        tarfile.open(fileobj=io.BytesIO(plain), mode="r") as src,
        tarfile.open(fileobj=writer, mode="w|") as dst,
    ):
        for member in src:
            data = src.extractfile(member).read()  # type: ignore[union-attr]
            if member.name == MANIFEST:
                manifest = json.loads(data)
                change(manifest)
                data = json.dumps(manifest).encode()
                member.size = len(data)
            dst.addfile(member, io.BytesIO(data))
    writer.close()
    path.write_bytes(out.getvalue())


def test_verification_compares_row_counts_and_checksums_not_just_the_listing(site):
    backup = backup_create()

    def claim_another_row(manifest):
        manifest["database"]["tables"]["courses_course"]["rows"] += 1
        manifest["database"]["tables"]["accounts_user"]["sha256"] = "0" * 64

    _rewrite(_archive_path(backup), claim_another_row)
    with pytest.raises(VerificationMismatch) as caught:
        backup_verify(name=backup.archive)
    assert any("courses_course: 1 rows restored, 2 backed up" in p for p in caught.value.problems)
    assert any(
        "accounts_user: same row count, different content" in p for p in caught.value.problems
    )
    run = BackupRun.objects.get(kind=BackupRun.Kind.VERIFY)
    assert run.details["problems"] == caught.value.problems


def test_an_archive_from_a_newer_version_is_refused(site):
    backup = backup_create()
    _rewrite(
        _archive_path(backup),
        lambda m: m["database"]["migrations"].append("backups.9999_from_the_future"),
    )
    UserFactory(email="after@example.org")
    with pytest.raises(BackupError, match="newer Syllabus"):
        backup_restore(source=backup.archive, force=True)
    assert User.objects.filter(email="after@example.org").exists()


def test_an_archive_whose_dump_differs_from_its_manifest_is_refused(site):
    backup = backup_create()
    _rewrite(_archive_path(backup), lambda m: m["database"].update(sha256="f" * 64))
    with pytest.raises(ArchiveCorrupt, match="checksum differs"):
        backup_restore(source=backup.archive, force=True)


def test_without_a_key_production_refuses_and_records_the_failure(site, settings):
    settings.BACKUP_KEYS = []
    settings.DEBUG = False
    with pytest.raises(BackupKeyMissing):
        backup_create()
    run = BackupRun.objects.get()
    assert run.status == BackupRun.Status.FAILED
    assert "SYLLABUS_BACKUP_KEY" in run.message
    assert _actions()[-1] == "backup.failed"
    assert not list(Path(settings.BACKUP_DIR).glob("*.sbk"))


def test_the_archive_holds_the_manifest_dump_files_and_index(site):
    backup = backup_create()
    with _archive_path(backup).open("rb") as handle:
        plain = DecryptingReader(handle, backup_keys()).read()
    with tarfile.open(fileobj=io.BytesIO(plain)) as tar:
        names = tar.getnames()
        manifest = json.loads(tar.extractfile(MANIFEST).read())  # type: ignore[union-attr]
    assert names == [
        MANIFEST,
        DB_MEMBERS[connection.vendor],
        "media/courses/algebra/notes.txt",
        MEDIA_INDEX,
    ]
    assert manifest["database"]["vendor"] == connection.vendor
    assert manifest["database"]["tables"]["courses_course"]["rows"] == 1
    assert "backups.0001_initial" in manifest["database"]["migrations"]
    assert b"x^2 + y^2" not in _archive_path(backup).read_bytes()  # encrypted at rest


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only")
def test_verification_without_createdb_says_which_privilege_is_missing(site, monkeypatch):
    backup = backup_create()

    @contextmanager
    def refused():
        with databases._pg_errors("Creating a scratch database failed", " (CREATEDB)"):
            raise psycopg.errors.InsufficientPrivilege("permission denied to create database")
        yield

    monkeypatch.setattr(databases, "pg_scratch_database", refused)
    with pytest.raises(BackupError, match="InsufficientPrivilege: permission denied.*CREATEDB"):
        backup_verify(name=backup.archive)
    assert BackupRun.objects.get(kind="verify").status == BackupRun.Status.FAILED


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only")
def test_after_a_restore_erasure_can_still_pseudonymise_the_audit_trail(site):
    # pg_restore --no-privileges drops the audit roles' grants with the table it recreates;
    # the restore gives them back, or erasure (and audit retention) would be refused.
    from syllabus.audit.services import verify_all
    from syllabus.privacy.services import erase_subject

    backup = backup_create()
    backup_restore(source=backup.archive, force=True)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT has_column_privilege('syllabus_audit_redaction', 'audit_auditevent', "
            "'details', 'UPDATE'), has_table_privilege('syllabus_audit_retention', "
            "'audit_auditevent', 'DELETE')"
        )
        assert cursor.fetchone() == (True, True)
        # A dump has no planner statistics: the restore gathered them (ANALYZE).
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'accounts_user'")
        assert cursor.fetchone()[0] >= 1
    learner = User.objects.get(email="kept@example.org")
    erase_subject(user=learner, reason="request")
    learner.refresh_from_db()
    assert learner.email.endswith("@erased.invalid")
    assert all(report.ok for report in verify_all())
