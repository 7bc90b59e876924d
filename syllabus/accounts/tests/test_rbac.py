"""Roles and permissions: the permission layer and the services that change roles."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from syllabus.accounts.models import Role, RoleAssignment, User
from syllabus.accounts.permissions import (
    can_grant,
    has_site_perm,
    require_site_perm,
    site_permissions,
    users_visible_to,
)
from syllabus.accounts.roles import PERMISSIONS
from syllabus.accounts.services import (
    role_create,
    role_delete,
    role_grant,
    role_revoke,
    role_update,
)
from syllabus.audit.models import AuditEvent
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def fresh(user: User) -> User:
    return User.objects.get(pk=user.pk)


def test_superuser_holds_every_permission(admin_user):
    assert site_permissions(admin_user) == frozenset(PERMISSIONS)


def test_inactive_users_hold_nothing():
    user = UserFactory(site_roles=["admin"], is_active=False)
    assert site_permissions(user) == frozenset()


def test_unknown_permission_code_is_a_programming_error(learner):
    with pytest.raises(ValueError, match="Unknown permission 'course.fly'"):
        has_site_perm(learner, "course.fly")


def test_a_manager_cannot_grant_admin_no_escalation():
    manager = UserFactory(site_roles=["manager"])
    target = UserFactory()
    admin_role = Role.objects.get(slug="admin")
    assert not can_grant(manager, admin_role)
    with pytest.raises(PermissionDenied, match="permissions you do not hold"):
        role_grant(actor=manager, user=target, role=admin_role)
    assert not RoleAssignment.objects.filter(user=target).exists()
    assert not AuditEvent.objects.filter(action="role.granted").exists()


def test_a_role_assigner_can_grant_roles_within_their_permissions():
    assigner = UserFactory(site_roles=["admin"])
    target = UserFactory()
    role_grant(actor=assigner, user=target, role=Role.objects.get(slug="auditor"))
    assert has_site_perm(fresh(target), "grade.view")


def test_the_last_administrator_cannot_be_removed(admin_user):
    admin_user.is_superuser = False
    admin_user.save()
    with pytest.raises(ValidationError, match="last active administrator"):
        role_revoke(actor=None, user=admin_user, role=Role.objects.get(slug="admin"))
    assert RoleAssignment.objects.filter(user=admin_user, role__slug="admin").exists()


def test_deactivated_accounts_get_no_roles():
    user = UserFactory(is_active=False)
    with pytest.raises(ValidationError, match="deactivated"):
        role_grant(actor=None, user=user, role=Role.objects.get(slug="auditor"))


def test_custom_role_lifecycle_is_audited(admin_user):
    role = role_create(
        actor=admin_user,
        name="Gradebook reviewer",
        permissions=["grade.view", "course.view_learners"],
        description="Reads grades for moderation.",
    )
    assert role.slug == "gradebook_reviewer"
    assert role.scope == "site"
    assert not role.is_builtin
    user = UserFactory()
    role_grant(actor=admin_user, user=user, role=role)
    assert has_site_perm(fresh(user), "grade.view")

    role_update(actor=admin_user, role=role, name="Grade reviewer", permissions=["grade.view"])
    assert not has_site_perm(fresh(user), "course.view_learners")

    with pytest.raises(ValidationError, match="Remove this role from everyone"):
        role_delete(actor=admin_user, role=role)
    role_revoke(actor=admin_user, user=user, role=role)
    role_delete(actor=admin_user, role=role)
    assert not Role.objects.filter(pk=role.pk).exists()
    actions = list(
        AuditEvent.objects.filter(action__startswith="role.")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == [
        "role.created",
        "role.granted",
        "role.updated",
        "role.removed",
        "role.deleted",
    ]


@pytest.mark.parametrize(
    ("name", "permissions", "message"),
    [
        ("", ["grade.view"], "Give the role a name"),
        ("Administrator", ["grade.view"], "already exists"),
        ("Nothing", [], "at least one permission"),
        ("Bad", ["grade.view", "rockets.launch"], "rockets.launch"),
    ],
)
def test_custom_role_bad_input_writes_nothing(admin_user, name, permissions, message):
    count = Role.objects.count()
    with pytest.raises(ValidationError, match=message):
        role_create(actor=admin_user, name=name, permissions=permissions)
    assert Role.objects.count() == count
    assert not AuditEvent.objects.filter(action="role.created").exists()


def test_a_custom_role_cannot_carry_permissions_its_creator_lacks():
    officer = UserFactory(site_roles=["security_officer"])
    with pytest.raises(PermissionDenied):
        role_create(actor=officer, name="Backup team", permissions=["backup.run"])


def test_builtin_roles_cannot_be_changed_or_deleted(admin_user):
    admin_role = Role.objects.get(slug="admin")
    with pytest.raises(ValidationError, match="Built-in"):
        role_update(actor=admin_user, role=admin_role, name="x", permissions=["grade.view"])
    with pytest.raises(ValidationError, match="Built-in"):
        role_delete(actor=admin_user, role=admin_role)


def test_user_list_filter_matches_the_detail_rule(admin_user, learner, outsider):
    visible_to_learner = User.objects.filter(users_visible_to(learner))
    assert list(visible_to_learner) == [learner]
    assert User.objects.filter(users_visible_to(admin_user)).count() == 3


def test_require_site_perm_redirects_anonymous_and_refuses_others(rf, learner, admin_user):
    from django.contrib.auth.models import AnonymousUser
    from django.http import HttpResponse

    @require_site_perm("user.manage")
    def view(request):
        return HttpResponse("ok")

    request = rf.get("/secret/")
    request.user = AnonymousUser()
    assert view(request).status_code == 302
    request.user = learner
    with pytest.raises(PermissionDenied):
        view(request)
    request.user = admin_user
    assert view(request).content == b"ok"


def test_cli_grants_lists_and_revokes_roles(learner):
    from django.core.management import call_command

    out = io.StringIO()
    call_command(
        "roles", "grant", "--email", "LEARNER@example.org", "--role", "auditor", stdout=out
    )
    assert "learner@example.org now holds Auditor." in out.getvalue()
    assert has_site_perm(fresh(learner), "grade.view")
    listing = io.StringIO()
    call_command("roles", "list", stdout=listing)
    assert "auditor" in listing.getvalue()
    assert "1 holders" in listing.getvalue()
    call_command(
        "roles", "revoke", "--email", "learner@example.org", "--role", "auditor", stdout=out
    )
    assert not RoleAssignment.objects.filter(user=learner).exists()
    assert AuditEvent.objects.filter(action__in=["role.granted", "role.removed"]).count() == 2


def test_cli_refuses_unknown_people_and_roles(learner):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No account with the email"):
        call_command("roles", "grant", "--email", "nobody@example.org", "--role", "auditor")
    with pytest.raises(CommandError, match="No role 'wizard'"):
        call_command("roles", "grant", "--email", "learner@example.org", "--role", "wizard")
    with pytest.raises(CommandError, match="course role"):
        call_command("roles", "grant", "--email", "learner@example.org", "--role", "learner")
    assert not AuditEvent.objects.exists()


def test_cli_creates_a_custom_role():
    from django.core.management import call_command

    call_command(
        "roles", "create", "--name", "Exporter", "--permission", "export.run", stdout=io.StringIO()
    )
    assert Role.objects.get(slug="exporter").permissions == ["export.run"]
