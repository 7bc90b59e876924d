"""Multi-factor authentication: who must use it, checking a second factor, recent checks.

The second factors themselves are allauth.mfa's (TOTP, recovery codes, WebAuthn security
keys and passkeys) plus our one-time codes by email or SMS (``OneTimeCodeMethod``, see
``accounts.one_time_codes``). This module is the one place the rest of Syllabus asks
about them: the token endpoint, the enrolment middleware, sensitive actions, the CLI.

Policy (the seed's): MFA is required for the roles in SYLLABUS_MFA_REQUIRED_ROLES, after
a grace period of SYLLABUS_MFA_GRACE_DAYS counted from ``User.mfa_required_since``, which
``mfa_requirement_refresh`` keeps up to date whenever the user's roles change.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import wraps
from typing import Any, TypeVar

from allauth.account.internal.flows.login import get_authentication_records
from allauth.account.internal.flows.reauthentication import suspend_request
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from syllabus.accounts.models import OneTimeCodeMethod, User
from syllabus.audit.services import record

ViewFunc = TypeVar("ViewFunc", bound=Callable[..., HttpResponseBase])

# Types that count as a second factor on their own. Recovery codes only back one up.
FACTOR_TYPES = (Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN)

# --- Second factors ---------------------------------------------------------------------


def user_has_mfa(user: Any) -> bool:
    """The user has at least one active second factor."""
    if user is None or not getattr(user, "is_authenticated", False) or user.pk is None:
        return False
    return (
        Authenticator.objects.filter(user_id=user.pk, type__in=FACTOR_TYPES).exists()
        or OneTimeCodeMethod.objects.filter(user_id=user.pk, verified_at__isnull=False).exists()
    )


def verify_second_factor(*, user: Any, code: str) -> bool:
    """Check a TOTP code or a recovery code for ``user``.

    A TOTP code already used in its time step is refused (replay; allauth remembers used
    codes in the cache for one period). A recovery code is consumed by a successful check.
    Nothing else is recorded: callers audit and count attempts.
    """
    code = (code or "").strip()
    if not code or len(code) > 32 or user is None or user.pk is None:
        return False
    authenticators = Authenticator.objects.filter(
        user_id=user.pk,
        type__in=(Authenticator.Type.TOTP, Authenticator.Type.RECOVERY_CODES),
    )
    return any(authenticator.wrap().validate_code(code) for authenticator in authenticators)


def reauthentication_url(user: Any) -> str:
    """Where a user proves a second factor again: the strongest method they have."""
    types = set(Authenticator.objects.filter(user_id=user.pk).values_list("type", flat=True))
    if types & {Authenticator.Type.TOTP, Authenticator.Type.RECOVERY_CODES}:
        return reverse("mfa_reauthenticate")
    if Authenticator.Type.WEBAUTHN in types:
        return reverse("mfa_reauthenticate_webauthn")
    if OneTimeCodeMethod.objects.filter(user_id=user.pk, verified_at__isnull=False).exists():
        return reverse("accounts:mfa_code_reauthenticate")
    return reverse("account_reauthenticate")


# --- Policy -----------------------------------------------------------------------------

# Callables returning role slugs a user holds outside site roles (course roles). Higher
# apps register theirs (the courses app, for instructors) and call mfa_requirement_refresh
# when those roles change; accounts never imports them.
_role_sources: list[Callable[[Any], Iterable[str]]] = []


def register_mfa_role_source(source: Callable[[Any], Iterable[str]]) -> None:
    if source not in _role_sources:
        _role_sources.append(source)


def mfa_required_roles_held(user: Any) -> set[str]:
    """The user's roles (site and course) that SYLLABUS_MFA_REQUIRED_ROLES names."""
    from syllabus.accounts.permissions import forget_cached_permissions, site_role_slugs

    if user is None or user.pk is None or not user.is_active:
        return set()
    required = set(settings.MFA_REQUIRED_ROLES)
    # Read fresh, and leave nothing cached behind: this runs while roles are being
    # given (a user saved before their roles), not only within one request.
    forget_cached_permissions(user)
    held = set(site_role_slugs(user))
    forget_cached_permissions(user)
    if user.is_superuser:
        held.add("admin")  # a superuser can do all an administrator can
    for source in _role_sources:
        held.update(source(user))
    return held & required


@transaction.atomic
def mfa_requirement_refresh(user: Any) -> datetime | None:
    """Set ``mfa_required_since`` when the user first holds an MFA-required role; clear it
    when they hold none. Returns the (new) value.

    Written with ``update()`` so that it is safe from signal handlers, including while
    the user's rows are being deleted.
    """
    held = mfa_required_roles_held(user)
    since = user.mfa_required_since
    if held and since is None:
        since = timezone.now()
    elif not held and since is not None:
        since = None
    else:
        return since
    User.objects.filter(pk=user.pk).update(mfa_required_since=since)
    user.mfa_required_since = since
    return since


def mfa_deadline(user: Any) -> datetime | None:
    since = getattr(user, "mfa_required_since", None)
    if since is None:
        return None
    deadline: datetime = since + timedelta(days=settings.MFA_GRACE_DAYS)
    return deadline


def mfa_required(user: Any) -> bool:
    """Policy: the user holds an MFA-required role and its grace period is over."""
    deadline = mfa_deadline(user)
    if deadline is None or timezone.now() < deadline:
        return False
    return bool(mfa_required_roles_held(user))


