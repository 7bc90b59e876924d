"""The last place cannot be taken twice: enrolment locks the course row before counting.

The threaded test needs a database where concurrent transactions really overlap
(PostgreSQL); on SQLite each write transaction already holds the database's write lock
(transaction_mode=IMMEDIATE), so the same guarantee holds by construction, and the second
test checks the lock is taken before the count on every database.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from syllabus.courses.models import Course, CourseMembership, WaitlistEntry
from syllabus.courses.services_enrolment import EnrolmentError, enrol_self, waitlist_join
from tests.concurrency import together
from tests.factories import UserFactory


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent transactions")
@pytest.mark.django_db(transaction=True)
def test_concurrent_enrolments_never_exceed_capacity():
    course = Course.objects.create(
        title="Race", slug="race", status=Course.Status.PUBLISHED, capacity=3
    )
    people = [UserFactory() for _ in range(8)]

    def attempt(user) -> str:
        try:
            enrol_self(user=user, course=course)
        except EnrolmentError as exc:
            return str(exc.code)
        return "enrolled"

    outcomes = together([lambda p=p: attempt(p) for p in people])
    assert sorted(map(str, outcomes)) == ["course_full"] * 5 + ["enrolled"] * 3
    assert CourseMembership.objects.filter(course=course).count() == 3


@pytest.mark.django_db
def test_the_course_row_is_locked_before_places_are_counted():
    course = Course.objects.create(
        title="Lock", slug="lock", status=Course.Status.PUBLISHED, capacity=1
    )
    enrol_self(user=UserFactory(), course=course)
    waiting = UserFactory()
    with CaptureQueriesContext(connection) as queries:
        waitlist_join(user=waiting, course=course)
    sql = [q["sql"] for q in queries.captured_queries]
    lock_at = next(i for i, s in enumerate(sql) if 'FROM "courses_course"' in s)
    count_at = next(i for i, s in enumerate(sql) if "COUNT(" in s)
    assert lock_at < count_at
    if connection.vendor == "postgresql":
        assert "FOR UPDATE" in sql[lock_at]
    assert WaitlistEntry.objects.filter(user=waiting).exists()
