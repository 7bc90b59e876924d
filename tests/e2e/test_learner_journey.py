"""The learner journey in a real browser: find a course by searching the catalog, enrol,
complete a text lesson, watch a video lesson (the server completes it from what the player
reports), and follow the progress on the course outline and the dashboard.

The course is built by its instructor through the authoring services, with the committed
demo video, its WebVTT captions and transcript, so what the learner gets is what an
instructor's upload gives."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from syllabus.courses import services
from syllabus.courses.models import Course
from syllabus.courses.services_enrolment import enrol_self
from syllabus.learning.models import CourseProgress, LessonProgress
from tests.e2e.course_helpers import (
    progress_bar_value,
    published_course_with_video,
    sign_in,
    unexpected_problems,
)
from tests.e2e.test_accessibility import assert_no_serious_violations
from tests.factories import UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True), pytest.mark.slow]

LEARNER_EMAIL = "lea@example.org"
TITLE = "Tides and the shore"
# The time the whole video may take to play (it is 19.6 s long and plays at twice the
# speed, as a learner may choose in the player), with room for a slow machine.
VIDEO_TIMEOUT_MS = 45_000


def _other_published_course() -> Course:
    """A second course in the catalog, which the search must leave out."""
    other = published_course_with_video(
        title="Knots for sailors",
        summary="Tie the knots every sailor needs.",
        description="Bowline, reef knot and clove hitch.",
    )
    return other.course


def stop_progress_reports(page) -> None:
    """Before leaving a video page for the last time in a test: pause, let the report of
    the pause be answered, and stop the page sending more. Its report on leaving (a
    keepalive request nothing waits for) could otherwise still be running on the server
    while the test's database is flushed, and deadlock the flush (seen on PostgreSQL)."""
    page.locator("#learn-video").evaluate("v => v.pause()")
    page.wait_for_load_state("networkidle")
    page.evaluate("() => { window.fetch = () => new Promise(() => {}); }")


