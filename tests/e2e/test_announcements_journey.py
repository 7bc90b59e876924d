"""Browser journey: an instructor posts an announcement; a learner sees the unread badge,
marks the notification read in place (htmx), and opens the announcement. axe-core checks
the notification and announcement pages on the way."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from syllabus.accounts.models import Role
from syllabus.courses.models import Course, CourseMembership
from tests.e2e.test_accessibility import assert_no_serious_violations
from tests.factories import UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _sign_in(page: Any, live_server: Any, user: Any) -> None:
    client = Client()
    client.force_login(user)
    page.context.clear_cookies()
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )


def _accessible_name(locator: Any) -> str:
    snapshot = locator.aria_snapshot()  # e.g. '- link "Notifications (1 unread)":'
    return snapshot.split('"')[1]


def test_an_announcement_reaches_a_learner(page, live_server, axe_audit, browser_problems):
    # given a course with an instructor and a learner
    course = Course.objects.create(
        title="Watercolour basics", slug="watercolour", status=Course.Status.PUBLISHED
    )
    teacher = UserFactory(full_name="Tess Teacher")
    learner = UserFactory(full_name="Lee Learner")
    for user, role in ((teacher, "instructor"), (learner, "learner")):
        CourseMembership.objects.create(course=course, user=user, role=Role.objects.get(slug=role))
    announcements = f"/courses/{course.public_id}/announcements/"

    # the instructor posts an announcement with the form
    _sign_in(page, live_server, teacher)
    page.goto(announcements)
    assert_no_serious_violations(axe_audit(page, "announcements-empty"))
    page.get_by_role("link", name="Post an announcement").click()
    assert_no_serious_violations(axe_audit(page, "announcement-new"))
    page.get_by_label("Title").fill("Bring your brushes")
    page.get_by_label("Message").fill("Next week we paint **skies**.")
    page.get_by_role("button", name="Post announcement").click()
    page.get_by_text("Announcement posted.").wait_for()
    assert page.locator(".announcement-body strong").inner_text() == "skies"

    # the learner sees the unread count in the header
    _sign_in(page, live_server, learner)
    page.goto("/")
    badge = page.get_by_role("navigation", name="Main").get_by_role("link", name="Notifications")
    assert badge.get_attribute("id") == "nav-notifications"
    assert _accessible_name(badge) == "Notifications (1) unread"
    assert " ".join(badge.inner_text().split()).startswith("Notifications (1")
    badge.click()
    assert_no_serious_violations(axe_audit(page, "notifications"))

    # marks it read in place: the badge and the list change without a page load
    page.get_by_role("button", name="Mark as read").click()
    page.get_by_text("Marked “Watercolour basics: Bring your brushes” as read.").wait_for(
        state="attached"
    )
    assert _accessible_name(badge) == "Notifications"
    assert page.get_by_role("button", name="Mark as read").count() == 0
    focused = page.evaluate("document.activeElement.textContent")
    assert "Bring your brushes" in focused  # focus stays on the notification

    # and opens the announcement from the notification
    page.get_by_role("link", name="Watercolour basics: Bring your brushes").click()
    page.get_by_role("heading", level=1, name="Bring your brushes").wait_for()
    assert_no_serious_violations(axe_audit(page, "announcement"))

    page.goto("/notifications/preferences/")
    page.get_by_label("Email me one summary a day").check()
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Saved: Email me one summary a day.").wait_for()
    assert_no_serious_violations(axe_audit(page, "notification-preferences"))
    assert browser_problems.unexpected(allow=("favicon.ico",)) == []
