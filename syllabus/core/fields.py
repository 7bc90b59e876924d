"""Encrypted model fields: values are sealed by :mod:`syllabus.core.crypto` before they reach
the database and opened when the attribute is first read.

Binding a value to its row
    The associated data of every value is ``<db_table>.<column>.<row>``, so a ciphertext
    copied to another row or column (or another table) no longer opens. ``<row>`` must be
    known *before* the INSERT, because the value is sealed then; an auto-increment primary
    key is only known after it. So:

    * by default ``<row>`` is the primary key, and the field refuses to seal a value for a
      row whose primary key is still empty; use it on models whose key is set in Python
      (a one-to-one primary key such as ``PersonalDetails.user``, or a UUID);
    * ``row_field="public_id"`` binds to another unique, immutable column filled before the
      INSERT instead (``User.public_id``: random, set by its own ``pre_save``, never
      changed). A two-step "insert, then encrypt in post_save" would write the clear value
      first and lose values in ``bulk_create`` (no signals), so Syllabus does not do that.

Reading
    ``from_db_value`` has no access to the row, so it returns the stored text wrapped in
    :class:`Ciphertext`; the field's descriptor opens it on first access (where the
    instance, hence the row, is known) and keeps the clear value on the instance.
    ``values()``/``values_list()`` therefore return ciphertext: read model instances.

Writing
    ``pre_save`` seals the clear value under the current key (a fresh nonce each save); a
    value never read since loading is written back unchanged. Queries cannot compare
    encrypted values (the nonce is random): ``filter(field=...)`` and ``update(field=...)``
    raise ``TypeError``, except for the empty value. A field that must be found by exact
    value gets a :class:`BlindIndexField` next to it and is searched through
    :meth:`BlindIndexField.lookup`.

Empty values (``""``, ``None``) are stored as they are: whether someone gave a phone number
is not secret, and it keeps ``exclude(phone_number="")`` working.
"""

from __future__ import annotations

import datetime
import unicodedata
from collections.abc import Callable
from typing import Any

from django import forms
from django.core import validators
from django.db import models
from django.db.models.query_utils import DeferredAttribute, Q

from syllabus.core.crypto import keyring


class Ciphertext(str):
    """A value as stored (sealed), not opened yet."""

    __slots__ = ()


class _EncryptedAttribute(DeferredAttribute):
    """A data descriptor (it has ``__set__``), so every read passes through ``__get__``."""

    def __set__(self, instance: Any, value: Any) -> None:
        instance.__dict__[self.field.attname] = value

    def __get__(self, instance: Any, cls: Any = None) -> Any:
        if instance is None:
            return self
        value = super().__get__(instance, cls)
        if isinstance(value, Ciphertext):
            value = self.field.open_for(instance, value)  # type: ignore[attr-defined]
            instance.__dict__[self.field.attname] = value
        return value


class EncryptedField(models.Field):
    """Base class: a text column holding ``fe1:<key id>:<data>``; subclasses convert."""

    descriptor_class = _EncryptedAttribute
    empty_values_stored: tuple[Any, ...] = (None, "")

    def __init__(self, *args: Any, row_field: str | None = None, **kwargs: Any) -> None:
        self.row_field = row_field
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        if self.row_field:
            kwargs["row_field"] = self.row_field
        return name, path, args, kwargs

    def get_internal_type(self) -> str:
        return "TextField"

    # Subclasses: the clear value as text, and back.
    def to_text(self, value: Any) -> str:
        return str(value)

    def from_text(self, text: str) -> Any:
        return text

    # --- binding ---------------------------------------------------------------------------

    def context_for(self, instance: models.Model) -> str:
        """``<db_table>.<column>.<row>``: the associated data of this field on that row."""
        meta = instance._meta
        if self.row_field:
            row_field = meta.get_field(self.row_field)
            assert isinstance(row_field, models.Field)
            row = getattr(instance, row_field.attname)
            if row in (None, ""):
                row = row_field.pre_save(instance, True)  # e.g. PublicIdField fills itself
        else:
            row = instance.pk
        if row in (None, ""):
            raise ValueError(
                f"{meta.label}.{self.name} is encrypted and bound to the row's "
                f"{self.row_field or 'primary key'}, which is empty: set it before saving."
            )
        return self.context_for_row(row)

    def context_for_row(self, row: Any) -> str:
        return f"{self.model._meta.db_table}.{self.column}.{row}"

    @property
    def row_attname(self) -> str:
        """The column whose value identifies the row in the associated data."""
        meta = self.model._meta
        field = meta.get_field(self.row_field) if self.row_field else meta.pk
        assert isinstance(field, models.Field)
        return field.attname

    def open_for(self, instance: models.Model, token: str) -> Any:
        return self.from_text(keyring().open(token, self.context_for(instance)).decode())

    def seal_for(self, instance: models.Model, value: Any) -> Ciphertext:
        text = self.to_text(value).encode()
        return Ciphertext(keyring().seal(text, self.context_for(instance)))

    # --- database round trip -------------------------------------------------------------------

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None or value == "":
            return self.empty_python_value(value)
        return Ciphertext(value)

    def empty_python_value(self, value: Any) -> Any:
        return value

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        value = model_instance.__dict__.get(self.attname)  # the raw value: no opening
        if isinstance(value, Ciphertext) or value in self.empty_values_stored:
            return value
        return self.seal_for(model_instance, self.to_python(value))

    def get_prep_value(self, value: Any) -> Any:
        if value is None or isinstance(value, Ciphertext):
            return None if value is None else str(value)
        if value == "":
            return ""
        raise TypeError(
            f"{self.model._meta.label}.{self.name} is encrypted: it cannot be compared in a "
            "query or written with QuerySet.update(); save model instances, and search "
            "through its blind index."
        )

    def value_to_string(self, obj: models.Model) -> str:
        value = self.value_from_object(obj)
        return "" if value in (None, "") else self.to_text(value)


