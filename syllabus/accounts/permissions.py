"""The one permission layer: predicates and queryset filters.

Views, the API, the admin and the CLI all ask here, so a list never shows a row that its
detail page would refuse. Site-wide permissions come from the user's site roles; course
permissions come from course memberships (the courses app adds its own predicates on
top of these).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.utils.translation import gettext as _

from syllabus.accounts.models import Role, RoleAssignment, User
from syllabus.accounts.roles import PERMISSIONS

ViewFunc = TypeVar("ViewFunc", bound=Callable[..., HttpResponseBase])


def _site_roles(user: Any) -> tuple[frozenset[str], frozenset[str]]:
    """``(role slugs, permission codes)`` of the user's site-wide roles, kept on the user
    object for the request (the session policy, the navigation and the views all ask, on
    every request) and shared between requests through the cache (``_shared_site_roles``)."""
    cached: tuple[frozenset[str], frozenset[str]] | None = getattr(user, "_site_roles", None)
    if cached is None:
        slugs: set[str] = set()
        codes: set[str] = set()
        for slug, permissions in _shared_site_roles(user.pk):
            slugs.add(slug)
            codes.update(permissions)
        cached = (frozenset(slugs), frozenset(codes))
        user._site_roles = cached
    return cached


# --- Site roles shared between requests ------------------------------------------------------
#
# Every signed-in request needs the user's site roles (the session policy compares them with
# the session's, the navigation and the permission checks read them). They change rarely,
# so two cache entries hold them: the user's role ids, and every role's slug and
# permissions. One round trip (MGET) reads both.
#
# A revoked role must stop working at once, so no reader may put an old value back. Readers
# write only with ``add`` (SET NX) where they found nothing. A change (a role given or
# taken, a role edited or deleted) replaces the entry with a CLOSED marker, at once and
# again after commit. While the marker stands (SYLLABUS_ROLES_CLOSED_SECONDS) readers go
# to the database and cannot write, so a request that read the database before the change
# committed finds its ``add`` refused. Hand-written: Django's cache offers no such
# invalidation, and a generation counter would cost a second round trip per request.
#
# If Redis cannot be reached when a change commits, the old entry can outlive the change
# by up to SYLLABUS_ROLES_CACHE_SECONDS (docs/performance.md).

ROLES_KEY = "roles:v1:definitions"
CLOSED = "closed"


def roles_user_key(user_id: int) -> str:
    return f"roles:v1:user:{user_id}"


def _shared_site_roles(user_id: int) -> list[tuple[str, tuple[str, ...]]]:
    """``[(slug, permissions), ...]`` of the user's site roles, from the cache where it
    holds them, else from the database (and cached where nothing, not even a CLOSED
    marker, stood)."""
    if settings.ROLES_CACHE_SECONDS == 0:
        return list(
            Role.objects.filter(assignments__user_id=user_id).values_list("slug", "permissions")
        )
    user_key = roles_user_key(user_id)
    found = cache.get_many([user_key, ROLES_KEY])
    role_ids = found.get(user_key)
    if not isinstance(role_ids, tuple):
        role_ids = tuple(
            RoleAssignment.objects.filter(user_id=user_id)
            .order_by("role_id")
            .values_list("role_id", flat=True)
        )
        if user_key not in found:
            cache.add(user_key, role_ids, timeout=settings.ROLES_CACHE_SECONDS)
    if not role_ids:  # most people: no site role, nothing more to read
        return []
    definitions = found.get(ROLES_KEY)
    if not isinstance(definitions, dict) or not all(pk in definitions for pk in role_ids):
        definitions = {
            pk: (slug, tuple(permissions))
            for pk, slug, permissions in Role.objects.values_list("pk", "slug", "permissions")
        }
        if ROLES_KEY not in found:
            cache.add(ROLES_KEY, definitions, timeout=settings.ROLES_CACHE_SECONDS)
    return [definitions[pk] for pk in role_ids if pk in definitions]


def close_shared_roles(*keys: str) -> None:
    """A role or an assignment changed: CLOSED in place of the entries, now (this
    transaction reads its own change) and again after commit (a reader in between may
    have cached the old value: ``set`` replaces it)."""

    def close() -> None:
        cache.set_many(dict.fromkeys(keys, CLOSED), timeout=settings.ROLES_CLOSED_SECONDS)

    close()
    transaction.on_commit(close)


def site_role_slugs(user: Any) -> frozenset[str]:
    """Slugs of the user's site-wide roles, cached on the user object for the request."""
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    return _site_roles(user)[0]


def site_permissions(user: Any) -> frozenset[str]:
    """Every permission code the user holds site-wide (all of them for a superuser)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    if user.is_superuser:
        return frozenset(PERMISSIONS)
    return _site_roles(user)[1]


def forget_cached_permissions(user: Any) -> None:
    if hasattr(user, "_site_roles"):
        del user._site_roles


def has_site_perm(user: Any, code: str) -> bool:
    if code not in PERMISSIONS:
        raise ValueError(f"Unknown permission {code!r}: add it to syllabus.accounts.roles.")
    return code in site_permissions(user)


def has_any_site_perm(user: Any, *codes: str) -> bool:
    return any(has_site_perm(user, code) for code in codes)


def require_site_perm(*codes: str) -> Callable[[ViewFunc], ViewFunc]:
    """View decorator: anonymous users go to sign-in, others need one of ``codes``."""

    def decorator(view: ViewFunc) -> ViewFunc:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not has_any_site_perm(request.user, *codes):
                raise PermissionDenied(_("You do not have permission to see this page."))
            return view(request, *args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator


def acting_user(request: HttpRequest) -> User:
    """The signed-in user behind a request that a permission decorator already admitted."""
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied(_("Sign in first."))
    return user


# --- Queryset filters ----------------------------------------------------------------------


def users_visible_to(user: Any) -> Q:
    """People a user may list and open: everyone for user or role managers, else themself."""
    if has_any_site_perm(user, "user.manage", "role.assign"):
        return Q()
    if getattr(user, "is_authenticated", False):
        return Q(pk=user.pk)
    return Q(pk__in=[])


def roles_visible_to(user: Any) -> Q:
    if has_any_site_perm(user, "user.manage", "role.assign"):
        return Q()
    return Q(pk__in=[])


def can_manage_roles(user: Any) -> bool:
    return has_site_perm(user, "role.assign")


def can_grant(actor: Any, role: Role) -> bool:
    """No escalation: a role can be granted only by someone who holds all its permissions."""
    if actor is None:  # the CLI and system jobs act as the operator
        return True
    held = site_permissions(actor)
    return has_site_perm(actor, "role.assign") and set(role.permissions) <= held
