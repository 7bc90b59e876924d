"""Field-level encryption: the key ring, AES-256-GCM sealing with associated data, and
HMAC-SHA256 blind indexes.

The key ring comes from ``SYLLABUS_FIELD_KEYS``: comma-separated ``<key id>:<base64 of 32
random bytes>`` entries, the first being the *current* key (new values are sealed under it;
the others only open values written before a rotation)::

    SYLLABUS_FIELD_KEYS=k2:q6x...=,k1:Zr0...=

A sealed value is text, so it fits any text column::

    fe1:<key id>:<base64url(nonce[12] || ciphertext || tag[16])>

* a fresh random 96-bit nonce per value (``os.urandom``), never reused with a key;
* the key id in clear, so a value names the key that opens it and ``syllabus rotate-keys``
  finds the values not yet under the current key with a ``LIKE 'fe1:<current>:%'`` scan;
* associated data (authenticated, not stored) ``fe1:<key id>:<context>``, where the caller's
  context binds the value to where it lives (``<table>.<column>.<row>`` for model fields):
  a value copied to another row or column, or relabelled with another key id, fails the
  GCM tag check and is refused with :class:`TamperedValue`.

Ring keys are not used directly: HKDF-SHA256 derives from each one an encryption key and,
separately, a blind-index key, so the HMAC key that makes indexes searchable is never an
AES key. A blind index is ``<key id>:<hex HMAC-SHA256(index key, domain NUL value)>``;
the domain (``<table>.<column>``) keeps equal values in two columns from matching. A lookup
computes the index under every key of the ring, so searches keep working while a rotation
is half done.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import os
import re
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.core.exceptions import ImproperlyConfigured

VERSION = "fe1"
PREFIX = f"{VERSION}:"
SETTING = "SYLLABUS_FIELD_KEYS"
KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
KEY_ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
# The example key printed in docs/encryption.md: refused by the system check like a
# published SECRET_KEY would be.
DOCUMENTED_EXAMPLE_KEYS = frozenset({"gG1k0yHdw7sVd0m1kq5n3QJ9bVtq2nR7mT1yV8xW4zA="})


class CryptoError(Exception):
    """A stored value cannot be opened; the message says why and names the key id."""


class UnknownKey(CryptoError):
    def __init__(self, key_id: str, where: str = "") -> None:
        self.key_id = key_id
        place = f" ({where})" if where else ""
        super().__init__(
            f"A value{place} was encrypted with key {key_id!r}, which is not in "
            f"{SETTING}: add that key back to the ring (after the current key) to read it."
        )


class TamperedValue(CryptoError):
    def __init__(self, key_id: str, where: str = "") -> None:
        self.key_id = key_id
        place = f" at {where}" if where else ""
        super().__init__(
            f"An encrypted value{place} failed its integrity check under key {key_id!r}: it "
            "was altered or copied from another row or column, or that key's bytes in "
            f"{SETTING} are wrong."
        )


class MalformedValue(CryptoError):
    def __init__(self, where: str = "") -> None:
        place = f" at {where}" if where else ""
        super().__init__(
            f"A value{place} is not an encrypted value of this format (expected "
            f"'{PREFIX}<key id>:<data>')."
        )


def _derive(secret: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(secret)


@dataclass(frozen=True)
class RingKey:
    key_id: str
    secret: bytes = field(repr=False)
    aead: AESGCM = field(repr=False, compare=False)
    index_key: bytes = field(repr=False, compare=False)

    @classmethod
    def build(cls, key_id: str, secret: bytes) -> RingKey:
        return cls(
            key_id=key_id,
            secret=secret,
            aead=AESGCM(_derive(secret, b"syllabus.field-encryption.v1")),
            index_key=_derive(secret, b"syllabus.blind-index.v1"),
        )


def _decode_key(key_id: str, text: str, source: str) -> bytes:
    try:
        padded = text + "=" * (-len(text) % 4)
        raw = base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
    except (binascii.Error, ValueError):
        raise ImproperlyConfigured(f"{source}: key {key_id!r} is not valid base64.") from None
    if len(raw) != KEY_BYTES:
        raise ImproperlyConfigured(
            f"{source}: key {key_id!r} is {len(raw)} bytes; AES-256 needs exactly "
            f"{KEY_BYTES} (generate one with `syllabus generate-field-key`)."
        )
    return raw


@dataclass(frozen=True)
class KeyRing:
    keys: tuple[RingKey, ...]

    @classmethod
    def parse(cls, text: str, *, source: str = SETTING) -> KeyRing:
        """``id:base64,id:base64,...``; the first entry is the current key."""
        entries = [item.strip() for item in re.split(r"[,\s]+", text or "") if item.strip()]
        if not entries:
            raise ImproperlyConfigured(f"{source} holds no key.")
        keys: list[RingKey] = []
        seen: set[str] = set()
        for entry in entries:
            key_id, sep, encoded = entry.partition(":")
            if not sep or not KEY_ID_PATTERN.match(key_id):
                raise ImproperlyConfigured(
                    f"{source}: each entry must look like <key id>:<base64 key>, where the "
                    "key id is 1-32 letters, digits, '-' or '_'; one entry does not."
                )
            if key_id in seen:
                raise ImproperlyConfigured(f"{source}: key id {key_id!r} appears twice.")
            seen.add(key_id)
            keys.append(RingKey.build(key_id, _decode_key(key_id, encoded.strip(), source)))
        return cls(keys=tuple(keys))

    @property
    def current(self) -> RingKey:
        return self.keys[0]

    @property
    def key_ids(self) -> tuple[str, ...]:
        return tuple(key.key_id for key in self.keys)

    def get(self, key_id: str, where: str = "") -> RingKey:
        for key in self.keys:
            if key.key_id == key_id:
                return key
        raise UnknownKey(key_id, where)

    # --- sealing --------------------------------------------------------------------------

    def seal(self, plaintext: bytes, context: str, *, key_id: str | None = None) -> str:
        """Encrypt under the current key (or ``key_id``), bound to ``context``."""
        key = self.get(key_id) if key_id else self.current
        nonce = os.urandom(NONCE_BYTES)
        sealed = key.aead.encrypt(nonce, plaintext, _aad(key.key_id, context))
        body = base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")
        return f"{PREFIX}{key.key_id}:{body}"

    def open(self, token: str, context: str) -> bytes:
        """Decrypt a value sealed for ``context``; raises a :class:`CryptoError` otherwise."""
        key_id, blob = split_token(token, where=context)
        key = self.get(key_id, where=context)
        try:
            return key.aead.decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], _aad(key_id, context))
        except InvalidTag:
            raise TamperedValue(key_id, context) from None

    # --- blind indexes ----------------------------------------------------------------------

    def blind_index(self, value: str, domain: str, *, key_id: str | None = None) -> str:
        key = self.get(key_id) if key_id else self.current
        digest = hmac.new(key.index_key, f"{domain}\0{value}".encode(), hashlib.sha256)
        return f"{key.key_id}:{digest.hexdigest()}"

    def blind_index_candidates(self, value: str, domain: str) -> list[str]:
        """The index of ``value`` under every key: what a lookup matches during a rotation."""
        return [self.blind_index(value, domain, key_id=key.key_id) for key in self.keys]

    # --- checks -----------------------------------------------------------------------------

    def weak_key_ids(self) -> list[str]:
        """Keys that are not random: few distinct bytes, a repeated key, or the docs' example."""
        weak: list[str] = []
        seen: set[bytes] = set()
        for key in self.keys:
            encoded = base64.b64encode(key.secret).decode()
            if (
                len(set(key.secret)) < 16
                or encoded in DOCUMENTED_EXAMPLE_KEYS
                or key.secret in seen
            ):
                weak.append(key.key_id)
            seen.add(key.secret)
        return weak


