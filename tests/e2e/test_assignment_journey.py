"""Browser journey: a learner hands in text and a file; the instructor grades it with
the rubric from the grading queue; the learner sees the grade, the rubric and the
feedback on the lesson page. axe-core checks every page on the way."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from syllabus.accounts.models import Role
from syllabus.assignments.models import Assignment, Submission
from syllabus.assignments.rubric import clean_rubric
from syllabus.courses.models import Course, CourseMembership, Lesson, Module
from tests.e2e.test_accessibility import assert_no_serious_violations
from tests.factories import UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


def _sign_in(page: Any, live_server: Any, user: Any) -> None:
    client = Client()
    client.force_login(user)
    page.context.clear_cookies()
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )


def test_a_learner_hands_in_and_sees_the_rubric_grade(
    page, live_server, axe_audit, browser_problems, tmp_path: Path
):
    # given a published course with an assignment graded by a rubric
    course = Course.objects.create(
        title="Data stories", slug="data-stories", status=Course.Status.PUBLISHED
    )
    teacher = UserFactory(full_name="Tess Teacher")
    learner = UserFactory(full_name="Lee Learner")
    for user, role in ((teacher, "instructor"), (learner, "learner")):
        CourseMembership.objects.create(course=course, user=user, role=Role.objects.get(slug=role))
    module = Module.objects.create(course=course, title="Project", is_published=True)
    lesson = Lesson.objects.create(
        course=course,
        module=module,
        title="A short data story",
        kind=Lesson.Kind.ASSIGNMENT,
        is_published=True,
        due_at=timezone.now() + timedelta(days=7),
    )
    Assignment.objects.create(
        lesson=lesson,
        course=course,
        instructions="Tell one story with a chart.",
        instructions_html="<p>Tell one story with a chart.</p>",
        max_points=Decimal("10"),
        rubric=clean_rubric(
            [
                {
                    "title": "Question",
                    "levels": [{"title": "Focused", "points": 6}, {"title": "Broad", "points": 3}],
                },
                {
                    "title": "Evidence",
                    "levels": [
                        {"title": "Convincing", "points": 4},
                        {"title": "Thin", "points": 1},
                    ],
                },
            ]
        ),
    )
    chart = tmp_path / "chart.pdf"
    chart.write_bytes(PDF)

    # the learner opens the lesson and hands in text and a file
    _sign_in(page, live_server, learner)
    page.goto(f"/learn/{lesson.public_id}/")
    page.get_by_text("You have not handed anything in yet.").wait_for()
    assert_no_serious_violations(axe_audit(page, "assignment-lesson-learner"))
    page.get_by_role("link", name="Hand in your work").click()
    assert_no_serious_violations(axe_audit(page, "assignment-submit"))
    page.get_by_label("Your answer").fill("Wednesdays are **slower**.")
    page.get_by_label("Files").set_input_files(str(chart))
    page.get_by_role("button", name="Hand in").click()
    page.get_by_text("Version 1 handed in.").wait_for()
    page.get_by_text("waiting to be graded").wait_for()
    assert Submission.objects.get().files.count() == 1

    # the instructor grades it from the grading queue with the rubric
    _sign_in(page, live_server, teacher)
    page.goto(f"/assignments/course/{course.public_id}/queue/")
    assert_no_serious_violations(axe_audit(page, "assignment-queue"))
    page.get_by_role("link", name="Grade Lee Learner's A short data story").click()
    page.get_by_role("link", name="chart.pdf").wait_for()
    assert_no_serious_violations(axe_audit(page, "assignment-grade"))
    page.get_by_role("group", name="Question").get_by_label("Focused (6 points)").check()
    page.get_by_role("group", name="Evidence").get_by_label("Thin (1 point)").check()
    page.get_by_label("Feedback").fill("Label the **axes**.")
    page.get_by_role("button", name="Save the grade").click()
    page.get_by_text("Graded Lee Learner's work").wait_for()
    page.get_by_text("Nothing is waiting to be graded.").wait_for()

    # the learner sees the grade, the rubric and the feedback
    _sign_in(page, live_server, learner)
    page.goto(f"/learn/{lesson.public_id}/")
    page.get_by_text("Grade: 7 of 10 points").wait_for()
    rubric = page.get_by_role("table", name="Rubric")
    assert rubric.get_by_role("row", name="Evidence Thin 1 of 4").count() == 1
    assert page.locator(".assignment-grade strong", has_text="axes").count() == 1
    assert_no_serious_violations(axe_audit(page, "assignment-lesson-graded"))
    assert browser_problems.unexpected() == []
