"""The setup step of the benchmark scenarios (bench/scenario_data.py): what it lists for
the Locust users comes from the database, published content only, and each learner gets
only the quizzes they may still start."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from bench.scenario_data import collect
from syllabus.assessments.models import Attempt
from syllabus.assessments.tests.attempt_factories import enrol, make_course, make_quiz
from syllabus.courses.models import Course, Lesson, Module
from syllabus.ops.demo.content import DEMO_PASSWORD
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _text_lesson(course: Course, *, published: bool = True, **extra) -> Lesson:
    module, _ = Module.objects.get_or_create(
        course=course, title="Reading", defaults={"is_published": True}
    )
    return Lesson.objects.create(
        course=course, module=module, title="Read me", is_published=published, **extra
    )


def test_it_lists_published_content_enrolled_learners_staff_and_open_quizzes():
    course = make_course()
    Course.objects.filter(pk=course.pk).update(title="Statistics Essentials")
    lesson = _text_lesson(course)
    _text_lesson(course, published=False)  # a draft lesson is nobody's to open
    locked = _text_lesson(course, prerequisite=lesson)  # opens only after another
    quiz = make_quiz(course=course, attempts_allowed=1)
    draft = Course.objects.create(title="Draft", slug="draft", status=Course.Status.DRAFT)

    fresh, done, gone = UserFactory(), UserFactory(), UserFactory()
    teacher = UserFactory()
    for person in (fresh, done):
        enrol(person, course)
    enrol(gone, course).__class__.objects.filter(user=gone).update(
        ends_at=timezone.now() - timedelta(days=1)
    )
    enrol(teacher, course, role="instructor")
    enrol(fresh, draft)
    Attempt.objects.create(
        quiz=quiz, user=done, number=1, status=Attempt.Status.SUBMITTED, started_at=timezone.now()
    )

    data = collect(learners_limit=100)

    assert data["password"] == DEMO_PASSWORD
    learners = {row["email"]: row["courses"] for row in data["learners"]}
    assert set(learners) == {fresh.email, done.email}  # not the one whose access ended
    (enrolment,) = learners[fresh.email]  # the draft course is not listed
    assert enrolment["course"] == course.public_id
    assert enrolment["lessons"] == [lesson.public_id]
    assert locked.public_id not in enrolment["lessons"]
    assert enrolment["quizzes"] == [quiz.public_id]
    assert learners[done.email][0]["quizzes"] == []  # their one attempt is used
    assert data["staff"] == [{"email": teacher.email, "courses": [course.public_id]}]
    assert data["catalog"]["courses"] == [course.public_id]
    assert "statistics" in data["catalog"]["search"]


def test_it_lists_at_most_the_learners_asked_for():
    course = make_course()
    _text_lesson(course)
    for _ in range(3):
        enrol(UserFactory(), course)

    assert len(collect(learners_limit=2)["learners"]) == 2