def _aad(key_id: str, context: str) -> bytes:
    return f"{PREFIX}{key_id}:{context}".encode()


def is_sealed(value: object) -> bool:
    return isinstance(value, str) and value.startswith(PREFIX)


def key_id_of(token: str) -> str:
    return split_token(token)[0]


def split_token(token: str, *, where: str = "") -> tuple[str, bytes]:
    if not is_sealed(token):
        raise MalformedValue(where)
    key_id, sep, body = token.removeprefix(PREFIX).partition(":")
    if not sep or not KEY_ID_PATTERN.match(key_id):
        raise MalformedValue(where)
    try:
        blob = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (binascii.Error, ValueError):
        raise MalformedValue(where) from None
    if len(blob) < NONCE_BYTES + TAG_BYTES:
        raise MalformedValue(where)
    return key_id, blob


def generate_key() -> str:
    """A new random key, base64-encoded, for ``SYLLABUS_FIELD_KEYS``."""
    return base64.b64encode(os.urandom(KEY_BYTES)).decode()


@functools.lru_cache(maxsize=8)
def _ring_for(text: str) -> KeyRing:
    return KeyRing.parse(text)


def keyring() -> KeyRing:
    """The ring from settings (parsed once per distinct value, so tests can override it)."""
    from django.conf import settings

    text = getattr(settings, "FIELD_KEYS", "")
    if not text:
        raise ImproperlyConfigured(f"Set {SETTING}: field-level encryption has no key.")
    return _ring_for(text)
