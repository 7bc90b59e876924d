"""Announcement pages: reading (members and staff), posting, editing and deleting with a
confirmation (instructors), the course page's panel, query budgets."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from syllabus.accounts.models import Role
from syllabus.audit.models import AuditEvent
from syllabus.communication.models import Notification
from syllabus.courses.models import Announcement, Course, CourseMembership
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def course():
    return Course.objects.create(title="Painting", slug="painting", status=Course.Status.PUBLISHED)


def _member(course, role):
    user = UserFactory()
    CourseMembership.objects.create(course=course, user=user, role=Role.objects.get(slug=role))
    return user


@pytest.fixture
def teacher(course):
    return _member(course, "instructor")


@pytest.fixture
def learner(course):
    return _member(course, "learner")


def _announce(course, author, count=1):
    return [
        Announcement.objects.create(
            course=course,
            author=author,
            title=f"Notice {i}",
            body=f"Body {i}",
            body_html=f"<p>Body {i}</p>",
        )
        for i in range(count)
    ]


def _url(name, course, announcement=None):
    kwargs = {"public_id": course.public_id}
    if announcement is not None:
        kwargs["announcement_id"] = announcement.public_id
    return reverse(f"courses:{name}", kwargs=kwargs)


def test_a_learner_reads_the_announcements(client, course, teacher, learner):
    (a,) = _announce(course, teacher)
    client.force_login(learner)
    response = client.get(_url("announcements", course))
    assert response.status_code == 200
    assert "Notice 0" in response.text and "<p>Body 0</p>" in response.text
    assert "Post an announcement" not in response.text
    assert _url("announcement_edit", course, a) not in response.text
    detail = client.get(_url("announcement", course, a))
    assert detail.status_code == 200
    assert "<h1" in detail.text and "Notice 0" in detail.text


def test_an_outsider_is_refused(client, course, teacher):
    (a,) = _announce(course, teacher)
    client.force_login(UserFactory())
    assert client.get(_url("announcements", course)).status_code == 403
    assert client.get(_url("announcement", course, a)).status_code == 403


def test_a_draft_course_is_not_revealed_to_outsiders(client, teacher):
    draft = Course.objects.create(title="Secret", slug="secret", status=Course.Status.DRAFT)
    client.force_login(UserFactory())
    assert client.get(_url("announcements", draft)).status_code == 404


def test_an_announcement_of_another_course_is_not_found(client, course, teacher, learner):
    other = Course.objects.create(title="Other", slug="other", status=Course.Status.PUBLISHED)
    (elsewhere,) = _announce(other, teacher)
    client.force_login(learner)
    assert client.get(_url("announcement", course, elsewhere)).status_code == 404


def test_the_empty_states_say_what_to_do(client, course, teacher, learner):
    client.force_login(teacher)
    assert "Post one to tell your learners" in client.get(_url("announcements", course)).text
    client.force_login(learner)
    assert "When the teachers post one" in client.get(_url("announcements", course)).text


def test_an_instructor_posts_and_learners_are_notified(client, course, teacher, learner):
    client.force_login(teacher)
    assert client.get(_url("announcement_new", course)).status_code == 200
    response = client.post(
        _url("announcement_new", course), {"title": "Exam moved", "body": "Now on *Friday*."}
    )
    assert response.status_code == 302
    assert response["Location"] == _url("announcements", course)
    announcement = Announcement.objects.get()
    assert announcement.body_html == "<p>Now on <em>Friday</em>.</p>\n"
    assert Notification.objects.get().recipient == learner


def test_an_invalid_post_shows_errors_and_writes_nothing(client, course, teacher):
    client.force_login(teacher)
    response = client.post(_url("announcement_new", course), {"title": "  ", "body": ""})
    assert response.status_code == 400
    assert 'aria-invalid="true"' in response.text
    assert not Announcement.objects.exists()


def test_a_learner_cannot_post(client, course, learner):
    client.force_login(learner)
    assert client.get(_url("announcement_new", course)).status_code == 403
    response = client.post(_url("announcement_new", course), {"title": "Hi", "body": "Hi"})
    assert response.status_code == 403
    assert not Announcement.objects.exists()


def test_an_instructor_edits(client, course, teacher):
    (a,) = _announce(course, teacher)
    client.force_login(teacher)
    form = client.get(_url("announcement_edit", course, a))
    assert "Notice 0" in form.text
    response = client.post(
        _url("announcement_edit", course, a), {"title": "Notice, edited", "body": "Body 0"}
    )
    assert response.status_code == 302
    a.refresh_from_db()
    assert a.title == "Notice, edited"
    assert AuditEvent.objects.filter(action="announcement.updated").count() == 1


def test_deleting_asks_for_confirmation_first(client, course, teacher):
    (a,) = _announce(course, teacher)
    client.force_login(teacher)
    confirm = client.get(_url("announcement_delete", course, a))
    assert confirm.status_code == 200
    assert "cannot be undone" in confirm.text
    assert Announcement.objects.exists()
    response = client.post(_url("announcement_delete", course, a))
    assert response.status_code == 302
    assert not Announcement.objects.exists()
    assert AuditEvent.objects.filter(action="announcement.deleted").count() == 1


def test_the_list_is_paginated_with_a_bounded_number_of_queries(client, course, teacher):
    _announce(course, teacher, 3)
    client.force_login(teacher)
    client.get(_url("announcements", course))
    with CaptureQueriesContext(connection) as few:
        client.get(_url("announcements", course))
    _announce(course, UserFactory(), 30)  # other authors too: no query per author
    with CaptureQueriesContext(connection) as many:
        response = client.get(_url("announcements", course))
    assert len(many) <= len(few)
    assert response.text.count('class="announcement"') == 10
    assert "Page 1 of 4" in response.text


def test_the_course_page_panel_shows_the_latest_three_to_members(client, course, teacher, learner):
    _announce(course, teacher, 5)
    client.force_login(learner)
    text = client.get(reverse("courses:detail", args=[course.public_id])).text
    assert 'id="announcements-panel-heading"' in text
    assert "Notice 4" in text and "Notice 3" in text and "Notice 2" in text  # the newest
    assert "Notice 1" not in text and "Notice 0" not in text
    assert _url("announcements", course) in text


def test_the_course_page_panel_is_hidden_from_outsiders(client, course, teacher):
    _announce(course, teacher)
    client.force_login(UserFactory())
    text = client.get(reverse("courses:detail", args=[course.public_id])).text
    assert "announcements-panel-heading" not in text
    client.logout()
    text = client.get(reverse("courses:detail", args=[course.public_id])).text
    assert "announcements-panel-heading" not in text
