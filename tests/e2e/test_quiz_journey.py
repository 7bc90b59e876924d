"""A learner takes a timed quiz in a real browser: starts it from the lesson page, answers
(each answer saved as given, "Saved at ..."), reloads mid-attempt and finds every answer
in place, loses the connection (the page says "Not saved — retrying" and saves once it is
back), and, when the server's time runs out, the page submits what was saved and shows
the result.

The quiz is built with the ORM (the authoring pages are tested in their own journey)."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from syllabus.assessments.models import Attempt
from syllabus.assessments.tests.attempt_factories import enrol, make_quiz
from tests.e2e.course_helpers import sign_in, unexpected_problems
from tests.e2e.test_accessibility import assert_no_serious_violations
from tests.factories import UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

EMAIL = "quinn@example.org"


def test_learner_takes_a_timed_quiz_reloads_and_time_runs_out(
    page, context, live_server, screenshot, browser_problems, axe_audit
):
    quiz = make_quiz(
        kinds=("single", "multiple", "numeric", "ordering", "true_false"),
        time_limit_minutes=15,
        pass_percent=Decimal("50"),
    )
    learner = UserFactory(email=EMAIL, full_name="Quinn Learner")
    enrol(learner, quiz.course)

    # The lesson page's quiz panel: the rules and the start button.
    sign_in(page, EMAIL)
    page.goto(f"/learn/{quiz.lesson.public_id}/")
    panel = page.get_by_role("region", name="Quiz")
    expect(panel).to_contain_text("15 minutes")
    expect(panel).to_contain_text("1 allowed, 1 left")
    assert_no_serious_violations(axe_audit(page, "quiz-lesson-panel"))
    panel.get_by_role("button", name="Start the quiz").click()

    # The attempt page: a countdown kept by the server, one fieldset per question.
    expect(page.get_by_role("heading", level=1)).to_contain_text("attempt 1")
    timer = page.get_by_role("timer")
    expect(timer).to_have_text(re.compile(r"^1[45]:\d\d$"))
    q1, q2, q3, q4 = (page.locator(f"#q{n}") for n in range(1, 5))
    q1.get_by_label("Paris").check()
    expect(page.locator("#save-1")).to_contain_text("Saved at")
    q2.get_by_label("2", exact=True).check()
    expect(page.locator("#save-2")).to_contain_text("Saved at")
    q2.get_by_label("3", exact=True).check()
    q3.get_by_label(re.compile("Your answer")).fill("3.141")
    q3.get_by_label(re.compile("Your answer")).press("Tab")
    expect(page.locator("#save-3")).to_contain_text("Saved at")
    q4.get_by_label("One").select_option("1")
    q4.get_by_label("Two").select_option("2")
    q4.get_by_label("Three").select_option("3")
    expect(page.locator("#save-4")).to_contain_text("Saved at")
    screenshot("quiz-journey-1-answering")
    assert_no_serious_violations(axe_audit(page, "quiz-attempt"))

    # A reload (or a crash) loses nothing that was saved.
    page.reload()
    expect(page.locator("#q1").get_by_label("Paris")).to_be_checked()
    expect(page.locator("#q2").get_by_label("2", exact=True)).to_be_checked()
    expect(page.locator("#q2").get_by_label("3", exact=True)).to_be_checked()
    expect(page.locator("#q3").get_by_label(re.compile("Your answer"))).to_have_value("3.141")
    expect(page.locator("#q4").get_by_label("Three")).to_have_value("3")
    expect(page.locator("#save-4")).to_contain_text("Saved at")

    # The connection drops: the page says so and saves once it is back.
    context.set_offline(True)
    page.locator("#q5").get_by_label("True").check()
    expect(page.locator("#save-5")).to_contain_text("Not saved — retrying")
    context.set_offline(False)
    expect(page.locator("#save-5")).to_contain_text("Saved at", timeout=15_000)

    # The server's deadline is near (as if the learner had been away): the countdown
    # follows the server, and at zero the page submits what was saved.
    Attempt.objects.filter(user=learner).update(deadline_at=timezone.now() + timedelta(seconds=4))
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_contain_text("attempt 1")
    expect(page).to_have_url(re.compile(r"/result/$"), timeout=15_000)
    main = page.get_by_role("main")
    expect(main).to_contain_text("when the time ran out")
    expect(main).to_contain_text("Score: 5 of 5 (100%)")
    expect(main).to_contain_text("Passed")
    screenshot("quiz-journey-2-result")
    assert_no_serious_violations(axe_audit(page, "quiz-result"))

    attempt = Attempt.objects.get(user=learner)
    assert attempt.status == "submitted" and attempt.submitted_by_server
    assert attempt.score == Decimal("5.00")
    # Only the requests made while offline failed, and the reload cancelled an htmx
    # request in flight (htmx logs both as errors).
    offline = ("ERR_INTERNET_DISCONNECTED", "htmx:afterRequest", "htmx:sendError", "htmx:sendAbort")
    assert unexpected_problems(browser_problems, *offline) == []
