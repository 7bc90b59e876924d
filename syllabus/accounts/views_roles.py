"""People and roles pages: who holds which site role, and custom roles."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from syllabus.accounts.forms import GrantRoleForm, PeopleSearchForm, RoleForm
from syllabus.accounts.models import PersonalDetails, Role, RoleAssignment, User
from syllabus.accounts.permissions import (
    acting_user,
    can_grant,
    can_manage_roles,
    has_site_perm,
    require_site_perm,
    roles_visible_to,
    users_visible_to,
)
from syllabus.accounts.profile import (
    can_view_personal_details,
    personal_details_matching_id,
    personal_details_reveal,
)
from syllabus.accounts.roles import PERMISSIONS, SITE, permission_label, role_description
from syllabus.accounts.sensitive import sensitive_action
from syllabus.accounts.services import (
    role_create,
    role_delete,
    role_grant,
    role_revoke,
    role_update,
)
from syllabus.core.forms import add_service_errors

PAGE_SIZE = 25


@require_site_perm("user.manage", "role.assign")
def people(request: HttpRequest) -> HttpResponse:
    form = PeopleSearchForm(request.GET)
    users = User.objects.filter(users_visible_to(request.user)).prefetch_related(
        Prefetch("role_assignments", queryset=RoleAssignment.objects.select_related("role"))
    )
    by_id_number = has_site_perm(request.user, "user.manage")
    if form.is_valid():
        if query := form.cleaned_data["q"].strip():
            match = Q(email__icontains=query) | Q(full_name__icontains=query)
            if by_id_number:  # the exact id number, through its blind index
                match |= Q(pk__in=personal_details_matching_id(query).values("user_id"))
            users = users.filter(match)
        if role := form.cleaned_data["role"]:
            users = users.filter(role_assignments__role__slug=role)
    page = Paginator(users.order_by("email"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "accounts/people.html",
        {
            "form": form,
            "page": page,
            "roles": Role.objects.filter(scope=SITE),
            "querystring": _without_page(request),
            "search_label": "Search by name, email or id number"
            if by_id_number
            else "Search by name or email",
        },
    )


@require_site_perm("user.manage", "role.assign")
def person(request: HttpRequest, public_id: str) -> HttpResponse:
    person = get_object_or_404(
        User.objects.filter(users_visible_to(request.user)), public_id=public_id
    )
    held = RoleAssignment.objects.filter(user=person).select_related("role", "granted_by")
    grantable = [
        role
        for role in Role.objects.filter(scope=SITE).exclude(assignments__user=person)
        if can_grant(request.user, role)
    ]
    form = GrantRoleForm(roles=Role.objects.filter(pk__in=[r.pk for r in grantable]))
    # Personal details (encrypted) for user.manage holders, shown on request and audited.
    can_see_details = can_view_personal_details(acting_user(request), person)
    has_details = can_see_details and PersonalDetails.objects.filter(user=person).exists()
    details = None
    if has_details and request.GET.get("show") == "details":
        details = personal_details_reveal(viewer=acting_user(request), person=person)
    return render(
        request,
        "accounts/person.html",
        {
            "person": person,
            "can_see_details": can_see_details,
            "details": details,
            "has_details": has_details,
            "assignments": held,
            "grant_form": form,
            "can_assign": can_manage_roles(request.user),
            "can_reset_mfa": has_site_perm(request.user, "user.manage"),
            "history": person.history.all()[:20],
        },
    )


@require_POST
@require_site_perm("role.assign")
@sensitive_action
def person_grant(request: HttpRequest, public_id: str) -> HttpResponse:
    person = get_object_or_404(
        User.objects.filter(users_visible_to(request.user)), public_id=public_id
    )
    form = GrantRoleForm(
        request.POST, roles=Role.objects.filter(roles_visible_to(request.user), scope=SITE)
    )
    if not form.is_valid():
        messages.error(request, _("Choose a role to grant."))
        return redirect("accounts:person", public_id=public_id)
    role = form.cleaned_data["role"]
    try:
        role_grant(actor=acting_user(request), user=person, role=role)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _message(exc))
    else:
        messages.success(
            request, _("%(email)s is now %(role)s.") % {"email": person.email, "role": role.name}
        )
    return redirect("accounts:person", public_id=public_id)


@require_http_methods(["GET", "POST"])
@require_site_perm("role.assign")
@sensitive_action
def person_revoke(request: HttpRequest, public_id: str, role_slug: str) -> HttpResponse:
    person = get_object_or_404(
        User.objects.filter(users_visible_to(request.user)), public_id=public_id
    )
    role = get_object_or_404(Role, slug=role_slug, scope=SITE)
    if request.method == "GET":  # confirmation step
        return render(request, "accounts/confirm_revoke.html", {"person": person, "role": role})
    try:
        removed = role_revoke(actor=acting_user(request), user=person, role=role)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _message(exc))
    else:
        if removed:
            messages.success(
                request,
                _("%(email)s no longer holds %(role)s.")
                % {"email": person.email, "role": role.name},
            )
    return redirect("accounts:person", public_id=public_id)


@require_site_perm("user.manage", "role.assign")
def roles(request: HttpRequest) -> HttpResponse:
    listed = list(
        Role.objects.filter(roles_visible_to(request.user)).annotate(holders=Count("assignments"))
    )
    for role in listed:  # shown in the page's language when it is a built-in role's own text
        role.description_text = role_description(slug=role.slug, description=role.description)  # type: ignore[attr-defined]
    return render(
        request,
        "accounts/roles.html",
        {
            "roles": listed,
            "permissions": {code: permission_label(code) for code in PERMISSIONS},
            "can_assign": can_manage_roles(request.user),
        },
    )


@require_http_methods(["GET", "POST"])
@require_site_perm("role.assign")
@sensitive_action
def role_new(request: HttpRequest) -> HttpResponse:
    form = RoleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        saved = _save_role(
            request,
            form,
            lambda: role_create(actor=acting_user(request), **form.cleaned_data),
            "Role {name} created.",
        )
        if saved:
            return saved
    return render(
        request, "accounts/role_form.html", {"form": form, "role": None}, status=_status(form)
    )


@require_http_methods(["GET", "POST"])
@require_site_perm("role.assign")
@sensitive_action
def role_edit(request: HttpRequest, slug: str) -> HttpResponse:
    role = get_object_or_404(Role, slug=slug, scope=SITE, is_builtin=False)
    initial = {"name": role.name, "description": role.description, "permissions": role.permissions}
    form = RoleForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if "delete" in request.POST:
            try:
                role_delete(actor=acting_user(request), role=role)
            except ValidationError as exc:
                messages.error(request, _message(exc))
                return redirect("accounts:role_edit", slug=slug)
            messages.success(request, _("Role %(role)s deleted.") % {"role": role.name})
            return redirect("accounts:roles")
        if form.is_valid():
            saved = _save_role(
                request,
                form,
                lambda: role_update(actor=acting_user(request), role=role, **form.cleaned_data),
                "Role {name} saved.",
            )
            if saved:
                return saved
    return render(
        request, "accounts/role_form.html", {"form": form, "role": role}, status=_status(form)
    )


def _status(form: RoleForm) -> int:
    return 400 if form.is_bound and form.errors else 200


def _message(exc: ValidationError | PermissionDenied) -> str:
    return " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)


def _save_role(
    request: HttpRequest, form: RoleForm, save: Callable[[], Role], done: str
) -> HttpResponse | None:
    """Run a role service for a valid form: redirect on success, else errors on the form."""
    try:
        role = save()
    except ValidationError as exc:
        add_service_errors(form, exc)
    except PermissionDenied as exc:
        form.add_error("permissions", str(exc))
    else:
        messages.success(request, done.format(name=role.name))
        return redirect("accounts:roles")
    return None


def _without_page(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()
