from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError

from syllabus.accounts.models import Role, RoleAssignment, User
from syllabus.accounts.permissions import has_site_perm
from syllabus.accounts.roles import BUILTIN_ROLES, PERMISSIONS
from syllabus.accounts.services import role_grant, role_revoke, user_create
from syllabus.audit.models import AuditEvent
from syllabus.ops.demo.content import DEMO_PEOPLE
from syllabus.ops.management.commands.demo import DEMO_PASSWORD, DEMO_USERS

pytestmark = pytest.mark.django_db

STRONG = "Tall-Maple-Orbit-42"


def test_user_has_a_random_public_id_not_the_sequential_pk():
    first = user_create(actor=None, email="A@Example.org", password=STRONG)
    second = user_create(actor=None, email="b@example.org", password=STRONG)
    assert first.email == "a@example.org"
    assert first.public_id.startswith("usr_")
    assert len(first.public_id) == 20
    assert first.public_id != second.public_id


def test_email_is_unique_whatever_its_case():
    user_create(actor=None, email="sam@example.org", password=STRONG)
    with pytest.raises(ValidationError, match="already exists"):
        user_create(actor=None, email="SAM@example.org", password=STRONG)
    with pytest.raises(IntegrityError):
        User.objects.create(email="SAM@EXAMPLE.ORG")


def test_user_create_refuses_a_weak_password_and_writes_nothing():
    with pytest.raises(ValidationError):
        user_create(actor=None, email="weak@example.org", password="short")
    assert not User.objects.filter(email="weak@example.org").exists()
    assert not AuditEvent.objects.exists()


def test_user_create_is_audited_and_kept_in_history():
    user = user_create(actor=None, email="h@example.org", password=STRONG, full_name="H")
    assert AuditEvent.objects.filter(action="user.created", target_id=user.public_id).exists()
    assert user.history.count() == 1
    assert not hasattr(user.history.first(), "password")


def test_builtin_roles_exist_with_known_permissions():
    roles = {role.slug: role for role in Role.objects.all()}
    for spec in BUILTIN_ROLES:
        assert roles[spec.slug].permissions == list(spec.permissions)
        assert roles[spec.slug].is_builtin
        assert set(spec.permissions) <= set(PERMISSIONS)


def test_role_grant_and_revoke_are_audited_and_change_permissions(learner, admin_user):
    manager = Role.objects.get(slug="manager")
    assert not has_site_perm(learner, "enrolment.manage")

    role_grant(actor=admin_user, user=learner, role=manager)
    role_grant(actor=admin_user, user=learner, role=manager)  # idempotent
    learner = User.objects.get(pk=learner.pk)  # fresh object: no cached permissions
    assert has_site_perm(learner, "enrolment.manage")
    assert not has_site_perm(learner, "backup.run")
    assert AuditEvent.objects.filter(action="role.granted").count() == 1
    assert RoleAssignment.history.filter(user=learner).count() == 1

    assert role_revoke(actor=admin_user, user=learner, role=manager)
    learner = User.objects.get(pk=learner.pk)
    assert not has_site_perm(learner, "enrolment.manage")
    assert AuditEvent.objects.filter(action="role.removed").count() == 1


def test_course_roles_cannot_be_granted_site_wide(learner):
    with pytest.raises(ValidationError, match="course role"):
        role_grant(actor=None, user=learner, role=Role.objects.get(slug="instructor"))
    assert not RoleAssignment.objects.exists()


def test_custom_role_refuses_unknown_permissions():
    role = Role(slug="x", name="X", scope="site", permissions=["course.create", "launch.rockets"])
    with pytest.raises(ValidationError, match="launch.rockets"):
        role.full_clean()


def test_demo_is_idempotent_and_prints_logins():
    first, second = io.StringIO(), io.StringIO()
    call_command("demo", stdout=first)
    users_after_first = User.objects.count()
    events_after_first = AuditEvent.objects.count()
    call_command("demo", stdout=second)

    assert users_after_first == len(DEMO_USERS) + len(DEMO_PEOPLE)
    assert User.objects.count() == users_after_first
    assert AuditEvent.objects.count() == events_after_first
    assert RoleAssignment.objects.count() == 5
    for email, *_ in DEMO_USERS:
        assert email in second.getvalue()
    assert DEMO_PASSWORD in second.getvalue()
    admin = User.objects.get(email="admin@example.com")
    assert admin.is_superuser and admin.check_password(DEMO_PASSWORD)


def test_demo_remove_deactivates_the_demo_accounts_audited_and_demo_brings_them_back():
    call_command("demo", stdout=io.StringIO())
    call_command("demo", "--remove", stdout=io.StringIO())
    assert not User.objects.filter(is_active=True).exists()
    demo_accounts = len(DEMO_USERS) + len(DEMO_PEOPLE)
    assert AuditEvent.objects.filter(action="user.deactivated").count() == demo_accounts
    call_command("demo", stdout=io.StringIO())
    assert User.objects.filter(is_active=True).count() == demo_accounts


def test_createadmin_from_a_password_file(tmp_path):
    secret = tmp_path / "pw"
    secret.write_text(STRONG + "\n")
    out = io.StringIO()
    call_command(
        "createadmin", "--email", "root@example.org", "--password-file", str(secret), stdout=out
    )
    admin = User.objects.get(email="root@example.org")
    assert admin.is_superuser and admin.check_password(STRONG)
    assert admin.role_assignments.filter(role__slug="admin").exists()
    assert "Administrator root@example.org created." in out.getvalue()


@pytest.mark.parametrize(
    ("email", "password", "message"),
    [
        ("not-an-email", STRONG, "is not a valid email address"),
        ("ok@example.org", "password", "too short"),
    ],
)
def test_createadmin_refuses_bad_input_and_writes_nothing(tmp_path, email, password, message):
    secret = tmp_path / "pw"
    secret.write_text(password)
    with pytest.raises(CommandError, match=message):
        call_command("createadmin", "--email", email, "--password-file", str(secret))
    assert not User.objects.exists()
    assert not AuditEvent.objects.exists()


def test_passwords_are_hashed_with_argon2id(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    user = user_create(actor=None, email="argon@example.org", password=STRONG)
    assert user.password.startswith("argon2$argon2id$")
