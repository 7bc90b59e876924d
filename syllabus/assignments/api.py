"""The assignments JSON API (mounted at /api/v1/)."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["assignments"])
