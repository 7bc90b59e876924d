"""The lesson access predicate, case by case."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from syllabus.courses.models import Course
from syllabus.learning.access import can_open_lesson, lesson_access
from syllabus.learning.services import lesson_complete
from syllabus.learning.tests.conftest import enrol
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LATER = timedelta(days=3)


def _learner(course, **kw):
    user = UserFactory()
    enrol(user, course, **kw)
    return user


def _staff(role):
    def make(course):
        user = UserFactory()
        enrol(user, course, role=role)
        return user

    return make


CASES = {
    # name: (who, change, allowed, hidden, staff, reason)
    "learner, published": ("learner", None, True, False, False, ""),
    "learner, draft lesson": ("learner", "lesson_draft", False, True, False, ""),
    "learner, draft module": ("learner", "module_draft", False, True, False, ""),
    "learner, draft course": ("learner", "course_draft", False, False, False, "not open"),
    "learner, archived course": ("learner", "course_archived", False, False, False, "not open"),
    "outsider, draft course": ("outsider", "course_draft", False, True, False, ""),
    "outsider, published": ("outsider", None, False, False, False, "Enrol in this course"),
    "auditor, published": ("auditor", None, False, False, False, "Enrol in this course"),
    "anonymous": ("anonymous", None, False, False, False, "Sign in"),
    "ended enrolment": ("ended", None, False, False, False, "ended on"),
    "enrolment ending later": ("ending", None, True, False, False, ""),
    "lesson opens later": ("learner", "lesson_later", False, False, False, "lesson opens on"),
    "module opens later": ("learner", "module_later", False, False, False, "module opens on"),
    "course opens later": ("learner", "course_later", False, False, False, "course opens on"),
    "prerequisite not done": ("learner", "prerequisite", False, False, False, "“Introduction”"),
    "prerequisite done": ("learner", "prerequisite_done", True, False, False, ""),
    "draft prerequisite binds nothing": ("learner", "draft_prerequisite", True, False, False, ""),
    "instructor, draft lesson": ("instructor", "lesson_draft", True, False, True, ""),
    "instructor, lesson opens later": ("instructor", "lesson_later", True, False, True, ""),
    "teaching assistant, draft course": ("ta", "course_draft", True, False, True, ""),
    "manager, draft module": ("manager", "module_draft", True, False, True, ""),
    "manager, draft course of others": ("manager", "course_draft", False, True, False, ""),
    "admin, draft course": ("admin", "course_draft", True, False, True, ""),
}


def _who(kind, course):
    now = timezone.now()
    makers: dict[str, Any] = {
        "learner": lambda: _learner(course),
        "ended": lambda: _learner(course, ends_at=now - timedelta(minutes=1)),
        "ending": lambda: _learner(course, ends_at=now + LATER),
        "outsider": UserFactory,
        "auditor": lambda: UserFactory(site_roles=["auditor"]),
        "manager": lambda: UserFactory(site_roles=["manager"]),
        "admin": lambda: UserFactory(site_roles=["admin"]),
        "anonymous": AnonymousUser,
        "instructor": lambda: _staff("instructor")(course),
        "ta": lambda: _staff("teaching_assistant")(course),
    }
    return makers[kind]()


def _change(change, course, lessons, user):
    lesson = lessons["intro"]
    later = timezone.now() + LATER
    if change == "lesson_draft":
        lesson.is_published = False
        lesson.save()
    elif change == "module_draft":
        lesson.module.is_published = False
        lesson.module.save()
    elif change in ("course_draft", "course_archived"):
        course.status = Course.Status.DRAFT if change == "course_draft" else "archived"
        course.save()
    elif change == "lesson_later":
        lesson.available_from = later
        lesson.save()
    elif change == "module_later":
        lesson.module.available_from = later
        lesson.module.save()
    elif change == "course_later":
        course.available_from = later
        course.save()
    elif change in ("prerequisite", "prerequisite_done"):
        lesson = lessons["after"]
        if change == "prerequisite_done":
            lesson_complete(user=user, lesson=lessons["intro"])
    elif change == "draft_prerequisite":
        lessons["intro"].is_published = False
        lessons["intro"].save()
        lesson = lessons["after"]
    lesson.refresh_from_db()
    return lesson


@pytest.mark.parametrize("case", sorted(CASES))
def test_lesson_access(case, course, lessons):
    who, change, allowed, hidden, staff, reason = CASES[case]
    user = _who(who, course)
    lesson = _change(change, course, lessons, user)
    access = lesson_access(user, lesson)
    assert (access.allowed, access.hidden, access.staff) == (allowed, hidden, staff)
    assert reason in access.reason
    assert can_open_lesson(user, lesson) == (allowed, access.reason)
    if not allowed:
        assert access.reason  # every refusal says why
