"""The instructor journey in a real browser: create a course on the Teach pages, add a
module and lessons (two text lessons and a document uploaded through the form), publish
them and the course, enrol a learner by hand on the People page, and follow that learner's
progress on the roster. And the outline editor's Up/Down buttons from the keyboard."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from syllabus.accounts.models import Role
from syllabus.audit.models import AuditEvent
from syllabus.courses import services
from syllabus.courses.models import Course, CourseMembership, Lesson
from syllabus.ops.demo import files as demo_files
from tests.e2e.course_helpers import course_author, sign_in, sign_out, unexpected_problems
from tests.e2e.test_accessibility import assert_no_serious_violations
from tests.factories import UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

AUTHOR_EMAIL = "ines@example.org"
LEARNER_EMAIL = "lea@example.org"
TITLE = "Sketching for beginners"
MODULE = "Week 1: Lines and shapes"


def _outline_lesson_titles(page: Any) -> list[str]:
    return [
        title.strip()
        for title in page.locator(".outline-lesson .outline-title > a").all_inner_texts()
    ]


def _add_text_lesson(page: Any, title: str, body: str) -> None:
    page.get_by_role("link", name=f"Add a lesson to {MODULE}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"New lesson in “{MODULE}”")
    page.get_by_label("Title").fill(title)
    page.get_by_role("group", name="Kind of lesson").get_by_role(
        "radio", name=re.compile("^Text:")
    ).check()
    page.get_by_role("button", name="Add the lesson").click()
    expect(page.get_by_text(f"Lesson “{title}” added as a draft.")).to_be_visible()
    page.get_by_label(re.compile(r"^Text:?$")).fill(body)
    page.get_by_role("button", name="Save the lesson").click()
    expect(page.get_by_text("Lesson saved.")).to_be_visible()
    page.get_by_role("link", name=re.compile("Modules and lessons of")).click()


def test_instructor_builds_publishes_enrols_and_follows_progress(
    page, live_server, screenshot, browser_problems, axe_audit, tmp_path
):
    def accessible(name: str) -> None:
        assert_no_serious_violations(axe_audit(page, f"instructor-journey-{name}"))

    author = course_author(AUTHOR_EMAIL, "Inès Instructor")
    learner = UserFactory(email=LEARNER_EMAIL, full_name="Lea Learner")

    # Teach: no course yet, create one.
    sign_in(page, AUTHOR_EMAIL)
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("link", name="Teach").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Courses I teach")
    accessible("teach-empty")
    page.get_by_role("link", name="New course").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New course")
    accessible("new-course")
    page.get_by_label("Title").fill(TITLE)
    page.get_by_label("Summary").fill("Draw what you see: lines, shapes and shading.")
    page.get_by_role("button", name="Create the course").click()
    expect(page.get_by_text(f"“{TITLE}” is created as a draft. Add a module next.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_contain_text(TITLE)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Draft")
    course = Course.objects.get(title=TITLE)
    assert CourseMembership.objects.filter(
        course=course, user=author, role__slug="instructor"
    ).exists()
    screenshot("instructor-journey-1-new-course-outline")
    accessible("outline-empty")

    # A module, then two text lessons in it.
    page.get_by_role("link", name="Add a module").click()
    page.get_by_label("Title").fill(MODULE)
    page.get_by_role("button", name="Add the module").click()
    expect(page.get_by_text(f"Module “{MODULE}” added. Add its first lesson.")).to_be_visible()
    page.get_by_role("link", name=re.compile("Modules and lessons of")).click()
    _add_text_lesson(page, "Holding the pencil", "Hold it **loosely**, far from the tip.")
    _add_text_lesson(page, "Drawing a cube", "Start with two overlapping squares.")
    expect(page.get_by_role("heading", level=1)).to_contain_text(TITLE)
    assert _outline_lesson_titles(page) == ["Holding the pencil", "Drawing a cube"]

    # Bonus: a file lesson with a document uploaded through the form (checked by content).
    page.get_by_role("link", name=f"Add a lesson to {MODULE}").click()
    page.get_by_label("Title").fill("Practice sheet")
    page.get_by_role("group", name="Kind of lesson").get_by_role(
        "radio", name=re.compile("^File:")
    ).check()
    page.get_by_role("button", name="Add the lesson").click()
    expect(page.get_by_text("Upload the document before publishing the lesson.")).to_be_visible()
    sheet = tmp_path / "practice-sheet.pdf"
    sheet.write_bytes(
        demo_files.summary_pdf(TITLE, MODULE, (("Practice sheet", ("Draw ten cubes.",)),))
    )
    files = page.get_by_role("region", name="Document")
    files.get_by_label("Document").set_input_files(str(sheet))
    files.get_by_role("button", name="Upload").click()
    expect(page.get_by_text("Current document:")).to_contain_text("practice-sheet.pdf")
    # The same form refuses a file that only pretends to be a PDF, and keeps the old one.
    fake = tmp_path / "notes.pdf"
    fake.write_bytes(b"MZ\x90\x00 this is a program, not a document " * 20)
    files = page.get_by_role("region", name="Document")
    files.get_by_label("Document").set_input_files(str(fake))
    files.get_by_role("button", name="Upload").click()
    expect(files.locator(".errorlist")).to_contain_text(
        "notes.pdf is named .pdf but its content looks like"
    )
    expect(page.get_by_text("Current document:")).to_contain_text("practice-sheet.pdf")
    screenshot("instructor-journey-2-file-lesson")
    accessible("lesson-edit-upload-error")
    page.get_by_role("link", name=re.compile("Modules and lessons of")).click()
    assert _outline_lesson_titles(page) == [
        "Holding the pencil",
        "Drawing a cube",
        "Practice sheet",
    ]

    # Publish the lessons and the module from the outline (htmx, no page load).
    outline = page.locator("#outline")
    for title in ("Holding the pencil", "Drawing a cube", "Practice sheet"):
        outline.get_by_role("button", name=f"Publish lesson {title}").click()
        expect(outline.get_by_role("button", name=f"Unpublish lesson {title}")).to_be_visible()
    outline.get_by_role("button", name=f"Publish module {MODULE}").click()
    expect(outline.get_by_role("button", name=f"Unpublish module {MODULE}")).to_be_visible()
    expect(outline.locator(".status-tag", has_text="Draft")).to_have_count(0)
    screenshot("instructor-journey-3-outline-published")
    accessible("outline")

    # Publish the course on its settings page.
    page.get_by_role("navigation", name="Course editing").get_by_role(
        "link", name="Settings"
    ).click()
    page.get_by_role("button", name="Publish", exact=True).click()
    expect(page.get_by_text(f"“{TITLE}” is published: learners can find it.")).to_be_visible()
    course.refresh_from_db()
    assert course.status == Course.Status.PUBLISHED

    # Enrol a learner by hand on the People page.
    page.get_by_role("navigation", name="Course editing").get_by_role("link", name="People").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"People in {TITLE}")
    page.get_by_role("navigation", name="People in this course").get_by_role(
        "link", name="Add a person"
    ).click()
    page.get_by_label("Email of an existing account").fill(LEARNER_EMAIL)
    expect(page.get_by_label("Course role")).to_have_value("learner")
    page.get_by_role("button", name="Add to the course").click()
    members = page.get_by_role("table", name=re.compile("^Members"))
    row = members.get_by_role("row").filter(has_text=LEARNER_EMAIL)
    expect(row).to_have_count(1)
    expect(row.get_by_role("cell", name="Learner", exact=True)).to_be_visible()
    expect(row.get_by_role("cell", name="Added by staff")).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text("1 learner")
    screenshot("instructor-journey-4-people")
    accessible("people")
    membership = CourseMembership.objects.get(course=course, user=learner)
    assert membership.role.slug == "learner"
    assert membership.source == CourseMembership.Source.MANUAL
    enrolled = AuditEvent.objects.filter(action="enrolment.created", actor=author)
    assert enrolled.count() == 1  # the manual enrolment is audited, by whom it was made

    # The learner studies the first lesson...
    sign_out(page)
    sign_in(page, LEARNER_EMAIL)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard").click()
    page.get_by_role("link", name=re.compile(r"^Start .*: Holding the pencil$")).click()
    page.get_by_role("button", name="Mark as complete").click()
    expect(page.get_by_text("You have completed this lesson.")).to_be_visible()
    sign_out(page)

    # ...and the instructor sees it on the roster.
    sign_in(page, AUTHOR_EMAIL)
    page.goto(f"/courses/{course.public_id}/")
    panel = page.get_by_role("region", name="Enrolment")
    expect(panel).to_contain_text("You are instructor in this course.")
    panel.get_by_role("link", name="Continue learning").click()
    expect(page.get_by_text("You are viewing this lesson as course staff")).to_be_visible()
    page.get_by_role("link", name="See the learners' progress").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Roster and progress")
    expect(page.get_by_role("main")).to_contain_text("1 learner · 3 required lessons")
    roster = page.get_by_role("table", name=re.compile(f"^Learners of {TITLE}"))
    learner_row = roster.get_by_role("row").filter(has_text=LEARNER_EMAIL)
    expect(learner_row).to_have_count(1)
    expect(learner_row.get_by_role("rowheader")).to_contain_text("Lea Learner")
    expect(learner_row).to_contain_text("33%")
    expect(learner_row).to_contain_text("1 of 3")
    expect(learner_row).not_to_contain_text("Not started")
    screenshot("instructor-journey-5-roster")
    accessible("roster")
    assert unexpected_problems(browser_problems) == []


def _course_with_lessons(instructor: Any, titles: list[str]) -> Course:
    course = services.course_create(actor=None, title="Outline order")
    services.course_role_set(
        actor=None, course=course, user=instructor, role=Role.objects.get(slug="instructor")
    )
    module = services.module_create(actor=instructor, course=course, title="Only module")
    for title in titles:
        services.lesson_create(
            actor=instructor,
            module=module,
            title=title,
            kind=Lesson.Kind.TEXT,
            changes={"body": f"About {title}."},
        )
    return course


def test_outline_moves_a_lesson_down_from_the_keyboard(
    page, live_server, screenshot, browser_problems
):
    instructor = UserFactory(email=AUTHOR_EMAIL, full_name="Inès Instructor")
    course = _course_with_lessons(instructor, ["Intro", "Middle", "End"])
    sign_in(page, AUTHOR_EMAIL)
    page.goto(f"/courses/{course.public_id}/outline/")
    assert _outline_lesson_titles(page) == ["Intro", "Middle", "End"]

    # Reach the button with the keyboard: Tab from the lesson's title link.
    page.get_by_role("link", name="Intro", exact=True).focus()
    page.keyboard.press("Tab")
    up_intro = page.get_by_role("button", name="Up lesson Intro")
    down_intro = page.get_by_role("button", name="Down lesson Intro")
    expect(up_intro).to_be_disabled()  # the first lesson cannot go up: Tab skips it
    expect(down_intro).to_be_focused()
    page.keyboard.press("Enter")

    # The outline is swapped in place; focus stays on the moved lesson's Down button.
    expect(page.locator(".outline-lesson .outline-title > a").first).to_have_text("Middle")
    assert _outline_lesson_titles(page) == ["Middle", "Intro", "End"]
    expect(page.get_by_role("button", name="Down lesson Intro")).to_be_focused()
    screenshot("instructor-journey-keyboard-moved-once")

    # Once more: Intro becomes last, so Down is disabled and focus goes to its Up button.
    page.keyboard.press("Enter")
    expect(page.locator(".outline-lesson .outline-title > a").last).to_have_text("Intro")
    assert _outline_lesson_titles(page) == ["Middle", "End", "Intro"]
    expect(page.get_by_role("button", name="Down lesson Intro")).to_be_disabled()
    expect(page.get_by_role("button", name="Up lesson Intro")).to_be_focused()

    # And back up with Space.
    page.keyboard.press("Space")
    expect(page.locator(".outline-lesson .outline-title > a").nth(1)).to_have_text("Intro")
    assert _outline_lesson_titles(page) == ["Middle", "Intro", "End"]
    expect(page.get_by_role("button", name="Up lesson Intro")).to_be_focused()

    # The server has the new order, and it survives a reload.
    ordered = list(
        Lesson.objects.filter(course=course).order_by("position").values_list("title", flat=True)
    )
    assert ordered == ["Middle", "Intro", "End"]
    page.reload()
    assert _outline_lesson_titles(page) == ["Middle", "Intro", "End"]
    assert unexpected_problems(browser_problems) == []
