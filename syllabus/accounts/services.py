"""Every write to users and roles goes through here, with its audit event."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.text import slugify
from django.utils.translation import gettext as _

from syllabus.accounts.models import Role, RoleAssignment, User
from syllabus.accounts.permissions import can_grant, forget_cached_permissions, site_permissions
from syllabus.accounts.roles import BUILTIN_ROLES, PERMISSIONS, SITE
from syllabus.audit.services import record

ADMIN_ROLE = "admin"


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
        raise ValidationError({"email": _("An account with this email address already exists.")})
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
    """Give ``user`` a site role. ``actor`` None means the operator (CLI, system job)."""
    if role.scope != SITE:
        raise ValidationError(
            _("%(role)s is a course role: grant it within a course.") % {"role": role.name}
        )
    if not can_grant(actor, role):
        raise PermissionDenied(
            _("You cannot grant %(role)s: it carries permissions you do not hold.")
            % {"role": role.name}
        )
    if not user.is_active:
        raise ValidationError(
            _("This account is deactivated: reactivate it before granting roles.")
        )
    assignment, created = RoleAssignment.objects.get_or_create(
        user=user, role=role, defaults={"granted_by": actor}
    )
    if created:
        record(actor=actor, action="role.granted", target=user, details={"role": role.slug})
        forget_cached_permissions(user)
    return assignment


@transaction.atomic
def role_revoke(*, actor: User | None, user: User, role: Role) -> bool:
    if actor is not None and not can_grant(actor, role):
        raise PermissionDenied(
            _("You cannot remove %(role)s: it carries permissions you do not hold.")
            % {"role": role.name}
        )
    if role.slug == ADMIN_ROLE and not _another_admin_remains(excluding=user):
        raise ValidationError(
            _("This is the last active administrator: grant the role to someone else first.")
        )
    deleted, _by_model = RoleAssignment.objects.filter(user=user, role=role).delete()
    if deleted:
        record(actor=actor, action="role.removed", target=user, details={"role": role.slug})
        forget_cached_permissions(user)
    return bool(deleted)


def _another_admin_remains(*, excluding: User) -> bool:
    others = User.objects.filter(is_active=True).exclude(pk=excluding.pk)
    return others.filter(Q(is_superuser=True) | Q(role_assignments__role__slug=ADMIN_ROLE)).exists()


def _clean_permissions(permissions: list[str]) -> list[str]:
    unknown = sorted(set(permissions) - set(PERMISSIONS))
    if unknown:
        raise ValidationError(
            {"permissions": _("Unknown permissions: %(codes)s.") % {"codes": ", ".join(unknown)}}
        )
    if not permissions:
        raise ValidationError({"permissions": _("Choose at least one permission.")})
    return sorted(set(permissions))


@transaction.atomic
def role_create(
    *, actor: User | None, name: str, permissions: list[str], description: str = ""
) -> Role:
    """A custom site-wide role made from the permission catalog; audited."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Give the role a name.")})
    slug = slugify(name).replace("-", "_")[:64]
    if not slug or Role.objects.filter(Q(slug=slug) | Q(name__iexact=name)).exists():
        raise ValidationError({"name": _("A role with this name already exists.")})
    role = Role(
        slug=slug,
        name=name,
        scope=SITE,
        description=description.strip()[:300],
        permissions=_clean_permissions(permissions),
    )
    if actor is not None and not set(role.permissions) <= site_permissions(actor):
        raise PermissionDenied(_("A custom role may only carry permissions you hold yourself."))
    role.save()
    record(
        actor=actor, action="role.created", target=role, details={"permissions": role.permissions}
    )
    return role


@transaction.atomic
def role_update(
    *, actor: User | None, role: Role, name: str, permissions: list[str], description: str = ""
) -> Role:
    if role.is_builtin:
        raise ValidationError(_("Built-in roles cannot be changed; create a custom role instead."))
    cleaned = _clean_permissions(permissions)
    if actor is not None and not set(cleaned) <= site_permissions(actor):
        raise PermissionDenied(_("A custom role may only carry permissions you hold yourself."))
    before = list(role.permissions)
    role.name = name.strip() or role.name
    role.description = description.strip()[:300]
    role.permissions = cleaned
    role.save()
    record(
        actor=actor,
        action="role.updated",
        target=role,
        details={"before": before, "after": cleaned},
    )
    for assignment in role.assignments.select_related("user"):
        forget_cached_permissions(assignment.user)
    return role


@transaction.atomic
def role_delete(*, actor: User | None, role: Role) -> None:
    if role.is_builtin:
        raise ValidationError(_("Built-in roles cannot be deleted."))
    if role.assignments.exists():
        raise ValidationError(_("Remove this role from everyone who holds it before deleting it."))
    record(actor=actor, action="role.deleted", target=role, details={"slug": role.slug})
    role.delete()


def builtin_roles_sync(*, using: str = "default", **_: Any) -> None:
    """Create or update the built-in roles from ``roles.BUILTIN_ROLES`` (post_migrate).

    Nothing to do when the roles table does not exist: ``syllabus migrate accounts zero``
    (rolling back to before Syllabus) also sends post_migrate."""
    from django.db import connections

    if Role._meta.db_table not in connections[using].introspection.table_names():
        return
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
