"""Every write to users and roles goes through here, with its audit event."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from syllabus.accounts.models import Role, RoleAssignment, User
from syllabus.accounts.roles import BUILTIN_ROLES, SITE
from syllabus.audit.services import record


@transaction.atomic
def user_create(
    *,
    actor: User | None,
    email: str,
    password: str | None,
    full_name: str = "",
    is_superuser: bool = False,
) -> User:
    """Create an account; the password must pass every validator (or be None: unusable)."""
    email = User.objects.normalize_email(email.strip()).lower()
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": "An account with this email address already exists."})
    candidate = User(email=email, full_name=full_name)
    if password is not None:
        validate_password(password, user=candidate)
    manager = User.objects
    create = manager.create_superuser if is_superuser else manager.create_user
    user = create(email=email, password=password, full_name=full_name)
    record(actor=actor, action="user.created", target=user, details={"superuser": is_superuser})
    return user


@transaction.atomic
def user_set_active(*, actor: User | None, user: User, active: bool) -> User:
    """Deactivate (sign-in refused, data kept) or reactivate an account; audited."""
    if user.is_active != active:
        user.is_active = active
        user.save(update_fields=["is_active", "updated_at"])
        record(
            actor=actor,
            action="user.updated" if active else "user.deactivated",
            target=user,
            details={"is_active": active},
        )
    return user


@transaction.atomic
def role_grant(*, actor: User | None, user: User, role: Role) -> RoleAssignment:
    if role.scope != SITE:
        raise ValidationError(f"{role.name} is a course role: grant it within a course.")
    assignment, created = RoleAssignment.objects.get_or_create(
        user=user, role=role, defaults={"granted_by": actor}
    )
    if created:
        record(actor=actor, action="role.granted", target=user, details={"role": role.slug})
    return assignment


@transaction.atomic
def role_revoke(*, actor: User | None, user: User, role: Role) -> bool:
    deleted, _ = RoleAssignment.objects.filter(user=user, role=role).delete()
    if deleted:
        record(actor=actor, action="role.removed", target=user, details={"role": role.slug})
    return bool(deleted)


def builtin_roles_sync(**_: Any) -> None:
    """Create or update the built-in roles from ``roles.BUILTIN_ROLES`` (post_migrate)."""
    for spec in BUILTIN_ROLES:
        Role.objects.update_or_create(
            slug=spec.slug,
            defaults={
                "name": spec.name,
                "scope": spec.scope,
                "description": spec.description,
                "permissions": list(spec.permissions),
                "is_builtin": True,
            },
        )
