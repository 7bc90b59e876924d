"""Signal receivers of the sessions and MFA part, connected by AccountsConfig.ready.

* sign-in and sign-out keep the ``UserSession`` list and the session clocks;
* role and superuser changes keep ``User.mfa_required_since`` up to date, and a role given,
  taken, edited or deleted closes the site roles shared between requests
  (``permissions.close_shared_roles``);
* allauth.mfa's signals become audit events (enrolment, removal, failed codes).
"""

from __future__ import annotations

from typing import Any

from allauth.mfa import signals as mfa_signals
from allauth.mfa.models import Authenticator
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.db.models.signals import post_delete, post_save

from syllabus.accounts.mfa import mfa_requirement_refresh
from syllabus.accounts.models import Role, RoleAssignment, User
from syllabus.accounts.permissions import ROLES_KEY, close_shared_roles, roles_user_key
from syllabus.accounts.sessions import session_ended, session_started
from syllabus.audit.services import record


def _on_logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if request is not None:
        session_started(request, user)


def _on_logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if request is not None:
        session_ended(request)


def _on_role_assignment_changed(sender: Any, instance: RoleAssignment, **kwargs: Any) -> None:
    # First: the MFA refresh below reads the user's roles, and must read them fresh.
    close_shared_roles(roles_user_key(instance.user_id))
    user = User.objects.filter(pk=instance.user_id).first()
    if user is not None:
        mfa_requirement_refresh(user)


def _on_role_changed(sender: Any, instance: Role, **kwargs: Any) -> None:
    """A role's permissions or slug changed, or it was deleted: every holder's roles."""
    close_shared_roles(ROLES_KEY)


def _on_user_saved(sender: Any, instance: User, created: bool, **kwargs: Any) -> None:
    update_fields = kwargs.get("update_fields")
    if update_fields is not None and not {"is_superuser", "is_active"} & set(update_fields):
        return  # e.g. last_login at every sign-in: nothing that changes the requirement
    if kwargs.get("raw"):
        return  # fixtures
    mfa_requirement_refresh(instance)


def _describe(authenticator: Authenticator | None) -> dict[str, Any]:
    if authenticator is None:
        return {}
    details: dict[str, Any] = {"type": str(authenticator.type)}
    if authenticator.type == Authenticator.Type.WEBAUTHN:
        wrapped = authenticator.wrap()
        details["name"] = wrapped.name
        details["passkey"] = bool(wrapped.is_passwordless)
    return details


def _on_authenticator_added(
    sender: Any, request: Any, user: Any, authenticator: Any, **kw: Any
) -> None:
    record(actor=user, action="auth.mfa_enrolled", target=user, details=_describe(authenticator))


def _on_authenticator_reset(
    sender: Any, request: Any, user: Any, authenticator: Any, **kw: Any
) -> None:
    details = {**_describe(authenticator), "regenerated": True}
    record(actor=user, action="auth.mfa_enrolled", target=user, details=details)


def _on_authenticator_removed(
    sender: Any, request: Any, user: Any, authenticator: Any, **kw: Any
) -> None:
    record(actor=user, action="auth.mfa_removed", target=user, details=_describe(authenticator))


def _on_authentication_failed(
    sender: Any, request: Any, user: Any, authenticator: Any = None, **kw: Any
) -> None:
    details = {
        "email": getattr(user, "email", ""),
        "step": "second_factor",
        "reauthentication": bool(kw.get("reauthentication")),
    }
    record(actor=None, action="auth.login_failed", target=user, details=details)


def connect() -> None:
    uid = "syllabus.accounts.security_signals"
    user_logged_in.connect(_on_logged_in, dispatch_uid=f"{uid}.logged_in")
    user_logged_out.connect(_on_logged_out, dispatch_uid=f"{uid}.logged_out")
    post_save.connect(
        _on_role_assignment_changed, sender=RoleAssignment, dispatch_uid=f"{uid}.role_saved"
    )
    post_delete.connect(
        _on_role_assignment_changed, sender=RoleAssignment, dispatch_uid=f"{uid}.role_deleted"
    )
    post_save.connect(_on_role_changed, sender=Role, dispatch_uid=f"{uid}.role_edited")
    post_delete.connect(_on_role_changed, sender=Role, dispatch_uid=f"{uid}.role_removed")
    post_save.connect(_on_user_saved, sender=User, dispatch_uid=f"{uid}.user_saved")
    mfa_signals.authenticator_added.connect(_on_authenticator_added, dispatch_uid=f"{uid}.add")
    mfa_signals.authenticator_reset.connect(_on_authenticator_reset, dispatch_uid=f"{uid}.reset")
    mfa_signals.authenticator_removed.connect(
        _on_authenticator_removed, dispatch_uid=f"{uid}.removed"
    )
    mfa_signals.authentication_failed.connect(
        _on_authentication_failed, dispatch_uid=f"{uid}.failed"
    )
