"""Multi-factor authentication: who must use it, and checking a second factor.

The second factors themselves are allauth.mfa's (TOTP, recovery codes, WebAuthn) plus our
one-time codes by email or SMS (``OneTimeCodeMethod``). This module is the one place the
rest of Syllabus asks about them: the sign-in token endpoint, the enrolment middleware and
the sensitive-action checks.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.utils import timezone

from syllabus.accounts.models import OneTimeCodeMethod

# Types that count as a second factor on their own. Recovery codes only back one up.
FACTOR_TYPES = (Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN)


def user_has_mfa(user: Any) -> bool:
    """The user has at least one active second factor."""
    if not getattr(user, "is_authenticated", False) or user.pk is None:
        return False
    return (
        Authenticator.objects.filter(user_id=user.pk, type__in=FACTOR_TYPES).exists()
        or OneTimeCodeMethod.objects.filter(user_id=user.pk, verified_at__isnull=False).exists()
    )


def verify_second_factor(*, user: Any, code: str) -> bool:
    """Check a TOTP code or a recovery code for ``user``.

    A TOTP code already used in its time step is refused (replay); a recovery code is
    consumed by a successful check. Nothing else is recorded: callers audit and count.
    """
    code = (code or "").strip()
    if not code or len(code) > 32 or user is None or user.pk is None:
        return False
    for authenticator in Authenticator.objects.filter(
        user_id=user.pk,
        type__in=(Authenticator.Type.TOTP, Authenticator.Type.RECOVERY_CODES),
    ).order_by("type"):
        # order_by("type"): "recovery_codes" < "totp"; a 6-digit code never matches an
        # 8-digit recovery code, so the order only decides which query runs first.
        if authenticator.wrap().validate_code(code):
            return True
    return False


def mfa_required(user: Any) -> bool:
    """Policy: the user holds a role that needs MFA and its grace period is over."""
    since = getattr(user, "mfa_required_since", None)
    if since is None:
        return False
    return timezone.now() >= since + timedelta(days=settings.MFA_GRACE_DAYS)