class EncryptedTextField(EncryptedField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)
        if self.max_length is not None:
            self.validators.append(validators.MaxLengthValidator(self.max_length))

    def get_internal_type(self) -> str:
        return "TextField"

    def db_type(self, connection: Any) -> str | None:
        return models.TextField().db_type(connection)

    def to_python(self, value: Any) -> Any:
        if value is None or isinstance(value, str):
            return value
        return str(value)

    def formfield(
        self, form_class: Any = None, choices_form_class: Any = None, **kwargs: Any
    ) -> Any:
        kwargs.setdefault("widget", forms.Textarea)
        if self.max_length:
            kwargs.setdefault("max_length", self.max_length)
        return super().formfield(form_class=form_class or forms.CharField, **kwargs)


class EncryptedCharField(EncryptedTextField):
    """One line of text; ``max_length`` limits the clear value (the column is text)."""

    def formfield(
        self, form_class: Any = None, choices_form_class: Any = None, **kwargs: Any
    ) -> Any:
        kwargs.setdefault("widget", forms.TextInput)
        return super().formfield(form_class=form_class, **kwargs)


class EncryptedDateField(EncryptedField):
    empty_values_stored = (None,)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("null", True)
        super().__init__(*args, **kwargs)

    def db_type(self, connection: Any) -> str | None:
        return models.TextField().db_type(connection)

    def empty_python_value(self, value: Any) -> Any:
        return None

    def to_python(self, value: Any) -> Any:
        if value is None or value == "":
            return None
        return models.DateField().to_python(value)

    def to_text(self, value: Any) -> str:
        assert isinstance(value, datetime.date)
        return value.isoformat()

    def from_text(self, text: str) -> datetime.date:
        return datetime.date.fromisoformat(text)

    def formfield(
        self, form_class: Any = None, choices_form_class: Any = None, **kwargs: Any
    ) -> Any:
        return super().formfield(form_class=form_class or forms.DateField, **kwargs)


def normalize_identifier(value: str) -> str:
    """Identifiers are compared without case, spaces, dots or dashes: ``ab-12 34`` = ``AB1234``."""
    text = unicodedata.normalize("NFKC", value).upper()
    return "".join(ch for ch in text if ch.isalnum())


def normalize_text(value: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", value).split())


class BlindIndexField(models.CharField):
    """HMAC-SHA256 of another encrypted field's normalised value, for exact-match search.

    ``<key id>:<hex>`` under the current key (see :mod:`syllabus.core.crypto`); recomputed
    whenever the source field is saved with a new value, and by ``syllabus rotate-keys``.
    """

    def __init__(
        self,
        *args: Any,
        source: str = "",
        normalizer: Callable[[str], str] = normalize_text,
        **kwargs: Any,
    ) -> None:
        if not source:
            raise TypeError("BlindIndexField needs source='<encrypted field name>'.")
        self.source = source
        self.normalizer = normalizer
        kwargs.setdefault("max_length", 100)
        kwargs.setdefault("db_index", True)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        if self.normalizer is not normalize_text:
            kwargs["normalizer"] = self.normalizer
        return name, path, args, kwargs

    def source_field(self) -> EncryptedField:
        field = self.model._meta.get_field(self.source)
        assert isinstance(field, EncryptedField)
        return field

    def domain(self) -> str:
        return f"{self.model._meta.db_table}.{self.source_field().column}"

    def index_of(self, clear: Any, *, key_id: str | None = None) -> str:
        text = self.normalizer(self.source_field().to_text(clear))
        return keyring().blind_index(text, self.domain(), key_id=key_id) if text else ""

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        source = self.source_field()
        clear = model_instance.__dict__.get(source.attname)
        if isinstance(clear, Ciphertext):
            return getattr(model_instance, self.attname)  # source unchanged since loading
        value = "" if clear in (None, "") else self.index_of(source.to_python(clear))
        setattr(model_instance, self.attname, value)
        return value

    def lookup(self, value: Any) -> Q:
        """A filter matching rows whose source equals ``value`` (under any key of the ring)."""
        text = self.normalizer(self.source_field().to_text(value))
        if not text:
            return Q(pk__in=[])
        candidates = keyring().blind_index_candidates(text, self.domain())
        return Q(**{f"{self.name}__in": candidates})
