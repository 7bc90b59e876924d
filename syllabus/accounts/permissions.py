"""Permission predicates. Views, the API, the admin and the CLI all ask here."""

from __future__ import annotations

from typing import Any

from syllabus.accounts.models import Role


def site_role_slugs(user: Any) -> frozenset[str]:
    """Slugs of the user's site-wide roles, cached on the user object for the request."""
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    cached = getattr(user, "_site_role_slugs", None)
    if cached is None:
        cached = frozenset(
            Role.objects.filter(assignments__user=user).values_list("slug", flat=True)
        )
        user._site_role_slugs = cached
    return cached


def site_permissions(user: Any) -> frozenset[str]:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    cached = getattr(user, "_site_permissions", None)
    if cached is None:
        codes: set[str] = set()
        for perms in Role.objects.filter(assignments__user=user).values_list(
            "permissions", flat=True
        ):
            codes.update(perms)
        cached = frozenset(codes)
        user._site_permissions = cached
    return cached


def has_site_perm(user: Any, code: str) -> bool:
    if getattr(user, "is_superuser", False) and user.is_active:
        return True
    return code in site_permissions(user)
