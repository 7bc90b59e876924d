"""Demo data for assignments: one published assignment lesson with a rubric in its own
module, a first learner's work graded with the rubric (with feedback), and a second
learner's work waiting in the grading queue.

``load_demo(course, instructor, learners)`` goes through the services (audited like real
work) and is idempotent: when the demo assignment exists it changes nothing. Learners
who cannot open the lesson (not enrolled, enrolment ended) are skipped.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from syllabus.assignments import services
from syllabus.assignments.models import Assignment, Submission
from syllabus.courses import services as course_services
from syllabus.courses.models import Course, Lesson

TITLE = "Project: a short data story"
INSTRUCTIONS = """Pick a small data set you care about (your running times, a city's bike
counts, a class survey) and tell **one** story with it in 300 to 500 words.

- Say what question you asked and where the data came from.
- Include one chart (as a PNG or PDF) and explain what it shows.
- End with what you would look at next.
"""
RUBRIC = [
    {
        "title": "Question",
        "description": "Is the question clear and answerable with the data?",
        "levels": [
            {"title": "Clear and focused", "points": "4"},
            {"title": "Clear but broad", "points": "2"},
            {"title": "Missing", "points": "0"},
        ],
    },
    {
        "title": "Evidence",
        "description": "Does the chart support the story, and is it explained?",
        "levels": [
            {"title": "Convincing", "points": "4"},
            {"title": "Partly", "points": "2"},
            {"title": "Not shown", "points": "0"},
        ],
    },
    {
        "title": "Writing",
        "description": "",
        "levels": [
            {"title": "Clear", "points": "2"},
            {"title": "Hard to follow", "points": "1"},
        ],
    },
]
ANSWERS = (
    "I timed my bike commute for six weeks. **Wednesdays are 4 minutes slower** on "
    "average: the chart shows the market street closure. Next I would log the weather.",
    "My class's survey asked how long we sleep. Most of us sleep under 7 hours on school "
    "nights; the chart compares weekdays and weekends.",
)


@transaction.atomic
def load_demo(course: Course, instructor: Any, learners: Sequence[Any]) -> None:
    if Lesson.objects.filter(course=course, kind=Lesson.Kind.ASSIGNMENT, title=TITLE).exists():
        return
    module = course_services.module_create(actor=instructor, course=course, title="Project")
    lesson = course_services.lesson_create(
        actor=instructor, module=module, title=TITLE, kind=Lesson.Kind.ASSIGNMENT
    )
    assignment = Assignment.objects.select_related("lesson", "course").get(lesson=lesson)
    assignment = services.assignment_update(
        actor=instructor,
        assignment=assignment,
        changes={
            "instructions": INSTRUCTIONS,
            "max_points": Decimal("10"),
            "penalty_percent_per_day": Decimal("10"),
            "penalty_max_percent": Decimal("30"),
        },
        rubric=RUBRIC,
        due_at=timezone.now() + timedelta(days=14),
    )
    course_services.lesson_set_published(actor=instructor, lesson=lesson, published=True)
    course_services.module_set_published(actor=instructor, module=module, published=True)
    assignment.lesson.refresh_from_db()
    handed_in: list[Submission] = []
    for learner in learners:
        if len(handed_in) == len(ANSWERS):
            break
        try:
            handed_in.append(
                services.submission_create(
                    user=learner, assignment=assignment, text=ANSWERS[len(handed_in)]
                )
            )
        except PermissionDenied:
            continue
    if handed_in:
        question, evidence, writing = assignment.rubric
        services.submission_grade(
            actor=instructor,
            submission=handed_in[0],
            levels={
                question["id"]: question["levels"][0]["id"],
                evidence["id"]: evidence["levels"][1]["id"],
                writing["id"]: writing["levels"][0]["id"],
            },
            feedback=(
                "A sharp question and a nice find. The chart needs axis labels and the "
                "number of rides per day, so readers can judge the difference."
            ),
        )