def mfa_grace_days_left(user: Any) -> int | None:
    """Whole days (rounded up) until MFA is enforced for a user without a second factor;
    None when no grace period is running (not required, already enforced, or enrolled)."""
    deadline = mfa_deadline(user)
    if deadline is None:
        return None
    remaining = (deadline - timezone.now()).total_seconds()
    if remaining <= 0 or user_has_mfa(user) or not mfa_required_roles_held(user):
        return None
    return max(1, math.ceil(remaining / 86400))


def mfa_enrolment_required(user: Any) -> bool:
    """Sign-in leads straight to MFA enrolment: required, grace over, no second factor."""
    return mfa_required(user) and not user_has_mfa(user)


# --- Recent MFA for sensitive actions -----------------------------------------------------


def has_recent_mfa(request: HttpRequest) -> bool:
    """The user proved a second factor within SYLLABUS_MFA_RECENT_MINUTES.

    Reads allauth's authentication records for this session (sign-in and
    reauthentication alike). A user without any second factor cannot prove one: for them
    a recent password check (sign-in or reauthentication) counts instead.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not hasattr(request, "session"):
        return False
    window = settings.MFA_RECENT_MINUTES * 60
    now = time.time()
    records = [
        entry
        for entry in get_authentication_records(request, user)
        if isinstance(entry, dict) and now - float(entry.get("at", 0)) < window
    ]
    if user_has_mfa(user):
        return any(entry.get("method") == "mfa" for entry in records)
    return bool(records)


def require_recent_mfa(view: ViewFunc) -> ViewFunc:
    """View decorator for sensitive actions: ask for MFA again when the last check is too old.

    The user is sent to the reauthentication page for their strongest method (a password
    when they have no second factor) and comes back to the same URL; a POST is replayed
    after reauthentication (allauth's suspended request). JSON callers get a 403.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if has_recent_mfa(request):
            return view(request, *args, **kwargs)
        if request.path.startswith("/api/") or "application/json" in request.headers.get(
            "Accept", ""
        ):
            return JsonResponse(
                {
                    "detail": _("Confirm it is you: verify your second factor again."),
                    "code": "mfa_reauthentication_required",
                },
                status=403,
            )
        response: HttpResponse = suspend_request(request, reauthentication_url(request.user))
        return response

    return wrapper  # type: ignore[return-value]


# --- Admin reset --------------------------------------------------------------------------


@transaction.atomic
def mfa_reset(*, actor: Any, user: User) -> list[str]:
    """Remove all of a user's second factors (authenticators and code methods); audited.

    For a user who lost their devices. If MFA is required for them and the grace period
    is over, their next sign-in leads straight to enrolment.
    """
    removed = sorted(
        set(Authenticator.objects.filter(user_id=user.pk).values_list("type", flat=True))
    )
    removed += sorted(
        f"{channel}_code"
        for channel in OneTimeCodeMethod.objects.filter(user_id=user.pk).values_list(
            "channel", flat=True
        )
    )
    Authenticator.objects.filter(user_id=user.pk).delete()
    OneTimeCodeMethod.objects.filter(user_id=user.pk).delete()
    record(actor=actor, action="auth.mfa_reset", target=user, details={"removed": removed})
    return removed


# --- Overview for the security pages --------------------------------------------------------


@dataclass(frozen=True)
class MfaOverview:
    totp: Authenticator | None
    security_keys: list[Any]  # allauth WebAuthn wrappers (name, is_passwordless)
    recovery_codes_left: int | None  # None: no recovery codes
    recovery_codes_total: int
    code_methods: dict[str, Any]  # channel -> one_time_codes.MethodSummary
    has_mfa: bool
    required: bool  # holds a role that needs MFA
    deadline: datetime | None
    enforced: bool  # required, grace period over, no second factor: enrolment only


def mfa_overview(user: Any) -> MfaOverview:
    from syllabus.accounts.one_time_codes import method_summaries

    authenticators = list(Authenticator.objects.filter(user_id=user.pk).order_by("created_at"))
    totp = next((a for a in authenticators if a.type == Authenticator.Type.TOTP), None)
    keys = [a.wrap() for a in authenticators if a.type == Authenticator.Type.WEBAUTHN]
    recovery = next(
        (a for a in authenticators if a.type == Authenticator.Type.RECOVERY_CODES), None
    )
    methods = {summary.channel: summary for summary in method_summaries(user)}
    has_mfa = bool(totp or keys or methods)
    required = bool(mfa_required_roles_held(user))
    deadline = mfa_deadline(user) if required else None
    return MfaOverview(
        totp=totp,
        security_keys=keys,
        recovery_codes_left=len(recovery.wrap().get_unused_codes()) if recovery else None,
        recovery_codes_total=settings.MFA_RECOVERY_CODE_COUNT,
        code_methods=methods,
        has_mfa=has_mfa,
        required=required,
        deadline=deadline,
        enforced=bool(required and deadline and timezone.now() >= deadline and not has_mfa),
    )


def is_last_required_factor(user: Any, *, removing: str) -> bool:
    """Removing this factor would leave a user for whom MFA is enforced without any.

    ``removing``: an Authenticator type, or "email_code" / "sms_code".
    """
    if not mfa_required(user):
        return False
    kinds = [
        str(t)
        for t in Authenticator.objects.filter(user_id=user.pk, type__in=FACTOR_TYPES).values_list(
            "type", flat=True
        )
    ]
    kinds += [
        f"{c}_code"
        for c in OneTimeCodeMethod.objects.filter(
            user_id=user.pk, verified_at__isnull=False
        ).values_list("channel", flat=True)
    ]
    if removing in kinds:
        kinds.remove(removing)
    return not kinds
