"""allauth.mfa wired to Syllabus: encrypted secrets, our one-time code methods, our forms.

* ``encrypt``/``decrypt``: allauth stores TOTP secrets and the seed the recovery codes are
  derived from in the database, in clear unless the adapter encrypts them. Ours seals them
  with the field-encryption key ring (``syllabus.core.crypto``, ``SYLLABUS_FIELD_KEYS``),
  so ``syllabus rotate-keys`` re-encrypts them with every other encrypted value.
  allauth's adapter API passes the text alone, so the adapter seals under the table's
  context (``mfa_authenticator.data``); :mod:`syllabus.accounts.mfa_binding` binds each
  stored value to its authenticator row (owner and type) on save and unbinds it in memory
  on load. Values written before the key ring (``aesgcm1:``, a key derived from
  SECRET_KEY and its fallbacks) are still read, and rotate-keys rewrites them.
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
from django.utils.translation import gettext as _

from syllabus.accounts import one_time_codes
from syllabus.accounts.models import OneTimeCodeMethod
from syllabus.core.crypto import is_sealed, keyring

_LEGACY_PREFIX = "aesgcm1:"
# The associated data of every MFA secret: the table and column allauth keeps them in.
MFA_CONTEXT = "mfa_authenticator.data"
_SIGN_IN_TYPES = {Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN}


def _legacy_key(secret: str) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"syllabus.mfa.secrets"
    ).derive(secret.encode())


def legacy_decrypt(encrypted_text: str) -> str:
    """An ``aesgcm1:`` value (before the key ring): SECRET_KEY, then its fallbacks."""
    blob = base64.urlsafe_b64decode(encrypted_text.removeprefix(_LEGACY_PREFIX))
    nonce, sealed = blob[:12], blob[12:]
    for secret in [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]:
        try:
            aead = AESGCM(_legacy_key(secret))
            return aead.decrypt(nonce, sealed, _LEGACY_PREFIX.encode()).decode()
        except InvalidTag:
            continue
    raise ImproperlyConfigured(
        "An MFA secret written before the field key ring cannot be decrypted with "
        "SYLLABUS_SECRET_KEY: was the key changed? Run 'syllabus rotate-keys' with the old "
        "secret key to move such values to the key ring."
    )


def legacy_encrypt(text: str) -> str:
    """How values were written before the key ring (kept for tests of the migration path)."""
    nonce = os.urandom(12)
    sealed = AESGCM(_legacy_key(settings.SECRET_KEY)).encrypt(
        nonce, text.encode(), _LEGACY_PREFIX.encode()
    )
    return _LEGACY_PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode()


def is_legacy(value: object) -> bool:
    return isinstance(value, str) and value.startswith(_LEGACY_PREFIX)


class MfaAdapter(DefaultMFAAdapter):
    def encrypt(self, text: str) -> str:
        return keyring().seal(text.encode(), MFA_CONTEXT)

    def decrypt(self, encrypted_text: str) -> str:
        if is_sealed(encrypted_text):
            return keyring().open(encrypted_text, MFA_CONTEXT).decode()
        if is_legacy(encrypted_text):
            return legacy_decrypt(encrypted_text)
        return encrypted_text  # written before encryption was configured

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
                _("Too many failed attempts. Wait a few minutes, then try again."),
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
        raise forms.ValidationError(_("Incorrect code. Check it and try again."), code="incorrect")

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
