"""The gradebook demo data: categories, a manual item with grades; idempotent."""

from __future__ import annotations

import pytest

from syllabus.audit.models import AuditEvent
from syllabus.grades import services
from syllabus.grades.demo import load_demo
from syllabus.grades.models import Grade, GradeCategory, GradeItem

pytestmark = pytest.mark.django_db


def test_load_demo_builds_a_gradebook_once(course, student, other_student):
    quiz = services.source_item_sync(
        course=course, kind="quiz", source_id=1, title="Quiz", max_points=10
    )
    load_demo(course)
    assert sorted(GradeCategory.objects.values_list("name", flat=True)) == [
        "Assignments",
        "Quizzes",
    ]
    quiz.refresh_from_db()
    assert quiz.category is not None and quiz.category.name == "Quizzes"
    assert GradeItem.objects.get(kind="manual").title == "Participation"
    assert Grade.objects.count() == 2
    events = AuditEvent.objects.count()
    load_demo(course)
    assert (GradeCategory.objects.count(), GradeItem.objects.count(), Grade.objects.count()) == (
        2,
        2,
        2,
    )
    assert AuditEvent.objects.count() == events
