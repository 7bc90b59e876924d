"""API authentication (session + CSRF, or a bearer token) and the /api/v1/auth endpoints."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest
from ninja import Field, Router, Schema, Status
from ninja.errors import AuthenticationError, HttpError
from ninja.security import HttpBearer
from ninja.security.apikey import APIKeyCookie
from ninja.utils import check_csrf

from syllabus.accounts.mfa import mfa_enrolment_required
from syllabus.accounts.permissions import site_role_slugs
from syllabus.accounts.profile import (
    PERSONAL_FIELDS,
    personal_details_of,
    personal_details_update,
)
from syllabus.accounts.tokens import (
    NAME_MAX_LENGTH,
    SignInRefused,
    TokenRefused,
    api_permissions,
    request_ip,
    token_authenticate,
    token_create,
    token_get_own,
    token_list,
    token_revoke,
    token_sign_in,
    token_status,
)
from syllabus.core.api_schemas import Error

# --- Authentication ---------------------------------------------------------------------------


class ApiAuthError(AuthenticationError):
    """401 with a specific ``code`` (the root API's handler writes {"detail", "code"})."""

    def __init__(self, code: str, detail: str, status_code: int = 401) -> None:
        super().__init__(status_code=status_code, message=detail)
        self.code = code


class CsrfRefused(HttpError):
    code = "csrf_failed"

    def __init__(self) -> None:
        super().__init__(
            403,
            "CSRF check failed: send the csrftoken cookie's value in an X-CSRFToken header, "
            "or use a bearer token.",
        )


class BearerToken(HttpBearer):
    """``Authorization: Bearer syl_...``: a personal API token. No CSRF (no cookie involved)."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        try:
            user, api_token = token_authenticate(token, ip=request_ip(request))
        except TokenRefused as exc:
            raise ApiAuthError(exc.code, exc.detail) from None
        if user.mfa_required_since is not None and mfa_enrolment_required(user):
            # As for a browser session (MfaEnrolmentMiddleware): once the grace period is
            # over, nothing but enrolment works, and enrolment is on the website.
            raise ApiAuthError(
                "mfa_enrolment_required",
                "Set up two-step verification (MFA) on the website before using the API.",
                status_code=403,
            )
        request.user = user
        request.api_token = api_token  # type: ignore[attr-defined]
        return user


class SessionWithCsrf(APIKeyCookie):
    """The browser's session cookie; unsafe methods need the CSRF token too.

    Unlike ninja's SessionAuth, a request without a signed-in session gets 401 (not a
    CSRF 403), and a CSRF failure has its own error code.
    """

    param_name = settings.SESSION_COOKIE_NAME

    def __call__(self, request: HttpRequest) -> Any:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        exempt = getattr(request, "_ninja_csrf_exempt", False)
        if self.csrf and not exempt and check_csrf(request) is not None:
            raise CsrfRefused
        request.api_token = None  # type: ignore[attr-defined]
        return user

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        return self(request)


# Tried in order: a bearer header decides on its own; otherwise the session.
api_auth = [BearerToken(), SessionWithCsrf()]


# --- Schemas ----------------------------------------------------------------------------------


class TokenSignIn(Schema):
    email: str = Field(max_length=254, examples=["learner@example.org"])
    password: str = Field(max_length=4096)
    otp_code: str | None = Field(
        default=None,
        max_length=32,
        description="A current code from an authenticator app, or a recovery code. "
        "Required when the account uses two-factor authentication.",
    )


class SignInTokenOut(Schema):
    token: str = Field(description="The bearer token. Shown once: store it safely.")
    expires_at: datetime


class TokenOut(Schema):
    public_id: str
    name: str
    prefix: str
    scopes: list[str]
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None
    last_used_ip: str | None
    revoked_at: datetime | None
    status: str = Field(description="active, expired or revoked")

    @staticmethod
    def resolve_status(obj: Any) -> str:
        return token_status(obj)


class TokenCreate(Schema):
    name: str = Field(max_length=NAME_MAX_LENGTH, examples=["Grade export script"])
    scopes: list[str] = Field(
        default_factory=list,
        max_length=64,
        description="Permission codes the token may use: some of your own.",
    )
    days: int | None = Field(
        default=None,
        ge=1,
        description="Days until it expires (default SYLLABUS_API_TOKEN_DEFAULT_DAYS, "
        "at most SYLLABUS_API_TOKEN_MAX_DAYS).",
    )


class TokenCreated(TokenOut):
    token: str = Field(description="The bearer token. Shown once: store it safely.")


class TokenInUse(Schema):
    public_id: str
    name: str
    scopes: list[str]
    expires_at: datetime


class Me(Schema):
    public_id: str
    email: str
    full_name: str
    roles: list[str] = Field(description="Slugs of the site-wide roles held.")
    permissions: list[str] = Field(
        description="Permission codes this request may use: a token's are limited to its scopes."
    )
    token: TokenInUse | None = Field(description="The token used, if any (null: a session).")


# --- Endpoints --------------------------------------------------------------------------------

router = Router(tags=["auth"])

_AUTH_ERRORS: dict[int, Any] = {401: Error, 403: Error, 429: Error}


@router.post(
    "/token",
    auth=None,
    response={200: SignInTokenOut, 401: Error, 422: Error, 429: Error},
    summary="Sign in with email and password; get a bearer token",
    description=(
        "Returns a token with all of your permissions that expires after "
        "SYLLABUS_API_TOKEN_DEFAULT_DAYS days. Errors (401): `invalid_credentials` for a wrong "
        "email or password or a locked account (the same answer for each), `mfa_required` "
        "when the account uses two-factor authentication and `otp_code` is missing or wrong, "
        "`mfa_enrolment_required` when the account must set up two-factor authentication on "
        "the website first. Limited to SYLLABUS_RATE_LIMIT_AUTH per client IP."
    ),
)
def sign_in_token(request: HttpRequest, payload: TokenSignIn) -> Any:
    try:
        new = token_sign_in(
            request=request,
            email=payload.email,
            password=payload.password,
            otp_code=payload.otp_code,
        )
    except SignInRefused as exc:
        return Status(401, {"detail": exc.detail, "code": exc.code})
    return Status(200, {"token": new.plain, "expires_at": new.token.expires_at})


@router.get(
    "/me",
    response={200: Me, **_AUTH_ERRORS},
    summary="Who am I: the account and permissions behind this request",
)
def me(request: HttpRequest) -> Any:
    user: Any = request.user
    token = getattr(request, "api_token", None)
    return {
        "public_id": user.public_id,
        "email": user.email,
        "full_name": user.full_name,
        "roles": sorted(site_role_slugs(user)),
        "permissions": api_permissions(request),
        "token": token,
    }


@router.get(
    "/tokens",
    response={200: list[TokenOut], **_AUTH_ERRORS},
    summary="List your API tokens (newest first)",
)
def list_tokens(request: HttpRequest) -> Any:
    return list(token_list(user=request.user))


@router.post(
    "/tokens",
    response={201: TokenCreated, 422: Error, **_AUTH_ERRORS},
    summary="Create a scoped API token",
    description=(
        "Scopes must be permissions you hold; with a token, also ones that token has. "
        "The token is in the response only: it cannot be shown again."
    ),
)
def create_token(request: HttpRequest, payload: TokenCreate) -> Any:
    in_use = getattr(request, "api_token", None)
    new = token_create(
        actor=request.user,
        user=request.user,  # type: ignore[arg-type]
        name=payload.name,
        scopes=payload.scopes,
        days=payload.days,
        within=list(in_use.scopes) if in_use is not None else None,
        via="api",
    )
    # The plain value rides on the instance for this one response; it is never saved.
    new.token.token = new.plain  # type: ignore[attr-defined]
    return Status(201, new.token)


@router.delete(
    "/tokens/{public_id}",
    response={204: None, 404: Error, **_AUTH_ERRORS},
    summary="Revoke one of your API tokens",
)
def revoke_token(request: HttpRequest, public_id: str) -> Any:
    token = token_get_own(user=request.user, public_id=public_id)
    if token is None:
        raise Http404
    token_revoke(actor=request.user, token=token)
    return Status(204, None)


# --- Your personal details (encrypted; see docs/encryption.md) --------------------------------


class PersonalDetailsOut(Schema):
    date_of_birth: date | None
    postal_address: str
    id_number: str
    accommodation_notes: str
    medical_notes: str
    updated_at: datetime | None


class PersonalDetailsIn(Schema):
    """Fields left out are unchanged; an empty string (or null date) clears one."""

    date_of_birth: date | None = None
    postal_address: str | None = Field(None, max_length=500)
    id_number: str | None = Field(None, max_length=64)
    accommodation_notes: str | None = Field(None, max_length=2000)
    medical_notes: str | None = Field(None, max_length=2000)


def _details_out(details: Any) -> dict[str, Any]:
    out = {name: getattr(details, name) for name in PERSONAL_FIELDS}
    out["updated_at"] = None if details._state.adding else details.updated_at
    return out


@router.get(
    "/me/personal-details",
    response={200: PersonalDetailsOut, **_AUTH_ERRORS},
    summary="Your personal details (date of birth, address, id number, notes)",
    description="Stored encrypted; empty values when you have given none.",
)
def get_personal_details(request: HttpRequest) -> Any:
    return _details_out(personal_details_of(request.user))  # type: ignore[arg-type]


@router.put(
    "/me/personal-details",
    response={200: PersonalDetailsOut, 422: Error, **_AUTH_ERRORS},
    summary="Correct your personal details",
    description=(
        "Only the fields sent change. Audited as `personal_details.updated` with the names "
        "of the changed fields (never their values). A date of birth outside 1900-today, or "
        "a text over its length: 422, nothing written."
    ),
)
def put_personal_details(request: HttpRequest, payload: PersonalDetailsIn) -> Any:
    values = payload.dict(exclude_unset=True)
    for name in ("postal_address", "id_number", "accommodation_notes", "medical_notes"):
        if name in values and values[name] is None:
            values[name] = ""
    details = personal_details_update(
        actor=request.user,  # type: ignore[arg-type]
        user=request.user,  # type: ignore[arg-type]
        values=values,
    )
    return _details_out(details)
