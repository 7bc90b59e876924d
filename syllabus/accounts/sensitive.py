"""Sensitive actions: role changes, exports, backup and restore, key rotation.

Each asks for MFA again when the user's last MFA check is older than
SYLLABUS_MFA_RECENT_MINUTES; the check itself lives with MFA in ``accounts.mfa``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.http.response import HttpResponseBase


def sensitive_action(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        from syllabus.accounts.mfa import require_recent_mfa

        return require_recent_mfa(view)(request, *args, **kwargs)

    return wrapper


class RecentMfaRequired(PermissionDenied):
    code = "mfa_reauthentication_required"


def api_require_recent_mfa(request: HttpRequest) -> None:
    """The API's form of the recent-MFA rule.

    A browser session must have passed MFA recently (re-verify on the website). A token
    request proves it with a fresh code in the ``X-MFA-Code`` header.
    """
    from syllabus.accounts.mfa import has_recent_mfa, user_has_mfa, verify_second_factor

    if getattr(request, "api_token", None) is None:
        if has_recent_mfa(request):
            return
        raise RecentMfaRequired(
            "Confirm it is you: verify your second factor again on the website, then retry."
        )
    user = request.user
    code = request.headers.get("X-MFA-Code", "").strip()
    if user_has_mfa(user) and code and verify_second_factor(user=user, code=code):
        return
    raise RecentMfaRequired(
        "This is a sensitive action: send a current code from your second factor in the "
        "X-MFA-Code header (accounts without two-factor authentication cannot do it by API)."
    )
