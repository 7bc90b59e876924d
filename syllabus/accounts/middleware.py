"""MFA enrolment enforcement: after the grace period, no second factor, no way around.

(The session limits have their middleware in ``accounts.sessions``.)
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

from syllabus.accounts.mfa import mfa_enrolment_required


@cache
def _allowed_prefixes() -> tuple[str, ...]:
    """Where a user who must enrol may still go: enrolment itself and its prerequisites."""
    return (
        reverse("mfa_index"),  # all of allauth.mfa's pages: TOTP, keys, recovery codes
        reverse("accounts:security"),  # the security overview, our code-method pages under it
        reverse("accounts:session_status"),
        reverse("accounts:session_keepalive"),
        reverse("account_logout"),
        reverse("account_reauthenticate"),  # adding a factor asks for the password first
        reverse("account_email"),  # allauth refuses a factor until the email is verified
        "/accounts/confirm-email/",
        str(settings.STATIC_URL),
    )


class MfaEnrolmentMiddleware:
    """Sends a signed-in user who must use MFA but has no second factor to enrolment.

    Applies once the grace period is over (``mfa.mfa_enrolment_required``). Pages redirect
    to the two-step verification page; session-authenticated API calls get a JSON 403 with code
    ``mfa_enrolment_required`` (token-authenticated calls are checked by the API itself).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and user.mfa_required_since is not None  # cheap test first: most users
            and not request.path_info.startswith(_allowed_prefixes())
            and mfa_enrolment_required(user)
        ):
            if request.path_info.startswith("/api/"):
                return JsonResponse(
                    {
                        "detail": "Set up two-step verification (MFA) before using the API.",
                        "code": "mfa_enrolment_required",
                    },
                    status=403,
                )
            return redirect("mfa_index")
        return self.get_response(request)
