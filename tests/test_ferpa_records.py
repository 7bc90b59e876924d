"""FERPA (issue #6): a learner's education records (progress, grades, submissions) are
visible only to the learner, to staff with a role in that course, and to site roles
holding the permission; every view of them by staff is a course-access audit event."""

from __future__ import annotations

import pytest
from django.test import Client

from syllabus.accounts.models import Role
from syllabus.assignments import demo as assignments_demo
from syllabus.assignments.models import Submission
from syllabus.audit.models import AuditEvent
from syllabus.courses.models import Course, CourseMembership
from syllabus.courses.services import course_create
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _member(course: Course, role: str, email: str):
    user = UserFactory(email=email)
    CourseMembership.objects.create(course=course, user=user, role=Role.objects.get(slug=role))
    return user


@pytest.fixture
def world():
    course = course_create(actor=None, title="Records 101")
    other_course = course_create(actor=None, title="Elsewhere 101")
    people = {
        "instructor": _member(course, "instructor", "teacher@example.org"),
        "ta": _member(course, "teaching_assistant", "ta@example.org"),
        "ada": _member(course, "learner", "ada@example.org"),
        "bob": _member(course, "learner", "bob@example.org"),
        "other_instructor": _member(other_course, "instructor", "elsewhere@example.org"),
        "manager": UserFactory(email="manager@example.org", site_roles=["manager"]),
        "auditor": UserFactory(email="auditor@example.org", site_roles=["auditor"]),
        "security": UserFactory(email="security@example.org", site_roles=["security_officer"]),
    }
    Course.objects.filter(pk=course.pk).update(status=Course.Status.PUBLISHED)
    course.refresh_from_db()
    assignments_demo.load_demo(course, people["instructor"], [people["ada"], people["bob"]])
    return course, people


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _status(user, url: str) -> int:
    return _client(user).get(url).status_code


# Who may see what: (records, people who may) for the records of Ada in the course.
ALLOWED = {
    "roster": {"instructor", "ta", "manager"},
    "gradebook": {"instructor", "ta", "manager", "auditor"},
    "submission": {"ada", "instructor", "ta"},
}


def test_each_role_sees_exactly_the_records_it_should(world):
    course, people = world
    submission = Submission.objects.get(user=people["ada"])
    urls = {
        "roster": f"/learn/course/{course.public_id}/roster/",
        "gradebook": f"/grades/course/{course.public_id}/gradebook/",
        "submission": f"/api/v1/submissions/{submission.public_id}",
    }
    for records, url in urls.items():
        for name, person in people.items():
            status = _status(person, url)
            allowed = name in ALLOWED[records]
            assert (status == 200) == allowed, (records, name, status)
            if not allowed:
                assert status in (403, 404), (records, name, status)


def test_a_learner_sees_only_their_own_grades_and_work(world):
    course, people = world
    ada, bob = people["ada"], people["bob"]
    bob_submission = Submission.objects.filter(user=bob).first()
    if bob_submission is not None:
        assert _status(ada, f"/api/v1/submissions/{bob_submission.public_id}") in (403, 404)
    mine = _client(ada).get(f"/api/v1/me/grades/{course.public_id}")
    assert mine.status_code == 200
    assert "bob@example.org" not in mine.content.decode()


def test_staff_views_of_records_are_course_access_audit_events(world):
    course, people = world
    submission = Submission.objects.get(user=people["ada"])
    teacher = _client(people["instructor"])
    before = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    teacher.get(f"/grades/course/{course.public_id}/gradebook/")
    teacher.get(f"/api/v1/courses/{course.public_id}/gradebook")
    teacher.get(f"/assignments/course/{course.public_id}/queue/")
    teacher.get(f"/api/v1/submissions/{submission.public_id}")
    _client(people["ada"]).get(f"/api/v1/submissions/{submission.public_id}")  # her own
    events = list(AuditEvent.objects.filter(action="records.viewed", id__gt=before).order_by("id"))
    assert [e.details["records"] for e in events] == [
        "gradebook",
        "gradebook",
        "grading_queue",
        "submission",
    ]
    assert {e.category for e in events} == {"course_access"}
    assert all(e.actor == people["instructor"] for e in events)
    assert events[-1].details["learner"] == people["ada"].public_id
