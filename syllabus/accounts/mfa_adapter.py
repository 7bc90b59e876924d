"""allauth.mfa wired to Syllabus: encrypted secrets, our one-time code methods, our forms.

* ``encrypt``/``decrypt``: allauth stores TOTP secrets and the seed the recovery codes are
  derived from in the database, in clear unless the adapter encrypts them. Ours uses
  AES-256-GCM with a key derived from SECRET_KEY (HKDF), so a copy of the database alone
  reveals neither (SECRET_KEY_FALLBACKS are tried when decrypting, for key rotation).
* ``is_mfa_enabled``: allauth asks for the second-factor challenge at sign-in when the
  user has a TOTP or WebAuthn authenticator (it passes both types). One-time codes by
  email or SMS are ours, not an allauth type; counting them there puts the same sign-in
  step in front of users whose only factor is a code method. The challenge form below
  accepts their codes.
"""

from __future__ import annotations

import base64
import os
from typing import Any

from allauth.account.internal.flows.login import record_authentication
from allauth.core import context
from allauth.mfa import signals
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.base.forms import AuthenticateForm, ReauthenticateForm
from allauth.mfa.base.internal.flows import check_rate_limit, post_authentication
from allauth.mfa.models import Authenticator
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django import forms
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from syllabus.accounts import one_time_codes
from syllabus.accounts.models import OneTimeCodeMethod

_PREFIX = "aesgcm1:"
_SIGN_IN_TYPES = {Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN}


def _key(secret: str) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"syllabus.mfa.secrets"
    ).derive(secret.encode())


class MfaAdapter(DefaultMFAAdapter):
    def encrypt(self, text: str) -> str:
        nonce = os.urandom(12)
        sealed = AESGCM(_key(settings.SECRET_KEY)).encrypt(nonce, text.encode(), _PREFIX.encode())
        return _PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode()

    def decrypt(self, encrypted_text: str) -> str:
        if not encrypted_text.startswith(_PREFIX):
            return encrypted_text  # written before encryption was configured
        blob = base64.urlsafe_b64decode(encrypted_text.removeprefix(_PREFIX))
        nonce, sealed = blob[:12], blob[12:]
        for secret in [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]:
            try:
                return AESGCM(_key(secret)).decrypt(nonce, sealed, _PREFIX.encode()).decode()
            except InvalidTag:
                continue
        raise ImproperlyConfigured(
            "An MFA secret cannot be decrypted with SYLLABUS_SECRET_KEY: was the key changed?"
        )

    def get_totp_issuer(self) -> str:
        return str(settings.SITE_NAME)

    def _get_site_name(self) -> str:
        return str(settings.SITE_NAME)

    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        from syllabus.accounts.mfa import is_last_required_factor

        return not is_last_required_factor(authenticator.user, removing=str(authenticator.type))

    def is_mfa_enabled(self, user: Any, types: Any = None) -> bool:
        if super().is_mfa_enabled(user, types=types):
            return True
        if user.is_anonymous or (types is not None and not set(types) >= _SIGN_IN_TYPES):
            return False
        return OneTimeCodeMethod.objects.filter(user_id=user.pk, verified_at__isnull=False).exists()


# Wrong second-factor codes per user before further attempts are refused for a while.
# (allauth's own limit shares its "login_failed" setting with passwords, which django-axes
# handles instead; so this one is ours.)
MAX_CODE_FAILURES = 5
CODE_FAILURE_WINDOW_SECONDS = 5 * 60


def _failures_prefix(user: Any) -> str:
    return f"mfa:failures:{user.pk}"


def code_failures_exceeded(user: Any) -> bool:
    count = one_time_codes.window_count(_failures_prefix(user), CODE_FAILURE_WINDOW_SECONDS)
    return count >= MAX_CODE_FAILURES


def code_failure_count(user: Any) -> None:
    one_time_codes.window_incr(_failures_prefix(user), CODE_FAILURE_WINDOW_SECONDS)


def code_failures_forget(user: Any) -> None:
    one_time_codes.window_reset(_failures_prefix(user), CODE_FAILURE_WINDOW_SECONDS)


class _CodeAwareMixin(forms.Form):
    """Accept, besides allauth's codes (TOTP, recovery), a one-time code sent by email or
    SMS for this step. Wrong codes count: after MAX_CODE_FAILURES in the window, every
    attempt is refused (the right code too) until the window ends."""

    purpose = one_time_codes.PURPOSE_SIGN_IN
    reauthenticated = False
    user: Any
    authenticator: Authenticator | None
    code_channel: str | None

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)  # type: ignore[call-arg]  # allauth pops it

    def clean_code(self) -> str:
        if code_failures_exceeded(self.user):
            raise forms.ValidationError(
                "Too many failed attempts. Wait a few minutes, then try again.",
                code="too_many_attempts",
            )
        clear_rate_limit = check_rate_limit(self.user)
        code = str(self.cleaned_data["code"]).strip()
        self.authenticator, self.code_channel = None, None
        for authenticator in Authenticator.objects.filter(user=self.user).exclude(
            type=Authenticator.Type.WEBAUTHN  # cannot check a typed code
        ):
            if authenticator.wrap().validate_code(code):
                authenticator.user = self.user
                self.authenticator = authenticator
                clear_rate_limit()
                code_failures_forget(self.user)
                return code
        pending = one_time_codes.code_verify(
            context.request, user=self.user, code=code, purpose=self.purpose
        )
        if pending is not None:
            self.code_channel = pending.channel
            clear_rate_limit()
            code_failures_forget(self.user)
            return code
        code_failure_count(self.user)
        signals.authentication_failed.send(
            sender=Authenticator,
            request=context.request,
            user=self.user,
            authenticator=Authenticator.objects.filter(user=self.user).first(),
            reauthentication=self.reauthenticated,
        )
        raise forms.ValidationError("Incorrect code. Check it and try again.", code="incorrect")

    def save(self) -> None:
        request = context.request
        if self.authenticator is not None:
            post_authentication(request, self.authenticator, reauthenticated=self.reauthenticated)
            return
        one_time_codes.code_method_used(user=self.user, channel=str(self.code_channel))
        extra = {"reauthenticated": True} if self.reauthenticated else {}
        record_authentication(request, self.user, "mfa", type=f"{self.code_channel}_code", **extra)

    # What the challenge page offers this user.
    @property
    def has_authenticator_app(self) -> bool:
        return Authenticator.objects.filter(user=self.user, type=Authenticator.Type.TOTP).exists()

    @property
    def has_security_key(self) -> bool:
        return Authenticator.objects.filter(
            user=self.user, type=Authenticator.Type.WEBAUTHN
        ).exists()

    @property
    def has_recovery_codes(self) -> bool:
        return Authenticator.objects.filter(
            user=self.user, type=Authenticator.Type.RECOVERY_CODES
        ).exists()

    @property
    def code_methods(self) -> list[one_time_codes.MethodSummary]:
        return one_time_codes.method_summaries(self.user)


class SignInCodeForm(_CodeAwareMixin, AuthenticateForm):
    pass


class ReauthenticateCodeForm(_CodeAwareMixin, ReauthenticateForm):
    purpose = one_time_codes.PURPOSE_REAUTHENTICATE
    reauthenticated = True
