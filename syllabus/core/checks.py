"""System checks: `syllabus check` warns about field encryption keys that are not random."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Tags, Warning, register

from syllabus.core.crypto import KeyRing


@register(Tags.security)
def field_keys_strength(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Every key of SYLLABUS_FIELD_KEYS should be 32 random bytes, used under one id only.

    Keys of the wrong size are refused at start-up already; this catches keys that are
    the right size but not random (few distinct bytes, the example in docs/encryption.md,
    or the same bytes under two ids).
    """
    ring = KeyRing.parse(settings.FIELD_KEYS)
    return [
        Warning(
            f"Field encryption key {key_id!r} in SYLLABUS_FIELD_KEYS looks weak: it is not "
            "32 random bytes (too few distinct bytes, a published example, or a repeat).",
            hint="Generate a new key with 'syllabus generate-field-key', put it first in "
            "the ring, then run 'syllabus rotate-keys' and remove the weak key.",
            id="syllabus.core.W001",
        )
        for key_id in ring.weak_key_ids()
    ]
