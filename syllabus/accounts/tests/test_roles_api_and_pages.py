"""People and roles through the pages and the API: permissions, recent MFA, bad input."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from syllabus.accounts.models import Role, RoleAssignment
from syllabus.accounts.tokens import token_create
from syllabus.audit.models import AuditEvent
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def password_sign_in(client: Client, user) -> None:
    """A real sign-in: it records the authentication that recent-MFA checks read."""
    response = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:500]


def bearer(user, scopes: list[str]) -> dict[str, str]:
    new = token_create(actor=user, user=user, name="tests", scopes=scopes, days=1)
    return {"HTTP_AUTHORIZATION": f"Bearer {new.plain}"}


@pytest.fixture
def role_admin():
    return UserFactory(email="roles@example.org", site_roles=["admin"])


# --- Pages -------------------------------------------------------------------------------


def test_people_page_lists_and_filters(client, role_admin, learner):
    client.force_login(role_admin)
    response = client.get("/account/people/", {"q": "learner"})
    assert response.status_code == 200
    assert [p.email for p in response.context["page"].object_list] == ["learner@example.org"]
    response = client.get("/account/people/", {"role": "admin"})
    assert [p.email for p in response.context["page"].object_list] == ["roles@example.org"]


def test_people_pages_refuse_a_learner(client, learner):
    client.force_login(learner)
    assert client.get("/account/people/").status_code == 403
    assert client.get(f"/account/people/{learner.public_id}/").status_code == 403
    assert client.get("/account/roles/").status_code == 403


def test_granting_a_role_on_the_page_after_a_recent_sign_in(client, role_admin, learner):
    password_sign_in(client, role_admin)
    auditor = Role.objects.get(slug="auditor")
    response = client.post(f"/account/people/{learner.public_id}/roles/", {"role": auditor.pk})
    assert response.status_code == 302
    assert RoleAssignment.objects.filter(user=learner, role=auditor).exists()
    page = client.get(f"/account/people/{learner.public_id}/").content.decode()
    assert "Auditor" in page


def test_granting_without_a_recent_check_asks_to_reauthenticate(client, role_admin, learner):
    client.force_login(role_admin)  # no authentication record: not a recent check
    auditor = Role.objects.get(slug="auditor")
    response = client.post(f"/account/people/{learner.public_id}/roles/", {"role": auditor.pk})
    assert response.status_code == 302
    assert "reauthenticate" in response["Location"]
    assert not RoleAssignment.objects.filter(user=learner).exists()


def test_removing_a_role_asks_for_confirmation_first(client, role_admin, learner):
    RoleAssignment.objects.create(user=learner, role=Role.objects.get(slug="auditor"))
    password_sign_in(client, role_admin)
    url = f"/account/people/{learner.public_id}/roles/auditor/remove/"
    confirm = client.get(url)
    assert confirm.status_code == 200
    assert "Remove Auditor from" in confirm.content.decode()
    assert RoleAssignment.objects.filter(user=learner).exists()
    client.post(url)
    assert not RoleAssignment.objects.filter(user=learner).exists()


def test_custom_role_form_shows_errors_and_writes_nothing(client, role_admin):
    password_sign_in(client, role_admin)
    response = client.post("/account/roles/new/", {"name": "", "permissions": []})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'aria-invalid="true"' in html
    assert not Role.objects.filter(is_builtin=False).exists()
    response = client.post(
        "/account/roles/new/", {"name": "Moderators", "permissions": ["grade.view"]}
    )
    assert response.status_code == 302
    assert Role.objects.get(slug="moderators").permissions == ["grade.view"]


# --- API -----------------------------------------------------------------------------------


def test_api_lists_roles_and_people_for_role_managers(client, role_admin, learner):
    headers = bearer(role_admin, ["role.assign"])
    roles = client.get("/api/v1/roles", **headers).json()
    assert {r["slug"] for r in roles} >= {"admin", "auditor", "learner"}
    people = client.get("/api/v1/people", {"q": "learner"}, **headers).json()
    assert people["count"] == 1
    assert people["results"][0]["public_id"] == learner.public_id
    one = client.get(f"/api/v1/people/{learner.public_id}", **headers).json()
    assert one["site_roles"] == []


def test_api_refuses_without_the_permission_or_the_scope(client, role_admin, learner):
    assert client.get("/api/v1/roles").status_code == 401
    assert client.get("/api/v1/roles", **bearer(learner, [])).status_code == 403
    # The admin's token lacks the role scopes: the token narrows what the admin may do.
    narrow = bearer(role_admin, ["grade.view"])
    response = client.get("/api/v1/people", **narrow)
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"


def test_api_grant_needs_a_fresh_mfa_code(client, role_admin, learner):
    headers = bearer(role_admin, ["role.assign"])
    response = client.post(
        f"/api/v1/people/{learner.public_id}/roles",
        data=json.dumps({"role": "auditor"}),
        content_type="application/json",
        **headers,
    )
    assert response.status_code == 403
    assert response.json()["code"] == "mfa_reauthentication_required"
    assert not RoleAssignment.objects.filter(user=learner).exists()
    assert not AuditEvent.objects.filter(action="role.granted").exists()


def test_api_session_grant_and_revoke_after_recent_sign_in(client, role_admin, learner):
    password_sign_in(client, role_admin)
    url = f"/api/v1/people/{learner.public_id}/roles"
    granted = client.post(
        url, data=json.dumps({"role": "auditor"}), content_type="application/json"
    )
    assert granted.status_code == 200, granted.content
    assert granted.json()["site_roles"] == ["auditor"]
    removed = client.delete(f"{url}/auditor")
    assert removed.json()["site_roles"] == []


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ("{not json", 400),
        (json.dumps({"name": "X", "permissions": []}), 422),
        (json.dumps({"name": "X", "permissions": ["rockets.launch"]}), 422),
        (json.dumps({"permissions": ["grade.view"]}), 422),
    ],
)
def test_api_bad_role_input_is_a_clear_4xx_and_writes_nothing(client, role_admin, body, status):
    password_sign_in(client, role_admin)
    response = client.post("/api/v1/roles", data=body, content_type="application/json")
    assert response.status_code == status, response.content
    assert set(response.json()) >= {"detail", "code"}
    assert not Role.objects.filter(is_builtin=False).exists()
    assert not AuditEvent.objects.filter(action="role.created").exists()


def test_api_unknown_person_or_role_is_404(client, role_admin, learner):
    password_sign_in(client, role_admin)
    assert client.get("/api/v1/people/usr_nobody").status_code == 404
    response = client.post(
        f"/api/v1/people/{learner.public_id}/roles",
        data=json.dumps({"role": "wizard"}),
        content_type="application/json",
    )
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_security_page_links_administrators_to_people_and_the_audit_trail(
    client, role_admin, learner
):
    client.force_login(role_admin)
    html = client.get("/account/security/").content.decode()
    assert 'href="/account/people/"' in html
    assert 'href="/ops/audit/"' in html
    client.force_login(learner)
    html = client.get("/account/security/").content.decode()
    assert "/account/people/" not in html
    assert "/ops/audit/" not in html
