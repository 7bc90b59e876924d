"""Binding allauth's MFA secrets to their authenticator row.

allauth asks our adapter to ``encrypt(text)`` / ``decrypt(text)`` with the text alone, so
the adapter seals under the table's context (``mfa_authenticator.data``). In the database,
though, each value is bound to its row: ``mfa_authenticator.data.<user id>.<type>`` (a
user holds at most one TOTP and one recovery-codes authenticator, allauth's unique
constraint; the primary key is not known before the INSERT, the owner and type are).
Three signal handlers translate between the two forms:

* ``post_init`` (a row is loaded): each stored value is opened under the row's context and
  sealed again, in memory, under the table's, so that allauth's ``decrypt`` reads it. A
  value that does not open under the row's context (copied from another person's row, or
  altered) is left as it is, and ``decrypt`` then refuses it (``TamperedValue``). Values
  written before rows were bound (under the table's context) still load; ``syllabus
  rotate-keys`` binds them.
* ``pre_save``: values are sealed again under the row's context for the database;
* ``post_save``: the instance gets its in-memory form back, for allauth's further use.

``aesgcm1:`` values (from before the key ring) are left to the adapter and rotate-keys.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from allauth.mfa.models import Authenticator
from django.db.models.signals import post_init, post_save, pre_save

from syllabus.accounts.mfa_adapter import MFA_CONTEXT
from syllabus.core.crypto import CryptoError, KeyRing, is_sealed, keyring

SECRET_TYPES = (Authenticator.Type.TOTP, Authenticator.Type.RECOVERY_CODES)
_KEPT = "_syllabus_mfa_memory_data"


def row_context(user_id: Any, type_: str) -> str:
    return f"{MFA_CONTEXT}.{user_id}.{type_}"


def map_values(data: Any, convert: Callable[[str], str]) -> Any:
    """``data`` with ``convert`` applied to each sealed secret (secret, seed, migrated codes)."""
    if not isinstance(data, dict):
        return data
    result = dict(data)
    for key in ("secret", "seed"):
        if is_sealed(result.get(key)):
            result[key] = convert(result[key])
    if isinstance(result.get("migrated_codes"), list):
        result["migrated_codes"] = [
            convert(code) if is_sealed(code) else code for code in result["migrated_codes"]
        ]
    return result


def open_stored(ring: KeyRing, value: str, user_id: Any, type_: str) -> bytes:
    """A stored value: bound to its row, or (written before binding) to the table."""
    try:
        return ring.open(value, row_context(user_id, type_))
    except CryptoError:
        return ring.open(value, MFA_CONTEXT)


def _applies(instance: Authenticator) -> bool:
    loaded = instance.__dict__  # never trigger the loading of a deferred field here
    return (
        all(name in loaded for name in ("data", "type", "user_id"))
        and loaded["type"] in SECRET_TYPES
        and loaded["user_id"] is not None
    )


def _to_memory(sender: Any, instance: Authenticator, **kwargs: Any) -> None:
    # Runs for loaded rows and for new instances alike (``_state.adding`` is set only
    # after __init__); a new one holds the adapter's values, which stay as they are.
    if not _applies(instance):
        return
    ring = keyring()

    def convert(value: str) -> str:
        try:
            clear = ring.open(value, row_context(instance.user_id, instance.type))
        except CryptoError:
            return value  # unbound (older) values open as they are; others are refused
        return ring.seal(clear, MFA_CONTEXT)

    instance.data = map_values(instance.data, convert)


def _to_storage(sender: Any, instance: Authenticator, **kwargs: Any) -> None:
    if not _applies(instance):
        return
    ring = keyring()

    def convert(value: str) -> str:
        try:
            clear = ring.open(value, MFA_CONTEXT)
        except CryptoError:
            return value  # bound already (or refused on reading, as it must be)
        return ring.seal(clear, row_context(instance.user_id, instance.type))

    setattr(instance, _KEPT, instance.data)
    instance.data = map_values(instance.data, convert)


def _back_to_memory(sender: Any, instance: Authenticator, **kwargs: Any) -> None:
    if hasattr(instance, _KEPT):
        instance.data = getattr(instance, _KEPT)
        delattr(instance, _KEPT)


def connect() -> None:
    post_init.connect(_to_memory, sender=Authenticator, dispatch_uid="syllabus.mfa.memory")
    pre_save.connect(_to_storage, sender=Authenticator, dispatch_uid="syllabus.mfa.storage")
    post_save.connect(_back_to_memory, sender=Authenticator, dispatch_uid="syllabus.mfa.back")
