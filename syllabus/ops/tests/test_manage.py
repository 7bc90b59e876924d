"""The Manage page lists exactly the tools a person's roles give, and the main navigation
shows "Manage" only to people who have some."""

from __future__ import annotations

import pytest
from django.test import Client

from syllabus.accounts.models import User
from syllabus.ops.views_manage import tools_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _titles(user) -> set[str]:
    fresh = User.objects.get(pk=user.pk)  # as a request loads it (no cached roles)
    return {tool.title for tool in tools_for(fresh)}


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("admin", {"People and roles", "Backups", "Compliance evidence", "Data exports",
                   "Operations dashboard", "Access reviews", "Retention", "Audit trail",
                   "Invitations", "Sign-in lockouts", "Data subject requests"}),
        ("compliance_officer", {"Access reviews", "Compliance evidence", "Retention",
                                "Audit trail", "Data subject requests"}),
        ("security_officer", {"People and roles", "Invitations", "Sign-in lockouts",
                              "Operations dashboard", "Audit trail", "Data exports"}),
        ("auditor", {"Audit trail", "Compliance evidence"}),
        ("manager", {"Access reviews", "Invitations", "Audit trail"}),
    ],
)  # fmt: skip
def test_each_role_sees_its_tools(role, expected):
    assert _titles(UserFactory(site_roles=[role])) == expected


def test_a_learner_has_no_tools_and_no_manage_link():
    learner = UserFactory()
    assert tools_for(learner) == []
    client = Client()
    client.force_login(learner)
    assert 'href="/ops/manage/"' not in client.get("/dashboard/").content.decode()
    page = client.get("/ops/manage/").content.decode()
    assert "Your roles give you no administration tools" in page


def test_the_page_groups_the_tools_and_the_nav_links_to_it():
    officer = UserFactory(site_roles=["compliance_officer"])
    client = Client()
    client.force_login(officer)
    assert 'href="/ops/manage/"' in client.get("/dashboard/").content.decode()
    page = client.get("/ops/manage/").content.decode()
    assert "Compliance and data protection" in page
    assert 'href="/compliance/"' in page and 'href="/backups/"' not in page


def test_a_course_instructor_with_no_site_tools_gets_no_manage_link_on_a_page_of_their_own():
    """The certificates list sets a ``can_manage`` of its own (the instructor may manage the
    course's certificates): the navigation's link must not follow it."""
    from syllabus.certificates.tests.conftest import enrol, make_course

    course = make_course(title="Tides")
    instructor = UserFactory()
    enrol(instructor, course, "instructor")
    assert tools_for(instructor) == []
    client = Client()
    client.force_login(instructor)
    page = client.get(f"/certificates/course/{course.public_id}/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "Change the certificate settings" in body  # the page's own can_manage
    assert 'href="/ops/manage/"' not in body


def test_the_tools_are_worked_out_only_for_a_page_that_shows_the_navigation(
    django_assert_num_queries,
):
    from django.template import engines
    from django.test import RequestFactory

    officer = UserFactory(site_roles=["compliance_officer"])
    request = RequestFactory().get("/")
    request.user = User.objects.get(pk=officer.pk)
    fragment = engines["django"].from_string("<p>{{ request.path }}</p>")
    with django_assert_num_queries(0):  # no role lookup for a fragment
        assert fragment.render({}, request) == "<p>/</p>"
    nav = engines["django"].from_string("{% if show_manage_link %}manage{% endif %}")
    with django_assert_num_queries(1):  # the user's roles and their permissions, at once
        assert nav.render({}, request) == "manage"
