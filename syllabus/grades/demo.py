"""Demo data for one course's gradebook: two weighted categories, a manual
"Participation" item, quiz and assignment items filed into the categories, and
participation grades for the course's current learners.

``load_demo(course)`` goes through the services (audited like real work) and is
idempotent: running it again changes nothing.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from syllabus.courses.models import Course
from syllabus.grades import services
from syllabus.grades.models import GradeCategory, GradeItem
from syllabus.grades.selectors import active_learners

CATEGORIES = (("Quizzes", Decimal("40")), ("Assignments", Decimal("60")))
PARTICIPATION = "Participation"
# Points out of 10, given in turn to the learners (by name), so the demo shows a spread.
PARTICIPATION_POINTS = ("9", "7.5", "8", "6", "10", "5.5")


@transaction.atomic
def load_demo(course: Course) -> None:
    categories = {}
    for name, weight in CATEGORIES:
        category = GradeCategory.objects.filter(course=course, name=name).first()
        categories[name] = category or services.category_create(
            actor=None, course=course, name=name, weight=weight
        )
    for item in GradeItem.objects.filter(course=course, category__isnull=True).exclude(
        kind=GradeItem.Kind.MANUAL
    ):
        target = categories["Quizzes" if item.kind == GradeItem.Kind.QUIZ else "Assignments"]
        services.item_update(actor=None, item=item, category=target)
    participation = GradeItem.objects.filter(
        course=course, kind=GradeItem.Kind.MANUAL, title=PARTICIPATION
    ).first() or services.manual_item_create(
        actor=None, course=course, title=PARTICIPATION, max_points=Decimal("10")
    )
    # The demo's own learners only: load-test learners (syllabus demo --scale) may be
    # enrolled here too, and a re-run must not grade them.
    learners = active_learners(course).exclude(user__email__iendswith="@scale.example.org")
    for index, membership in enumerate(learners):
        if participation.grades.filter(user=membership.user).exists():
            continue
        services.grade_enter(
            actor=None,
            item=participation,
            learner=membership.user,
            points=PARTICIPATION_POINTS[index % len(PARTICIPATION_POINTS)],
        )
