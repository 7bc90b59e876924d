"""The assignments demo data loads through the services and only once."""

from __future__ import annotations

import pytest

from syllabus.assignments.demo import load_demo
from syllabus.assignments.models import Assignment, Submission
from syllabus.assignments.tests.conftest import enrol
from syllabus.audit.models import AuditEvent
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_demo_makes_a_published_assignment_with_graded_and_waiting_work(course, instructor):
    learners = [UserFactory(), UserFactory(), UserFactory()]
    for learner in learners[:2]:
        enrol(learner, course)
    outsider = learners[2]  # not enrolled: skipped
    load_demo(course, instructor, [learners[0], outsider, learners[1]])
    assignment = Assignment.objects.get(course=course)
    assert assignment.lesson.is_published and len(assignment.rubric) == 3
    graded, waiting = Submission.objects.order_by("pk")
    assert graded.user == learners[0] and graded.final_points is not None
    assert waiting.user == learners[1] and waiting.graded_at is None
    assert AuditEvent.objects.filter(action="assignment.graded").count() == 1
    load_demo(course, instructor, learners)
    assert Assignment.objects.count() == 1 and Submission.objects.count() == 2
