"""Re-encrypting stored values under the current key (``syllabus rotate-keys``).

Each *source* is a place holding encrypted values: every model with encrypted fields
(found through the app registry), plus sources other apps supply (allauth's MFA secrets,
see ``syllabus.accounts.mfa_rotation``). A source answers four questions:

* how many rows hold values, and how many are *stale* (a value or blind index not under
  the current key): the scan is ``NOT LIKE 'fe1:<current>:%'``, so a rotation needs no
  checkpoint. Rewritten rows stop matching; after an interruption a new run finds exactly
  what is left (idempotent by construction);
* which key ids its values name that the ring lacks (the rotation refuses, naming them);
* whether a sample of values under each key opens with the ring's bytes for that key (a
  wrong key is found before anything is written);
* rewriting one batch: each row's values are opened and sealed again under the current key
  in one transaction per batch, with one UPDATE per row whose WHERE clause repeats the old
  values: a row a user saved in between is left alone (its new values are under the
  current key already).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import reduce
from typing import Any, Protocol

from django.apps import apps
from django.db import connections, models, transaction
from django.db.models import Q

from syllabus.core.crypto import PREFIX, CryptoError, KeyRing, key_id_of, split_token
from syllabus.core.fields import BlindIndexField, Ciphertext, EncryptedField

DEFAULT_BATCH = 500
SAMPLE_PER_KEY = 3


@dataclass
class Count:
    rows: int  # rows holding at least one encrypted value
    stale: int  # rows with a value or blind index not under the current key


@dataclass
class Problem:
    """Why a rotation refuses to start; ``key_id`` names the key at fault."""

    source: str
    key_id: str
    message: str


class Source(Protocol):
    @property
    def label(self) -> str: ...

    def count(self, ring: KeyRing) -> Count: ...

    def problems(self, ring: KeyRing) -> list[Problem]: ...

    def rotate(self, ring: KeyRing, *, batch_size: int, on_batch: Callable[[int], None]) -> int: ...


def _nonempty(attname: str) -> Q:
    return Q(**{f"{attname}__isnull": False}) & ~Q(**{attname: ""})


@dataclass
class ModelSource:
    """The encrypted fields of one model, with their blind indexes."""

    model: type[models.Model]
    fields: list[EncryptedField]
    indexes: list[BlindIndexField] = field(default_factory=list)

    @property
    def label(self) -> str:
        return str(self.model._meta.label)

    @property
    def manager(self) -> models.Manager[Any]:
        return self.model._base_manager

    def _stale_q(self, current: str) -> Q:
        parts = [
            _nonempty(f.attname) & ~Q(**{f"{f.attname}__startswith": f"{PREFIX}{current}:"})
            for f in self.fields
        ] + [
            _nonempty(i.attname) & ~Q(**{f"{i.attname}__startswith": f"{current}:"})
            for i in self.indexes
        ]
        return reduce(operator.or_, parts)

    def count(self, ring: KeyRing) -> Count:
        any_value = reduce(operator.or_, [_nonempty(f.attname) for f in self.fields])
        return Count(
            rows=self.manager.filter(any_value).count(),
            stale=self.manager.filter(self._stale_q(ring.current.key_id)).count(),
        )

    def problems(self, ring: KeyRing) -> list[Problem]:
        found: list[Problem] = []
        for f in self.fields:
            where = f"{self.label}.{f.name}"
            found += self._unknown_keys(f, ring, where)
            for key_id in ring.key_ids:
                rows = (
                    self.manager.filter(**{f"{f.attname}__startswith": f"{PREFIX}{key_id}:"})
                    .order_by("pk")
                    .values_list(f.row_attname, f.attname)[:SAMPLE_PER_KEY]
                )
                for row, token in rows:
                    try:
                        ring.open(str(token), f.context_for_row(row))
                    except CryptoError:
                        found.append(
                            Problem(
                                where,
                                key_id,
                                f"{where}: the key {key_id!r} in the ring does not open the "
                                f"values stored under it (row {row}): wrong key bytes, or "
                                "tampered data. Nothing was rewritten.",
                            )
                        )
                        break
        return found

    def _unknown_keys(self, f: EncryptedField, ring: KeyRing, where: str) -> list[Problem]:
        known = reduce(
            operator.or_,
            [Q(**{f"{f.attname}__startswith": f"{PREFIX}{k}:"}) for k in ring.key_ids],
        )
        rest = self.manager.filter(_nonempty(f.attname)).exclude(known)
        found: list[Problem] = []
        # One query per distinct unknown key id (there are few): name each of them.
        for _ in range(20):
            token = rest.values_list(f.attname, flat=True).first()
            if token is None:
                break
            try:
                key_id = key_id_of(str(token))
            except CryptoError:
                found.append(Problem(where, "", f"{where} holds values that are not encrypted."))
                break
            found.append(
                Problem(
                    where,
                    key_id,
                    f"{where} holds values encrypted with key {key_id!r}, which is not in "
                    "SYLLABUS_FIELD_KEYS: add it back to the ring (after the current key).",
                )
            )
            rest = rest.exclude(**{f"{f.attname}__startswith": f"{PREFIX}{key_id}:"})
        return found

    def rotate(self, ring: KeyRing, *, batch_size: int, on_batch: Callable[[int], None]) -> int:
        current = ring.current.key_id
        stale = self._stale_q(current)
        row_names = sorted({f.row_attname for f in self.fields})
        columns = [f.attname for f in self.fields] + [i.attname for i in self.indexes]
        pk_name = self.model._meta.pk.attname
        names = [pk_name, *[n for n in row_names if n != pk_name], *columns]
        rewritten, last = 0, None
        while True:
            query = self.manager.filter(stale).order_by("pk")
            if last is not None:
                query = query.filter(pk__gt=last)
            batch = [
                dict(zip(names, row, strict=True)) for row in query.values_list(*names)[:batch_size]
            ]
            if not batch:
                return rewritten
            rows = [(row[pk_name], list(self._rewrite_row(ring, row))) for row in batch]
            with transaction.atomic(using=self.manager.db):
                self._write([(pk, changes) for pk, changes in rows if changes])
            rewritten += len(batch)
            last = batch[-1][pk_name]
            on_batch(len(batch))

    def _rewrite_row(self, ring: KeyRing, row: dict[str, Any]) -> Iterable[tuple[str, Any, Any]]:
        current = ring.current.key_id
        clear: dict[str, bytes] = {}
        for f in self.fields:
            token = row[f.attname]
            if token in (None, ""):
                continue
            context = f.context_for_row(row[f.row_attname])
            if not str(token).startswith(f"{PREFIX}{current}:"):
                clear[f.name] = ring.open(str(token), context)
                yield f.attname, token, Ciphertext(ring.seal(clear[f.name], context))
        for index in self.indexes:
            value = row[index.attname]
            if value in (None, "") or str(value).startswith(f"{current}:"):
                continue
            source = index.source_field()
            if source.name not in clear:
                token = row[source.attname]
                if token in (None, ""):
                    yield index.attname, value, ""
                    continue
                clear[source.name] = ring.open(
                    str(token), source.context_for_row(row[source.row_attname])
                )
            text = clear[source.name].decode()
            yield index.attname, value, index.index_of(source.from_text(text))

    def _write(self, rows: list[tuple[Any, list[tuple[str, Any, Any]]]]) -> int:
        """New values, one UPDATE per row whose WHERE repeats the old values: a row saved
        meanwhile is left as it is (its values were sealed under the current key already;
        a later run picks up anything still stale). Plain SQL through ``executemany``: the
        ORM's per-row query building cost more than the cryptography."""
        connection = connections[self.manager.db]
        quote = connection.ops.quote_name
        table = quote(self.model._meta.db_table)
        pk_column = quote(self.model._meta.pk.column)
        columns = {f.attname: f.column for f in [*self.fields, *self.indexes]}
        groups: dict[tuple[str, ...], list[list[Any]]] = {}
        for pk, changes in rows:
            names = tuple(attname for attname, _, _ in changes)
            params = (
                [str(new) for _, _, new in changes] + [pk] + [str(old) for _, old, _ in changes]
            )
            groups.setdefault(names, []).append(params)
        written = 0
        with connection.cursor() as cursor:
            for names, params in groups.items():
                assignments = ", ".join(f"{quote(columns[n])} = %s" for n in names)
                unchanged = " AND ".join(f"{quote(columns[n])} = %s" for n in names)
                cursor.executemany(
                    f"UPDATE {table} SET {assignments} WHERE {pk_column} = %s AND {unchanged}",  # noqa: S608 (names from the model)  # nosec B608
                    params,
                )
                written += max(cursor.rowcount, 0)
        return written


def model_sources() -> list[ModelSource]:
    """Every concrete model with encrypted fields, in app registry order."""
    sources: list[ModelSource] = []
    for model in apps.get_models():
        meta = model._meta
        if meta.proxy or not meta.managed:
            continue
        encrypted = [f for f in meta.concrete_fields if isinstance(f, EncryptedField)]
        if encrypted:
            indexes = [f for f in meta.concrete_fields if isinstance(f, BlindIndexField)]
            sources.append(ModelSource(model, encrypted, indexes))
    return sources


def key_id_or_none(token: str) -> str | None:
    try:
        return split_token(token)[0]
    except CryptoError:
        return None
