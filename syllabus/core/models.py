"""Shared model building blocks."""

from __future__ import annotations

import secrets
from typing import Any

from django.db import models

# Crockford-style base32 without look-alike characters: readable when spoken or typed.
_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"


def new_public_id(prefix: str, length: int = 16) -> str:
    """A random, URL-safe id such as ``usr_5k2m...``: 80 bits, never sequential."""
    return f"{prefix}_" + "".join(secrets.choice(_ALPHABET) for _ in range(length))


class PublicIdField(models.CharField):
    """The id that URLs and the API expose instead of the sequential primary key.

    Filled on first save with ``<prefix>_<16 random characters>``; unique and indexed.
    """

    def __init__(self, *args: Any, prefix: str = "", **kwargs: Any) -> None:
        if not prefix:
            raise TypeError("PublicIdField needs a prefix, e.g. prefix='usr'.")
        self.prefix = prefix
        kwargs.setdefault("max_length", 32)
        kwargs.setdefault("unique", True)
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        # Explicit values: __init__'s defaults differ from CharField's, and copies such
        # as simple-history's historical fields turn uniqueness off.
        kwargs.update(prefix=self.prefix, unique=self.unique, editable=self.editable)
        return name, path, args, kwargs

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        value = getattr(model_instance, self.attname)
        if not value:
            value = new_public_id(self.prefix)
            setattr(model_instance, self.attname, value)
        return value


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
