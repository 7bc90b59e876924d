"""Audit events for sign-in, sign-out, passwords, lockouts and the Django admin.

Django, allauth and axes announce these through signals; the receivers here turn each
into an audit event (connected in ``AccountsConfig.ready``). Passwords never reach the
audit trail: only the attempted email of a failed sign-in is kept.
"""

from __future__ import annotations

from typing import Any

from allauth.account import signals as allauth_signals
from allauth.account.models import EmailAddress
from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.auth import signals as auth_signals
from django.db.models.signals import post_save
from django.http import HttpRequest

from syllabus.accounts.lockout import axes_username, lockout_recorded
from syllabus.audit.services import record

ADMIN_FLAGS = {ADDITION: "added", CHANGE: "changed", DELETION: "deleted"}


def on_logged_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    record(actor=user, action="auth.login", target=user, details={"path": _path(request)})


def on_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    email = axes_username(request, credentials)
    record(
        actor=None,
        action="auth.login_failed",
        details={
            "email": email,
            "path": _path(request),
            "locked_out": bool(getattr(request, "axes_locked_out", False)),
        },
    )


def on_logged_out(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if user is None:  # signing out without a session: nothing happened
        return
    record(actor=user, action="auth.logout", target=user)


def on_password_changed(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    record(actor=user, action="auth.password_changed", target=user, details={"how": "changed"})


def on_password_set(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    record(actor=user, action="auth.password_changed", target=user, details={"how": "set"})


def on_password_reset(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    record(actor=user, action="auth.password_reset", target=user)
    # The reset link reached this inbox: the address is proven, as a verification link would.
    EmailAddress.objects.filter(user_id=user.pk, email__iexact=user.email).update(verified=True)


def on_user_created(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    """An account made by an administrator (admin site, CLI, demo) has a verified address.

    The administrator vouched for it; without this, allauth would make the person verify
    an address they never signed up with before their first sign-in. Self sign-up leaves
    the address to allauth, which verifies it as SYLLABUS_EMAIL_VERIFICATION says.
    """
    if not created or kwargs.get("raw") or getattr(instance, "_self_signup", False):
        return
    if instance.email:
        EmailAddress.objects.get_or_create(
            user=instance,
            email__iexact=instance.email,
            defaults={"email": instance.email, "verified": True, "primary": True},
        )


def on_locked_out(
    sender: Any, request: HttpRequest | None, username: str | None, ip_address: str | None, **_: Any
) -> None:
    lockout_recorded(request=request, username=username, ip=ip_address)


def on_admin_log_entry(sender: Any, instance: LogEntry, created: bool, **kwargs: Any) -> None:
    """Every change made in the Django admin (its LogEntry) is an ``admin.action`` event."""
    if not created or kwargs.get("raw"):
        return
    record(
        actor=instance.user,
        action="admin.action",
        details=admin_action_details(
            content_type=instance.content_type,
            object_id=instance.object_id,
            object_repr=instance.object_repr,
            flag=instance.action_flag,
            message=instance.get_change_message(),
        ),
    )


def admin_action_details(
    *, content_type: Any, object_id: Any, object_repr: str, flag: int, message: str
) -> dict[str, Any]:
    return {
        "object_type": f"{content_type.app_label}.{content_type.model}" if content_type else "",
        "object_id": str(object_id or ""),
        "object": object_repr,
        "action": ADMIN_FLAGS.get(flag, str(flag)),
        "change_message": message,
    }


def _path(request: HttpRequest | None) -> str:
    return request.path[:200] if request is not None and hasattr(request, "path") else ""


def connect() -> None:
    """Connect every receiver once (dispatch_uid guards against a second ready())."""
    pairs: list[tuple[Any, Any, dict[str, Any]]] = [
        (auth_signals.user_logged_in, on_logged_in, {}),
        (auth_signals.user_login_failed, on_login_failed, {}),
        (auth_signals.user_logged_out, on_logged_out, {}),
        (allauth_signals.password_changed, on_password_changed, {}),
        (allauth_signals.password_set, on_password_set, {}),
        (allauth_signals.password_reset, on_password_reset, {}),
        (user_locked_out, on_locked_out, {}),
        (post_save, on_admin_log_entry, {"sender": LogEntry}),
        (post_save, on_user_created, {"sender": settings.AUTH_USER_MODEL}),
    ]
    for signal, receiver, options in pairs:
        signal.connect(receiver, dispatch_uid=f"syllabus.audit.{receiver.__name__}", **options)
