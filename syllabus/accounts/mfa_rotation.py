"""allauth's MFA secrets as a source for ``syllabus rotate-keys`` (see syllabus.core.rotation).

TOTP authenticators keep ``data["secret"]``; recovery codes keep ``data["seed"]`` and, for
codes imported from elsewhere, ``data["migrated_codes"]``. Stored values are bound to their
row (:mod:`syllabus.accounts.mfa_binding`). A value is rewritten when it is under an older
ring key, is an ``aesgcm1:`` value from before the ring, or is not bound to its row yet;
the rewritten value is under the current key and bound. There are few such rows (one or
two per person using MFA), so every value is checked before anything is written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from allauth.mfa.models import Authenticator
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction

from syllabus.accounts.mfa_adapter import is_legacy, legacy_decrypt
from syllabus.accounts.mfa_binding import SECRET_TYPES, open_stored, row_context
from syllabus.core.crypto import PREFIX, CryptoError, KeyRing, is_sealed, key_id_of
from syllabus.core.rotation import Count, Problem


def _values(data: Any) -> Iterator[str]:
    if not isinstance(data, dict):
        return
    for key in ("secret", "seed"):
        if isinstance(data.get(key), str):
            yield data[key]
    for code in data.get("migrated_codes") or []:
        if isinstance(code, str):
            yield code


def _map_encrypted(data: Any, convert: Callable[[str], str]) -> Any:
    """``data`` with ``convert`` applied to each encrypted value, ``aesgcm1:`` ones included."""
    result = dict(data)
    for key in ("secret", "seed"):
        if is_sealed(result.get(key)) or is_legacy(result.get(key)):
            result[key] = convert(result[key])
    if isinstance(result.get("migrated_codes"), list):
        result["migrated_codes"] = [
            convert(c) if is_sealed(c) or is_legacy(c) else c for c in result["migrated_codes"]
        ]
    return result


class MfaSecretsSource:
    label = "MFA secrets (mfa.Authenticator)"

    def _rows(self) -> Any:
        return (
            Authenticator.objects.filter(type__in=SECRET_TYPES)
            .order_by("pk")
            .values_list("pk", "user_id", "type", "data")
        )

    def _is_stale(self, ring: KeyRing, value: str, user_id: Any, type_: str) -> bool:
        if is_legacy(value):
            return True
        if not is_sealed(value):
            return False  # stored in clear before encryption existed: the adapter reads it
        if not value.startswith(f"{PREFIX}{ring.current.key_id}:"):
            return True
        try:
            ring.open(value, row_context(user_id, type_))
        except CryptoError:
            return True  # under the current key, but not bound to its row yet
        return False

    def count(self, ring: KeyRing) -> Count:
        rows = stale = 0
        for _, user_id, type_, data in self._rows().iterator():
            values = list(_values(data))
            rows += bool(values)
            stale += any(self._is_stale(ring, v, user_id, type_) for v in values)
        return Count(rows=rows, stale=stale)

    def problems(self, ring: KeyRing) -> list[Problem]:
        """Every value must open (there are few): a rotation never stops half-way here."""
        found: list[Problem] = []
        reported: set[str] = set()
        for pk, user_id, type_, data in self._rows().iterator():
            for value in _values(data):
                if not (is_legacy(value) or is_sealed(value)):
                    continue
                key_id = "aesgcm1" if is_legacy(value) else key_id_of(value)
                try:
                    self._open(ring, value, user_id, type_)
                except (CryptoError, ImproperlyConfigured) as exc:
                    if key_id not in reported:
                        reported.add(key_id)
                        found.append(Problem(self.label, key_id, f"{self.label}, row {pk}: {exc}"))
        return found

    def _open(self, ring: KeyRing, value: str, user_id: Any, type_: str) -> bytes:
        if is_legacy(value):
            return legacy_decrypt(value).encode()
        return open_stored(ring, value, user_id, type_)

    def rotate(self, ring: KeyRing, *, batch_size: int, on_batch: Callable[[int], None]) -> int:
        rewritten, last = 0, 0
        while True:
            batch = list(self._rows().filter(pk__gt=last)[:batch_size])
            if not batch:
                return rewritten
            stale = [
                pk
                for pk, user_id, type_, data in batch
                if any(self._is_stale(ring, v, user_id, type_) for v in _values(data))
            ]
            with transaction.atomic():
                locked = self._rows().select_for_update().filter(pk__in=stale)
                for pk, user_id, type_, data in locked:

                    def reseal(value: str, user_id: Any = user_id, type_: str = type_) -> str:
                        if not self._is_stale(ring, value, user_id, type_):
                            return value
                        clear = self._open(ring, value, user_id, type_)
                        return ring.seal(clear, row_context(user_id, type_))

                    new = _map_encrypted(data, reseal)
                    Authenticator.objects.filter(pk=pk).update(data=new)
            rewritten += len(stale)
            last = batch[-1][0]
            if stale:
                on_batch(len(stale))
