"""One-time codes by email or SMS as a second factor (``OneTimeCodeMethod``).

allauth.mfa has no such authenticator type, so this is ours: a 6-digit code, valid for 10
minutes, at most 5 tries, single use. Only its HMAC is kept, in the browser's session
(stored in the database, so every application server sees it), bound to the user and to
one purpose (signing in, reauthenticating, or confirming a new method), so a code sent for
one cannot be used for another.

Delivery is the communication app's job: it registers a sender here when it loads
(accounts sits below communication and never imports it). Sends are limited per user.
"""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass
from typing import Any, Protocol

from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from syllabus.accounts.models import OneTimeCodeMethod, User
from syllabus.audit.services import record

CODE_DIGITS = 6
CODE_TTL_SECONDS = 10 * 60
MAX_TRIES = 5
RESEND_AFTER_SECONDS = 30
SENDS_PER_WINDOW = 5  # codes sent to one user per CODE_TTL_SECONDS, all purposes
SESSION_KEY = "syllabus.one_time_code"

PURPOSE_SIGN_IN = "sign_in"
PURPOSE_REAUTHENTICATE = "reauthenticate"
PURPOSE_ENROL = "enrol"

EMAIL = OneTimeCodeMethod.Channel.EMAIL
SMS = OneTimeCodeMethod.Channel.SMS

# E.164: a plus, a country code and up to 15 digits in all. Spaces, dots, dashes and
# brackets people type are removed first.
_E164 = re.compile(r"^\+[1-9]\d{7,14}$")


class CodeSender(Protocol):
    def __call__(self, *, channel: str, destination: str, code: str, purpose: str) -> None: ...


_senders: list[CodeSender] = []


def register_code_sender(sender: CodeSender) -> None:
    """The communication app delivers codes (email through the queue, SMS via the gateway)."""
    _senders[:] = [sender]


class CodeSendRefused(Exception):
    """Too soon or too many: the message says when to try again."""


@dataclass(frozen=True)
class PendingCode:
    user_id: str
    channel: str
    destination: str
    purpose: str


@dataclass(frozen=True)
class MethodSummary:
    channel: str
    label: str
    destination: str  # masked for display


def normalise_phone(raw: str) -> str:
    """An E.164 number from what a person typed, or ValidationError."""
    number = re.sub(r"[\s().\-]", "", raw or "")
    if number.startswith("00"):
        number = "+" + number[2:]
    if not _E164.match(number):
        raise ValidationError(
            _(
                "Enter the number in international format, starting with + and the country "
                "code, for example +44 7700 900123."
            ),
            code="phone",
        )
    return number


def mask_destination(channel: str, destination: str) -> str:
    if channel == EMAIL:
        local, _, domain = destination.partition("@")
        return f"{local[:1]}…@{domain}"
    return f"a number ending in {destination[-3:]}" if len(destination) > 3 else "your phone"


def method_destination(user: Any, channel: str) -> str:
    return str(user.email) if channel == EMAIL else str(user.phone_number)


def method_summaries(user: Any) -> list[MethodSummary]:
    """The user's confirmed code methods, for the pages that offer them."""
    methods = OneTimeCodeMethod.objects.filter(user_id=user.pk, verified_at__isnull=False)
    return [
        MethodSummary(
            channel=method.channel,
            label=str(method.get_channel_display()),
            destination=mask_destination(method.channel, method_destination(user, method.channel)),
        )
        for method in methods.order_by("channel")
    ]


def _digest(*, user_id: str, purpose: str, destination: str, code: str) -> str:
    return salted_hmac(
        "syllabus.one_time_code", f"{user_id}|{purpose}|{destination}|{code}", algorithm="sha256"
    ).hexdigest()


def window_incr(prefix: str, window: int) -> int:
    """Count one event in the current fixed window of ``window`` seconds; returns the count.

    The window is named after the clock (not left to the cache's expiry), so every process
    and the cache agree on it; the cache entry expires with its window.
    """
    key = f"{prefix}:{int(time.time() // window)}"
    cache.add(key, 0, timeout=window)
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window)
        return 1


def window_count(prefix: str, window: int) -> int:
    return int(cache.get(f"{prefix}:{int(time.time() // window)}", 0))


def window_reset(prefix: str, window: int) -> None:
    cache.delete(f"{prefix}:{int(time.time() // window)}")


def _throttle(user: Any) -> None:
    """At most one code every RESEND_AFTER_SECONDS and SENDS_PER_WINDOW per window, per user.

    Kept in the cache: texts cost money and emails annoy, whichever browser asks.
    """
    now = time.time()
    last_key = f"otp:last:{user.pk}"
    if not cache.add(last_key, now, timeout=RESEND_AFTER_SECONDS):
        last = cache.get(last_key)
        if last is not None and now - float(last) < RESEND_AFTER_SECONDS:
            raise CodeSendRefused(
                f"A code was sent less than {RESEND_AFTER_SECONDS} seconds ago. "
                "Wait a moment before asking for another."
            )
        cache.set(last_key, now, timeout=RESEND_AFTER_SECONDS)
    if window_incr(f"otp:count:{user.pk}", CODE_TTL_SECONDS) > SENDS_PER_WINDOW:
        raise CodeSendRefused(
            "Too many codes were sent to you in the last 10 minutes. Try again later, or use "
            "another way to verify."
        )


