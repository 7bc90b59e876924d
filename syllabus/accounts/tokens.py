"""Personal API tokens: create (shown once), authenticate, revoke; and what an API request may do.

A token reads ``syl_<prefix>_<secret>``: eight characters that lists show so people can
tell their tokens apart, and 32 random bytes. Only its SHA-256 is stored; a token of 256
random bits needs no slow hash. Every token expires, carries scopes (permission codes, a
subset of its owner's), and is refused once revoked or expired. An API request made with a
token may do what both its scopes and its owner's current permissions allow.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from syllabus.accounts import mfa
from syllabus.accounts.models import ApiToken, User
from syllabus.accounts.permissions import has_site_perm, site_permissions
from syllabus.accounts.roles import PERMISSIONS
from syllabus.audit.services import record
from syllabus.core.middleware import client_ip

TOKEN_SCHEME = "syl"  # noqa: S105 (a label, not a secret)  # nosec B105
PREFIX_LENGTH = 8
SECRET_BYTES = 32
MAX_TOKEN_LENGTH = 128
NAME_MAX_LENGTH = 100
LAST_USED_EVERY = timedelta(minutes=1)
# Same alphabet as public ids: no "_" (the separator) and no look-alike characters.
_PREFIX_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"


class TokenRefused(Exception):
    """A bearer token that cannot be used; ``code`` is the API error code."""

    code = "token_invalid"
    detail = "The API token is not valid."


class TokenInvalid(TokenRefused):
    pass


class TokenExpired(TokenRefused):
    code = "token_expired"
    detail = "The API token has expired. Create a new one."


class TokenRevoked(TokenRefused):
    code = "token_revoked"
    detail = "The API token has been revoked."


class SignInRefused(Exception):
    """POST /auth/token refused: ``code`` is invalid_credentials, mfa_required or
    mfa_enrolment_required."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class NewToken:
    """A token just created; ``plain`` exists only here and is never stored."""

    token: ApiToken
    plain: str


def hash_token(plain: str) -> str:
    return hashlib.sha256(plain.encode()).hexdigest()


def token_status(token: ApiToken, *, now: Any = None) -> str:
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at <= (now or timezone.now()):
        return "expired"
    return "active"


# --- Selectors -----------------------------------------------------------------------------


# Callables returning permission codes a user holds outside site roles (their course roles,
# in any course). Higher apps register theirs; accounts never imports them.
_scope_sources: list[Callable[[Any], Iterable[str]]] = []


def register_scope_source(source: Callable[[Any], Iterable[str]]) -> None:
    if source not in _scope_sources:
        _scope_sources.append(source)


def scopes_available(user: Any) -> list[str]:
    """The permission codes ``user`` may put on a token: those they hold site-wide or in
    some course, in catalog order. A course permission on a token still only works in the
    courses where the user holds it (the course checks ask both)."""
    held = set(site_permissions(user))
    if getattr(user, "is_authenticated", False) and user.is_active:
        for source in _scope_sources:
            held.update(source(user))
    return [code for code in PERMISSIONS if code in held]


def token_list(*, user: Any) -> QuerySet[ApiToken]:
    """The user's own tokens, newest first (revoked and expired ones included)."""
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-pk")


def token_get_own(*, user: Any, public_id: str) -> ApiToken | None:
    return ApiToken.objects.filter(user=user, public_id=public_id).first()


# --- Services ------------------------------------------------------------------------------


def _check_scopes(user: Any, scopes: list[str], within: list[str] | None) -> list[str]:
    requested = list(dict.fromkeys(scopes))
    unknown = [code for code in requested if code not in PERMISSIONS]
    if unknown:
        raise ValidationError(
            {"scopes": _("Unknown permissions: %(codes)s.") % {"codes": ", ".join(unknown)}}
        )
    held = set(scopes_available(user))
    if within is not None:
        # A token making a token: the new one gets no more than the one in use.
        held &= set(within)
    missing = [code for code in requested if code not in held]
    if missing:
        raise ValidationError(
            {
                "scopes": (
                    _(
                        "A token can only have permissions you hold and that the token in "
                        "use has: %(codes)s cannot be given."
                    )
                    if within is not None
                    else _("A token can only have permissions you hold: %(codes)s cannot be given.")
                )
                % {"codes": ", ".join(missing)}
            }
        )
    return [code for code in PERMISSIONS if code in requested]


