"""API: The course catalog and course pages."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["catalog"])
