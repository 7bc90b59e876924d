"""Personal API tokens: the services, the /account/tokens/ page and the `tokens` command."""

from __future__ import annotations

import hashlib
import io
import re
from datetime import timedelta
from typing import Any, cast

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import RequestFactory, override_settings
from django.utils import timezone

from syllabus.accounts.models import ApiToken, User
from syllabus.accounts.roles import PERMISSIONS
from syllabus.accounts.tokens import (
    TokenExpired,
    TokenInvalid,
    TokenRevoked,
    api_has_perm,
    api_permissions,
    token_authenticate,
    token_create,
    token_revoke,
)
from syllabus.audit.models import AuditEvent
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

TOKEN_FORMAT = re.compile(r"^syl_[0-9a-z]{8}_[A-Za-z0-9_-]{43,}$")


def make_user(**fields: Any) -> User:
    return cast(User, UserFactory(**fields))


@pytest.fixture
def manager(db):
    return UserFactory(email="manager@example.org", site_roles=["manager"])


# --- Creating ------------------------------------------------------------------------------


def test_a_new_token_is_returned_once_and_only_its_sha256_is_stored(manager):
    # when
    new = token_create(actor=manager, user=manager, name="Export", scopes=["grade.view"])
    # then
    assert TOKEN_FORMAT.match(new.plain)
    token = ApiToken.objects.get()
    assert token.token_hash == hashlib.sha256(new.plain.encode()).hexdigest()
    assert new.plain not in str(ApiToken.objects.values().get())
    assert new.plain.startswith(token.prefix + "_")
    assert token.scopes == ["grade.view"]


def test_tokens_are_random(manager):
    first = token_create(actor=manager, user=manager, name="a", scopes=[])
    second = token_create(actor=manager, user=manager, name="b", scopes=[])
    assert first.plain != second.plain
    assert first.token.prefix != second.token.prefix


def test_creation_is_audited_without_the_secret(manager):
    new = token_create(actor=manager, user=manager, name="Export", scopes=["grade.view"])
    event = AuditEvent.objects.get(action="auth.token_created")
    assert event.category == "authentication"
    assert event.target_id == new.token.public_id
    assert event.details["scopes"] == ["grade.view"]
    assert event.details["owner"] == manager.public_id
    assert new.plain not in str(event.details)
    assert new.token.token_hash not in str(event.details)


def test_expiry_defaults_to_90_days():
    user = make_user()
    with time_machine.travel("2026-03-01 12:00:00+00:00", tick=False):
        new = token_create(actor=user, user=user, name="script", scopes=[])
    assert new.token.expires_at == timezone.now().replace(
        year=2026, month=5, day=30, hour=12, minute=0, second=0, microsecond=0
    )


@pytest.mark.parametrize("days", [0, -1, 366])
def test_expiry_must_be_within_the_maximum_and_nothing_is_written(days):
    user = make_user()
    with pytest.raises(ValidationError, match="expire within 1 to 365 days"):
        token_create(actor=user, user=user, name="script", scopes=[], days=days)
    assert not ApiToken.objects.exists()
    assert not AuditEvent.objects.filter(action="auth.token_created").exists()


@override_settings(API_TOKEN_MAX_DAYS=30, API_TOKEN_DEFAULT_DAYS=30)
def test_the_maximum_expiry_is_a_setting():
    user = make_user()
    with pytest.raises(ValidationError, match="1 to 30 days"):
        token_create(actor=user, user=user, name="script", scopes=[], days=31)
    assert token_create(actor=user, user=user, name="script", scopes=[], days=30)


def test_scopes_must_be_permissions_the_owner_holds(manager):
    # given: a manager does not hold user.manage
    with pytest.raises(ValidationError, match=r"user\.manage cannot be given"):
        token_create(actor=manager, user=manager, name="x", scopes=["grade.view", "user.manage"])
    assert not ApiToken.objects.exists()


def test_unknown_scopes_are_refused(manager):
    with pytest.raises(ValidationError, match=r"Unknown permissions: course\.delete_all"):
        token_create(actor=manager, user=manager, name="x", scopes=["course.delete_all"])
    assert not ApiToken.objects.exists()


def test_a_superuser_may_give_any_permission(admin_user):
    new = token_create(actor=admin_user, user=admin_user, name="all", scopes=list(PERMISSIONS))
    assert new.token.scopes == list(PERMISSIONS)


def test_a_token_cannot_mint_a_wider_token(manager):
    with pytest.raises(ValidationError, match=r"enrolment\.manage cannot be given"):
        token_create(
            actor=manager,
            user=manager,
            name="child",
            scopes=["grade.view", "enrolment.manage"],
            within=["grade.view"],
        )


def test_a_name_is_required():
    user = make_user()
    with pytest.raises(ValidationError, match="Give the token a name"):
        token_create(actor=user, user=user, name="   ", scopes=[])


# --- Authenticating --------------------------------------------------------------------------


def test_authenticate_returns_the_user_and_records_last_use(manager):
    new = token_create(actor=manager, user=manager, name="x", scopes=[])
    user, token = token_authenticate(new.plain, ip="203.0.113.7")
    assert user == manager
    token.refresh_from_db()
    assert token.last_used_ip == "203.0.113.7"
    assert token.last_used_at is not None


