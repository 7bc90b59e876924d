"""The main journeys with the keyboard alone (issue #10, "Keyboard and screen readers").

Nothing here clicks or fills an element: the person presses Tab (or Shift+Tab) until the
control they want has focus, then types, or presses Enter or Space, or an arrow key in a
radio group or a select (tests/e2e/keyboard.py). Every Tab also checks that the focus is
visible and not hidden under a sticky element. Locators are used only to read the page.

Data is made through the services and factories; people who are not signing in as part of
the journey get their session cookie directly (signing in is a journey of its own)."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from syllabus.accounts.models import Role, RoleAssignment
from syllabus.accounts.tests.mfa_helpers import enrol_totp, totp_code
from syllabus.assessments.models import Attempt
from syllabus.assessments.tests.attempt_factories import enrol, make_quiz
from syllabus.assignments.models import Assignment, Submission
from syllabus.assignments.rubric import clean_rubric
from syllabus.assignments.services import submission_create
from syllabus.courses.models import Course, CourseMembership, Lesson, Module
from syllabus.grades import services as grades
from syllabus.learning.models import LessonProgress
from tests.e2e.course_helpers import (
    course_author,
    published_course_with_video,
    unexpected_problems,
)
from tests.e2e.keyboard import (
    assert_no_keyboard_trap,
    press,
    tab,
    tab_to,
    type_text,
)
from tests.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True), pytest.mark.slow]


def signed_in_as(page: Any, live_server: Any, user: Any) -> None:
    """Give the browser a signed-in session for ``user`` (data setup, not a journey)."""
    client = Client()
    client.force_login(user)
    page.context.clear_cookies()
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )


def main_nav(page: Any) -> Any:
    return page.get_by_role("navigation", name="Main")


def keyboard_sign_in(page: Any, email: str, secret: str | None = None) -> None:
    """Sign in from the home page with the keyboard: the Sign in link of the main
    navigation, email, password, Enter; then the authenticator code when asked."""
    page.goto("/")
    tab_to(page, "Sign in", role="link", within=main_nav(page))
    press(page, "Enter")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    tab_to(page, "Email", role="textbox")
    type_text(page, email)
    tab_to(page, re.compile("^Password"), exact=False)
    type_text(page, PASSWORD)
    press(page, "Enter")  # Enter in a field submits its form
    if secret is None:
        return
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/"))
    code = page.get_by_role("textbox", name="Code")
    # The code field has the focus on arrival, or is the first field after the skip link
    # and the navigation.
    tab_to(page, "Code", role="textbox")
    type_text(page, "000000")
    press(page, "Enter")
    # A wrong code: the error is tied to the field and the focus can go straight back.
    expect(code).to_have_attribute("aria-invalid", "true")
    described = code.get_attribute("aria-describedby") or ""
    assert described, "the code field does not point to its error message"
    error_text = " ".join(
        page.locator(f"#{ident}").inner_text() for ident in described.split() if ident
    )
    assert "Incorrect code" in error_text, error_text
    tab_to(page, "Code", role="textbox")
    page.keyboard.press("Control+A")
    type_text(page, totp_code(secret))
    press(page, "Enter")


def test_sign_in_with_mfa_by_keyboard(request, page, live_server, browser_problems):
    # The server's clock stands still at the start of a 30-second step, so the code
    # computed here is the one the server expects however slow the machine is.
    travel = time_machine.travel(1_800_000_000, tick=False)
    travel.start()
    request.addfinalizer(travel.stop)
    user = UserFactory(email="mara@example.org", full_name="Mara Admin")
    secret = enrol_totp(user)

    keyboard_sign_in(page, user.email, secret)
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.get_by_role("main")).to_contain_text("Signed in as Mara Admin")
    # And out again, from the keyboard.
    tab_to(page, re.compile("^Sign out"), role="button", within=main_nav(page), exact=False)
    press(page, "Enter")
    expect(main_nav(page).get_by_role("link", name="Sign in")).to_be_visible()
    assert unexpected_problems(browser_problems) == []


def test_learner_finds_enrols_and_completes_a_lesson_by_keyboard(
    page, live_server, browser_problems
):
    tides = published_course_with_video(
        title="Tides and the shore",
        description="How the Moon moves the sea, and how to read an estuary at low water.",
    )
    learner = UserFactory(email="lea@example.org", full_name="Lea Learner")
    signed_in_as(page, live_server, learner)

    # From the home page to the catalog through the main navigation.
    page.goto("/")
    tab_to(page, "Courses", role="link", within=main_nav(page))
    press(page, "Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Course catalog")
    assert_no_keyboard_trap(page)

    # Live search (htmx): typing updates the results, announced in a live region.
    tab_to(page, "Search courses", role="searchbox")
    type_text(page, "tides")
    results = page.locator("#catalog-results")
    expect(results.get_by_role("heading", level=2)).to_have_text("1 course for “tides”")
    tab_to(page, "Tides and the shore", role="link", within=results)
    press(page, "Enter")

    # The course page: enrol with Enter on the button.
    expect(page.get_by_role("heading", level=1)).to_have_text("Tides and the shore")
    panel = page.get_by_role("region", name="Enrolment")
    tab_to(page, "Enrol in this course", role="button", within=panel)
    press(page, "Enter")
    expect(panel.get_by_text("You are enrolled.")).to_be_visible()
    tab_to(page, "Continue learning", role="link", within=panel)
    press(page, "Enter")

    # The first lesson: mark it complete with Space.
    expect(page.get_by_role("heading", level=1)).to_have_text("What makes a tide")
    tab_to(page, "Mark as complete", role="button")
    press(page, "Space")
    expect(page.get_by_text("You have completed this lesson.")).to_be_visible()
    assert LessonProgress.objects.filter(
        user=learner, lesson=tides.text, completed_at__isnull=False
    ).exists()
    # The swapped-in status takes the focus (autofocus, once htmx has settled): a link
    # focused before that would lose it under the key press. Tab on from the status.
    expect(page.locator(".learn-done")).to_be_focused()
    tab_to(page, "Next: Watch the tide come in", role="link")
    press(page, "Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Watch the tide come in")
    page.locator("#learn-video").evaluate("v => v.pause()")
    page.wait_for_load_state("networkidle")
    page.evaluate("() => { window.fetch = () => new Promise(() => {}); }")
    assert unexpected_problems(browser_problems) == []


def test_learner_takes_and_submits_a_quiz_by_keyboard(page, live_server, browser_problems):
    # Enough questions for the page to scroll under the sticky timer.
    quiz = make_quiz(
        kinds=("single", "true_false", "numeric", "essay", "ordering", "matching", "multiple"),
        time_limit_minutes=15,
        pass_percent=Decimal("10"),
    )
    learner = UserFactory(email="quinn@example.org", full_name="Quinn Learner")
    enrol(learner, quiz.course)
    signed_in_as(page, live_server, learner)

    page.goto(f"/learn/{quiz.lesson.public_id}/")
    panel = page.get_by_role("region", name="Quiz")
    tab_to(page, "Start the quiz", role="button", within=panel)
    press(page, "Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("attempt 1")

    # Question 1 (one answer): Tab enters the radio group on its first option; the arrow
    # keys move through the group and choose.
    q1, q2, q3 = (page.locator(f"#q{n}") for n in range(1, 4))
    tab_to(page, "Paris", role="radio", within=q1, max_tabs=30)
    press(page, "ArrowDown")  # Lyon, chosen
    expect(q1.get_by_label("Lyon")).to_be_checked()
    press(page, "ArrowUp")  # back to Paris, chosen
    expect(q1.get_by_label("Paris")).to_be_checked()
    expect(page.locator("#save-1")).to_contain_text("Saved at")
    # Question 2 (true or false): Space chooses the focused option.
    tab_to(page, "True", role="radio", within=q2)
    press(page, "Space")
    expect(q2.get_by_label("True")).to_be_checked()
    expect(page.locator("#save-2")).to_contain_text("Saved at")
    # Question 3 (a number), saved when the focus leaves the field.
    tab_to(page, re.compile("^Your answer"), role="textbox", within=q3, exact=False)
    type_text(page, "3.141")
    tab(page)
    expect(page.locator("#save-3")).to_contain_text("Saved at")

    # Down to the submit button, then Shift+Tab back up through every question: each
    # stop, scrolled into view by the browser, stays clear of the sticky timer (2.4.11).
    tab_to(page, "Submit the attempt", role="button")
    expect(page.locator(".quiz-timer")).to_be_in_viewport()
    assert page.evaluate("() => window.scrollY") > 0, "the page did not scroll"
    tab_to(page, "Paris", role="radio", within=q1, backwards=True)

    tab_to(page, "Submit the attempt", role="button")
    press(page, "Enter")
    expect(page).to_have_url(re.compile(r"/result/$"))
    expect(page.get_by_role("main")).to_contain_text("Score so far: 3 of 7")  # the essay waits
    attempt = Attempt.objects.get(user=learner)
    assert attempt.status == "submitted" and not attempt.submitted_by_server
    # Tab's key-up in a question schedules a save (keyup delay): submitting can cancel
    # one still waiting, which htmx logs as errors. The answers were saved before.
    cancelled = ("htmx:afterRequest", "htmx:sendAbort")
    assert unexpected_problems(browser_problems, *cancelled) == []


def test_learner_reads_grades_by_keyboard(page, live_server, browser_problems):
    course = Course.objects.create(title="Coastal geology", slug="coastal", status="published")
    learner = UserFactory(email="lea@example.org", full_name="Lea Learner")
    teacher = UserFactory(email="ivo@example.org", full_name="Ivo Instructor")
    for person, role in ((teacher, "instructor"), (learner, "learner")):
        CourseMembership.objects.create(
            course=course, user=person, role=Role.objects.get(slug=role)
        )
    report = grades.manual_item_create(
        actor=teacher, course=course, title="Field report", max_points="20"
    )
    grades.grade_enter(actor=teacher, item=report, learner=learner, points="15")
    signed_in_as(page, live_server, learner)

    page.goto("/")
    tab_to(page, "Grades", role="link", within=main_nav(page))
    press(page, "Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("My grades")
    row = page.get_by_role("row", name=re.compile("Coastal geology"))
    expect(row).to_contain_text("75.00 %")
    assert_no_keyboard_trap(page)
    tab_to(page, "Coastal geology", role="link", within=page.get_by_role("main"))
    press(page, "Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("My grades in Coastal geology")
    expect(page.get_by_role("row", name=re.compile("Field report"))).to_contain_text("15")
    assert unexpected_problems(browser_problems) == []


def test_instructor_creates_a_course_with_a_lesson_by_keyboard(page, live_server, browser_problems):
    author = course_author("ines@example.org", "Inès Instructor")
    signed_in_as(page, live_server, author)
    title, module = "Sketching for beginners", "Week 1: Lines"

    page.goto("/")
    tab_to(page, "Teach", role="link", within=main_nav(page))
    press(page, "Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Courses I teach")
    tab_to(page, "New course", role="link")
    press(page, "Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("New course")

    # A failed submit first: the error is tied to the field, which can be reached again.
    tab_to(page, "Create the course", role="button")
    press(page, "Enter")
    title_field = page.get_by_role("textbox", name="Title")
    expect(title_field).to_have_attribute("aria-invalid", "true")
    assert title_field.get_attribute("aria-describedby")
    tab_to(page, "Title", role="textbox", backwards=True)
    type_text(page, title)
    tab_to(page, "Summary", role="textbox")
    type_text(page, "Draw what you see.")
    tab_to(page, "Create the course", role="button")
    press(page, "Enter")
    expect(page.get_by_text(f"“{title}” is created as a draft.")).to_be_visible()
    course = Course.objects.get(title=title)

    tab_to(page, "Add a module", role="link")
    press(page, "Enter")
    tab_to(page, "Title", role="textbox")
    type_text(page, module)
    tab_to(page, "Add the module", role="button")
    press(page, "Enter")
    expect(page.get_by_text(f"Module “{module}” added.")).to_be_visible()
    # The new module's page asks for its first lesson.
    expect(page.get_by_role("heading", level=1)).to_have_text(f"New lesson in “{module}”")
    tab_to(page, "Title", role="textbox")
    type_text(page, "Holding the pencil")
    kinds = page.get_by_role("group", name="Kind of lesson")
    tab_to(page, re.compile("^"), role="radio", within=kinds, exact=False)
    # Arrow keys move through the kinds (and choose) until Text is chosen.
    text_kind = kinds.get_by_role("radio", name=re.compile("^Text:"))
    for _ in range(8):
        if text_kind.is_checked():
            break
        press(page, "ArrowDown")
    expect(text_kind).to_be_checked()
    tab_to(page, "Add the lesson", role="button")
    press(page, "Enter")
    expect(page.get_by_text("Lesson “Holding the pencil” added as a draft.")).to_be_visible()
    tab_to(page, re.compile(r"^Text:?$"), role="textbox", exact=False)
    type_text(page, "Hold it **loosely**.")
    tab_to(page, "Save the lesson", role="button")
    press(page, "Enter")
    expect(page.get_by_text("Lesson saved.")).to_be_visible()

    lesson = Lesson.objects.get(course=course)
    assert lesson.title == "Holding the pencil" and lesson.kind == Lesson.Kind.TEXT
    assert "loosely" in lesson.body
    assert CourseMembership.objects.filter(
        course=course, user=author, role__slug="instructor"
    ).exists()
    assert unexpected_problems(browser_problems) == []


def _assignment_with_submission() -> tuple[Course, Any, Any]:
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
    assignment = Assignment.objects.create(
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
    submission_create(user=learner, assignment=assignment, text="Wednesdays are slower.")
    return course, teacher, learner


def test_instructor_grades_an_assignment_by_keyboard(page, live_server, browser_problems):
    course, teacher, learner = _assignment_with_submission()
    signed_in_as(page, live_server, teacher)

    page.goto(f"/assignments/course/{course.public_id}/queue/")
    tab_to(page, "Grade Lee Learner's A short data story", role="link")
    press(page, "Enter")
    expect(page.get_by_role("heading", level=1)).to_be_visible()

    # Each rubric criterion is a radio group: Tab into it, arrows to the level.
    question = page.get_by_role("group", name="Question")
    tab_to(page, "Focused (6 points)", role="radio", within=question)
    press(page, "Space")
    evidence = page.get_by_role("group", name="Evidence")
    tab_to(page, "Convincing (4 points)", role="radio", within=evidence)
    press(page, "ArrowDown")
    expect(evidence.get_by_label("Thin (1 point)")).to_be_checked()
    expect(question.get_by_label("Focused (6 points)")).to_be_checked()
    tab_to(page, "Feedback", role="textbox")
    type_text(page, "Label the axes.")
    tab_to(page, "Save the grade", role="button")
    press(page, "Enter")
    expect(page.get_by_text("Graded Lee Learner's work")).to_be_visible()

    submission = Submission.objects.get(user=learner)
    assert submission.points == Decimal("7")
    assert "axes" in submission.feedback
    assert unexpected_problems(browser_problems) == []


def test_admin_assigns_a_role_by_keyboard(request, page, live_server, browser_problems):
    travel = time_machine.travel(1_800_000_000, tick=False)
    travel.start()
    request.addfinalizer(travel.stop)
    admin = UserFactory(
        email="ada@example.org", full_name="Ada Admin", is_superuser=True, site_roles=["admin"]
    )
    secret = enrol_totp(admin)
    nina = UserFactory(email="nina@example.org", full_name="Nina Newcomer")

    # Role changes need a recent second factor: the admin signs in with one.
    keyboard_sign_in(page, admin.email, secret)
    expect(page.get_by_role("main")).to_contain_text("Signed in as Ada Admin")
    page.goto("/account/people/")
    expect(page.get_by_role("heading", level=1)).to_have_text("People")
    search = page.get_by_role("search", name="Filter people")
    tab_to(page, re.compile("^Search by name"), role="searchbox", within=search, exact=False)
    type_text(page, "nina")
    press(page, "Enter")
    expect(page).to_have_url(re.compile(r"q=nina"))
    tab_to(page, "Nina Newcomer", role="link", within=page.get_by_role("table"))
    press(page, "Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Nina Newcomer")

    # The role select: typing a name's first letters picks it, as in any select.
    grant = page.get_by_role("combobox", name="Grant a role")
    tab_to(page, "Grant a role", role="combobox")
    type_text(page, "Manager")
    expect(grant.locator("option:checked")).to_have_text("Manager")
    tab_to(page, "Grant", role="button")
    press(page, "Enter")
    expect(page.get_by_text("nina@example.org is now Manager.")).to_be_visible()
    assert RoleAssignment.objects.filter(user=nina, role__slug="manager").exists()
    assert unexpected_problems(browser_problems) == []
