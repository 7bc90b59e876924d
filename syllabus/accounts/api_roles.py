"""People and roles over the API: the same services and permission layer as the pages."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch, Q
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from syllabus.accounts.models import Role, RoleAssignment, User
from syllabus.accounts.permissions import roles_visible_to, users_visible_to
from syllabus.accounts.roles import PERMISSIONS, SITE
from syllabus.accounts.sensitive import api_require_recent_mfa
from syllabus.accounts.services import role_create, role_grant, role_revoke
from syllabus.accounts.tokens import api_has_perm
from syllabus.core.api_schemas import Error

router = Router(tags=["people and roles"])


class RoleOut(Schema):
    slug: str
    name: str
    scope: str
    description: str
    permissions: list[str]
    is_builtin: bool
    holders: int | None = Field(None, description="Site roles only: how many people hold it.")


class RoleCreate(Schema):
    name: str = Field(..., min_length=1, max_length=100)
    description: str = Field("", max_length=300)
    permissions: list[str] = Field(..., min_length=1, description="Codes from the catalog.")


class RoleGrant(Schema):
    role: str = Field(..., description="The slug of a site role, e.g. auditor.")


class PersonOut(Schema):
    public_id: str
    email: str
    full_name: str
    is_active: bool
    date_joined: datetime
    site_roles: list[str]


class PeopleQuery(Schema):
    q: str = Field("", max_length=200, description="Part of a name or email.")
    role: str = Field("", max_length=64, description="Only holders of this site role.")
    page: int = Field(1, ge=1)


class PeoplePage(Schema):
    count: int
    page: int
    pages: int
    results: list[PersonOut]


PAGE_SIZE = 50
_ERRORS: dict[int, Any] = {401: Error, 403: Error, 429: Error}


def _require(request: HttpRequest, *codes: str) -> None:
    if not any(api_has_perm(request, code) for code in codes):
        raise PermissionDenied(
            _("This needs one of these permissions: %(codes)s.") % {"codes": ", ".join(codes)}
        )


def _person(user: User) -> dict[str, Any]:
    return {
        "public_id": user.public_id,
        "email": user.email,
        "full_name": user.full_name,
        "is_active": user.is_active,
        "date_joined": user.date_joined,
        "site_roles": sorted(a.role.slug for a in user.role_assignments.all()),
    }


def _people() -> Any:
    return User.objects.prefetch_related(
        Prefetch("role_assignments", queryset=RoleAssignment.objects.select_related("role"))
    )


def _visible_person(request: HttpRequest, public_id: str) -> User:
    person = _people().filter(users_visible_to(request.user), public_id=public_id).first()
    if person is None:
        raise Http404
    return person


@router.get(
    "/roles", response={200: list[RoleOut], **_ERRORS}, summary="Roles and their permissions"
)
def list_roles(request: HttpRequest) -> Any:
    _require(request, "user.manage", "role.assign")
    roles = Role.objects.filter(roles_visible_to(request.user)).annotate(count=Count("assignments"))
    return [
        {**_role(role), "holders": role.count if role.scope == SITE else None} for role in roles
    ]


def _role(role: Role) -> dict[str, Any]:
    return {
        "slug": role.slug,
        "name": role.name,
        "scope": role.scope,
        "description": role.description,
        "permissions": list(role.permissions),
        "is_builtin": role.is_builtin,
    }


@router.post(
    "/roles",
    response={201: RoleOut, 422: Error, **_ERRORS},
    summary="Create a custom site role from the permission catalog",
    description=f"A sensitive action (recent MFA). Permission codes: {', '.join(PERMISSIONS)}.",
)
def create_role(request: HttpRequest, payload: RoleCreate) -> Any:
    _require(request, "role.assign")
    api_require_recent_mfa(request)
    role = role_create(
        actor=request.user,  # type: ignore[arg-type]
        name=payload.name,
        description=payload.description,
        permissions=payload.permissions,
    )
    return Status(201, {**_role(role), "holders": 0})


@router.get("/people", response={200: PeoplePage, **_ERRORS}, summary="People and their site roles")
def list_people(request: HttpRequest, filters: Query[PeopleQuery]) -> Any:
    _require(request, "user.manage", "role.assign")
    people = _people().filter(users_visible_to(request.user))
    if filters.q.strip():
        people = people.filter(Q(email__icontains=filters.q) | Q(full_name__icontains=filters.q))
    if filters.role:
        people = people.filter(role_assignments__role__slug=filters.role)
    count = people.count()
    start = (filters.page - 1) * PAGE_SIZE
    return {
        "count": count,
        "page": filters.page,
        "pages": max(1, -(-count // PAGE_SIZE)),
        "results": [_person(p) for p in people.order_by("email")[start : start + PAGE_SIZE]],
    }


@router.get(
    "/people/{public_id}", response={200: PersonOut, 404: Error, **_ERRORS}, summary="One person"
)
def get_person(request: HttpRequest, public_id: str) -> Any:
    _require(request, "user.manage", "role.assign")
    return _person(_visible_person(request, public_id))


@router.post(
    "/people/{public_id}/roles",
    response={200: PersonOut, 404: Error, 422: Error, **_ERRORS},
    summary="Grant a site role (sensitive: recent MFA)",
)
def grant_role(request: HttpRequest, public_id: str, payload: RoleGrant) -> Any:
    _require(request, "role.assign")
    api_require_recent_mfa(request)
    person = _visible_person(request, public_id)
    role = Role.objects.filter(slug=payload.role).first()
    if role is None:
        raise Http404
    role_grant(actor=request.user, user=person, role=role)  # type: ignore[arg-type]
    return _person(_visible_person(request, public_id))


@router.delete(
    "/people/{public_id}/roles/{slug}",
    response={200: PersonOut, 404: Error, 422: Error, **_ERRORS},
    summary="Remove a site role (sensitive: recent MFA)",
)
def revoke_role(request: HttpRequest, public_id: str, slug: str) -> Any:
    _require(request, "role.assign")
    api_require_recent_mfa(request)
    person = _visible_person(request, public_id)
    role = Role.objects.filter(slug=slug, scope=SITE).first()
    if role is None:
        raise Http404
    role_revoke(actor=request.user, user=person, role=role)  # type: ignore[arg-type]
    return _person(_visible_person(request, public_id))
