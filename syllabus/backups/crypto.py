"""Backup keys and the encrypted stream every backup archive is written through.

Format (version 1)::

    magic    8 bytes   b"SYLBKP\\x00\\x01"
    length   2 bytes   big-endian length of the header
    header   JSON      {"alg": "AES-256-GCM", "chunk": 1048576, "compression": "zlib",
                        "key_id": "...", "nonce_prefix": "<16 hex>", "created_at": "..."}
    chunks   each      AES-256-GCM(ciphertext of up to `chunk` plaintext bytes) + 16-byte tag

Every chunk has its own 96-bit nonce: the random 8-byte prefix of this archive followed
by the chunk's 4-byte counter, so no nonce repeats under a key. Its associated data is the
SHA-256 of the magic, length and header, the chunk index (8 bytes) and a final flag (1 byte):
changing the header (the key id, the chunk size), reordering or dropping chunks, or
cutting the file at any point (even at a chunk boundary: the last chunk read then fails
as "not final") makes decryption fail. This is the STREAM construction of Hoang,
Reyhanitabar, Rogaway and Vizár (2015), as Tink's streaming AEAD uses it.

It is written here on ``cryptography``'s AESGCM because no maintained Python library
frames GCM for files larger than memory: ``cryptography`` offers one-shot AEAD, Tink's
Python streaming AEAD needs its C++ extension and its own key format, and age/GPG would
add a program to install with their own key handling.

The plaintext is compressed (zlib) before encryption; only key holders can write a valid
archive, so a crafted compression bomb needs the key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import json
import os
import secrets
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

MAGIC = b"SYLBKP\x00\x01"
CHUNK_SIZE = 1024 * 1024
TAG_SIZE = 16
KEY_BYTES = 32
MAX_HEADER = 4096
MAX_CHUNKS = 2**32  # the nonce counter is 4 bytes
OUTPUT_STEP = 4 * 1024 * 1024  # most plaintext bytes decompressed at once


class BackupError(Exception):
    """A backup, verification or restore cannot go on; the message says why, for people."""


class BackupKeyMissing(BackupError):
    pass


class ArchiveCorrupt(BackupError):
    """The archive is not one of ours, was cut short, or was changed after it was written."""


@dataclass(frozen=True)
class BackupKey:
    key_id: str
    secret: bytes


def key_id_of(secret: bytes) -> str:
    """A public name for a key (written in archive headers, shown on the admin page)."""
    return hashlib.sha256(b"syllabus-backup-key-id:" + secret).hexdigest()[:16]


def parse_key(text: str) -> bytes:
    """A key as configured: 32 bytes in base64 (standard or URL-safe alphabet)."""
    value = text.strip()
    try:
        secret = base64.b64decode(value + "=" * (-len(value) % 4), altchars=b"-_", validate=False)
    except (binascii.Error, ValueError):
        raise ValueError("not base64") from None
    if len(secret) != KEY_BYTES:
        raise ValueError(f"decodes to {len(secret)} bytes, not {KEY_BYTES}")
    return secret


def generate_key_text() -> str:
    return base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode()


def _development_key_file() -> Path:
    return Path(settings.DATA_DIR) / "backup.key"


def backup_keys() -> list[BackupKey]:
    """The configured keys, the first one encrypting new backups; all of them decrypt.

    Without SYLLABUS_BACKUP_KEY, development mode uses (and creates, readable only by
    this user) ``<data dir>/backup.key``; production mode refuses.
    """
    texts: list[str] = list(settings.BACKUP_KEYS)
    if not texts:
        if not settings.DEBUG:
            raise BackupKeyMissing(
                "No backup key: set SYLLABUS_BACKUP_KEY (or SYLLABUS_BACKUP_KEY_FILE) to 32 "
                "random bytes in base64 before taking or reading backups. Generate one with: "
                "python3 -c 'import base64,secrets; "
                "print(base64.b64encode(secrets.token_bytes(32)).decode())'"
            )
        path = _development_key_file()
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(generate_key_text() + "\n")
        texts = [path.read_text().strip()]
    keys = []
    for text in texts:
        secret = parse_key(text)
        keys.append(BackupKey(key_id_of(secret), secret))
    return keys


# --- Writing ---------------------------------------------------------------------------------


def _aad(header_digest: bytes, index: int, final: bool) -> bytes:
    return header_digest + struct.pack(">QB", index, 1 if final else 0)


def _nonce(prefix: bytes, index: int) -> bytes:
    if index >= MAX_CHUNKS:
        raise BackupError("The archive is too large for one nonce prefix.")
    return prefix + struct.pack(">I", index)


class EncryptingWriter(io.RawIOBase):
    """A write-only file: what is written is compressed, encrypted and framed into ``raw``.

    ``close()`` writes the final chunk; an archive without it does not decrypt.
    """

    def __init__(self, raw: IO[bytes], key: BackupKey, *, chunk_size: int = CHUNK_SIZE) -> None:
        super().__init__()
        self._raw = raw
        self._aead = AESGCM(key.secret)
        self._prefix = secrets.token_bytes(8)
        self._chunk_size = chunk_size
        self._index = 0
        self._pending = bytearray()
        self._compressor = zlib.compressobj(6)
        self.plaintext_bytes = 0
        header = json.dumps(
            {
                "alg": "AES-256-GCM",
                "chunk": chunk_size,
                "compression": "zlib",
                "key_id": key.key_id,
                "nonce_prefix": self._prefix.hex(),
            },
            sort_keys=True,
        ).encode()
        prologue = MAGIC + struct.pack(">H", len(header)) + header
        self._header_digest = hashlib.sha256(prologue).digest()
        raw.write(prologue)

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        view = memoryview(data).cast("B")
        self.plaintext_bytes += len(view)
        self._pending += self._compressor.compress(view)
        while len(self._pending) > self._chunk_size:
            self._emit(bytes(self._pending[: self._chunk_size]), final=False)
            del self._pending[: self._chunk_size]
        return len(view)

    def _emit(self, block: bytes, *, final: bool) -> None:
        nonce = _nonce(self._prefix, self._index)
        self._raw.write(
            self._aead.encrypt(nonce, block, _aad(self._header_digest, self._index, final))
        )
        self._index += 1

    def close(self) -> None:
        if self.closed:
            return
        self._pending += self._compressor.flush()
        while len(self._pending) > self._chunk_size:
            self._emit(bytes(self._pending[: self._chunk_size]), final=False)
            del self._pending[: self._chunk_size]
        # The last chunk may be empty (a tag only): it is what says "nothing follows".
        self._emit(bytes(self._pending), final=True)
        self._pending.clear()
        super().close()


# --- Reading ---------------------------------------------------------------------------------


def read_header(raw: IO[bytes]) -> tuple[dict[str, Any], bytes]:
    """The archive's header and the digest that binds every chunk to it."""
    magic = raw.read(len(MAGIC))
    if magic != MAGIC:
        raise ArchiveCorrupt("This file is not a Syllabus backup archive (its first bytes differ).")
    size_bytes = raw.read(2)
    if len(size_bytes) != 2:
        raise ArchiveCorrupt("The archive is cut short inside its header.")
    (size,) = struct.unpack(">H", size_bytes)
    if size > MAX_HEADER:
        raise ArchiveCorrupt("The archive header is too large.")
    header_bytes = raw.read(size)
    if len(header_bytes) != size:
        raise ArchiveCorrupt("The archive is cut short inside its header.")
    try:
        header = json.loads(header_bytes)
        chunk = int(header["chunk"])
        bytes.fromhex(header["nonce_prefix"])
        str(header["key_id"])
    except (ValueError, KeyError, TypeError):
        raise ArchiveCorrupt("The archive header cannot be read.") from None
    if header.get("alg") != "AES-256-GCM" or header.get("compression") != "zlib":
        raise ArchiveCorrupt("The archive uses an algorithm this version does not read.")
    if not 1024 <= chunk <= 64 * 1024 * 1024 or len(header["nonce_prefix"]) != 16:
        raise ArchiveCorrupt("The archive header has impossible values.")
    return header, hashlib.sha256(MAGIC + size_bytes + header_bytes).digest()


