"""A learner who chose Spanish, in a real browser: signs in from an English browser, and
the saved choice takes over; the dashboard, the catalog, a course, a lesson and the grades
page are all in Spanish (the html lang, the navigation, headings, buttons, messages) and
pass axe.

The expected words are read from the shipped catalogues (each must differ from the
English), so the test checks that every page really uses the Spanish translation, not one
spelling of it."""

from __future__ import annotations

import re

import pytest
from django.utils import translation
from playwright.sync_api import expect

from syllabus.learning.models import LessonProgress
from tests.e2e.course_helpers import LOGIN_PATH, PASSWORD, published_course_with_video
from tests.e2e.test_accessibility import assert_no_serious_violations
from tests.factories import UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

EMAIL = "lucia@example.org"
TITLE = "Tides and the shore"


def es(english: str) -> str:
    """The Spanish the site shows for ``english``; fails if it has no translation."""
    with translation.override("es"):
        spanish = translation.gettext(english)
    assert spanish != english, f"no Spanish translation for {english!r}"
    return spanish


def test_a_spanish_learner_studies_and_checks_grades_in_spanish(
    page, live_server, axe_audit, screenshot, browser_problems
):
    def in_spanish(name: str) -> None:
        expect(page.locator("html")).to_have_attribute("lang", "es")
        expect(nav.get_by_role("link", name=es("Dashboard"), exact=True)).to_be_visible()
        expect(nav.get_by_role("link", name=es("Grades"), exact=True)).to_be_visible()
        expect(nav.get_by_role("button", name=re.compile(f"^{es('Sign out')}"))).to_be_visible()
        screenshot(f"spanish-journey-{name}")
        assert_no_serious_violations(axe_audit(page, f"spanish-journey-{name}"))

    # given: a published course, and a learner whose saved language is Spanish
    tides = published_course_with_video(
        title=TITLE,
        description="How the Moon moves the sea, and how to read an estuary at low water.",
    )
    learner = UserFactory(email=EMAIL, full_name="Lucía Pérez", language="es")

    # when: they sign in from a browser that asks for English
    page.goto(LOGIN_PATH)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password", exact=False).fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name=re.compile("sign in", re.I)).click()

    # then: their saved choice wins, from the first page after signing in
    nav = page.get_by_role("navigation", name=es("Main"))
    expect(nav.get_by_role("button", name=re.compile(f"^{es('Sign out')}"))).to_be_visible()

    # The dashboard, empty, points to the catalog.
    nav.get_by_role("link", name=es("Dashboard"), exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(es("Your learning"))
    expect(page.get_by_role("main")).to_contain_text(es("You are not enrolled in any course yet."))
    in_spanish("1-dashboard")

    # The catalog, then the course page, where they enrol.
    page.get_by_role("main").get_by_role("link", name=es("Browse the course catalog")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(es("Course catalog"))
    in_spanish("2-catalog")
    page.locator("#catalog-results").get_by_role("link", name=TITLE).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    panel = page.get_by_role("region", name=es("Enrolment"))
    in_spanish("3-course")
    panel.get_by_role("button", name=es("Enrol in this course")).click()
    expect(panel.get_by_text(es("You are enrolled."))).to_be_visible()
    in_spanish("4-enrolled")

    # The first lesson, completed: the outline, the button and the message are Spanish.
    panel.get_by_role("link", name=es("Continue learning")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("What makes a tide")
    outline = page.get_by_role("navigation", name=es("Course outline"))
    expect(outline.get_by_label(es("Course progress"))).to_be_visible()
    page.get_by_role("button", name=es("Mark as complete")).click()
    expect(page.get_by_text(es("You have completed this lesson."))).to_be_visible()
    expect(page.locator(f"#learn-state-{tides.text.public_id}")).to_have_text(es("Completed"))
    assert LessonProgress.objects.get(user=learner, lesson=tides.text).completed_at is not None
    in_spanish("5-lesson")

    # The grades page, from the navigation.
    nav.get_by_role("link", name=es("Grades"), exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(es("My grades"))
    expect(page.get_by_role("main")).to_contain_text(
        es("Your course grades so far, counting only grades your teachers have released.")
    )
    grades = page.get_by_role("table", name=es("Your courses and grades"))
    expect(grades.get_by_role("row").filter(has_text=TITLE)).to_contain_text(es("No grade yet"))
    in_spanish("6-grades")

    assert browser_problems.unexpected() == []
