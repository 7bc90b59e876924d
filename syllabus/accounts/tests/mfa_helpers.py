"""Helpers for tests that need second factors or a recent MFA check (any test may use them)."""

from __future__ import annotations

import time
from typing import Any

from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
)
from django.utils import timezone

from syllabus.accounts.models import OneTimeCodeMethod
from tests.factories import PASSWORD

SIGN_IN_URL = "/accounts/login/"


def totp_code(secret: str, *, steps: int = 0) -> str:
    """The code an authenticator app shows now (or ``steps`` periods later)."""
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30 + steps))


def enrol_totp(user: Any) -> str:
    """Give ``user`` an authenticator app and recovery codes; returns the TOTP secret."""
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    RecoveryCodes.activate(user)
    return secret


def recovery_codes(user: Any) -> list[str]:
    authenticator = Authenticator.objects.get(user=user, type=Authenticator.Type.RECOVERY_CODES)
    codes: list[str] = authenticator.wrap().get_unused_codes()
    return codes


def enable_code_method(user: Any, channel: str, phone: str = "") -> OneTimeCodeMethod:
    if phone:
        user.phone_number = phone
        user.save(update_fields=["phone_number"])
    method, _ = OneTimeCodeMethod.objects.update_or_create(
        user=user, channel=channel, defaults={"verified_at": timezone.now()}
    )
    return method


def mark_recent_mfa(client: Any, user: Any, *, method: str = "mfa", ago: float = 0) -> None:
    """Record in the client's session that ``user`` just proved a factor (as allauth does)."""
    session = client.session
    records = list(session.get("account_authentication_methods", []))
    records.append({"method": method, "at": time.time() - ago, "reauthenticated": True})
    session["account_authentication_methods"] = records
    session["account_authentication_methods_user"] = str(user.pk)
    session.save()


def sign_in(client: Any, email: str, password: str = PASSWORD, **extra: Any) -> Any:
    return client.post(SIGN_IN_URL, {"login": email, "password": password}, **extra)
