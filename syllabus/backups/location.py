"""Where archives are kept: a folder (SYLLABUS_BACKUP_DIR) or an S3 bucket
(SYLLABUS_BACKUP_S3_BUCKET, through django-storages; boto3 is imported only then).

Archive names carry their creation time, so retention needs no other record:
``syllabus-backup-20260301T021500Z-1a2b3c4d.sbk``.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from django.conf import settings

from syllabus.backups.crypto import BackupError

SUFFIX = ".sbk"
NAME_RE = re.compile(r"^syllabus-backup-(\d{8}T\d{6}Z)-([0-9a-f]{8})\.sbk$")


def archive_name(now: datetime) -> str:
    stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"syllabus-backup-{stamp}-{secrets.token_hex(4)}{SUFFIX}"


def created_at(name: str) -> datetime | None:
    match = NAME_RE.match(name)
    if match is None:
        return None
    return datetime.strptime(match[1], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)


def check_name(name: str) -> str:
    if NAME_RE.match(name) is None:
        raise BackupError(
            f"{name!r} is not a backup archive name (syllabus-backup-<time>-<id>.sbk)."
        )
    return name


@dataclass(frozen=True)
class ArchiveInfo:
    name: str
    size: int
    created_at: datetime


class Location(Protocol):
    description: str

    def put(self, name: str, source: Path) -> None: ...
    def fetch(self, name: str) -> Any: ...  # a context manager yielding a local Path
    def list(self) -> list[ArchiveInfo]: ...
    def delete(self, name: str) -> None: ...
    def scratch_dir(self) -> Path: ...


class FolderLocation:
    """A local (or mounted) folder; archives are written beside and renamed in place."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.description = str(folder)

    def _ensure(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)

    def scratch_dir(self) -> Path:
        self._ensure()
        partial = self.folder / ".partial"
        partial.mkdir(exist_ok=True, mode=0o700)
        return partial

    def put(self, name: str, source: Path) -> None:
        self._ensure()
        os.chmod(source, 0o600)
        os.replace(source, self.folder / check_name(name))  # same folder: atomic

    @contextmanager
    def fetch(self, name: str) -> Iterator[Path]:
        path = self.folder / check_name(name)
        if not path.is_file():
            raise BackupError(f"There is no archive {name} in {self.description}.")
        yield path

    def list(self) -> list[ArchiveInfo]:
        if not self.folder.is_dir():
            return []
        result = []
        for entry in self.folder.iterdir():
            when = created_at(entry.name)
            if when is not None and entry.is_file():
                result.append(ArchiveInfo(entry.name, entry.stat().st_size, when))
        return sorted(result, key=lambda a: (a.created_at, a.name), reverse=True)

    def delete(self, name: str) -> None:
        (self.folder / check_name(name)).unlink(missing_ok=True)


class S3Location:
    """A bucket (and prefix) of an S3-compatible store. Archives are uploaded from, and
    downloaded to, a temporary file on local disk."""

    def __init__(self, options: dict[str, Any], prefix: str) -> None:
        from botocore.config import Config
        from storages.backends.s3 import S3Storage

        self.storage = S3Storage(
            **options,
            default_acl=None,
            file_overwrite=True,
            client_config=Config(connect_timeout=10, read_timeout=120, retries={"max_attempts": 3}),
        )
        self.prefix = prefix.strip("/")
        self.description = f"s3://{options['bucket_name']}/{self.prefix}".rstrip("/")

    def _key(self, name: str) -> str:
        return f"{self.prefix}/{check_name(name)}" if self.prefix else check_name(name)

    def scratch_dir(self) -> Path:
        path = Path(settings.DATA_DIR) / "backups-tmp"
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        return path

    def put(self, name: str, source: Path) -> None:
        with source.open("rb") as handle:
            self.storage.save(self._key(name), handle)
        source.unlink()

    @contextmanager
    def fetch(self, name: str) -> Iterator[Path]:
        key = self._key(name)
        if not self.storage.exists(key):
            raise BackupError(f"There is no archive {name} in {self.description}.")
        fd, tmp = tempfile.mkstemp(suffix=SUFFIX, dir=self.scratch_dir())
        try:
            with os.fdopen(fd, "wb") as out, self.storage.open(key, "rb") as remote:
                shutil.copyfileobj(remote, out, 1024 * 1024)
            yield Path(tmp)
        finally:
            Path(tmp).unlink(missing_ok=True)

    def list(self) -> list[ArchiveInfo]:
        _, files = self.storage.listdir(self.prefix)
        result = []
        for name in files:
            when = created_at(name)
            if when is not None:
                result.append(ArchiveInfo(name, self.storage.size(self._key(name)), when))
        return sorted(result, key=lambda a: (a.created_at, a.name), reverse=True)

    def delete(self, name: str) -> None:
        self.storage.delete(self._key(name))


def backup_location() -> FolderLocation | S3Location:
    if settings.BACKUP_S3_BUCKET:
        return S3Location(settings.BACKUP_S3_OPTIONS, settings.BACKUP_S3_PREFIX)
    return FolderLocation(Path(settings.BACKUP_DIR))