class DecryptingReader(io.RawIOBase):
    """A read-only file giving back what an EncryptingWriter was given.

    Each chunk's tag is checked before any of its bytes are returned; a changed chunk,
    a chunk out of order, or a missing end raises ArchiveCorrupt.
    """

    def __init__(self, raw: IO[bytes], keys: list[BackupKey]) -> None:
        super().__init__()
        self._raw = raw
        self.header, self._header_digest = read_header(raw)
        key_id = self.header["key_id"]
        key = next((k for k in keys if k.key_id == key_id), None)
        if key is None:
            raise BackupKeyMissing(
                f"This archive was encrypted with backup key {key_id}, which is not configured "
                "(list older keys after the current one in SYLLABUS_BACKUP_KEY)."
            )
        self.key_id = key_id
        self._aead = AESGCM(key.secret)
        self._prefix = bytes.fromhex(self.header["nonce_prefix"])
        self._frame = int(self.header["chunk"]) + TAG_SIZE
        self._index = 0
        self._next = raw.read(self._frame)
        self._done = False
        self._last_chunk_read = False
        self._compressed = b""
        self._decompressor = zlib.decompressobj()
        self._buffer = bytearray()

    def readable(self) -> bool:
        return True

    def _decrypt_next(self) -> bytes:
        frame = self._next
        if len(frame) < TAG_SIZE:
            raise ArchiveCorrupt(
                "The archive is cut short: it ends before its final chunk (truncated file)."
            )
        self._next = self._raw.read(self._frame) if len(frame) == self._frame else b""
        final = not self._next
        try:
            block = self._aead.decrypt(
                _nonce(self._prefix, self._index),
                frame,
                _aad(self._header_digest, self._index, final),
            )
        except InvalidTag:
            if final:
                raise ArchiveCorrupt(
                    "The archive failed its integrity check at its last chunk: it was cut "
                    "short or changed."
                ) from None
            raise ArchiveCorrupt(
                f"The archive failed its integrity check at chunk {self._index}: it was "
                "changed or damaged after it was written."
            ) from None
        self._index += 1
        self._last_chunk_read = final
        return block

    def _produce(self) -> None:
        """Add up to OUTPUT_STEP plaintext bytes to the buffer (highly compressible data
        must not expand into memory all at once), decrypting chunks as needed."""
        try:
            while True:
                if self._compressed:
                    out = self._decompressor.decompress(self._compressed, OUTPUT_STEP)
                    self._compressed = self._decompressor.unconsumed_tail
                    if out:
                        self._buffer += out
                        return
                elif self._last_chunk_read:
                    self._buffer += self._decompressor.flush()
                    if not self._decompressor.eof:
                        raise ArchiveCorrupt("The archive's compressed stream is incomplete.")
                    self._done = True
                    return
                else:
                    self._compressed = self._decrypt_next()
        except zlib.error:
            raise ArchiveCorrupt("The archive's compressed stream is damaged.") from None

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        while not self._buffer and not self._done:
            self._produce()
        count = min(len(view), len(self._buffer))
        view[:count] = self._buffer[:count]
        del self._buffer[:count]
        return count

    def read_to_end(self) -> int:
        """Check every chunk (tags and the end) without keeping the plaintext."""
        total = 0
        while not self._done:
            self._produce()
            total += len(self._buffer)
            self._buffer.clear()
        return total
