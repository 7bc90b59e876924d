"""Schemas every API module shares."""

from __future__ import annotations

from ninja import Schema


class Error(Schema):
    """Every API error: a sentence for people and a stable code for programs
    (docs/api.md lists the codes)."""

    detail: str
    code: str
