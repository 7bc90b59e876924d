"""API: Enrolment, cohorts, waiting lists and bulk imports."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["enrolment"])
