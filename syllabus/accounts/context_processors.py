"""Template context for every page: the session timer and the MFA grace-period banner."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from syllabus.accounts.mfa import mfa_grace_days_left
from syllabus.accounts.sessions import session_remaining

WARN_BEFORE_SECONDS = 120  # the idle warning shows two minutes before the end


def security(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not hasattr(request, "session"):
        return {}
    left = session_remaining(request)
    return {
        "session_timer": {
            "idle_seconds": left["idle_seconds"],
            "absolute_seconds": left["absolute_seconds"],
            "idle_minutes": settings.SESSION_IDLE_MINUTES,
            "warn_seconds": WARN_BEFORE_SECONDS,
        },
        "mfa_grace_days_left": (
            mfa_grace_days_left(user) if user.mfa_required_since is not None else None
        ),
    }