def test_learner_finds_enrols_studies_and_sees_progress(
    page, live_server, screenshot, browser_problems, axe_audit
):
    def accessible(name: str) -> None:
        assert_no_serious_violations(axe_audit(page, f"learner-journey-{name}"))

    tides = published_course_with_video(
        title=TITLE,
        description="How the Moon moves the sea, and how to read an estuary at low water.",
    )
    other = _other_published_course()
    learner = UserFactory(email=LEARNER_EMAIL, full_name="Lea Learner")

    # Signs in, and starts from an empty dashboard that points to the catalog.
    sign_in(page, LEARNER_EMAIL)
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("link", name="Dashboard").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your learning")
    expect(page.get_by_role("main")).to_contain_text("You are not enrolled in any course yet.")
    page.get_by_role("main").get_by_role("link", name="Browse the course catalog").click()

    # Finds the course by searching a word of its description (live search, htmx).
    expect(page.get_by_role("heading", level=1)).to_have_text("Course catalog")
    results = page.locator("#catalog-results")
    expect(results.get_by_role("heading", level=2)).to_have_text("2 courses")
    search = page.get_by_role("search", name="Search and filter courses")
    search.get_by_label("Search courses").fill("estuary")
    expect(results.get_by_role("heading", level=2)).to_have_text("1 course for “estuary”")
    expect(results.get_by_role("heading", level=3, name=TITLE)).to_be_visible()
    expect(results.get_by_role("heading", name=other.title)).to_have_count(0)
    expect(page).to_have_url(re.compile(r"\?q=estuary"))  # the search can be bookmarked
    screenshot("learner-journey-1-catalog-search")
    accessible("catalog-search")

    results.get_by_role("link", name=TITLE).click()

    # The course page: outline and the enrol button.
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    main = page.get_by_role("main")
    expect(main).to_contain_text("What makes a tide")
    expect(main).to_contain_text("Watch the tide come in")
    panel = page.get_by_role("region", name="Enrolment")
    screenshot("learner-journey-2-course-page")
    accessible("course-page")
    panel.get_by_role("button", name="Enrol in this course").click()
    expect(panel.get_by_text("You are enrolled.")).to_be_visible()
    screenshot("learner-journey-3-enrolled")
    accessible("enrolled")
    panel.get_by_role("link", name="Continue learning").click()

    # Continue learning opens the first lesson: a text lesson to mark complete.
    expect(page.get_by_role("heading", level=1)).to_have_text("What makes a tide")
    expect(page.locator(".learn-body strong")).to_have_text("Moon")  # Markdown rendered
    outline = page.get_by_role("navigation", name="Course outline")
    expect(outline.get_by_role("link", name="What makes a tide")).to_have_attribute(
        "aria-current", "page"
    )
    bar = outline.get_by_label("Course progress")
    assert progress_bar_value(bar) == 0
    page.get_by_role("button", name="Mark as complete").click()
    expect(page.get_by_text("You have completed this lesson.")).to_be_visible()
    expect(page.get_by_role("button", name="Mark as complete")).to_have_count(0)
    expect(page.locator(f"#learn-state-{tides.text.public_id}")).to_have_text("Completed")
    expect(outline).to_contain_text("33% · 1 of 3 required lessons")
    assert progress_bar_value(bar) == 33
    screenshot("learner-journey-4-text-complete")
    accessible("text-lesson")

    # The video lesson: captions and transcript are offered; playing it completes it.
    page.get_by_role("link", name="Next: Watch the tide come in").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Watch the tide come in")
    video = page.locator("video#learn-video")
    status = page.locator("#learn-video-status")
    expect(status).to_have_text("The lesson completes once you have watched most of the video.")
    expect(video.locator("track[kind=captions]")).to_have_attribute("srclang", "en")
    page.get_by_text("Transcript", exact=True).click()  # <details> opens
    expect(page.locator(".learn-transcript-text")).to_contain_text("Welcome to Syllabus.")
    # The browser really decodes the uploaded file (ranges served by the lesson media view).
    video.evaluate(
        "v => v.readyState >= 1 || new Promise((ok, fail) => {"
        " v.addEventListener('loadedmetadata', ok, {once: true});"
        " v.addEventListener('error', () => fail(new Error('video error ' + v.error.code)));"
        "})"
    )
    assert 19 < video.evaluate("v => v.duration") < 21
    # Listeners first (they mark the element, for the test to wait on), then play from the
    # keyboard at twice the speed. The data-e2e-* attributes are the test's own.
    video.evaluate(
        "v => { v.playbackRate = 2;"
        " v.addEventListener('timeupdate', () => {"
        "   if (v.currentTime > 1) { v.setAttribute('data-e2e-played', 'yes'); } });"
        " v.addEventListener('ended', () => v.setAttribute('data-e2e-ended', 'yes'),"
        "   {once: true}); }"
    )
    video.focus()
    page.keyboard.press("Space")  # the focused player plays
    expect(video).to_have_js_property("paused", False)
    expect(video).to_have_attribute("data-e2e-played", "yes")
    screenshot("learner-journey-5-video-playing", full_page=False)
    expect(video).to_have_attribute("data-e2e-ended", "yes", timeout=VIDEO_TIMEOUT_MS)
    # On "ended" the player reports what was watched; the server decides it is complete.
    expect(status).to_have_text("You have watched this video: the lesson is complete.")
    expect(page.locator(f"#learn-state-{tides.video.public_id}")).to_have_text("Completed")
    expect(page.locator("#learn-course-progress-bar")).to_have_js_property("value", 66)
    watched = LessonProgress.objects.get(user=learner, lesson=tides.video)
    assert watched.completed_at is not None
    assert watched.video_watched_seconds >= 0.9 * 20
    screenshot("learner-journey-6-video-complete")
    accessible("video-lesson")

    # The dashboard shows the course with its progress bar and the next lesson.
    stop_progress_reports(page)
    nav.get_by_role("link", name="Dashboard").click()
    card = page.locator(".learn-course-card").filter(
        has=page.get_by_role("heading", level=3, name=TITLE)
    )
    expect(card).to_have_count(1)
    card_bar = card.get_by_role("progressbar", name=TITLE)
    expect(card_bar).to_have_js_property("value", 66)
    expect(card).to_contain_text("66% complete · 2 of 3 required lessons")
    expect(card).to_contain_text("Last studied")
    screenshot("learner-journey-7-dashboard-66")
    accessible("dashboard")

    # Finishing the last lesson completes the course: it moves to "Completed courses".
    # Its name tells the courses apart for screen readers (on screen: "Continue: Tide
    # tables"), punctuated as it is written.
    card.get_by_role("link", name=f"Continue {TITLE}: Tide tables", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Tide tables")
    page.get_by_role("button", name="Mark as complete").click()
    expect(page.get_by_role("navigation", name="Course outline")).to_contain_text(
        "100% · 3 of 3 required lessons · course completed"
    )
    expect(page.locator("#learn-course-progress-bar")).to_have_js_property("value", 100)
    nav.get_by_role("link", name="Dashboard").click()
    done = page.get_by_role("region", name="Completed courses")
    expect(done.get_by_role("link", name=TITLE)).to_be_visible()
    expect(done).to_contain_text("Completed on")
    expect(page.get_by_role("region", name="Courses in progress")).to_contain_text(
        "You have completed every course you are enrolled in."
    )
    screenshot("learner-journey-8-dashboard-completed")
    accessible("dashboard-completed")

    progress = CourseProgress.objects.get(user=learner, course=tides.course)
    assert progress.percent == 100 and progress.completed_at is not None
    assert unexpected_problems(browser_problems) == []


def test_search_with_no_match_says_what_to_do(page, live_server, screenshot, browser_problems):
    published_course_with_video(title=TITLE, description="The Moon moves the sea.")
    UserFactory(email=LEARNER_EMAIL)
    sign_in(page, LEARNER_EMAIL)

    page.goto("/courses/")
    page.get_by_label("Search courses").fill("volcano")
    results = page.locator("#catalog-results")
    expect(results.get_by_role("heading", level=2)).to_have_text("No courses found for “volcano”")
    expect(results).to_contain_text("Check the spelling, or use fewer or more general words.")
    results.get_by_role("link", name="See every course").click()
    expect(results.get_by_role("heading", level=2)).to_have_text("1 course")
    screenshot("learner-journey-search-no-match")
    assert unexpected_problems(browser_problems) == []


def test_a_draft_course_is_not_found_nor_enrollable(page, live_server, browser_problems):
    course = published_course_with_video(title=TITLE, description="estuary").course
    services.course_unpublish(actor=None, course=course)
    UserFactory(email=LEARNER_EMAIL)
    sign_in(page, LEARNER_EMAIL)

    page.goto("/courses/?q=estuary")
    expect(page.locator("#catalog-results").get_by_role("heading", level=2)).to_have_text(
        "No courses found for “estuary”"
    )
    response = page.goto(f"/courses/{course.public_id}/")
    assert response is not None and response.status == 404
    assert unexpected_problems(browser_problems) == []


def test_webm_video_plays_and_resumes_where_the_learner_stopped(
    page, live_server, screenshot, browser_problems
):
    tides = published_course_with_video(
        title=TITLE, description="The Moon moves the sea.", video_name="welcome.webm"
    )
    learner = UserFactory(email=LEARNER_EMAIL)
    enrol_self(user=learner, course=tides.course)
    sign_in(page, LEARNER_EMAIL)

    page.goto(f"/learn/{tides.video.public_id}/")
    video = page.locator("video#learn-video")
    expect(video.locator("source")).to_have_attribute("type", "video/webm")
    # Play at normal speed past the fourth second, then pause from the keyboard.
    video.evaluate(
        "v => v.addEventListener('timeupdate', () => {"
        " if (v.currentTime > 4) { v.setAttribute('data-e2e-past-4', 'yes'); } })"
    )
    video.focus()
    page.keyboard.press("Space")
    expect(video).to_have_attribute("data-e2e-past-4", "yes", timeout=15_000)
    page.keyboard.press("Space")
    expect(video).to_have_js_property("paused", True)
    # The pause reports what was watched; the server answers with the share so far.
    status = page.locator("#learn-video-status")
    expect(status).to_have_text(re.compile(r"^Watched \d+% of this video\.$"))
    watched = LessonProgress.objects.get(user=learner, lesson=tides.video)
    assert watched.completed_at is None
    assert 4 <= watched.video_watched_seconds < 15
    stopped_at = watched.video_position_seconds
    assert stopped_at >= 4

    # Coming back later (after another lesson): the page says so and the player starts
    # where the learner stopped.
    # Leaving the page reports the position once more (a keepalive request, which
    # Playwright does not see): the next server round trip comes after it.
    reported_at = watched.last_opened_at
    page.get_by_role("link", name="What makes a tide", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("What makes a tide")
    page.get_by_role("button", name="Mark as complete").click()
    expect(page.get_by_text("You have completed this lesson.")).to_be_visible()
    assert LessonProgress.objects.get(pk=watched.pk).last_opened_at > reported_at
    page.get_by_role("link", name="Watch the tide come in").first.click()
    expect(status).to_have_text(
        "You have watched part of this video; it continues where you stopped."
    )
    video.evaluate(
        "v => v.readyState >= 1 || new Promise(ok =>"
        " v.addEventListener('loadedmetadata', ok, {once: true}))"
    )
    page.wait_for_function("() => document.querySelector('#learn-video').currentTime > 0")
    assert abs(video.evaluate("v => v.currentTime") - stopped_at) < 0.5
    screenshot("learner-journey-video-resumed", full_page=False)
    stop_progress_reports(page)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard").click()
    expect(page.get_by_role("main")).to_contain_text("33% complete · 1 of 3 required lessons")
    assert unexpected_problems(browser_problems) == []
