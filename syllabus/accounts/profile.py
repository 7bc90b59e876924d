"""The user's own profile: the one write it has."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from syllabus.accounts.models import User
from syllabus.audit.services import record


@transaction.atomic
def profile_update(*, actor: User, user: User, full_name: str) -> User:
    """Change a user's own name; audited as ``user.updated`` with before and after."""
    if actor.pk != user.pk:
        raise PermissionDenied("People change their own profile only.")
    full_name = " ".join(full_name.split())
    if len(full_name) > 200:
        raise ValidationError({"full_name": "Use at most 200 characters."})
    if full_name != user.full_name:
        before = user.full_name
        user.full_name = full_name
        user.save(update_fields=["full_name", "updated_at"])
        record(
            actor=actor,
            action="user.updated",
            target=user,
            details={"field": "full_name", "before": before, "after": full_name},
        )
    return user
