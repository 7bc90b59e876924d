"""The quiz authoring journey in a real browser: an instructor creates a question bank,
writes a single-choice and a numeric question, adds a quiz lesson that draws questions at
random from the bank, sets its time limit and attempts, and publishes it; axe checks every
page on the way."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from syllabus.accounts.models import Role
from syllabus.assessments.models import Question, QuestionBank, Quiz
from syllabus.courses import services
from syllabus.grades.models import GradeItem
from tests.e2e.course_helpers import sign_in, unexpected_problems
from tests.e2e.test_accessibility import assert_no_serious_violations
from tests.factories import UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

EMAIL = "ines@example.org"
MODULE = "Week 1"


def test_instructor_writes_questions_and_publishes_a_random_quiz(
    page, live_server, screenshot, browser_problems, axe_audit
):
    def accessible(name: str) -> None:
        assert_no_serious_violations(axe_audit(page, f"quiz-authoring-{name}"))

    instructor = UserFactory(email=EMAIL, full_name="Inès Instructor")
    course = services.course_create(actor=None, title="Numbers and places")
    services.course_role_set(
        actor=None, course=course, user=instructor, role=Role.objects.get(slug="instructor")
    )
    module = services.module_create(actor=instructor, course=course, title=MODULE)
    services.module_set_published(actor=instructor, module=module, published=True)

    sign_in(page, EMAIL)
    page.goto(f"{live_server.url}/courses/{course.public_id}/outline/")
    page.get_by_role("navigation", name="Course editing").get_by_role(
        "link", name="Question banks"
    ).click()
    expect(page.get_by_text("This course has no question bank yet.")).to_be_visible()
    accessible("banks-empty")

    # A bank.
    page.get_by_label("Name").fill("Week 1 questions")
    page.get_by_role("button", name="Create the bank").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Week 1 questions")
    expect(page.get_by_text("This bank has no questions yet.")).to_be_visible()
    accessible("bank-empty")

    # A single-choice question, with its options in rows.
    page.get_by_role("link", name="Single choice").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New question: single choice")
    accessible("question-single-new")
    page.get_by_label("Title").fill("Capital of France")
    page.get_by_label(re.compile(r"^Question:?$")).fill("What is the capital of **France**?")
    page.get_by_label("Points").fill("2")
    page.get_by_label("Tags").fill("week1, geography")
    page.get_by_label("Option 1", exact=True).fill("Paris")
    page.get_by_label("Option 1 is correct").check()
    page.get_by_label("Option 2", exact=True).fill("Lyon")
    page.get_by_label("Option 3", exact=True).fill("Marseille")
    page.get_by_role("button", name="Save the question").last.click()
    expect(page.get_by_text("Question saved.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Capital of France")
    single = Question.objects.get(title="Capital of France")
    assert [o["text"] for o in single.config["options"]] == ["Paris", "Lyon", "Marseille"]
    assert single.points == Decimal("2.00")

    page.get_by_role("link", name="Preview").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Preview: Capital of France")
    expect(page.get_by_label("Paris")).to_be_disabled()
    accessible("question-preview")
    screenshot("quiz-authoring-preview")

    # A numeric question with a tolerance.
    page.get_by_role("link", name=re.compile("Bank “Week 1 questions”")).click()
    page.get_by_role("link", name="Numeric").click()
    page.get_by_label("Title").fill("Value of pi")
    page.get_by_label(re.compile(r"^Question:?$")).fill("Give π to two decimal places.")
    page.get_by_label("Tags").fill("week1")
    page.get_by_label("Correct answer").fill("3.14")
    page.get_by_label(re.compile(r"^Tolerance:?$")).fill("0.005")
    accessible("question-numeric-new")
    page.get_by_role("button", name="Save the question").last.click()
    expect(page.get_by_text("Question saved.")).to_be_visible()
    numeric = Question.objects.get(title="Value of pi")
    assert numeric.config == {"answer": "3.14", "tolerance": "0.005", "tolerance_kind": "absolute"}

    page.get_by_role("link", name=re.compile("Bank “Week 1 questions”")).click()
    page.get_by_label("Tag").select_option("geography")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("link", name="Capital of France", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Value of pi", exact=True)).to_have_count(0)
    accessible("bank-filtered")

    # A quiz lesson drawing two random questions from the bank.
    page.goto(f"{live_server.url}/courses/{course.public_id}/outline/")
    page.get_by_role("link", name=f"Add a lesson to {MODULE}").click()
    page.get_by_label("Title").fill("Check-up")
    page.get_by_role("group", name="Kind of lesson").get_by_role(
        "radio", name=re.compile("^Quiz:")
    ).check()
    page.get_by_role("button", name="Add the lesson").click()
    expect(page.get_by_text("Lesson “Check-up” added as a draft.")).to_be_visible()
    page.get_by_role("link", name="Questions and settings").click()
    expect(page.get_by_text("Add at least one question to the quiz.").first).to_be_visible()
    accessible("quiz-questions-empty")
    random_form = page.locator("form", has=page.get_by_role("button", name="Add random questions"))
    random_form.get_by_label("How many").fill("2")
    random_form.get_by_label("Bank").select_option(label="Week 1 questions")
    page.get_by_role("button", name="Add random questions").click()
    expect(page.get_by_text("Random questions added.")).to_be_visible()
    expect(page.get_by_text("2 random questions from bank “Week 1 questions”")).to_be_visible()
    accessible("quiz-questions")

    page.get_by_role("navigation", name="Quiz editing").get_by_role("link", name="Settings").click()
    page.get_by_label("Time limit (minutes)").fill("15")
    page.get_by_label("Attempts allowed").fill("2")
    page.get_by_label("Passing score (%)").fill("60")
    accessible("quiz-settings")
    page.get_by_role("button", name="Save the settings").click()
    expect(page.get_by_text("Quiz settings saved.")).to_be_visible()
    quiz = Quiz.objects.get(lesson__title="Check-up")
    assert (quiz.time_limit_minutes, quiz.attempts_allowed) == (15, 2)
    assert quiz.pass_percent == Decimal("60.00")

    page.get_by_role("navigation", name="Quiz editing").get_by_role(
        "link", name="Accommodations"
    ).click()
    expect(page.get_by_text("This course has no learners yet.")).to_be_visible()
    accessible("quiz-accommodations")

    # Publish the lesson from its page: back on the outline, it shows as published.
    page.get_by_role("link", name="← Lesson “Check-up”").click()
    page.get_by_role("button", name="Publish", exact=True).click()
    expect(page.locator("#lesson-" + quiz.lesson.public_id)).to_contain_text("Published")
    quiz.lesson.refresh_from_db()
    assert quiz.lesson.is_published
    item = GradeItem.objects.get(kind="quiz", source_id=quiz.pk)
    assert item.max_points == Decimal("3.00")  # 2 random questions of mean 1.5 points
    assert QuestionBank.objects.get().course_id == course.pk
    screenshot("quiz-authoring-published")
    assert unexpected_problems(browser_problems) == []
