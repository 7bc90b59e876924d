"""Taking, verifying, restoring and pruning backups. Each one is a BackupRun row and an
audit event (backup.created / verified / restored / pruned, or backup.failed).

These run for minutes outside any request transaction: the run row is written when the
work starts (the admin page shows it running), and its outcome and audit event are
written together in one transaction at the end.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import structlog
from django.conf import settings
from django.core.files import File
from django.core.files.storage import FileSystemStorage, default_storage
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone
from django.utils.translation import gettext as _

import syllabus
from syllabus.audit.services import record
from syllabus.backups import databases
from syllabus.backups.archive import (
    DB_MEMBERS,
    FORMAT,
    Extracted,
    read_archive,
    remove_folder,
    write_archive,
)
from syllabus.backups.crypto import BackupError, backup_keys
from syllabus.backups.location import (
    NAME_RE,
    ArchiveInfo,
    archive_name,
    backup_location,
    check_name,
)
from syllabus.backups.models import BackupRun

log = structlog.get_logger(__name__)

Trigger = BackupRun.Trigger
ACTIONS = {
    BackupRun.Kind.BACKUP: "backup.created",
    BackupRun.Kind.VERIFY: "backup.verified",
    BackupRun.Kind.RESTORE: "backup.restored",
    BackupRun.Kind.PRUNE: "backup.pruned",
}


# --- Run rows and audit ----------------------------------------------------------------------


def _actor_or_none(actor: Any) -> Any:
    return actor if actor is not None and getattr(actor, "is_authenticated", False) else None


def _start(kind: str, *, actor: Any, trigger: str, **fields: Any) -> BackupRun:
    return BackupRun.objects.create(
        kind=kind, trigger=trigger, actor=_actor_or_none(actor), **fields
    )


def _finish(run: BackupRun, started: float, *, actor: Any, **fields: Any) -> BackupRun:
    for name, value in fields.items():
        setattr(run, name, value)
    run.status = BackupRun.Status.SUCCEEDED
    run.finished_at = timezone.now()
    run.duration_seconds = round(time.perf_counter() - started, 3)
    with transaction.atomic():
        run.save()
        record(
            actor=actor, action=ACTIONS[BackupRun.Kind(run.kind)], target=run, details=_summary(run)
        )
    log.info(
        "backup.run_succeeded", kind=run.kind, archive=run.archive, seconds=run.duration_seconds
    )
    return run


def _fail(run: BackupRun, started: float, exc: BaseException, *, actor: Any) -> None:
    run.status = BackupRun.Status.FAILED
    run.finished_at = timezone.now()
    run.duration_seconds = round(time.perf_counter() - started, 3)
    run.message = _reason(exc)
    with transaction.atomic():
        run.save()
        record(
            actor=actor,
            action="backup.failed",
            target=run,
            details={**_summary(run), "message": run.message},
        )
    log.warning("backup.run_failed", kind=run.kind, archive=run.archive, reason=run.message)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, BackupError):
        return str(exc)
    # Unexpected errors: their type, and a bounded text (logged in full elsewhere).
    return f"{type(exc).__name__}: {str(exc)[:300]}"


def _summary(run: BackupRun) -> dict[str, Any]:
    return {
        "kind": run.kind,
        "trigger": run.trigger,
        "archive": run.archive,
        "location": run.location,
        "size_bytes": run.size_bytes,
        "duration_seconds": run.duration_seconds,
        "verification": run.verification,
        **{k: v for k, v in run.details.items() if k in ("deleted", "problems", "media")},
    }


@contextmanager
def _exclusive(what: str) -> Iterator[None]:
    """One backup job at a time on this machine (the daily job and a button press)."""
    path = Path(settings.DATA_DIR) / "backups.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BackupError(f"Another backup job is running; {what} was not started.") from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1024 * 1024):
            digest.update(block)
    return digest.hexdigest()


def _media_storage() -> Any:
    return default_storage if settings.BACKUP_MEDIA else None


# --- Backup ----------------------------------------------------------------------------------


def backup_create(*, actor: Any = None, trigger: str = Trigger.CLI) -> BackupRun:
    """Write an encrypted archive of the database and uploaded files to the location."""
    location = backup_location()
    run = _start(
        BackupRun.Kind.BACKUP,
        actor=actor,
        trigger=trigger,
        location=location.description,
        db_vendor=databases.vendor(),
    )
    started = time.perf_counter()
    scratch: Path | None = None
    try:
        key = backup_keys()[0]
        with _exclusive("the backup"):
            scratch = Path(tempfile.mkdtemp(prefix="backup-", dir=location.scratch_dir()))
            now = timezone.now()
            name = archive_name(now)
            # Named before the snapshot: a database restored from this archive then knows
            # that its own "running" row is the backup that made it.
            run.archive = name
            run.save(update_fields=["archive"])
            vendor = databases.vendor()
            dump = scratch / DB_MEMBERS[vendor]
            fingerprints, migrations = databases.snapshot(dump)
            dump_size = dump.stat().st_size
            manifest = {
                "format": FORMAT,
                "syllabus_version": syllabus.__version__,
                "created_at": now.isoformat(),
                "database": {
                    "vendor": vendor,
                    "file": DB_MEMBERS[vendor],
                    "size": dump_size,
                    "sha256": _sha256(dump),
                    "tables": fingerprints,
                    "migrations": migrations,
                },
                "media": settings.BACKUP_MEDIA,
            }
            archive_path = scratch / name
            with archive_path.open("xb") as out:
                counts = write_archive(
                    out, key=key, manifest=manifest, database=dump, media=_media_storage()
                )
                out.flush()
                os.fsync(out.fileno())
            size = archive_path.stat().st_size
            sha = _sha256(archive_path)
            location.put(name, archive_path)
    except BaseException as exc:
        _fail(run, started, exc, actor=actor)
        raise
    finally:
        if scratch is not None:
            remove_folder(scratch)
    return _finish(
        run,
        started,
        actor=actor,
        archive=name,
        key_id=key.key_id,
        size_bytes=size,
        sha256=sha,
        tables=len(fingerprints),
        rows=sum(t["rows"] for t in fingerprints.values()),
        files=counts["files"],
        details={
            "plaintext_bytes": counts["plaintext_bytes"],
            "database_bytes": dump_size,
        },
    )


# --- Reading an archive ----------------------------------------------------------------------


@contextmanager
def _opened(source: str, scratch_parent: Path) -> Iterator[tuple[str, Path, Extracted]]:
    """Fetch (from the location, or a file path), decrypt and check an archive into a
    scratch folder, removed afterwards. Yields (name, archive path, extraction)."""
    keys = backup_keys()
    location = backup_location()
    candidate = Path(source)
    scratch = Path(tempfile.mkdtemp(prefix="restore-", dir=scratch_parent))
    try:
        if NAME_RE.match(source) is None:  # a path (a bare archive name means the location)
            if not candidate.is_file():
                raise BackupError(f"There is no archive file at {source}.")
            with candidate.open("rb") as handle:
                extracted = read_archive(handle, scratch, keys)
            yield candidate.name, candidate, extracted
        else:
            with location.fetch(check_name(source)) as path, path.open("rb") as handle:
                extracted = read_archive(handle, scratch, keys)
                yield source, path, extracted
    finally:
        remove_folder(scratch)


def latest_archive() -> ArchiveInfo:
    archives = backup_location().list()
    if not archives:
        raise BackupError(f"There is no backup archive in {backup_location().description} yet.")
    return archives[0]


class VerificationMismatch(BackupError):
    def __init__(self, problems: list[str]) -> None:
        super().__init__(
            "The restored database differs from the manifest: " + "; ".join(problems[:5])
        )
        self.problems = problems


@dataclass(frozen=True)
class Check:
    tables: int
    rows: int
    problems: list[str]


def _check_database(extracted: Extracted) -> Check:
    """Restore the archive's database into a scratch database and compare it table by
    table with the manifest."""
    expected = extracted.manifest["database"]["tables"]
    vendor = extracted.manifest["database"]["vendor"]
    if vendor == "sqlite":
        found = databases.sqlite_check_copy(extracted.database)
    else:
        if databases.vendor() != "postgresql":
            raise BackupError(
                "This is a PostgreSQL backup: verify it on an installation that uses PostgreSQL."
            )
        databases.pg_check_dump(extracted.database)
        with databases.pg_scratch_database() as scratch:
            found = databases.pg_restore_into(extracted.database, scratch, clean=False)
    problems = databases.compare(expected, found)
    return Check(len(found), sum(t["rows"] for t in found.values()), problems)


def backup_verify(*, actor: Any = None, trigger: str = Trigger.CLI, name: str = "") -> BackupRun:
    """Prove an archive restores: decrypt it (every tag), check the dump's and files'
    checksums, restore the database into a scratch database and compare every table's
    row count and checksum with the manifest. ``name``: an archive in the location, or a
    path; empty for the newest archive."""
    location = backup_location()
    run = _start(
        BackupRun.Kind.VERIFY,
        actor=actor,
        trigger=trigger,
        location=location.description,
        archive=name[:100],
    )
    started = time.perf_counter()
    try:
        with _exclusive("the verification"):
            source = name or latest_archive().name
            run.archive = Path(source).name[:100]
            with _opened(source, location.scratch_dir()) as (archive, path, extracted):
                check = _check_database(extracted)
                size = path.stat().st_size
                key_id = extracted.key_id
                vendor = extracted.manifest["database"]["vendor"]
                files = len(extracted.media)
        if check.problems:
            raise VerificationMismatch(check.problems)
    except BaseException as exc:
        if isinstance(exc, VerificationMismatch):
            run.details = {"problems": exc.problems}
        run.verification = BackupRun.Verification.FAILED
        _fail(run, started, exc, actor=actor)
        _mark_verified(run.archive, passed=False)
        raise
    _mark_verified(archive, passed=True)
    return _finish(
        run,
        started,
        actor=actor,
        archive=archive,
        size_bytes=size,
        key_id=key_id,
        db_vendor=vendor,
        tables=check.tables,
        rows=check.rows,
        files=files,
        verification=BackupRun.Verification.PASSED,
        verified_at=timezone.now(),
    )


def _mark_verified(archive: str, *, passed: bool) -> None:
    """Show the latest verification on the archive's own backup row."""
    BackupRun.objects.filter(kind=BackupRun.Kind.BACKUP, archive=archive).update(
        verification=BackupRun.Verification.PASSED if passed else BackupRun.Verification.FAILED,
        verified_at=timezone.now(),
    )


