"""The backup archive: one encrypted file holding a tar stream of

    manifest.json        format, Syllabus version, database vendor, applied migrations,
                         row count and SHA-256 of every table, SHA-256 of the database dump
    database.sqlite3     (SQLite: a copy made with the online backup API) or
    database.pgdump      (PostgreSQL: pg_dump -Fc)
    media/<name>         each uploaded file (when uploaded files are backed up)
    media-index.json     every uploaded file's name, size and SHA-256 (written last, as the
                         files are hashed while they are streamed)

Reading extracts into a scratch folder and checks, in order: the encryption tags (every
chunk, and that the stream ends where it should), the member names (no paths outside the
scratch folder, no links), and the SHA-256 of the dump and of every file against the
manifest and the index. Only a fully checked extraction is returned.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tarfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any

from django.core.files.storage import Storage

from syllabus.backups.crypto import (
    ArchiveCorrupt,
    BackupError,
    BackupKey,
    DecryptingReader,
    EncryptingWriter,
)

FORMAT = 1
MANIFEST = "manifest.json"
MEDIA_INDEX = "media-index.json"
DB_MEMBERS = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
MEDIA_PREFIX = "media/"
SKIPPED_MEDIA_DIRS = {"health"}  # the health check's short-lived probe files
COPY_BUFFER = 1024 * 1024


@dataclass
class Extracted:
    """A checked extraction in ``folder``."""

    folder: Path
    manifest: dict[str, Any]
    database: Path
    media: list[dict[str, Any]] = field(default_factory=list)
    key_id: str = ""
    plaintext_bytes: int = 0

    @property
    def media_folder(self) -> Path:
        return self.folder / "media"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(COPY_BUFFER):
            digest.update(block)
    return digest.hexdigest()


class _HashingReader:
    """Reads a file for tarfile while hashing and counting what was read."""

    def __init__(self, handle: IO[bytes]) -> None:
        self._handle = handle
        self.digest = hashlib.sha256()
        self.size = 0

    def read(self, size: int = -1) -> bytes:
        block = self._handle.read(size)
        self.digest.update(block)
        self.size += len(block)
        return block


def storage_files(storage: Storage, folder: str = "") -> Iterator[str]:
    """Every file name in ``storage``, depth first, in a stable order."""
    try:
        dirs, files = storage.listdir(folder)
    except FileNotFoundError:
        return
    for name in sorted(files):
        yield f"{folder}/{name}" if folder else name
    for name in sorted(dirs):
        if not folder and name in SKIPPED_MEDIA_DIRS:
            continue
        yield from storage_files(storage, f"{folder}/{name}" if folder else name)


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(time.time())
    info.mode = 0o600
    tar.addfile(info, _BytesReader(data))


class _BytesReader:
    def __init__(self, data: bytes) -> None:
        self._data = memoryview(data)
        self._at = 0

    def read(self, size: int = -1) -> bytes:
        end = len(self._data) if size < 0 else self._at + size
        block = bytes(self._data[self._at : end])
        self._at += len(block)
        return block


def write_archive(
    dest: IO[bytes],
    *,
    key: BackupKey,
    manifest: dict[str, Any],
    database: Path,
    media: Storage | None,
) -> dict[str, int]:
    """Write the archive to ``dest``; returns counts (media files, plaintext bytes)."""
    writer = EncryptingWriter(dest, key)
    files: list[dict[str, Any]] = []
    with tarfile.open(fileobj=writer, mode="w|", format=tarfile.PAX_FORMAT) as tar:
        _add_bytes(tar, MANIFEST, json.dumps(manifest, indent=1, sort_keys=True).encode())
        tar.add(str(database), arcname=DB_MEMBERS[manifest["database"]["vendor"]], recursive=False)
        if media is not None:
            for name in storage_files(media):
                with media.open(name, "rb") as handle:
                    size = media.size(name)
                    info = tarfile.TarInfo(MEDIA_PREFIX + name)
                    info.size = size
                    info.mtime = int(time.time())
                    info.mode = 0o600
                    reader = _HashingReader(handle)
                    tar.addfile(info, reader)  # type: ignore[arg-type,unused-ignore]
                    if reader.size != size:
                        raise BackupError(f"The uploaded file {name} changed while it was copied.")
                files.append({"name": name, "size": size, "sha256": reader.digest.hexdigest()})
        _add_bytes(tar, MEDIA_INDEX, json.dumps({"files": files}, indent=1).encode())
    writer.close()
    return {"files": len(files), "plaintext_bytes": writer.plaintext_bytes}


def _safe_media_name(member: str) -> str:
    name = member[len(MEDIA_PREFIX) :]
    path = PurePosixPath(name)
    if (
        not name
        or path.is_absolute()
        or any(part in ("", ".", "..") for part in name.split("/"))
        or "\\" in name
        or "\x00" in name
    ):
        raise ArchiveCorrupt(f"The archive holds a file with an unsafe name: {member!r}.")
    return name


def _copy_member(tar: tarfile.TarFile, member: tarfile.TarInfo, dest: Path) -> str:
    source = tar.extractfile(member)
    if source is None:
        raise ArchiveCorrupt(f"The archive member {member.name!r} cannot be read.")
    digest = hashlib.sha256()
    dest.parent.mkdir(parents=True, exist_ok=True)
    with dest.open("xb") as out:
        while block := source.read(COPY_BUFFER):
            digest.update(block)
            out.write(block)
    return digest.hexdigest()


def read_archive(source: IO[bytes], folder: Path, keys: list[BackupKey]) -> Extracted:
    """Decrypt and extract ``source`` into the empty ``folder``, checking everything."""
    reader = DecryptingReader(source, keys)
    manifest: dict[str, Any] | None = None
    database: Path | None = None
    database_sha = ""
    media_sha: dict[str, tuple[str, int]] = {}
    index: list[dict[str, Any]] | None = None
    try:
        with tarfile.open(fileobj=reader, mode="r|") as tar:
            for member in tar:
                if not member.isfile():
                    raise ArchiveCorrupt(f"The archive holds a non-file entry: {member.name!r}.")
                if member.name == MANIFEST:
                    manifest = _load_json(tar, member, MANIFEST)
                elif member.name in DB_MEMBERS.values():
                    if manifest is None or database is not None:
                        raise ArchiveCorrupt("The archive's entries are out of order.")
                    database = folder / member.name
                    database_sha = _copy_member(tar, member, database)
                elif member.name.startswith(MEDIA_PREFIX):
                    name = _safe_media_name(member.name)
                    if name in media_sha:
                        raise ArchiveCorrupt(f"The archive holds {name!r} twice.")
                    sha = _copy_member(tar, member, folder / "media" / name)
                    media_sha[name] = (sha, member.size)
                elif member.name == MEDIA_INDEX:
                    index = list(_load_json(tar, member, MEDIA_INDEX).get("files", []))
                else:
                    raise ArchiveCorrupt(f"The archive holds an unexpected entry {member.name!r}.")
        # tarfile stops at the end-of-archive marker: the tags of anything after it, and
        # the final chunk, are still to be checked.
        reader.read_to_end()
    except tarfile.TarError as exc:
        raise ArchiveCorrupt(f"The archive's contents cannot be read: {exc}") from None
    except EOFError:
        raise ArchiveCorrupt("The archive is cut short.") from None
    if manifest is None or database is None or index is None:
        raise ArchiveCorrupt(
            "The archive is incomplete: its manifest, database or file index is missing."
        )
    if manifest.get("format") != FORMAT:
        raise ArchiveCorrupt(
            f"The archive's format {manifest.get('format')!r} is not one this version reads."
        )
    if database_sha != manifest["database"]["sha256"]:
        raise ArchiveCorrupt("The database dump's checksum differs from the manifest.")
    listed = {entry["name"]: (entry["sha256"], entry["size"]) for entry in index}
    if listed != media_sha:
        missing = sorted(set(listed) - set(media_sha))
        changed = sorted(n for n in listed if n in media_sha and listed[n] != media_sha[n])
        raise ArchiveCorrupt(
            "The uploaded files differ from the archive's index "
            f"(missing: {missing[:5]}, changed: {changed[:5]})."
        )
    return Extracted(
        folder=folder,
        manifest=manifest,
        database=database,
        media=index,
        key_id=reader.key_id,
        plaintext_bytes=0,
    )


def _load_json(tar: tarfile.TarFile, member: tarfile.TarInfo, what: str) -> dict[str, Any]:
    if member.size > 256 * 1024 * 1024:
        raise ArchiveCorrupt(f"The archive's {what} is too large.")
    source = tar.extractfile(member)
    if source is None:
        raise ArchiveCorrupt(f"The archive's {what} cannot be read.")
    try:
        data = json.loads(source.read())
    except ValueError:
        raise ArchiveCorrupt(f"The archive's {what} is not valid JSON.") from None
    if not isinstance(data, dict):
        raise ArchiveCorrupt(f"The archive's {what} has an unexpected shape.")
    return data


def remove_folder(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
