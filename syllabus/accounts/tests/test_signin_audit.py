"""Password reset and change, profile, and the audit events of sign-in and the admin site."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.contrib.admin.models import LogEntry
from django.core import mail
from django.test import Client
from django.utils import timezone

from syllabus.accounts.models import Role, RoleAssignment, User
from syllabus.audit.models import AuditEvent
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Quiet-River-Stone-58"


def reset_link(client: Client, email: str, capture) -> str:
    with capture(execute=True) as callbacks:
        response = client.post("/accounts/password/reset/", {"email": email})
    assert response.status_code == 302
    assert len(callbacks) == 1, "the email is queued on commit"
    body = str(mail.outbox[-1].body)
    match = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+)", body)
    assert match, body
    return match.group(1)


def choose_password(client: Client, link: str, password: str = NEW_PASSWORD):
    """Follow the emailed link (allauth moves the key into the session) and submit."""
    page = client.get(link, follow=True)
    action = page.redirect_chain[-1][0] if page.redirect_chain else link
    return client.post(action, {"password1": password, "password2": password})


# --- Password reset ----------------------------------------------------------------------------


def test_password_reset_by_emailed_link_is_single_use_and_audited(
    client, learner, django_capture_on_commit_callbacks
):
    EmailAddress.objects.filter(user=learner).update(verified=False)
    link = reset_link(client, learner.email, django_capture_on_commit_callbacks)
    assert mail.outbox[-1].to == [learner.email]

    response = choose_password(client, link)

    assert response.status_code == 302
    learner.refresh_from_db()
    assert learner.check_password(NEW_PASSWORD)
    assert AuditEvent.objects.filter(action="auth.password_reset", actor=learner).count() == 1
    assert EmailAddress.objects.get(user=learner).verified, "the link proved the address"

    # the same link again: refused, the password stays
    again = Client()
    page = again.get(link, follow=True)
    assert page.status_code == 400
    assert "This password-reset link is not valid" in page.content.decode()
    choose_password(again, link, "Another-Good-Pass-77")
    learner.refresh_from_db()
    assert learner.check_password(NEW_PASSWORD)
    assert AuditEvent.objects.filter(action="auth.password_reset").count() == 1


def test_an_expired_reset_link_is_refused(
    client, learner, settings, django_capture_on_commit_callbacks
):
    assert settings.PASSWORD_RESET_TIMEOUT == 60 * 60
    link = reset_link(client, learner.email, django_capture_on_commit_callbacks)
    with time_machine.travel(timezone.now() + timedelta(minutes=61), tick=False):
        page = Client().get(link, follow=True)
        choose_password(Client(), link)
    assert page.status_code == 400
    assert "This password-reset link is not valid" in page.content.decode()
    learner.refresh_from_db()
    assert learner.check_password(PASSWORD)
    assert not AuditEvent.objects.filter(action="auth.password_reset").exists()


def test_a_reset_for_an_unknown_address_looks_the_same_and_sends_nothing_useful(
    client, learner, django_capture_on_commit_callbacks
):
    known = client.post("/accounts/password/reset/", {"email": learner.email}, follow=True)
    with django_capture_on_commit_callbacks(execute=True):
        unknown = client.post(
            "/accounts/password/reset/", {"email": "nobody@example.org"}, follow=True
        )
    assert known.status_code == unknown.status_code == 200
    assert known.redirect_chain == unknown.redirect_chain
    assert all(
        "/accounts/password/reset/key/" not in m.body
        for m in mail.outbox
        if m.to == ["nobody@example.org"]
    )


def test_a_forged_reset_link_is_refused(client, learner):
    page = client.get("/accounts/password/reset/key/zz-forged-token/", follow=True)
    assert "This password-reset link is not valid" in page.content.decode()


# --- Password change, profile ------------------------------------------------------------------


def test_password_change_is_audited_and_the_new_password_works(client, learner):
    client.force_login(learner)
    response = client.post(
        "/accounts/password/change/",
        {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    learner.refresh_from_db()
    assert learner.check_password(NEW_PASSWORD)
    event = AuditEvent.objects.get(action="auth.password_changed")
    assert event.actor == learner
    assert event.category == "authentication"
    assert NEW_PASSWORD not in json.dumps(event.details)


def test_profile_page_changes_the_name_and_audits_it(client, learner):
    client.force_login(learner)
    page = client.get("/account/profile/")
    assert page.status_code == 200
    assert 'value="Lena Learner"' in page.content.decode()

    response = client.post("/account/profile/", {"full_name": "  Lena   Lerner "})

    assert response.status_code == 302
    learner.refresh_from_db()
    assert learner.full_name == "Lena Lerner"
    event = AuditEvent.objects.get(action="user.updated")
    assert event.details == {"field": "full_name", "before": "Lena Learner", "after": "Lena Lerner"}


def test_profile_refuses_a_too_long_name_with_the_error_on_the_field(client, learner):
    client.force_login(learner)
    response = client.post("/account/profile/", {"full_name": "x" * 201})
    assert response.status_code == 400
    html = response.content.decode()
    match = re.search(r'<input[^>]*name="full_name"[^>]*>', html)
    assert match
    field = match.group(0)
    assert 'aria-invalid="true"' in field
    assert "id_full_name_error" in field
    learner.refresh_from_db()
    assert learner.full_name == "Lena Learner"


def test_profile_and_security_pages_need_a_signed_in_user(client, learner):
    for url in ("/account/profile/", "/account/security/"):
        assert client.get(url).status_code == 302
    client.force_login(learner)
    security = client.get("/account/security/").content.decode()
    assert 'href="/accounts/password/change/"' in security
    nav = client.get("/").content.decode()
    assert 'href="/account/profile/"' in nav
    assert 'href="/account/security/"' in nav


# --- Sign-in audit events ----------------------------------------------------------------------


def test_sign_in_sign_out_and_a_failure_are_audited_without_the_password(client, learner):
    client.post("/accounts/login/", {"login": learner.email, "password": "Wrong-Password-11"})
    client.post("/accounts/login/", {"login": learner.email, "password": PASSWORD})
    client.post("/accounts/logout/")

    actions = list(AuditEvent.objects.order_by("id").values_list("action", flat=True))
    assert actions == ["auth.login_failed", "auth.login", "auth.logout"]
    failed = AuditEvent.objects.get(action="auth.login_failed")
    assert failed.details["email"] == learner.email
    assert failed.actor is None
    assert failed.ip == "127.0.0.1"
    assert AuditEvent.objects.get(action="auth.login").actor == learner
    assert AuditEvent.objects.get(action="auth.logout").actor == learner
    stored = json.dumps(list(AuditEvent.objects.values("details")))
    assert "Wrong-Password-11" not in stored
    assert PASSWORD not in stored
    assert set(AuditEvent.objects.values_list("category", flat=True)) == {"authentication"}


def test_sign_out_needs_a_post(client, learner):
    client.force_login(learner)
    page = client.get("/accounts/logout/")
    assert page.status_code == 200
    assert "_auth_user_id" in client.session
    assert not AuditEvent.objects.filter(action="auth.logout").exists()


# --- The Django admin --------------------------------------------------------------------------


def test_every_change_in_the_admin_is_an_admin_action_event(client, admin_user, learner):
    client.force_login(admin_user)
    url = f"/admin/accounts/user/{learner.pk}/change/"
    form = {
        "email": learner.email,
        "full_name": "Renamed In Admin",
        "is_active": "on",
        "role_assignments-TOTAL_FORMS": "0",
        "role_assignments-INITIAL_FORMS": "0",
        "role_assignments-MIN_NUM_FORMS": "0",
        "role_assignments-MAX_NUM_FORMS": "1000",
    }
    response = client.post(url, form)
    assert response.status_code == 302, response.content.decode()[:2000]

    entry = LogEntry.objects.get()
    event = AuditEvent.objects.get(action="admin.action")
    assert event.actor == admin_user
    assert event.category == "admin_action"
    assert event.details["object_type"] == "accounts.user"
    assert event.details["object_id"] == str(learner.pk)
    assert event.details["action"] == "changed"
    assert event.details["change_message"] == entry.get_change_message()
    assert "Full name" in event.details["change_message"]


def test_deleting_several_objects_at_once_in_the_admin_is_audited_per_object(client, admin_user):
    doomed = [UserFactory.create(email=f"doomed{n}@example.org") for n in range(3)]
    client.force_login(admin_user)
    response = client.post(
        "/admin/accounts/user/",
        {
            "action": "delete_selected",
            "_selected_action": [str(u.pk) for u in doomed],
            "post": "yes",
        },
    )
    assert response.status_code == 302
    assert not User.objects.filter(email__startswith="doomed").exists()
    events = AuditEvent.objects.filter(action="admin.action")
    assert sorted(e.details["object"] for e in events) == [u.email for u in doomed]
    assert {e.details["action"] for e in events} == {"deleted"}


def test_a_role_granted_in_the_admin_is_audited_once_and_removed_too(client, admin_user, learner):
    manager = Role.objects.get(slug="manager")
    client.force_login(admin_user)
    url = f"/admin/accounts/user/{learner.pk}/change/"
    base = {"email": learner.email, "full_name": learner.full_name, "is_active": "on"}
    inline = {
        "role_assignments-TOTAL_FORMS": "1",
        "role_assignments-INITIAL_FORMS": "0",
        "role_assignments-MIN_NUM_FORMS": "0",
        "role_assignments-MAX_NUM_FORMS": "1000",
        "role_assignments-0-role": str(manager.pk),
        "role_assignments-0-user": str(learner.pk),
    }
    assert client.post(url, {**base, **inline}).status_code == 302
    assignment = RoleAssignment.objects.get(user=learner, role=manager)
    granted = AuditEvent.objects.filter(action="role.granted", target_id=learner.public_id)
    assert granted.count() == 1
    assert granted.get().actor == admin_user
    assert assignment.granted_by == admin_user

    remove = {
        "role_assignments-TOTAL_FORMS": "1",
        "role_assignments-INITIAL_FORMS": "1",
        "role_assignments-MIN_NUM_FORMS": "0",
        "role_assignments-MAX_NUM_FORMS": "1000",
        "role_assignments-0-id": str(assignment.pk),
        "role_assignments-0-role": str(manager.pk),
        "role_assignments-0-user": str(learner.pk),
        "role_assignments-0-DELETE": "on",
    }
    assert client.post(url, {**base, **remove}).status_code == 302
    assert not RoleAssignment.objects.filter(user=learner).exists()
    assert (
        AuditEvent.objects.filter(action="role.removed", target_id=learner.public_id).count() == 1
    )