# --- Restore ---------------------------------------------------------------------------------


def _unknown_migrations(applied: list[str]) -> list[str]:
    loader = MigrationLoader(None, ignore_no_migrations=True)
    known = {f"{app}.{name}" for app, name in loader.disk_migrations}
    return [m for m in applied if m not in known]


def _media_is_local() -> bool:
    return (
        isinstance(default_storage, FileSystemStorage)
        and Path(default_storage.location).resolve() == Path(settings.MEDIA_ROOT).resolve()
    )


def _restore_media(extracted: Extracted) -> dict[str, Any]:
    """Put the archive's uploaded files in place of the current ones.

    Local folder: the extracted folder is renamed into place and the old one kept beside
    it (``media.before-restore-<time>``) until the operator removes it. Other storage:
    each file is written over; files the archive does not have are left alone.
    """
    source = extracted.media_folder
    source.mkdir(exist_ok=True)
    if _media_is_local():
        media_root = Path(settings.MEDIA_ROOT)
        kept = ""
        if media_root.exists():
            stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
            old = media_root.with_name(f"{media_root.name}.before-restore-{stamp}")
            media_root.rename(old)
            kept = str(old)
        source.rename(media_root)
        return {"files": len(extracted.media), "previous_media": kept}
    for entry in extracted.media:
        name = entry["name"]
        if default_storage.exists(name):
            default_storage.delete(name)
        with (source / name).open("rb") as handle:
            default_storage.save(name, File(handle))
    return {"files": len(extracted.media), "previous_media": ""}


