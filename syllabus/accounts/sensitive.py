"""Sensitive actions: role changes, exports, backup and restore, key rotation.

Each asks for MFA again when the user's last MFA check is older than
SYLLABUS_MFA_RECENT_MINUTES; the check itself lives with MFA in ``accounts.mfa``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse


def sensitive_action(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        from syllabus.accounts.mfa import require_recent_mfa

        return require_recent_mfa(view)(request, *args, **kwargs)  # type: ignore[no-any-return]

    return wrapper