def code_send(
    request: HttpRequest, *, user: Any, channel: str, purpose: str, destination: str | None = None
) -> PendingCode:
    """Create a code, keep its HMAC in the session, and have it delivered.

    ``destination`` defaults to the user's address for the channel; enrolment passes the
    number being confirmed. Raises CodeSendRefused when throttled.
    """
    if channel not in (EMAIL, SMS):
        raise ValidationError(_("Unknown channel."))
    destination = destination or method_destination(user, channel)
    if not destination:
        raise ValidationError(_("There is no address to send a code to."))
    if not _senders:
        raise ImproperlyConfigured("No one-time code sender is registered (communication app).")
    _throttle(user)
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    pending = PendingCode(
        user_id=str(user.pk), channel=channel, destination=destination, purpose=purpose
    )
    request.session[SESSION_KEY] = {
        "user": pending.user_id,
        "channel": channel,
        "destination": destination,
        "purpose": purpose,
        "digest": _digest(
            user_id=pending.user_id, purpose=purpose, destination=destination, code=code
        ),
        "expires_at": time.time() + CODE_TTL_SECONDS,
        "tries": 0,
    }
    sender = _senders[0]
    transaction.on_commit(
        lambda: sender(channel=channel, destination=destination, code=code, purpose=purpose)
    )
    return pending


def code_pending(request: HttpRequest, *, user: Any, purpose: str) -> PendingCode | None:
    """The unexpired code this session waits for, if any (nothing is consumed)."""
    data = request.session.get(SESSION_KEY)
    if (
        not isinstance(data, dict)
        or data.get("user") != str(user.pk)
        or data.get("purpose") != purpose
        or time.time() > float(data.get("expires_at", 0))
    ):
        return None
    return PendingCode(
        user_id=data["user"],
        channel=data["channel"],
        destination=data["destination"],
        purpose=purpose,
    )


def code_verify(request: HttpRequest, *, user: Any, code: str, purpose: str) -> PendingCode | None:
    """Check a code against the one this session waits for; single use, MAX_TRIES tries.

    Returns what the code was sent for on success (and forgets it); None otherwise. After
    the last try, or once expired, the code is forgotten and a new one must be sent.
    """
    pending = code_pending(request, user=user, purpose=purpose)
    data = request.session.get(SESSION_KEY)
    if pending is None or not isinstance(data, dict):
        return None
    tries = int(data.get("tries", 0)) + 1
    if tries > MAX_TRIES:
        request.session.pop(SESSION_KEY, None)
        return None
    candidate = re.sub(r"\s", "", code or "")
    expected = data["digest"]
    actual = _digest(
        user_id=pending.user_id,
        purpose=purpose,
        destination=pending.destination,
        code=candidate,
    )
    if constant_time_compare(actual, expected):
        request.session.pop(SESSION_KEY, None)
        return pending
    if tries >= MAX_TRIES:
        request.session.pop(SESSION_KEY, None)
    else:
        request.session[SESSION_KEY] = {**data, "tries": tries}
    return None


# --- Methods: enrol, use, remove ----------------------------------------------------------


@transaction.atomic
def code_method_enable(*, user: User, channel: str, destination: str) -> OneTimeCodeMethod:
    """Turn on a code method once the user typed the code sent to ``destination``."""
    if channel == SMS:
        user.phone_number = destination
        user.save(update_fields=["phone_number", "updated_at"])
    method, _created = OneTimeCodeMethod.objects.update_or_create(
        user=user, channel=channel, defaults={"verified_at": timezone.now()}
    )
    record(
        actor=user,
        action="auth.mfa_enrolled",
        target=user,
        details={"type": f"{channel}_code"},
    )
    return method


@transaction.atomic
def code_method_remove(*, actor: Any, user: User, channel: str) -> bool:
    """Turn off codes by ``channel`` for ``user``; audited.

    Refused when MFA is enforced for the user and this is their last second factor (an
    administrator's MFA reset, which removes everything on purpose, does not come here).
    """
    from syllabus.accounts.mfa import is_last_required_factor  # mfa imports this module

    if is_last_required_factor(user, removing=f"{channel}_code"):
        raise ValidationError(
            _(
                "Your role requires two-step verification: add another method before "
                "turning this one off."
            )
        )
    deleted, _by_model = OneTimeCodeMethod.objects.filter(user=user, channel=channel).delete()
    if deleted:
        record(
            actor=actor,
            action="auth.mfa_removed",
            target=user,
            details={"type": f"{channel}_code"},
        )
    return bool(deleted)


def code_method_used(*, user: Any, channel: str) -> None:
    """Touch ``updated_at`` so the security page can say when a method was last used."""
    OneTimeCodeMethod.objects.filter(user_id=user.pk, channel=channel).update(
        updated_at=timezone.now()
    )


def code_message(*, code: str, purpose: str, site_name: str) -> str:
    """The text of an email or SMS carrying a code (short enough for one SMS)."""
    # Written while the person's request is active: in their language (page or account).
    values = {"site_name": site_name, "code": code, "minutes": CODE_TTL_SECONDS // 60}
    if purpose == PURPOSE_SIGN_IN:
        text = _(
            "Your %(site_name)s sign-in code is %(code)s. It expires in %(minutes)s minutes. "
            "If you did not ask for it, ignore this message."
        )
    elif purpose == PURPOSE_REAUTHENTICATE:
        text = _(
            "Your %(site_name)s verification code is %(code)s. It expires in %(minutes)s "
            "minutes. If you did not ask for it, ignore this message."
        )
    elif purpose == PURPOSE_ENROL:
        text = _(
            "Your %(site_name)s code to confirm this address is %(code)s. It expires in "
            "%(minutes)s minutes. If you did not ask for it, ignore this message."
        )
    else:
        text = _(
            "Your %(site_name)s code is %(code)s. It expires in %(minutes)s minutes. "
            "If you did not ask for it, ignore this message."
        )
    return text % values