def backup_restore(
    *,
    actor: Any = None,
    source: str,
    force: bool = False,
    media: bool = True,
    trigger: str = Trigger.CLI,
) -> BackupRun:
    """Restore an archive (a name in the location, or a path) over the current database.

    The archive is decrypted and checked completely in a scratch folder first; a
    corrupt, truncated or foreign archive stops here and nothing is changed. A database
    that already has tables is replaced only with ``force``.
    """
    started = time.perf_counter()
    scratch_parent = Path(settings.MEDIA_ROOT).parent if _media_is_local() else None
    if scratch_parent is not None:
        scratch_parent.mkdir(parents=True, exist_ok=True)
    replaced = False
    archive = Path(source).name[:100]
    try:
        with (
            _exclusive("the restore"),
            _opened(source, scratch_parent or backup_location().scratch_dir()) as (
                archive,
                _path,
                extracted,
            ),
        ):
            database = extracted.manifest["database"]
            if database["vendor"] != databases.vendor():
                raise BackupError(
                    f"This is a {database['vendor']} backup and this installation uses "
                    f"{databases.vendor()}: restore it on a {database['vendor']} installation."
                )
            unknown = _unknown_migrations(database.get("migrations", []))
            if unknown:
                raise BackupError(
                    "The backup comes from a newer Syllabus (migrations this version does not "
                    f"have: {', '.join(unknown[:5])}). Upgrade Syllabus first, then restore."
                )
            if not force and not databases.database_is_empty():
                raise BackupError(
                    "The database is not empty: restoring replaces everything in it. Run "
                    "again with --force to replace it."
                )
            if database["vendor"] == "sqlite":
                pre = databases.compare(
                    database["tables"], databases.sqlite_check_copy(extracted.database)
                )
                if pre:
                    raise BackupError(
                        "The archive's database differs from its manifest: " + "; ".join(pre[:5])
                    )
                replaced = True
                found = databases.sqlite_restore(extracted.database)
            else:
                databases.pg_check_dump(extracted.database)
                replaced = True
                found = databases.pg_restore_live(extracted.database)
            problems = databases.compare(database["tables"], found)
            media_result = (
                _restore_media(extracted) if media and extracted.manifest.get("media") else {}
            )
    except BaseException as exc:
        # Before the database is replaced, the current database is untouched; a failed
        # pg_restore (one transaction) or SQLite backup step leaves it untouched too.
        connections[DEFAULT_DB_ALIAS].close()
        run = BackupRun(
            kind=BackupRun.Kind.RESTORE,
            trigger=trigger,
            actor=_actor_or_none(actor),
            archive=archive,
            db_vendor=databases.vendor(),
        )
        run.details = {"database_replaced": replaced}
        try:
            _fail(run, started, exc, actor=_actor_or_none(actor))
        except Exception:  # the restored database may predate the backups tables
            log.exception("backup.restore_failure_not_recorded")
        raise
    return _record_restore(
        actor=actor,
        trigger=trigger,
        archive=archive,
        started=started,
        tables=len(found),
        rows=sum(t["rows"] for t in found.values()),
        problems=problems,
        media=media_result,
    )


