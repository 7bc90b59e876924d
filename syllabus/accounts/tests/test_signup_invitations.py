"""Self sign-up (open, invite, off), email verification, and invitations."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client
from django.utils import timezone

from syllabus.accounts.invitations import invitation_create
from syllabus.accounts.models import Invitation, Role, RoleAssignment, User
from syllabus.audit.models import AuditEvent
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Quiet-River-Stone-58"


def signup_data(email: str, **extra: str) -> dict[str, str]:
    return {
        "full_name": "Nora New",
        "email": email,
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
        **extra,
    }


def link_in(message) -> str:
    match = re.search(r"https?://\S+", str(message.body))
    assert match, message.body
    return match.group(0)


def path_of(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


@pytest.fixture
def manager():
    return UserFactory.create(
        email="manager@example.org", full_name="Mo Manager", site_roles=["manager"]
    )


@pytest.fixture
def invite(admin_user, django_capture_on_commit_callbacks):
    """Send an invitation as the admin; returns (invitation, link path)."""

    def send(email: str = "invitee@example.org", role: str | None = None):
        with django_capture_on_commit_callbacks(execute=True):
            invitation, token = invitation_create(
                actor=admin_user,
                email=email,
                role=Role.objects.get(slug=role) if role else None,
                base_url="http://testserver",
            )
        return invitation, f"/account/invite/{token}/"

    return send


# --- Sign-up modes ---------------------------------------------------------------------------


def test_open_signup_creates_an_account_and_queues_a_verification_email(
    client, settings, django_capture_on_commit_callbacks
):
    settings.SIGNUP = "open"

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post("/accounts/signup/", signup_data("nora@example.org"))

    assert response.status_code == 302
    user = User.objects.get(email="nora@example.org")
    assert user.full_name == "Nora New"
    assert len(callbacks) == 1, "the email is queued on commit, not sent in the request"
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["nora@example.org"]
    assert "/accounts/confirm-email/" in mail.outbox[0].body
    event = AuditEvent.objects.get(action="user.created")
    assert event.details == {"via": "sign-up"}


def test_a_self_registered_address_must_be_verified_before_signing_in(
    client, settings, django_capture_on_commit_callbacks
):
    settings.SIGNUP = "open"
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/signup/", signup_data("verify@example.org"))
    confirm_path = path_of(link_in(mail.outbox[0]))
    client.logout()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/accounts/login/", {"login": "verify@example.org", "password": NEW_PASSWORD}
        )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"
    assert "_auth_user_id" not in client.session

    client.post(confirm_path)
    assert EmailAddress.objects.get(email="verify@example.org").verified
    response = client.post(
        "/accounts/login/", {"login": "verify@example.org", "password": NEW_PASSWORD}
    )
    assert response.status_code == 302
    assert "_auth_user_id" in client.session


def test_accounts_made_by_an_administrator_sign_in_without_a_verification_step(client):
    UserFactory.create(email="made-by-admin@example.org")
    response = client.post(
        "/accounts/login/",
        {"login": "made-by-admin@example.org", "password": "Correct-Horse-Battery-9"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_an_administrator_made_account_has_a_verified_address_even_after_a_reset_request(
    client, django_capture_on_commit_callbacks
):
    user = UserFactory.create(email="vouched@example.org")
    assert EmailAddress.objects.get(user=user).verified
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/password/reset/", {"email": "vouched@example.org"})
    response = client.post(
        "/accounts/login/",
        {"login": "vouched@example.org", "password": "Correct-Horse-Battery-9"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_an_older_account_without_an_address_record_still_signs_in(client):
    user = UserFactory.create(email="legacy@example.org")
    EmailAddress.objects.filter(user=user).delete()
    response = client.post(
        "/accounts/login/", {"login": "legacy@example.org", "password": "Correct-Horse-Battery-9"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/"


@pytest.mark.parametrize("mode", ["off", "invite"])
def test_closed_signup_refuses_the_page_and_any_post(client, settings, mode):
    settings.SIGNUP = mode

    page = client.get("/accounts/signup/")
    post = client.post("/accounts/signup/", signup_data("sneaky@example.org"))

    for response in (page, post):
        assert response.status_code == 403
        assert "Sign-up is closed" in response.content.decode()
    assert ("invitation only" in page.content.decode()) is (mode == "invite")
    assert not User.objects.filter(email="sneaky@example.org").exists()
    assert not AuditEvent.objects.exists()


def test_the_sign_in_page_offers_sign_up_only_when_it_is_open(client, settings):
    settings.SIGNUP = "open"
    assert "Create an account" in client.get("/accounts/login/").content.decode()
    settings.SIGNUP = "invite"
    html = client.get("/accounts/login/").content.decode()
    assert "Create an account" not in html
    assert "by invitation" in html


# --- Invitations -----------------------------------------------------------------------------


def test_an_invitation_link_opens_sign_up_and_accepting_grants_the_role(client, invite):
    invitation, link = invite("invitee@example.org", role="manager")

    # the email went through the queue and carries the link
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["invitee@example.org"]
    assert path_of(link_in(mail.outbox[0])) == link

    response = client.get(link)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/signup/"
    page = client.get("/accounts/signup/").content.decode()
    assert 'value="invitee@example.org"' in page
    assert "as Manager" in page

    response = client.post("/accounts/signup/", signup_data("invitee@example.org"))

    assert response.status_code == 302
    user = User.objects.get(email="invitee@example.org")
    assert "_auth_user_id" in client.session, "an invited address needs no verification step"
    assert EmailAddress.objects.get(user=user).verified
    assert RoleAssignment.objects.filter(user=user, role__slug="manager").exists()
    invitation.refresh_from_db()
    assert invitation.accepted_by == user
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"user.invited", "user.created", "invitation.accepted", "role.granted"} <= actions
    assert len(mail.outbox) == 1, "no verification email for an invited address"


def test_the_token_is_stored_only_as_a_hash(invite):
    invitation, link = invite()
    token = link.rstrip("/").rsplit("/", 1)[1]
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert not Invitation.objects.filter(token_hash=token).exists()
    assert token not in str(AuditEvent.objects.values_list("details", flat=True)[::1])


def test_an_invitation_is_for_its_address_only(client, invite):
    _, link = invite("only-me@example.org")
    client.get(link)
    response = client.post("/accounts/signup/", signup_data("someone-else@example.org"))
    assert response.status_code == 200
    assert "This invitation is for only-me@example.org" in response.content.decode()
    assert not User.objects.filter(email="someone-else@example.org").exists()
    assert Invitation.objects.get().accepted_at is None


@pytest.mark.parametrize("state", ["used", "expired", "revoked", "forged"])
def test_used_expired_revoked_or_forged_links_are_refused(client, invite, admin_user, state):
    invitation, link = invite("late@example.org")
    if state == "used":
        client.get(link)
        client.post("/accounts/signup/", signup_data("late@example.org"))
        client.logout()
    elif state == "revoked":
        invitation.revoked_at = timezone.now()
        invitation.save()
    elif state == "forged":
        link = "/account/invite/" + "A" * 43 + "/"
    users_before = User.objects.count()

    traveller = time_machine.travel(timezone.now() + timedelta(days=8), tick=False)
    if state == "expired":
        traveller.start()
    try:
        response = Client().get(link)
        signup = Client().post("/accounts/signup/", signup_data("late2@example.org"))
    finally:
        if state == "expired":
            traveller.stop()

    assert response.status_code == 404
    assert "This invitation link is not valid" in response.content.decode()
    assert signup.status_code == 403
    assert User.objects.count() == users_before


def test_admins_and_managers_invite_from_the_page(
    client, manager, django_capture_on_commit_callbacks
):
    client.force_login(manager)
    page = client.get("/account/invitations/")
    assert page.status_code == 200
    # a manager cannot grant roles, so cannot attach one to an invitation
    select = re.search(r'<select name="role".*?</select>', page.content.decode(), re.S)
    assert select
    assert re.findall(r"<option[^>]*>([^<]*)</option>", select.group(0)) == ["No site role"]

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/account/invitations/", {"email": "Pat@Example.org", "role": ""})

    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert invitation.email == "pat@example.org"
    assert invitation.invited_by == manager
    assert mail.outbox[0].subject == "Mo Manager invited you to Syllabus"
    listing = client.get("/account/invitations/").content.decode()
    assert "pat@example.org" in listing
    assert "Pending" in listing
    event = AuditEvent.objects.get(action="user.invited")
    assert event.actor == manager
    assert event.category == "admin_action"


def test_a_manager_cannot_invite_with_a_role_they_cannot_grant(client, manager):
    client.force_login(manager)
    admin_role = Role.objects.get(slug="admin")
    response = client.post(
        "/account/invitations/", {"email": "x@example.org", "role": str(admin_role.pk)}
    )
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert not Invitation.objects.exists()
    assert not mail.outbox


def test_inviting_an_existing_account_or_a_bad_address_is_a_clear_error(client, admin_user):
    client.force_login(admin_user)
    for email, message in (
        ("admin@example.org", "already has an account"),
        ("not-an-email", "Enter a valid email address"),
    ):
        response = client.post("/account/invitations/", {"email": email})
        assert response.status_code == 400
        html = response.content.decode()
        assert message in html
        match = re.search(r'<input[^>]*name="email"[^>]*>', html)
        assert match
        field = match.group(0)
        assert 'aria-invalid="true"' in field
        assert "id_email_error" in field
    assert not Invitation.objects.exists()


def test_a_new_invitation_replaces_the_pending_one(invite):
    first, first_link = invite("twice@example.org")
    _, second_link = invite("twice@example.org")
    first.refresh_from_db()
    assert first.revoked_at is not None
    assert Client().get(first_link).status_code == 404
    assert Client().get(second_link).status_code == 302


def test_revoking_asks_for_confirmation_and_is_audited(client, admin_user, invite):
    invitation, link = invite("revoke-me@example.org")
    client.force_login(admin_user)
    url = f"/account/invitations/{invitation.public_id}/revoke/"

    confirm = client.get(url)
    assert confirm.status_code == 200
    assert "Revoke the invitation for revoke-me@example.org?" in confirm.content.decode()
    invitation.refresh_from_db()
    assert invitation.revoked_at is None

    assert client.post(url).status_code == 302
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
    assert AuditEvent.objects.get(action="invitation.revoked").actor == admin_user
    assert Client().get(link).status_code == 404

    again = client.post(url, follow=True)
    assert "already revoked" in again.content.decode()
    assert AuditEvent.objects.filter(action="invitation.revoked").count() == 1


def test_people_without_the_permission_cannot_use_invitations(client, learner, invite):
    invitation, _ = invite()
    assert client.get("/account/invitations/").status_code == 302
    client.force_login(learner)
    assert client.get("/account/invitations/").status_code == 403
    assert client.post("/account/invitations/", {"email": "a@example.org"}).status_code == 403
    revoke = client.post(f"/account/invitations/{invitation.public_id}/revoke/")
    assert revoke.status_code == 403
    assert Invitation.objects.count() == 1
    invitation.refresh_from_db()
    assert invitation.revoked_at is None


def test_invitations_cannot_be_sent_when_signup_is_off(client, admin_user, settings):
    settings.SIGNUP = "off"
    client.force_login(admin_user)
    assert "Sign-up is turned off" in client.get("/account/invitations/").content.decode()
    response = client.post("/account/invitations/", {"email": "off@example.org"})
    assert response.status_code == 400
    assert not Invitation.objects.exists()


def test_a_role_is_not_granted_if_the_inviter_lost_the_right_to_grant_it(
    client, invite, admin_user
):
    _, link = invite("late-role@example.org", role="security_officer")
    admin_user.is_superuser = False
    admin_user.save()
    RoleAssignment.objects.filter(user=admin_user).delete()

    client.get(link)
    client.post("/accounts/signup/", signup_data("late-role@example.org"))

    user = User.objects.get(email="late-role@example.org")
    assert not RoleAssignment.objects.filter(user=user).exists()
    event = AuditEvent.objects.get(action="invitation.accepted")
    assert event.details["role_granted"] is None
    assert event.details["role_requested"] == "security_officer"


def test_a_signed_in_person_opening_an_invitation_is_told_to_sign_out(client, invite, learner):
    _, link = invite()
    client.force_login(learner)
    response = client.get(link)
    assert response.status_code == 409
    assert "You are already signed in" in response.content.decode()


# --- CSRF ------------------------------------------------------------------------------------


def test_posts_without_a_csrf_token_are_refused_and_write_nothing(admin_user, settings):
    settings.SIGNUP = "open"
    UserFactory.create(email="csrf@example.org")
    anonymous = Client(enforce_csrf_checks=True)
    signed_in = Client(enforce_csrf_checks=True)
    signed_in.force_login(admin_user)
    audit_before = AuditEvent.objects.count()

    for client, url, data in (
        (anonymous, "/accounts/login/", {"login": "csrf@example.org", "password": "x"}),
        (anonymous, "/accounts/signup/", signup_data("csrf-new@example.org")),
        (signed_in, "/account/invitations/", {"email": "csrf-invite@example.org"}),
        (signed_in, "/account/profile/", {"full_name": "Changed"}),
    ):
        response = client.post(url, data)
        assert response.status_code == 403, url
        assert "Form expired" in response.content.decode()

    assert not User.objects.filter(email="csrf-new@example.org").exists()
    assert not Invitation.objects.exists()
    admin_user.refresh_from_db()
    assert admin_user.full_name != "Changed"
    assert AuditEvent.objects.count() == audit_before
