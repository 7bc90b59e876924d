"""allauth's MFA secrets as a source for ``syllabus rotate-keys`` (see syllabus.core.rotation).

TOTP authenticators keep ``data["secret"]``; recovery codes keep ``data["seed"]`` and, for
codes imported from elsewhere, ``data["migrated_codes"]``: each is sealed by our adapter
(:mod:`syllabus.accounts.mfa_adapter`). Values under an older ring key, and ``aesgcm1:``
values from before the ring, are sealed again under the current key.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from allauth.mfa.models import Authenticator
from django.db import transaction

from syllabus.accounts.mfa_adapter import MFA_CONTEXT, is_legacy, legacy_decrypt
from syllabus.core.crypto import PREFIX, CryptoError, KeyRing, is_sealed, key_id_of
from syllabus.core.rotation import SAMPLE_PER_KEY, Count, Problem

_TYPES = (Authenticator.Type.TOTP, Authenticator.Type.RECOVERY_CODES)


def _encrypted_values(data: Any) -> Iterator[str]:
    if not isinstance(data, dict):
        return
    for key in ("secret", "seed"):
        if isinstance(data.get(key), str):
            yield data[key]
    for code in data.get("migrated_codes") or []:
        if isinstance(code, str):
            yield code


def _is_stale(value: str, current: str) -> bool:
    return is_legacy(value) or (is_sealed(value) and not value.startswith(f"{PREFIX}{current}:"))


class MfaSecretsSource:
    label = "MFA secrets (mfa.Authenticator)"

    def _rows(self) -> Any:
        return Authenticator.objects.filter(type__in=_TYPES).order_by("pk")

    def count(self, ring: KeyRing) -> Count:
        rows = stale = 0
        current = ring.current.key_id
        for data in self._rows().values_list("data", flat=True).iterator():
            values = list(_encrypted_values(data))
            rows += bool(values)
            stale += any(_is_stale(v, current) for v in values)
        return Count(rows=rows, stale=stale)

    def problems(self, ring: KeyRing) -> list[Problem]:
        found: list[Problem] = []
        tried: dict[str, int] = {}
        for pk, data in self._rows().values_list("pk", "data").iterator():
            for value in _encrypted_values(data):
                key_id = (
                    "aesgcm1" if is_legacy(value) else key_id_of(value) if is_sealed(value) else ""
                )
                if not key_id or tried.get(key_id, 0) >= SAMPLE_PER_KEY:
                    continue
                tried[key_id] = tried.get(key_id, 0) + 1
                message = self._open_problem(ring, value)
                if message:
                    found.append(Problem(self.label, key_id, f"{self.label}, row {pk}: {message}"))
                    tried[key_id] = SAMPLE_PER_KEY  # one report per key
        return found

    def _open_problem(self, ring: KeyRing, value: str) -> str:
        try:
            if is_legacy(value):
                legacy_decrypt(value)
            else:
                ring.open(value, MFA_CONTEXT)
        except CryptoError as exc:
            return str(exc)
        except Exception as exc:  # legacy values: ImproperlyConfigured naming SECRET_KEY
            return str(exc)
        return ""

    def _reseal(self, ring: KeyRing, value: str) -> str:
        clear = (
            legacy_decrypt(value) if is_legacy(value) else ring.open(value, MFA_CONTEXT).decode()
        )
        return ring.seal(clear.encode(), MFA_CONTEXT)

    def rotate(self, ring: KeyRing, *, batch_size: int, on_batch: Callable[[int], None]) -> int:
        current = ring.current.key_id
        rewritten, last = 0, 0
        while True:
            batch = list(self._rows().filter(pk__gt=last).values_list("pk", "data")[:batch_size])
            if not batch:
                return rewritten
            pks = [
                pk
                for pk, data in batch
                if any(_is_stale(v, current) for v in _encrypted_values(data))
            ]
            with transaction.atomic():
                for authenticator in Authenticator.objects.select_for_update().filter(pk__in=pks):
                    data = dict(authenticator.data)
                    for key in ("secret", "seed"):
                        if isinstance(data.get(key), str) and _is_stale(data[key], current):
                            data[key] = self._reseal(ring, data[key])
                    if data.get("migrated_codes"):
                        data["migrated_codes"] = [
                            self._reseal(ring, c)
                            if isinstance(c, str) and _is_stale(c, current)
                            else c
                            for c in data["migrated_codes"]
                        ]
                    Authenticator.objects.filter(pk=authenticator.pk).update(data=data)
            rewritten += len(pks)
            last = batch[-1][0]
            if pks:
                on_batch(len(pks))
