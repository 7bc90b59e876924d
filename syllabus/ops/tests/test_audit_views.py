"""The audit trail page shows each reader only the categories the seed's table opens."""

from __future__ import annotations

import pytest

from syllabus.audit.services import record
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def trail(learner):
    for action in ("auth.login", "enrolment.created", "user.updated", "role.granted", "export.run"):
        record(actor=learner, action=action)


@pytest.mark.parametrize(
    ("roles", "visible"),
    [
        (
            ["admin"],
            {"auth.login", "enrolment.created", "user.updated", "role.granted", "export.run"},
        ),
        (["manager"], {"enrolment.created"}),
        (["auditor"], {"user.updated"}),
        (["compliance_officer"], {"role.granted"}),
        (["security_officer"], {"auth.login", "export.run"}),
    ],
)
def test_each_role_sees_its_categories(client, trail, roles, visible):
    reader = UserFactory(site_roles=roles)
    client.force_login(reader)
    response = client.get("/ops/audit/")
    assert response.status_code == 200
    shown = {event.action for event in response.context["page"].object_list}
    assert shown == visible


def test_a_learner_is_refused_and_anonymous_is_sent_to_sign_in(client, trail, learner):
    assert client.get("/ops/audit/").status_code == 302
    client.force_login(learner)
    assert client.get("/ops/audit/").status_code == 403


def test_filters_narrow_the_list_and_bad_dates_are_a_400(client, trail, admin_user):
    client.force_login(admin_user)
    response = client.get("/ops/audit/", {"category": "authentication"})
    shown = response.context["page"].object_list
    assert {e.category for e in shown} == {"authentication"}
    assert "auth.login" in {e.action for e in shown}
    response = client.get("/ops/audit/", {"action": "role."})
    assert [e.action for e in response.context["page"].object_list] == ["role.granted"]
    response = client.get("/ops/audit/", {"since": "2026-02-01", "until": "2026-01-01"})
    assert response.status_code == 400
    assert "start date must be before" in response.content.decode()


def test_admin_site_lists_only_readable_audit_categories(client, trail):
    manager = UserFactory(site_roles=["manager"], is_staff=True)
    client.force_login(manager)
    response = client.get("/admin/audit/auditevent/")
    assert response.status_code == 200
    assert [e.action for e in response.context["cl"].result_list] == ["enrolment.created"]
