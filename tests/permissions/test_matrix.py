"""The permission matrix: every UI view and every API endpoint, as every persona.

Each row says who may use the view; the test calls it as anonymous, a learner with no
site role, and each site role, and checks that exactly the allowed personas get through.
Two completeness tests fail when a URL or an API operation is added without a row here,
so nothing ships unclassified.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from syllabus.accounts.models import Invitation, Role, User, UserSession
from syllabus.accounts.tokens import token_create
from syllabus.config.api import api
from syllabus.courses.models import Course, CourseMembership
from tests.factories import UserFactory
from tests.permissions import areas
from tests.permissions.matrix import (
    ANON,
    EVERYONE,
    FLOW,
    PERSONAS,
    SIGNED_IN,
    STAFF,
    Row,
    only,
)

pytestmark = pytest.mark.django_db

UI: dict[str, Row] = {
    "home": Row(EVERYONE),
    # allauth: sign-in, sign-up, password and email flows
    "account_login": Row(FLOW),
    "account_logout": Row(FLOW),
    "account_inactive": Row(FLOW),
    "account_signup": Row(FLOW),
    "account_reauthenticate": Row(SIGNED_IN),
    "account_email": Row(SIGNED_IN),
    "account_email_verification_sent": Row(FLOW),
    "account_change_password": Row(SIGNED_IN),
    "account_set_password": Row(FLOW),
    "account_reset_password": Row(FLOW),
    "account_confirm_login_code": Row(FLOW),
    "account_request_reauthentication_code": Row(FLOW),
    "account_confirm_reauthentication_code": Row(FLOW),
    "account_confirm_email": Row(FLOW, kwargs=lambda c: {"key": "not-a-real-key"}),
    "account_reset_password_from_key_done": Row(FLOW),
    "account_reset_password_from_key": Row(FLOW, kwargs=lambda c: {"uidb36": "1", "key": "x-y"}),
    "account_reset_password_done": Row(FLOW),
    # allauth MFA
    "mfa_index": Row(SIGNED_IN),
    "mfa_authenticate": Row(FLOW),
    "mfa_reauthenticate": Row(FLOW),
    "mfa_activate_totp": Row(FLOW),
    "mfa_deactivate_totp": Row(FLOW),
    "mfa_view_recovery_codes": Row(FLOW),
    "mfa_generate_recovery_codes": Row(FLOW),
    "mfa_download_recovery_codes": Row(FLOW),
    "mfa_list_webauthn": Row(SIGNED_IN),
    "mfa_add_webauthn": Row(FLOW),
    "mfa_reauthenticate_webauthn": Row(FLOW),
    "mfa_remove_webauthn": Row(FLOW, kwargs=lambda c: {"pk": 999999}),
    "mfa_edit_webauthn": Row(FLOW, kwargs=lambda c: {"pk": 999999}),
    "mfa_login_webauthn": Row(FLOW),
    # People and roles
    "accounts:people": Row(only("admin", "security_officer")),
    "accounts:person": Row(
        only("admin", "security_officer"), kwargs=lambda c: {"public_id": c["target"]}
    ),
    "accounts:person_grant": Row(
        only("admin"), method="post", kwargs=lambda c: {"public_id": c["target"]}, data={}
    ),
    "accounts:person_revoke": Row(
        only("admin"), kwargs=lambda c: {"public_id": c["target"], "role_slug": "auditor"}
    ),
    "accounts:roles": Row(only("admin", "security_officer")),
    "accounts:role_new": Row(only("admin")),
    "accounts:role_edit": Row(only("admin"), kwargs=lambda c: {"slug": c["custom_role"]}),
    # Own account
    "accounts:index": Row(EVERYONE),  # a redirect to the profile, which signs people in
    "accounts:profile": Row(SIGNED_IN),
    "accounts:security": Row(SIGNED_IN),
    "accounts:sessions": Row(SIGNED_IN),
    "accounts:session_revoke": Row(SIGNED_IN, kwargs=lambda c: {"pk": c["own_session"]}),
    "accounts:sessions_revoke_others": Row(SIGNED_IN),
    "accounts:session_status": Row(FLOW),
    "accounts:session_keepalive": Row(FLOW, method="post", data={}),
    "accounts:code_method_setup": Row(SIGNED_IN, kwargs=lambda c: {"channel_name": "email"}),
    "accounts:code_method_remove": Row(SIGNED_IN, kwargs=lambda c: {"channel_name": "email"}),
    "accounts:mfa_code_send": Row(FLOW, method="post", data={}),
    "accounts:mfa_code_reauthenticate": Row(SIGNED_IN),
    "accounts:tokens": Row(SIGNED_IN),
    "accounts:token_revoke": Row(SIGNED_IN, kwargs=lambda c: {"public_id": c["own_token"]}),
    # Invitations, lockouts, MFA reset
    "accounts:invitations": Row(only("admin", "manager", "security_officer")),
    "accounts:invitation_revoke": Row(
        only("admin", "manager", "security_officer"),
        kwargs=lambda c: {"public_id": c["invitation"]},
    ),
    "accounts:invitation_accept": Row(FLOW, kwargs=lambda c: {"token": "not-a-real-token"}),
    "accounts:lockouts": Row(only("admin", "security_officer")),
    "accounts:lockout_clear": Row(only("admin", "security_officer")),
    "accounts:mfa_reset": Row(
        only("admin", "security_officer"), kwargs=lambda c: {"public_id": c["target"]}
    ),
    # Operations
    "ops:audit_log": Row(
        only("admin", "manager", "auditor", "compliance_officer", "security_officer")
    ),
    "ops:audit_export": Row(only("admin", "compliance_officer")),
    # Export controls: readers of the report-export audit category.
    "ops:exports": Row(only("admin", "security_officer")),
    "ops:manage": Row(SIGNED_IN),
    # Compliance evidence: compliance.view; its downloads are exports (export.run too).
    "compliance:overview": Row(only("admin", "auditor", "compliance_officer")),
    "compliance:download": Row(
        only("admin", "compliance_officer"), kwargs=lambda c: {"kind": "csv"}
    ),
    # Health checks: load balancers and monitoring, no sign-in
    "help": Row(EVERYONE),
    # The language chooser (ours saves a signed-in person's choice; Django's sets the cookie).
    "accounts:language": Row(EVERYONE, method="post", data={"language": "es"}),
    "set_language": Row(EVERYONE, method="post", data={"language": "es"}),
    # Signed file URLs: the signature is the permission; without one, 403 for everyone.
    "signed_media": Row(FLOW, kwargs=lambda c: {"name": "courses/none.mp4"}),
    "health": Row(EVERYONE),
    "health_live": Row(EVERYONE),
    "health_ready": Row(EVERYONE),
}

# Admin changelists: staff status opens the site, the permission layer decides the rest.
ADMIN_PAGES: dict[str, frozenset[str]] = {
    "accounts/user": only("admin", "security_officer"),
    "accounts/role": only("admin", "security_officer"),
    "audit/auditevent": only("admin", "security_officer"),
    "ops/failedjob": only("admin", "security_officer"),
    # Library models use Django's model permissions: superusers only.
    "sites/site": only(),
    "account/emailaddress": only(),
    "mfa/authenticator": only(),
}
NOT_IN_ADMIN = ("auth/group",)  # roles replace Django's groups

API: dict[tuple[str, str], Row] = {
    ("GET", "/api/v1/version"): Row(EVERYONE),
    ("POST", "/api/v1/auth/token"): Row(EVERYONE, data={"email": "x@example.org", "password": "x"}),
    ("GET", "/api/v1/auth/me"): Row(SIGNED_IN),
    ("GET", "/api/v1/auth/tokens"): Row(SIGNED_IN),
    ("POST", "/api/v1/auth/tokens"): Row(
        SIGNED_IN, data={"name": "matrix", "scopes": [], "days": 1}
    ),
    ("DELETE", "/api/v1/auth/tokens/{public_id}"): Row(
        SIGNED_IN, kwargs=lambda c: {"public_id": c["own_token"]}
    ),
    ("GET", "/api/v1/auth/sessions"): Row(SIGNED_IN),
    ("POST", "/api/v1/auth/sessions/{session_id}/revoke"): Row(
        SIGNED_IN, kwargs=lambda c: {"session_id": c["own_session"]}
    ),
    ("POST", "/api/v1/auth/sessions/revoke-others"): Row(SIGNED_IN),
    ("GET", "/api/v1/auth/mfa"): Row(SIGNED_IN),
    ("POST", "/api/v1/people/{public_id}/mfa/reset"): Row(
        only("admin", "security_officer"), kwargs=lambda c: {"public_id": c["target"]}
    ),
    ("GET", "/api/v1/courses/{public_id}/members"): Row(
        only("admin", "manager", "instructor"), kwargs=lambda c: {"public_id": c["course"]}
    ),
    ("PUT", "/api/v1/courses/{public_id}/members/{user_id}"): Row(
        only("admin", "manager", "instructor"),
        kwargs=lambda c: {"public_id": c["course"], "user_id": c["target"]},
        data={"role": "learner"},
    ),
    ("DELETE", "/api/v1/courses/{public_id}/members/{user_id}"): Row(
        only("admin", "manager", "instructor"),
        kwargs=lambda c: {"public_id": c["course"], "user_id": c["target"]},
    ),
    ("GET", "/api/v1/roles"): Row(only("admin", "security_officer")),
    ("POST", "/api/v1/roles"): Row(
        only("admin"), data={"name": "X", "permissions": ["grade.view"]}
    ),
    ("GET", "/api/v1/people"): Row(only("admin", "security_officer")),
    ("GET", "/api/v1/people/{public_id}"): Row(
        only("admin", "security_officer"), kwargs=lambda c: {"public_id": c["target"]}
    ),
    ("POST", "/api/v1/people/{public_id}/roles"): Row(
        only("admin"), kwargs=lambda c: {"public_id": c["target"]}, data={"role": "auditor"}
    ),
    ("DELETE", "/api/v1/people/{public_id}/roles/{slug}"): Row(
        only("admin"), kwargs=lambda c: {"public_id": c["target"], "slug": "auditor"}
    ),
}


# Rows kept with their product areas (tests/permissions/areas/*.py).
AREAS = [
    importlib.import_module(f"{areas.__name__}.{info.name}")
    for info in pkgutil.iter_modules(areas.__path__)
]
for _area in AREAS:
    for _name in getattr(_area, "UI", {}):
        assert _name not in UI, f"{_name} has two rows"
    for _op in getattr(_area, "API", {}):
        assert _op not in API, f"{_op} has two rows"
    UI.update(getattr(_area, "UI", {}))
    API.update(getattr(_area, "API", {}))
    ADMIN_PAGES.update(getattr(_area, "ADMIN_PAGES", {}))


# --- Completeness --------------------------------------------------------------------------


def _url_names(patterns: list[URLPattern | URLResolver], namespace: str = "") -> set[str]:
    names: set[str] = set()
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}{pattern.namespace}:"
            names |= _url_names(pattern.url_patterns, inner)
        elif pattern.name:
            names.add(namespace + pattern.name)
    return names


def test_every_ui_view_has_a_row():
    names = {
        n
        for n in _url_names(get_resolver().url_patterns)
        if not n.startswith(("admin:", "api-v1:"))
    }
    assert names - set(UI) == set(), "views without a row in the permission matrix"
    assert set(UI) - names == set(), "rows for views that no longer exist"


def test_every_api_operation_has_a_row():
    schema = api.get_openapi_schema()
    operations = {
        (method.upper(), path)
        for path, item in schema["paths"].items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    }
    assert operations - set(API) == set(), "API operations without a row in the matrix"
    assert set(API) - operations == set(), "rows for API operations that no longer exist"


# --- The matrix ------------------------------------------------------------------------------


@pytest.fixture
def world(client: Client) -> dict[str, Any]:
    """One user per persona, a target person, a custom role, an invitation."""
    people: dict[str, User | None] = {ANON: None}
    for persona in PERSONAS[1:]:
        roles = [] if persona in ("learner", "instructor") else [persona]
        people[persona] = UserFactory(
            email=f"{persona}@matrix.example.org", site_roles=roles, is_staff=persona in STAFF
        )
    admin = people["admin"]
    target = UserFactory(email="target@matrix.example.org")
    custom = Role.objects.create(
        slug="matrix_custom", name="Matrix custom", scope="site", permissions=["grade.view"]
    )
    invitation = Invitation.objects.create(
        email="new@matrix.example.org",
        invited_by=admin,
        token_hash="0" * 64,
        expires_at="2100-01-01T00:00Z",
    )
    course = Course.objects.create(title="Matrix", slug="matrix", status=Course.Status.PUBLISHED)
    for persona in ("learner", "instructor"):
        CourseMembership.objects.create(
            course=course, user=people[persona], role=Role.objects.get(slug=persona)
        )
    base: dict[str, Any] = {
        "people": people,
        "target": target.public_id,
        "course": course.public_id,
        "course_obj": course,
        "custom_role": custom.slug,
        "invitation": invitation.public_id,
    }
    for area in AREAS:
        if hasattr(area, "world"):
            base.update(area.world(base))
    return base


def _as(world: dict[str, Any], persona: str) -> tuple[Client, dict[str, Any]]:
    client = Client()
    context = dict(world)
    user = world["people"][persona]
    if user is not None:
        client.force_login(user)
        context["own_token"] = token_create(
            actor=user, user=user, name="matrix", scopes=[], days=1
        ).token.public_id
        session_key = client.session.session_key
        context["own_session"] = (
            UserSession.objects.filter(user=user, session_key=session_key)
            .values_list("pk", flat=True)
            .first()
            or UserSession.objects.create(
                user=user, session_key=session_key, last_seen_at="2026-01-01T00:00Z"
            ).pk
        )
    else:
        context["own_token"] = "tok_nobody"
        context["own_session"] = 1
    return client, context


def _is_login_redirect(response: Any) -> bool:
    return response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("name", sorted(UI))
def test_ui_view(world, name):
    row = UI[name]
    for persona in PERSONAS:
        client, context = _as(world, persona)
        url = reverse(name, kwargs=row.kwargs(context) if row.kwargs else None)
        response = getattr(client, row.method)(url, row.data or {})
        where = f"{row.method.upper()} {url} as {persona}: {response.status_code}"
        assert response.status_code < 500, where
        if row.allowed == FLOW:
            continue
        if persona in row.allowed:
            assert response.status_code != 403 and not _is_login_redirect(response), where
        elif persona == ANON:
            assert _is_login_redirect(response), where
        else:
            assert response.status_code == 403, where


def test_django_groups_are_not_in_the_admin(world):
    client, _ = _as(world, "admin")
    for page in NOT_IN_ADMIN:
        assert client.get(f"/admin/{page}/").status_code == 404


@pytest.mark.parametrize("page", sorted(ADMIN_PAGES))
def test_admin_changelist(world, page):
    for persona in PERSONAS:
        client, _ = _as(world, persona)
        response = client.get(f"/admin/{page}/")
        where = f"/admin/{page}/ as {persona}: {response.status_code}"
        if persona in ADMIN_PAGES[page]:
            assert response.status_code == 200, where
        elif persona in STAFF:
            assert response.status_code == 403, where
        else:
            assert response.status_code == 302, where
            assert "/admin/login/" in response["Location"], where


REFUSED_CODES = {"forbidden", "not_authenticated", "csrf_failed"}


def _error_code(response: Any) -> str | None:
    if not response.headers.get("Content-Type", "").startswith("application/json"):
        return None
    body = response.json() if response.content else None
    return body.get("code") if isinstance(body, dict) else None


@pytest.mark.parametrize("operation", sorted(API), ids=lambda op: f"{op[0]} {op[1]}")
def test_api_operation(world, operation):
    method, path = operation
    row = API[operation]
    for persona in PERSONAS:
        client, context = _as(world, persona)
        url = path.format(**row.kwargs(context)) if row.kwargs else path
        if method == "GET":
            response = client.get(url)
        else:
            response = getattr(client, method.lower())(
                url, data=json.dumps(row.data or {}), content_type="application/json"
            )
        where = f"{method} {url} as {persona}: {response.status_code} {response.content[:200]!r}"
        assert response.status_code < 500, where
        code = _error_code(response)
        refused = response.status_code in (401, 403) and code in REFUSED_CODES
        if persona in row.allowed:
            assert not refused, where
        elif persona == ANON:
            assert response.status_code == 401, where
        else:
            assert response.status_code == 403 and code == "forbidden", where
