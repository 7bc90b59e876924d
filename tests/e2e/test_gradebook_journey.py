"""The gradebook in a real browser: an instructor opens the gradebook, enters a grade in
a cell (htmx swaps the row with the new totals), overrides a quiz grade (refused without
a reason, then saved with one); the learner sees "My grades", with a grade that is not
released yet hidden from the page and from their total. Axe checks every page."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from syllabus.accounts.models import Role
from syllabus.courses.models import Course, CourseMembership
from syllabus.grades import services
from syllabus.grades.models import Grade
from tests.e2e.course_helpers import sign_in, sign_out, unexpected_problems
from tests.e2e.test_accessibility import assert_no_serious_violations
from tests.factories import UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TITLE = "Coastal geology"


def _course_with_grades():
    course = Course.objects.create(title=TITLE, slug="coastal-geology", status="published")
    teacher = UserFactory(email="ivo@example.org", full_name="Ivo Instructor")
    learner = UserFactory(email="lea@example.org", full_name="Lea Learner")
    for person, role in ((teacher, "instructor"), (learner, "learner")):
        CourseMembership.objects.create(
            course=course, user=person, role=Role.objects.get(slug=role)
        )
    services.source_item_sync(
        course=course, kind="quiz", source_id=4242, title="Rock quiz", max_points=Decimal("10")
    )
    services.source_grade_record(kind="quiz", source_id=4242, user=learner, points=Decimal("8"))
    report = services.manual_item_create(
        actor=teacher, course=course, title="Field report", max_points="20"
    )
    secret = services.manual_item_create(
        actor=teacher,
        course=course,
        title="Moderated exam",
        max_points="10",
        learner_visibility="never",
    )
    services.grade_enter(actor=teacher, item=secret, learner=learner, points="5")
    return course, teacher, learner, report


def test_instructor_grades_and_overrides_learner_sees_my_grades(
    page, live_server, screenshot, browser_problems, axe_audit
):
    def accessible(name: str) -> None:
        assert_no_serious_violations(axe_audit(page, f"gradebook-journey-{name}"))

    course, teacher, learner, report = _course_with_grades()

    # The instructor opens the gradebook: one learner, three items, no course total yet
    # beyond what is graded (quiz 8/10 and the exam 5/10: 13/20 = 65 %, D).
    sign_in(page, teacher.email)
    page.goto(f"/grades/course/{course.public_id}/gradebook/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Gradebook")
    row = page.locator(f"#grades-row-{learner.public_id}")
    expect(row.get_by_role("rowheader")).to_contain_text("Lea Learner")
    expect(row.locator(".grades-total").first).to_have_text("65.00")
    screenshot("gradebook-journey-1-grid")
    accessible("grid")

    # Enters the field report in its cell: htmx brings a form, then the whole row back.
    row.get_by_role("link", name="Edit Field report for Lea Learner").click()
    field = row.get_by_label("Points for Lea Learner on Field report (out of 20.00)")
    expect(field).to_be_focused()
    field.fill("25")
    row.get_by_role("button", name="Save").click()
    expect(row.get_by_role("alert")).to_contain_text("Points must be between 0 and 20.00")
    accessible("cell-error")
    row.get_by_label("Points for Lea Learner on Field report (out of 20.00)").fill("15")
    row.get_by_role("button", name="Save").click()
    # (8 + 15 + 5) / 40 = 70 % -> C
    expect(row.locator(".grades-total").first).to_have_text("70.00")
    expect(row.locator(".grades-total").last).to_have_text("C")
    # The focus is back on the cell's Edit link, not lost with the replaced row.
    expect(row.get_by_role("link", name="Edit Field report for Lea Learner")).to_be_focused()
    assert Grade.objects.get(item=report, user=learner).points == Decimal("15")

    # Overrides the quiz grade: refused without a reason, then saved with one.
    row.get_by_role("link", name="Override Rock quiz for Lea Learner").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Override Rock quiz for Lea Learner")
    page.get_by_label("Points that count").fill("10")
    page.get_by_role("button", name="Save override").click()
    reason = page.get_by_label("Reason")
    expect(reason).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("alert")).to_be_visible()
    screenshot("gradebook-journey-2-override-refused")
    accessible("override-refused")
    page.get_by_label("Points that count").fill("10")
    reason.fill("Question 4 had two right answers")
    page.get_by_role("button", name="Save override").click()
    expect(page).to_have_url(re.compile(r"/gradebook/$"))
    row = page.locator(f"#grades-row-{learner.public_id}")
    expect(row).to_contain_text("Overridden (given 8.00)")
    # (10 + 15 + 5) / 40 = 75 % -> C
    expect(row.locator(".grades-total").first).to_have_text("75.00")
    screenshot("gradebook-journey-3-overridden")
    accessible("grid-overridden")
    sign_out(page)

    # The learner sees the released grades only: (10 + 15) / 30 = 83.33 % -> B.
    sign_in(page, learner.email)
    page.goto("/grades/")
    expect(page.get_by_role("heading", level=1)).to_have_text("My grades")
    course_row = page.get_by_role("row", name=re.compile(TITLE))
    expect(course_row).to_contain_text("83.33 %")
    expect(course_row).to_contain_text("B")
    accessible("my-grades")
    course_row.get_by_role("link", name=TITLE).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"My grades in {TITLE}")
    main = page.get_by_role("main")
    expect(main).to_contain_text("83.33 %")
    expect(page.get_by_role("row", name=re.compile("Moderated exam"))).to_contain_text(
        "Not released yet"
    )
    expect(page.get_by_role("row", name=re.compile("Rock quiz"))).to_contain_text(
        "Adjusted by your teacher."
    )
    screenshot("gradebook-journey-4-learner")
    accessible("my-grades-course")
    assert unexpected_problems(browser_problems) == []