@transaction.atomic
def token_create(
    *,
    actor: Any,
    user: User,
    name: str,
    scopes: list[str],
    days: int | None = None,
    within: list[str] | None = None,
    via: str = "web",
) -> NewToken:
    """Create a token for ``user``; the plain value is returned once and never stored.

    ``scopes`` must be permissions ``user`` holds (and, with ``within``, that list's too);
    ``days`` defaults to SYLLABUS_API_TOKEN_DEFAULT_DAYS, at most SYLLABUS_API_TOKEN_MAX_DAYS.
    """
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Give the token a name, such as what will use it.")})
    if len(name) > NAME_MAX_LENGTH:
        raise ValidationError(
            {"name": _("Use at most %(max)s characters.") % {"max": NAME_MAX_LENGTH}}
        )
    days = settings.API_TOKEN_DEFAULT_DAYS if days is None else days
    if not 1 <= days <= settings.API_TOKEN_MAX_DAYS:
        raise ValidationError(
            {
                "days": _("A token must expire within 1 to %(max)s days.")
                % {"max": settings.API_TOKEN_MAX_DAYS}
            }
        )
    if not user.is_active:
        raise ValidationError(_("A deactivated account cannot have API tokens."))
    ordered = _check_scopes(user, scopes, within)

    prefix = (
        TOKEN_SCHEME + "_" + "".join(secrets.choice(_PREFIX_ALPHABET) for _ in range(PREFIX_LENGTH))
    )
    plain = f"{prefix}_{secrets.token_urlsafe(SECRET_BYTES)}"
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=prefix,
        token_hash=hash_token(plain),
        scopes=ordered,
        expires_at=timezone.now() + timedelta(days=days),
    )
    record(
        actor=actor,
        action="auth.token_created",
        target=token,
        details={
            "owner": user.public_id,
            "name": name,
            "prefix": prefix,
            "scopes": ordered,
            "expires_at": token.expires_at.isoformat(),
            "via": via,
        },
    )
    return NewToken(token=token, plain=plain)


@transaction.atomic
def token_revoke(*, actor: Any, token: ApiToken) -> bool:
    """Revoke ``token`` at once; False (and no audit event) if it was already revoked."""
    now = timezone.now()
    revoked_by = actor if getattr(actor, "is_authenticated", False) else None
    changed = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
        revoked_at=now, revoked_by=revoked_by, updated_at=now
    )
    if not changed:
        return False
    token.revoked_at, token.revoked_by = now, revoked_by
    record(
        actor=actor,
        action="auth.token_revoked",
        target=token,
        details={"owner": token.user.public_id, "prefix": token.prefix},
    )
    return True


def token_authenticate(plain: str, *, ip: str | None = None) -> tuple[User, ApiToken]:
    """The user and token behind a bearer value, or TokenInvalid/Expired/Revoked.

    Records when and from where the token was last used, at most once a minute.
    """
    plain = (plain or "").strip()
    if not plain.startswith(TOKEN_SCHEME + "_") or len(plain) > MAX_TOKEN_LENGTH:
        raise TokenInvalid
    token = ApiToken.objects.select_related("user").filter(token_hash=hash_token(plain)).first()
    if token is None or not token.user.is_active:
        raise TokenInvalid
    if token.revoked_at is not None:
        raise TokenRevoked
    now = timezone.now()
    if token.expires_at <= now:
        raise TokenExpired
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_EVERY:
        # A conditional update: concurrent requests write it once, without a lock.
        ApiToken.objects.filter(pk=token.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - LAST_USED_EVERY)
        ).update(last_used_at=now, last_used_ip=ip)
        token.last_used_at, token.last_used_ip = now, ip
    return token.user, token


def token_sign_in(
    *, request: HttpRequest, email: str, password: str, otp_code: str | None
) -> NewToken:
    """POST /api/v1/auth/token: check the password (and second factor), then issue a token.

    The password goes through django.contrib.auth.authenticate, so lockout (django-axes)
    counts failures and refuses locked accounts. A locked account, a wrong password and an
    unknown email all get the same SignInRefused("invalid_credentials").
    """
    # The same credentials as allauth's sign-in form, so lockout sees one kind of attempt.
    user = authenticate(request, email=email, password=password)
    if user is None or not user.is_active:
        raise SignInRefused("invalid_credentials", "The email address or password is wrong.")
    if mfa.user_has_mfa(user):
        if not otp_code or not mfa.verify_second_factor(user=user, code=otp_code):
            raise SignInRefused(
                "mfa_required",
                "This account uses two-factor authentication: send a current code from "
                "your authenticator app, or a recovery code, as otp_code.",
            )
    elif mfa.mfa_enrolment_required(user):
        raise SignInRefused(
            "mfa_enrolment_required",
            "Your role requires two-factor authentication and its grace period is over: "
            "sign in on the website to set it up, then ask for a token again.",
        )
    with transaction.atomic():
        record(actor=user, action="auth.login", target=user, details={"via": "api_token"})
        return token_create(
            actor=user,
            user=user,
            name=f"API sign-in {timezone.localdate().isoformat()}",
            scopes=scopes_available(user),
            via="api_sign_in",
        )


# --- What an API request may do --------------------------------------------------------------


def token_allows(request: HttpRequest, code: str) -> bool:
    """The request's token (if any) has scope ``code``; a session request has every scope.

    For checks the permission layer makes itself (course roles), combine this with them.
    """
    token = getattr(request, "api_token", None)
    return token is None or code in token.scopes


def api_has_perm(request: HttpRequest, code: str) -> bool:
    """May this API request use permission ``code``?

    A session request has its user's permissions; a token request the intersection of the
    token's scopes and its user's current permissions (so removing a role narrows tokens).
    """
    user = getattr(request, "user", None)
    return token_allows(request, code) and has_site_perm(user, code)


def api_permissions(request: HttpRequest) -> list[str]:
    """Every site permission the request may use, in catalog order."""
    user = getattr(request, "user", None)
    return [code for code in scopes_available(user) if token_allows(request, code)]


def request_ip(request: HttpRequest) -> str | None:
    return client_ip(request)
