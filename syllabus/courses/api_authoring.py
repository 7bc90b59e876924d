"""API: Modules, lessons, uploads and publishing."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["authoring"])
