"""Announcement services: who may post, who is notified, audit events, sanitised Markdown,
bad input writing nothing, the cached course-page panel."""

from __future__ import annotations

import datetime as dt
from html.parser import HTMLParser

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from syllabus.accounts.models import Role
from syllabus.audit.models import AuditEvent
from syllabus.communication.models import Notification
from syllabus.courses.models import Announcement, Course, CourseMembership
from syllabus.courses.selectors_announcements import (
    can_post_announcements,
    can_read_announcements,
    latest_announcements,
)
from syllabus.courses.services_announcements import (
    _clean,
    announcement_delete,
    announcement_post,
    announcement_update,
    announcement_url,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _course(status=Course.Status.PUBLISHED, slug="course"):
    return Course.objects.create(title="Statistics 101", slug=slug, status=status)


def _member(course, role, **fields):
    user = fields.pop("user", None) or UserFactory(**fields.pop("user_fields", {}))
    CourseMembership.objects.create(
        course=course, user=user, role=Role.objects.get(slug=role), **fields
    )
    return user


@pytest.fixture
def course():
    return _course()


@pytest.fixture
def teacher(course):
    return _member(course, "instructor")


def _post(teacher, course, **kw):
    return announcement_post(
        actor=teacher,
        course=course,
        title=kw.get("title", "Week 2"),
        body=kw.get("body", "Read **chapter 2**."),
    )


def test_posting_notifies_the_active_learners_only(
    course, teacher, django_capture_on_commit_callbacks
):
    # given
    active = _member(course, "learner")
    ending_later = _member(course, "learner", ends_at=timezone.now() + dt.timedelta(days=3))
    _member(course, "learner", ends_at=timezone.now() - dt.timedelta(days=1))  # ended
    _member(course, "learner", user_fields={"is_active": False})  # deactivated account
    _member(course, "teaching_assistant")
    elsewhere = _member(_course(slug="other"), "learner")
    # when
    with django_capture_on_commit_callbacks(execute=True):
        announcement = _post(teacher, course)
    # then
    notified = set(Notification.objects.values_list("recipient_id", flat=True))
    assert notified == {active.pk, ending_later.pk}
    assert elsewhere.pk not in notified
    n = Notification.objects.get(recipient=active)
    assert n.kind == "announcement"
    assert n.title == "Statistics 101: Week 2"
    assert n.body == "Read chapter 2."
    assert n.url == announcement_url(announcement)
    assert n.url == f"/courses/{course.public_id}/announcements/{announcement.public_id}/"
    assert len(mail.outbox) == 2  # both learners want immediate emails (the default)


def test_posting_is_audited_and_renders_markdown(course, teacher):
    announcement = _post(teacher, course)
    assert announcement.author == teacher
    assert announcement.body_html == "<p>Read <strong>chapter 2</strong>.</p>\n"
    event = AuditEvent.objects.get(action="announcement.posted")
    assert event.actor == teacher
    assert event.target_id == announcement.public_id
    assert event.details["course"] == course.public_id
    assert event.details["notified"] == 0


@pytest.mark.parametrize(
    "body",
    [
        "<script>alert(1)</script>Hi",
        '<img src="x" onerror="alert(1)">',
        "[click](javascript:alert(1))",
        '<a href="javascript:alert(1)">x</a>',
        "<iframe src='https://evil.example.org'></iframe>",
        '<p style="position:fixed" onclick="steal()">x</p>',
    ],
)
def test_malicious_markdown_is_sanitised(course, teacher, body):
    elements = _elements(_post(teacher, course, body=body).body_html)
    tags = {tag for tag, _ in elements}
    assert not tags & {"script", "iframe", "img", "style"}
    for _, attrs in elements:
        for name, value in attrs:
            assert not name.startswith("on") and name != "style"
            assert not (value or "").strip().lower().startswith("javascript:")


def _elements(html: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    """Every element of an HTML fragment with its attributes (what a browser would act on;
    escaped text such as ``&lt;script&gt;`` is only text)."""
    found: list[tuple[str, list[tuple[str, str | None]]]] = []

    class Collector(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            found.append((tag, attrs))

    Collector().feed(html)
    return found


@pytest.mark.parametrize("role", ["learner", "teaching_assistant"])
def test_learners_and_assistants_cannot_post(course, role):
    member = _member(course, role)
    with pytest.raises(PermissionDenied):
        _post(member, course)
    assert not Announcement.objects.exists()
    assert not AuditEvent.objects.filter(action="announcement.posted").exists()


def test_an_outsider_cannot_post_or_read(course):
    outsider = UserFactory()
    assert not can_read_announcements(outsider, course)
    with pytest.raises(PermissionDenied):
        _post(outsider, course)


def test_readers_and_writers(course, teacher):
    learner = _member(course, "learner")
    ended = _member(course, "learner", ends_at=timezone.now() - dt.timedelta(minutes=1))
    manager = UserFactory(site_roles=["manager"])
    admin = UserFactory(site_roles=["admin"])
    auditor = UserFactory(site_roles=["auditor"])
    assert [can_read_announcements(u, course) for u in (learner, ended, manager, admin)] == [
        True,
        False,
        True,
        True,
    ]
    assert not can_read_announcements(auditor, course)
    assert [can_post_announcements(u, course) for u in (teacher, admin, manager, learner)] == [
        True,
        True,
        False,
        False,
    ]


@pytest.mark.parametrize(
    ("title", "body", "field"),
    [
        ("", "Body", "title"),
        ("   ", "Body", "title"),
        ("T" * 201, "Body", "title"),
        ("Title", "", "body"),
        ("Title", "  \n ", "body"),
        ("Title", "x" * 20_001, "body"),
    ],
)
def test_bad_input_writes_nothing(course, teacher, title, body, field):
    _member(course, "learner")
    with pytest.raises(ValidationError) as caught:
        _post(teacher, course, title=title, body=body)
    assert field in caught.value.message_dict
    assert not Announcement.objects.exists()
    assert not Notification.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="announcement.").exists()


def test_updating_is_audited_and_does_not_notify_again(
    course, teacher, django_capture_on_commit_callbacks
):
    _member(course, "learner")
    with django_capture_on_commit_callbacks(execute=True):
        announcement = _post(teacher, course)
        announcement_update(actor=teacher, announcement=announcement, body="New *text*")
    announcement.refresh_from_db()
    assert announcement.body_html == "<p>New <em>text</em></p>\n"
    assert announcement.title == "Week 2"
    event = AuditEvent.objects.get(action="announcement.updated")
    assert event.details["changed"] == ["body"]
    assert Notification.objects.count() == 1
    assert len(mail.outbox) == 1


def test_an_update_that_changes_nothing_is_not_audited(course, teacher):
    announcement = _post(teacher, course)
    announcement_update(actor=teacher, announcement=announcement, title="Week 2")
    assert not AuditEvent.objects.filter(action="announcement.updated").exists()


def test_a_learner_cannot_update_or_delete(course, teacher):
    announcement = _post(teacher, course)
    learner = _member(course, "learner")
    with pytest.raises(PermissionDenied):
        announcement_update(actor=learner, announcement=announcement, title="Hacked")
    with pytest.raises(PermissionDenied):
        announcement_delete(actor=learner, announcement=announcement)
    announcement.refresh_from_db()
    assert announcement.title == "Week 2"


def test_deleting_is_audited_and_withdraws_unread_notifications(course, teacher):
    reader, skipper = _member(course, "learner"), _member(course, "learner")
    announcement = _post(teacher, course)
    Notification.objects.filter(recipient=reader).update(read_at=timezone.now())
    announcement_delete(actor=teacher, announcement=announcement)
    assert not Announcement.objects.exists()
    assert not Notification.objects.filter(recipient=skipper).exists()
    assert Notification.objects.filter(recipient=reader).exists()  # read: kept as history
    event = AuditEvent.objects.get(action="announcement.deleted")
    assert event.details == {"course": course.public_id, "title": "Week 2"}


def test_the_panel_shows_the_latest_three_and_follows_changes(course, teacher):
    for i in range(4):
        _post(teacher, course, title=f"News {i}")
    assert [a["title"] for a in latest_announcements(course)] == ["News 3", "News 2", "News 1"]
    newest = Announcement.objects.get(title="News 3")
    announcement_update(actor=teacher, announcement=newest, title="News 3, corrected")
    assert latest_announcements(course)[0]["title"] == "News 3, corrected"
    announcement_delete(actor=teacher, announcement=newest)
    assert [a["title"] for a in latest_announcements(course)] == ["News 2", "News 1", "News 0"]


def test_the_panel_excerpt_is_plain_text(course, teacher):
    _post(teacher, course, body="# Heading\n\n**bold** " + "word " * 100)
    excerpt = latest_announcements(course)[0]["excerpt"]
    assert "<" not in excerpt
    assert excerpt.startswith("Heading bold word")
    assert excerpt.endswith("…") and len(excerpt) <= 240


@hsettings(max_examples=150, deadline=None)
@given(title=st.text(max_size=260), body=st.text(max_size=300))
def test_any_title_and_body_are_either_refused_clearly_or_stored_cleanly(title, body):
    """Random text never raises anything but ValidationError; what is accepted is trimmed
    and within the limits."""
    try:
        clean_title, clean_body = _clean(title, body)
    except ValidationError as exc:
        assert set(exc.message_dict) <= {"title", "body"}
        return
    assert 0 < len(clean_title) <= 200
    assert clean_title == " ".join(clean_title.split())
    assert clean_body and clean_body == clean_body.strip()