def test_last_use_is_written_at_most_once_a_minute(manager):
    new = token_create(actor=manager, user=manager, name="x", scopes=[])
    with time_machine.travel("2026-03-01 12:00:00+00:00", tick=False):
        token_authenticate(new.plain, ip="203.0.113.7")
    with time_machine.travel("2026-03-01 12:00:40+00:00", tick=False):
        token_authenticate(new.plain, ip="198.51.100.1")
    new.token.refresh_from_db()
    assert new.token.last_used_ip == "203.0.113.7"
    assert new.token.last_used_at is not None
    assert new.token.last_used_at.second == 0
    with time_machine.travel("2026-03-01 12:01:00+00:00", tick=False):
        token_authenticate(new.plain, ip="198.51.100.1")
    new.token.refresh_from_db()
    assert new.token.last_used_ip == "198.51.100.1"


@pytest.mark.parametrize(
    "forged",
    ["", "syl_", "syl_abcdefgh_" + "A" * 43, "ghp_1234567890", "syl_" + "x" * 500],
)
def test_forged_tokens_are_refused(forged, manager):
    token_create(actor=manager, user=manager, name="x", scopes=[])
    with pytest.raises(TokenInvalid):
        token_authenticate(forged)


def test_an_expired_token_is_refused(manager):
    with time_machine.travel("2026-01-01 00:00:00+00:00", tick=False):
        new = token_create(actor=manager, user=manager, name="x", scopes=[], days=7)
    with time_machine.travel("2026-01-07 23:59:59+00:00", tick=False):
        assert token_authenticate(new.plain)[0] == manager
    with time_machine.travel("2026-01-08 00:00:00+00:00", tick=False), pytest.raises(TokenExpired):
        token_authenticate(new.plain)


def test_a_revoked_token_is_refused_and_revocation_is_audited_once(manager):
    new = token_create(actor=manager, user=manager, name="x", scopes=[])
    assert token_revoke(actor=manager, token=new.token) is True
    assert token_revoke(actor=manager, token=new.token) is False
    with pytest.raises(TokenRevoked):
        token_authenticate(new.plain)
    new.token.refresh_from_db()
    assert new.token.revoked_by == manager
    assert AuditEvent.objects.filter(action="auth.token_revoked").count() == 1


def test_a_deactivated_owner_s_token_is_refused(manager):
    new = token_create(actor=manager, user=manager, name="x", scopes=[])
    manager.is_active = False
    manager.save()
    with pytest.raises(TokenInvalid):
        token_authenticate(new.plain)


# --- What a token request may do ----------------------------------------------------------------


def _token_request(user, token):
    request = RequestFactory().get("/api/v1/auth/me")
    request.user = user
    request.api_token = token
    return request


def test_a_token_request_has_its_scopes_intersected_with_the_owner_s_permissions(manager):
    new = token_create(actor=manager, user=manager, name="x", scopes=["grade.view"])
    request = _token_request(manager, new.token)
    assert api_has_perm(request, "grade.view")
    assert not api_has_perm(request, "enrolment.manage")  # held, but not in the scopes
    assert not api_has_perm(request, "user.manage")  # neither
    assert api_permissions(request) == ["grade.view"]


def test_removing_a_role_narrows_existing_tokens(manager):
    new = token_create(actor=manager, user=manager, name="x", scopes=["grade.view"])
    manager.role_assignments.all().delete()
    fresh = type(manager).objects.get(pk=manager.pk)
    assert not api_has_perm(_token_request(fresh, new.token), "grade.view")


def test_a_session_request_has_the_user_s_permissions(manager):
    request = _token_request(manager, None)
    assert api_has_perm(request, "enrolment.manage")
    assert not api_has_perm(request, "user.manage")


# --- The page ------------------------------------------------------------------------------------


