"""API: Course announcements."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["announcements"])
