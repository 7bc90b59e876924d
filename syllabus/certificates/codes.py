"""Verification codes: ``7KQ2-M9XD-4HTR-0BWE``, 16 characters from Crockford's base32.

80 random bits from ``secrets``: far too many to guess, and the public verification page
is rate-limited besides. The alphabet has no I, L, O or U; a typed code is read the way
Crockford's base32 reads it (lower case accepted, O as 0, I and L as 1, spaces and
hyphens ignored), so a code read aloud or copied from paper still verifies.
"""

from __future__ import annotations

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
GROUPS = 4
GROUP_SIZE = 4
LENGTH = GROUPS * GROUP_SIZE
MAX_INPUT = 64  # longer input is refused before it is read
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})
_IGNORED = str.maketrans("", "", " -\t")


def _grouped(raw: str) -> str:
    return "-".join(raw[i : i + GROUP_SIZE] for i in range(0, LENGTH, GROUP_SIZE))


def new_code() -> str:
    return _grouped("".join(secrets.choice(ALPHABET) for _ in range(LENGTH)))


def normalize_code(value: str) -> str | None:
    """The canonical form of a typed code, or None when it cannot be one."""
    if not isinstance(value, str) or len(value) > MAX_INPUT:
        return None
    raw = value.strip().upper().translate(_IGNORED).translate(_READ_AS)
    if len(raw) != LENGTH or any(char not in ALPHABET for char in raw):
        return None
    return _grouped(raw)
