"""API: Progress, completion, dashboard and rosters."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["learning"])
