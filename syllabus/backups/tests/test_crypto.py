"""The encrypted stream: what goes in comes out, and any change, cut or reordering of the
file is refused before its plaintext is used."""

from __future__ import annotations

import io
import os
import stat
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from syllabus.backups.crypto import (
    MAGIC,
    OUTPUT_STEP,
    TAG_SIZE,
    ArchiveCorrupt,
    BackupKey,
    BackupKeyMissing,
    DecryptingReader,
    EncryptingWriter,
    backup_keys,
    generate_key_text,
    key_id_of,
    parse_key,
)

CHUNK = 1024  # the smallest chunk the reader accepts: many chunks from little data


def _key() -> BackupKey:
    secret = os.urandom(32)
    return BackupKey(key_id_of(secret), secret)


def _encrypt(data: bytes, key: BackupKey, chunk: int = CHUNK) -> bytes:
    out = io.BytesIO()
    writer = EncryptingWriter(out, key, chunk_size=chunk)
    writer.write(data)
    writer.close()
    return out.getvalue()


def _decrypt(blob: bytes, key: BackupKey) -> bytes:
    return DecryptingReader(io.BytesIO(blob), [key]).read()


def _prologue_size(blob: bytes) -> int:
    (size,) = struct.unpack(">H", blob[len(MAGIC) : len(MAGIC) + 2])
    return len(MAGIC) + 2 + size


@settings(max_examples=40, deadline=None)
@given(data=st.binary(max_size=8000), split=st.integers(min_value=1, max_value=3000))
def test_round_trip_whatever_the_size_and_write_pattern(data, split):
    key = _key()
    out = io.BytesIO()
    writer = EncryptingWriter(out, key, chunk_size=CHUNK)
    for start in range(0, len(data), split):
        writer.write(data[start : start + split])
    writer.close()
    assert _decrypt(out.getvalue(), key) == data


def test_incompressible_data_spanning_many_chunks_round_trips():
    key = _key()
    data = os.urandom(CHUNK * 7 + 3)
    blob = _encrypt(data, key)
    assert _decrypt(blob, key) == data
    assert data not in blob  # encrypted, not just framed


def test_every_cut_of_the_file_is_detected():
    # given: a stream of several chunks
    key = _key()
    blob = _encrypt(os.urandom(CHUNK * 3 + 100), key)
    # when / then: cut anywhere, including exactly at chunk boundaries, it does not decrypt
    cuts = set(range(0, len(blob), 97)) | {
        _prologue_size(blob) + n * (CHUNK + TAG_SIZE) for n in range(5)
    }
    for cut in sorted(c for c in cuts if c < len(blob)):
        with pytest.raises(ArchiveCorrupt):
            _decrypt(blob[:cut], key)


def test_a_flipped_bit_anywhere_is_detected():
    key = _key()
    blob = _encrypt(os.urandom(CHUNK * 2 + 10), key)
    for position in range(0, len(blob), 61):
        changed = bytearray(blob)
        changed[position] ^= 0x01
        with pytest.raises((ArchiveCorrupt, BackupKeyMissing)):
            _decrypt(bytes(changed), key)


def test_reordered_chunks_are_detected():
    key = _key()
    blob = _encrypt(os.urandom(CHUNK * 3), key)
    head = _prologue_size(blob)
    frame = CHUNK + TAG_SIZE
    first, second = blob[head : head + frame], blob[head + frame : head + 2 * frame]
    swapped = blob[:head] + second + first + blob[head + 2 * frame :]
    with pytest.raises(ArchiveCorrupt, match="integrity check at chunk 0"):
        _decrypt(swapped, key)


def test_appending_data_after_the_end_is_detected():
    key = _key()
    blob = _encrypt(b"lesson data" * 50, key)
    with pytest.raises(ArchiveCorrupt):
        _decrypt(blob + os.urandom(40), key)


def test_a_file_that_is_not_an_archive_is_refused_by_its_first_bytes():
    with pytest.raises(ArchiveCorrupt, match="not a Syllabus backup"):
        _decrypt(b"SQLite format 3\x00" + b"\x00" * 100, _key())


def test_an_archive_for_another_key_names_the_missing_key():
    blob = _encrypt(b"x" * 10, _key())
    other = _key()
    with pytest.raises(BackupKeyMissing, match="not configured"):
        _decrypt(blob, other)


def test_older_keys_still_decrypt_after_rotation():
    old, new = _key(), _key()
    blob = _encrypt(b"before rotation", old)
    assert DecryptingReader(io.BytesIO(blob), [new, old]).read() == b"before rotation"


def test_each_archive_has_its_own_nonce_prefix():
    key = _key()
    assert _encrypt(b"same", key) != _encrypt(b"same", key)


@pytest.mark.parametrize("text", ["", "abc", "A" * 44, "QUJD" * 10])
def test_keys_must_be_32_bytes_of_base64(text):
    with pytest.raises(ValueError, match="base64|bytes"):
        parse_key(text)


def test_url_safe_and_standard_base64_keys_are_the_same_key():
    secret = bytes(range(200, 232))
    import base64

    assert parse_key(base64.b64encode(secret).decode()) == secret
    assert parse_key(base64.urlsafe_b64encode(secret).decode().rstrip("=")) == secret


def test_production_refuses_to_back_up_without_a_key(settings):
    settings.DEBUG = False
    settings.BACKUP_KEYS = []
    with pytest.raises(BackupKeyMissing, match="SYLLABUS_BACKUP_KEY"):
        backup_keys()


def test_development_creates_a_private_key_file_once(settings, tmp_path):
    settings.DEBUG = True
    settings.BACKUP_KEYS = []
    settings.DATA_DIR = tmp_path
    first = backup_keys()
    second = backup_keys()
    assert first == second
    mode = stat.S_IMODE((tmp_path / "backup.key").stat().st_mode)
    assert mode == 0o600


def test_the_first_configured_key_encrypts(settings):
    a, b = generate_key_text(), generate_key_text()
    settings.BACKUP_KEYS = [a, b]
    keys = backup_keys()
    assert [k.secret for k in keys] == [parse_key(a), parse_key(b)]


def test_highly_compressible_data_is_returned_in_bounded_steps():
    # given: 64 MiB of zeros, which compress into a few chunks
    key = _key()
    out = io.BytesIO()
    writer = EncryptingWriter(out, key, chunk_size=CHUNK * 64)
    block = bytes(1024 * 1024)
    for _ in range(64):
        writer.write(block)
    writer.close()
    assert len(out.getvalue()) < 200_000
    # when: read back in small reads
    reader = DecryptingReader(io.BytesIO(out.getvalue()), [key])
    total, largest = 0, 0
    while chunk := reader.read(1024 * 1024):
        total += len(chunk)
        largest = max(largest, len(reader._buffer))
    # then: everything comes back, never more than one step held at once
    assert total == 64 * 1024 * 1024
    assert largest <= OUTPUT_STEP