def _record_restore(
    *, actor: Any, trigger: str, archive: str, started: float, tables: int, rows: int,
    problems: list[str], media: dict[str, Any],
) -> BackupRun:  # fmt: skip
    """Write the restore's run and audit event into the database as restored."""
    connections[DEFAULT_DB_ALIAS].close()
    user = _actor_or_none(actor)
    if user is not None:
        # The restored database may not have this account (or have another one at its id).
        from django.contrib.auth import get_user_model

        user = get_user_model().objects.filter(pk=user.pk, email=user.email).first()
    run = BackupRun(
        kind=BackupRun.Kind.RESTORE,
        trigger=trigger,
        actor=user,
        archive=archive,
        db_vendor=databases.vendor(),
        tables=tables,
        rows=rows,
        files=media.get("files"),
        details={"problems": problems, "media": media},
        verification=BackupRun.Verification.FAILED if problems else BackupRun.Verification.PASSED,
        verified_at=timezone.now(),
    )
    table = BackupRun._meta.db_table
    if table not in connections[DEFAULT_DB_ALIAS].introspection.table_names():
        log.warning(
            "backup.restore_not_recorded", reason="the restored database has no backups table yet"
        )
        return run
    if problems:
        run.message = _("Restored, but differs from the manifest: %(problems)s") % {
            "problems": "; ".join(problems[:5])
        }
    # The snapshot was taken while its own backup ran (and maybe others): settle those rows.
    running = BackupRun.objects.filter(status=BackupRun.Status.RUNNING)
    running.filter(kind=BackupRun.Kind.BACKUP, archive=archive).update(
        status=BackupRun.Status.SUCCEEDED,
        message=_("Finished after this snapshot was taken (the archive exists)."),
    )
    running.update(
        status=BackupRun.Status.FAILED,
        message=_("Still running when the restored snapshot was taken; its outcome is not known."),
    )
    run.save()
    return _finish(run, started, actor=user)


# --- Retention -------------------------------------------------------------------------------


def backups_prune(
    *,
    actor: Any = None,
    trigger: str = Trigger.CLI,
    now: datetime | None = None,
    dry_run: bool = False,
) -> BackupRun:
    """Delete archives older than SYLLABUS_BACKUP_RETENTION_DAYS; the newest archive is
    always kept, however old, so a stopped schedule never prunes the last copy."""
    location = backup_location()
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.BACKUP_RETENTION_DAYS)
    run = _start(BackupRun.Kind.PRUNE, actor=actor, trigger=trigger, location=location.description)
    started = time.perf_counter()
    try:
        archives = location.list()
        expired = [a for a in archives[1:] if a.created_at < cutoff]
        if not dry_run:
            for archive in expired:
                location.delete(archive.name)
    except BaseException as exc:
        _fail(run, started, exc, actor=actor)
        raise
    return _finish(
        run,
        started,
        actor=actor,
        files=len(expired),
        size_bytes=sum(a.size for a in expired),
        details={
            "deleted": [a.name for a in expired],
            "kept": len(archives) - len(expired),
            "cutoff": cutoff.isoformat(),
            "dry_run": dry_run,
        },
    )


def daily_backup() -> BackupRun:
    """The scheduled job: back up, verify that archive, then prune."""
    run = backup_create(trigger=Trigger.SCHEDULE)
    backup_verify(trigger=Trigger.SCHEDULE, name=run.archive)
    backups_prune(trigger=Trigger.SCHEDULE)
    run.refresh_from_db()
    return run