def test_the_page_needs_a_signed_in_user(client):
    response = client.get("/account/tokens/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_page_lists_tokens_with_their_details(client, manager):
    # given
    token = token_create(actor=manager, user=manager, name="Grade sync", scopes=["grade.view"])
    token_authenticate(token.plain, ip="192.0.2.10")
    client.force_login(manager)
    # when
    html = client.get("/account/tokens/").content.decode()
    # then
    assert "Grade sync" in html
    assert token.token.prefix in html
    assert "<code>grade.view</code>" in html
    assert "from 192.0.2.10" in html
    assert f"/account/tokens/{token.token.public_id}/revoke/" in html
    assert token.plain not in html
    # scope checkboxes offer only what a manager holds
    assert 'value="enrolment.manage"' in html
    assert 'value="user.manage"' not in html


def test_creating_on_the_page_shows_the_token_once(client, manager):
    client.force_login(manager)
    # when
    response = client.post(
        "/account/tokens/", {"name": "Nightly export", "days": "30", "scopes": ["grade.view"]}
    )
    # then
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    html = response.content.decode()
    token = ApiToken.objects.get()
    shown = re.search(r'id="new-token" value="([^"]+)"', html)
    assert shown is not None
    plain = shown.group(1)
    assert hashlib.sha256(plain.encode()).hexdigest() == token.token_hash
    assert "it will not be shown again" in html
    assert 'data-copy-target="new-token"' in html
    assert "syllabus/js/tokens.js" in html
    assert token.scopes == ["grade.view"]
    assert abs(token.expires_at - token.created_at - timedelta(days=30)) < timedelta(seconds=5)
    # and never again
    assert plain not in client.get("/account/tokens/").content.decode()


def test_the_page_refuses_a_scope_the_user_lacks_and_says_why(client, manager):
    client.force_login(manager)
    response = client.post(
        "/account/tokens/", {"name": "x", "days": "30", "scopes": ["user.manage"]}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="scopes-errors"' in html
    assert "user.manage is not one of the available choices" in html
    assert not ApiToken.objects.exists()


def test_the_page_refuses_an_expiry_beyond_the_maximum(client, manager):
    client.force_login(manager)
    response = client.post("/account/tokens/", {"name": "x", "days": "3650"})
    assert response.status_code == 400
    assert 'id="days-errors"' in response.content.decode()
    assert not ApiToken.objects.exists()


def test_the_page_requires_a_name(client, manager):
    client.force_login(manager)
    response = client.post("/account/tokens/", {"name": "", "days": "30"})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'aria-describedby="name-help name-errors" aria-invalid="true"' in html
    assert "This field is required." in html
    assert not ApiToken.objects.exists()


def test_revoking_on_the_page_asks_first(client, manager):
    new = token_create(actor=manager, user=manager, name="Old script", scopes=[])
    client.force_login(manager)
    url = f"/account/tokens/{new.token.public_id}/revoke/"
    # when: the confirmation step
    page = client.get(url)
    # then
    assert page.status_code == 200
    assert "Revoke the token “Old script”?" in page.content.decode()
    assert ApiToken.objects.get().revoked_at is None
    # when: confirmed
    response = client.post(url)
    assert response.status_code == 302
    assert ApiToken.objects.get().revoked_at is not None
    assert "revoked" in client.get("/account/tokens/").content.decode()


def test_nobody_can_revoke_someone_else_s_token(client, manager, outsider):
    new = token_create(actor=manager, user=manager, name="x", scopes=[])
    client.force_login(outsider)
    assert client.post(f"/account/tokens/{new.token.public_id}/revoke/").status_code == 404
    assert ApiToken.objects.get().revoked_at is None
    assert not AuditEvent.objects.filter(action="auth.token_revoked").exists()


def test_posting_without_csrf_is_refused_and_creates_nothing(manager):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(manager)
    response = client.post("/account/tokens/", {"name": "x", "days": "30"})
    assert response.status_code == 403
    assert not ApiToken.objects.exists()


# --- The command -------------------------------------------------------------------------------


def _call(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("tokens", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_cli_creates_lists_and_revokes(manager):
    # create
    out, err = _call(
        "create",
        "--email",
        "MANAGER@example.org",
        "--name",
        "Backup job",
        "--days",
        "10",
        "--scope",
        "grade.view",
        "--scope",
        "enrolment.manage",
    )
    plain = out.strip()
    assert TOKEN_FORMAT.match(plain)
    assert "shown once" in err
    token = ApiToken.objects.get()
    assert token.scopes == ["enrolment.manage", "grade.view"]
    assert token_authenticate(plain)[0] == manager
    event = AuditEvent.objects.get(action="auth.token_created")
    assert event.details["via"] == "cli"
    assert event.actor is None
    # list
    out, _ = _call("list", "--email", "manager@example.org")
    assert token.public_id in out
    assert "Backup job" in out
    assert "active" in out
    assert plain not in out
    # revoke
    out, _ = _call("revoke", token.public_id)
    assert "revoked" in out
    token.refresh_from_db()
    assert token.revoked_at is not None
    out, _ = _call("list", "--email", "manager@example.org")
    assert "revoked" in out


def test_cli_refuses_bad_input_and_writes_nothing(manager):
    with pytest.raises(CommandError, match=r"user\.manage cannot be given"):
        _call("create", "--email", manager.email, "--name", "x", "--scope", "user.manage")
    with pytest.raises(CommandError, match="No account"):
        _call("create", "--email", "nobody@example.org", "--name", "x")
    with pytest.raises(CommandError, match="No API token"):
        _call("revoke", "tok_doesnotexist")
    with pytest.raises(CommandError, match="expire within"):
        _call("create", "--email", manager.email, "--name", "x", "--days", "9999")
    assert not ApiToken.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="auth.token").exists()


def test_expired_tokens_show_as_expired_in_the_list(manager):
    with time_machine.travel(timezone.now() - timedelta(days=10), tick=False):
        token_create(actor=None, user=manager, name="short", scopes=[], days=1)
    out, _ = _call("list", "--email", manager.email)
    assert "expired" in out


def test_the_command_is_reachable_as_syllabus_tokens():
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run(
        [sys.executable, "-m", "syllabus", "tokens", "create", "--help"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "--scope PERMISSION" in result.stdout
    assert "printed once" in result.stdout
