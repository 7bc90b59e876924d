"""Consent: a signed-in person who has not accepted the current privacy policy and terms
is sent to the acceptance page; API calls answer 403 ``consent_required``.

Until a first version is published (``syllabus privacy-policy publish`` or the policies
page) there is nothing to accept and this costs one cache read per request.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from syllabus.accounts.models import ApiToken
from syllabus.accounts.tokens import hash_token
from syllabus.privacy.selectors import current_policy_ids, missing_consents


@cache
def _allowed_prefixes() -> tuple[str, ...]:
    """Where someone who has not accepted may still go: the documents, sign-out, sign-in
    flows, the session timer, static files and probes."""
    return (
        reverse("privacy:consent"),
        reverse("privacy:policy", kwargs={"kind": "x"}).removesuffix("x/"),
        reverse("account_logout"),
        "/accounts/",
        reverse("accounts:session_status"),
        reverse("accounts:session_keepalive"),
        reverse("accounts:language"),  # the policies can be read in one's own language
        str(settings.STATIC_URL),
        "/media/",  # signed file URLs: the page that signed them already decided
        "/health",
        "/metrics",
        "/api/v1/privacy/policies",
        "/api/v1/privacy/consents",
        "/api/v1/auth/token",
        "/api/v1/version",
        "/api/v1/openapi.json",
        "/api/v1/docs",
    )


def _token_user_id(request: HttpRequest) -> int | None:
    """The owner of a valid bearer token (read only: the API itself authenticates)."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    user_id: int | None = (
        ApiToken.objects.filter(
            token_hash=hash_token(value.strip()),
            revoked_at__isnull=True,
            expires_at__gt=timezone.now(),
            user__is_active=True,
        )
        .values_list("user_id", flat=True)
        .first()
    )
    return user_id


class _UserRef:
    is_authenticated = True

    def __init__(self, pk: int) -> None:
        self.pk = pk


class ConsentMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # The path first: probes (/health/live must touch nothing), static files and the
        # documents themselves never reach the database or the cache here.
        if (
            not request.path_info.startswith(_allowed_prefixes())
            and self._someone(request)
            and current_policy_ids()
        ):
            refusal = self._refusal(request)
            if refusal is not None:
                return refusal
        return self.get_response(request)

    @staticmethod
    def _someone(request: HttpRequest) -> bool:
        """A signed-in person or an API bearer token: visitors have nothing to accept."""
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return True
        return request.path_info.startswith("/api/") and bool(request.headers.get("Authorization"))

    def _refusal(self, request: HttpRequest) -> HttpResponse | None:
        is_api = request.path_info.startswith("/api/")
        user: Any = getattr(request, "user", None)
        session = getattr(request, "session", None)
        if is_api:
            token_user = _token_user_id(request)
            if token_user is not None:
                user, session = _UserRef(token_user), None
        if user is None or not user.is_authenticated or not missing_consents(user, session):
            return None
        if is_api:
            return JsonResponse(
                {
                    "detail": _(
                        "Accept the current privacy policy and terms first "
                        "(POST /api/v1/privacy/consents, or sign in on the website)."
                    ),
                    "code": "consent_required",
                },
                status=403,
            )
        target = reverse("privacy:consent")
        if request.method == "GET":
            target += "?" + urlencode({"next": request.get_full_path()})
        if request.headers.get("HX-Request"):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = target
            return response
        return redirect(target)
