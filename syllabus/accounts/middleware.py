"""MFA enrolment enforcement: after the grace period, no second factor, no way around.

(The session limits have their middleware in ``accounts.sessions``.)

Also: allauth.mfa's views answer a refused form (a wrong, replayed or reused code) with
200 and the form again; ours say 400, like every other refused input in Syllabus.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Literal, cast

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from syllabus.accounts.mfa import mfa_enrolment_required


@cache
def _allowed_prefixes() -> tuple[str, ...]:
    """Where a user who must enrol may still go: enrolment itself and its prerequisites."""
    return (
        reverse("mfa_index"),  # all of allauth.mfa's pages: TOTP, keys, recovery codes
        reverse("accounts:security"),  # the security overview, our code-method pages under it
        reverse("accounts:session_status"),
        reverse("accounts:session_keepalive"),
        reverse("accounts:language"),  # the language chooser, on every page
        reverse("account_logout"),
        reverse("account_reauthenticate"),  # adding a factor asks for the password first
        reverse("account_email"),  # allauth refuses a factor until the email is verified
        "/accounts/confirm-email/",
        str(settings.STATIC_URL),
        "/media/",  # signed file URLs: the page that signed them already decided
        "/health",  # probes answer whoever asks (ops.views_health)
    )


# allauth.mfa views whose POST re-renders the page when the input is refused.
_MFA_FORM_VIEWS = frozenset(
    {
        "mfa_authenticate",
        "mfa_reauthenticate",
        "mfa_reauthenticate_webauthn",
        "mfa_activate_totp",
        "mfa_deactivate_totp",
        "mfa_add_webauthn",
        "mfa_edit_webauthn",
        "mfa_generate_recovery_codes",
    }
)


def _refused_form(request: HttpRequest, response: HttpResponse) -> bool:
    match = getattr(request, "resolver_match", None)
    if (
        request.method != "POST"
        or response.status_code != 200
        or match is None
        or match.url_name not in _MFA_FORM_VIEWS
        or not isinstance(response, TemplateResponse)
    ):
        return False
    context = response.context_data or {}
    forms = [context.get("form"), context.get("webauthn_form")]
    return any(form is not None and form.is_bound and form.errors for form in forms)


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
                        "detail": _("Set up two-step verification (MFA) before using the API."),
                        "code": "mfa_enrolment_required",
                    },
                    status=403,
                )
            return redirect("mfa_index")
        response = self.get_response(request)
        if _refused_form(request, response):
            response.status_code = 400
        return response


def language_cookie_samesite() -> Literal["Lax", "Strict", "None", False] | None:
    """LANGUAGE_COOKIE_SAMESITE as the type the cookie setters take (settings are untyped)."""
    return cast(Literal["Lax", "Strict", "None", False] | None, settings.LANGUAGE_COOKIE_SAMESITE)


class UserLanguageMiddleware:
    """A signed-in person's saved language (``User.language``) wins over the cookie and the
    browser: it is activated for the request and the cookie is set to it, so a choice made
    on one device follows the person to the next one as soon as they sign in, and stays
    after they sign out. After AuthenticationMiddleware; LocaleMiddleware has already
    picked the anonymous choice and adds Content-Language from what is active here."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        saved = self._saved(request)
        if saved:
            translation.activate(saved)
            request.LANGUAGE_CODE = saved
        response = self.get_response(request)
        # Read again: the chooser may just have changed it (the view sets the cookie then).
        saved = self._saved(request)
        cookie = settings.LANGUAGE_COOKIE_NAME
        if saved and request.COOKIES.get(cookie) != saved and cookie not in response.cookies:
            response.set_cookie(
                cookie,
                saved,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                path=settings.LANGUAGE_COOKIE_PATH,
                domain=settings.LANGUAGE_COOKIE_DOMAIN,
                secure=settings.LANGUAGE_COOKIE_SECURE,
                httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                samesite=language_cookie_samesite(),
            )
        return response

    @staticmethod
    def _saved(request: HttpRequest) -> str:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return ""
        language = getattr(user, "language", "")
        return language if language in dict(settings.LANGUAGES) else ""
