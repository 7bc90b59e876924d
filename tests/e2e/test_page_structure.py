"""What a screen reader and a keyboard find on the pages of the main journeys, as the people
who use them (issue #10, "Keyboard and screen readers"):

* exactly one level-1 heading, and the banner, navigation, main and contentinfo landmarks;
* a skip link that is the first tab stop and moves the focus to the main landmark;
* an accessible name on every form control (as Chromium's accessibility tree has it);
* after a failed submit, the invalid fields marked ``aria-invalid`` and pointing to their
  error message with ``aria-describedby``;
* every tab stop visibly focused and not hidden under a sticky element, and no keyboard
  trap: Tab goes through the page and out, Shift+Tab comes back (tests/e2e/keyboard.py);
* what htmx changes in place is announced: the text of a live region that was already on
  the page changes, an alert appears, or the focus moves to the new content;
* the session-timeout warning is an alert dialog that takes the focus and keeps it.
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect

from syllabus.accounts.models import Role
from syllabus.accounts.tests.mfa_helpers import enrol_totp
from syllabus.assessments.tests.attempt_factories import enrol, make_quiz
from syllabus.assignments.models import Assignment
from syllabus.assignments.services import submission_create
from syllabus.courses import services as courses
from syllabus.courses.models import Course, CourseMembership, Lesson, Module
from syllabus.grades import services as grades
from tests.e2e.course_helpers import course_author, unexpected_problems
from tests.e2e.keyboard import (
    FocusProblem,
    assert_no_keyboard_trap,
    focus_start,
    press,
    tab,
    tab_to,
    type_text,
)
from tests.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True), pytest.mark.slow]

SKIP_LINK = "Skip to main content"
LANDMARKS = ("banner", "navigation", "main", "contentinfo")
# Everything a person can fill in or press, whatever its markup.
CONTROLS = (
    "input:not([type=hidden]), select, textarea, button, "
    "[role=textbox], [role=combobox], [role=checkbox], [role=radio], [role=button]"
)


# --- The checks -----------------------------------------------------------------------


def signed_in_as(page: Any, live_server: Any, user: Any) -> None:
    """A signed-in session for ``user`` (data setup: signing in is a journey of its own)."""
    client = Client()
    client.force_login(user)
    page.context.clear_cookies()
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )


def unnamed_controls(page: Any) -> list[str]:
    """Form controls with no accessible name, as Chromium computes it (labels,
    aria-label, aria-labelledby, button text...). Hidden controls are left out."""
    cdp = page.context.new_cdp_session(page)
    try:
        root = cdp.send("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
        node_ids = cdp.send("DOM.querySelectorAll", {"nodeId": root, "selector": CONTROLS})[
            "nodeIds"
        ]
        unnamed = []
        for node_id in node_ids:
            nodes = cdp.send(
                "Accessibility.getPartialAXTree", {"nodeId": node_id, "fetchRelatives": False}
            )["nodes"]
            node = nodes[0] if nodes else {"ignored": True}
            if node.get("ignored"):
                continue
            name = str(node.get("name", {}).get("value", "")).strip()
            if not name:
                html = cdp.send("DOM.getOuterHTML", {"nodeId": node_id})["outerHTML"]
                unnamed.append(html[:160])
        return unnamed
    finally:
        cdp.detach()


_INVALID_FIELDS_JS = """
() => Array.from(document.querySelectorAll('[aria-invalid="true"]')).map((field) => {
  const ids = (field.getAttribute("aria-describedby") || "").split(/\\s+/).filter(Boolean);
  const texts = ids.map((id) => {
    const element = document.getElementById(id);
    return element ? element.textContent.replace(/\\s+/g, " ").trim() : null;
  });
  return {
    field: field.outerHTML.slice(0, 120),
    ids,
    missing: ids.filter((id, i) => texts[i] === null),
    text: texts.filter(Boolean).join(" | "),
  };
})
"""


def invalid_fields(page: Any) -> list[dict[str, Any]]:
    fields: list[dict[str, Any]] = page.evaluate(_INVALID_FIELDS_JS)
    return fields


def error_ties(page: Any) -> list[str]:
    """Invalid fields whose error message a screen reader cannot reach from the field."""
    problems = []
    for field in invalid_fields(page):
        if not field["ids"]:
            problems.append(f"aria-invalid field with no aria-describedby: {field['field']}")
        elif field["missing"]:
            problems.append(
                f"aria-describedby points to missing {field['missing']}: {field['field']}"
            )
        elif not field["text"]:
            problems.append(f"aria-describedby points to empty text: {field['field']}")
    return problems


def skip_link_problems(page: Any) -> list[str]:
    focus_start(page)
    tab(page)
    skip = page.get_by_role("link", name=SKIP_LINK)
    if skip.count() != 1 or not skip.evaluate("el => el === document.activeElement"):
        return [f"the first tab stop is not the “{SKIP_LINK}” link"]
    if skip.get_attribute("href") != "#main":
        return [f"the skip link goes to {skip.get_attribute('href')!r}, not #main"]
    press(page, "Enter")
    focused_main = page.evaluate(
        "() => document.activeElement === document.querySelector('main')"
        " && document.activeElement.id === 'main'"
    )
    return [] if focused_main else ["the skip link does not move the focus to <main>"]


def structure_problems(page: Any) -> list[str]:
    """Everything this module checks on one page, as a list of what is wrong."""
    problems = []
    h1 = page.get_by_role("heading", level=1).count()
    if h1 != 1:
        problems.append(f"{h1} level-1 headings (one expected)")
    for landmark in LANDMARKS:
        count = page.get_by_role(landmark).count()
        if count == 0 or (landmark != "navigation" and count > 1):
            problems.append(f"{count} {landmark} landmarks")
    problems += skip_link_problems(page)
    problems += [f"control without an accessible name: {html}" for html in unnamed_controls(page)]
    problems += error_ties(page)
    try:
        assert_no_keyboard_trap(page)
    except FocusProblem as error:
        problems.append(str(error))
    return problems


def check_pages(page: Any, paths: list[str], expect_heading: dict[str, str]) -> list[str]:
    """Visit each path; the problems found, each prefixed by its page."""
    found = []
    for path in paths:
        response = page.goto(path)
        assert response is not None and response.status == 200, f"{path}: {response}"
        if path in expect_heading:
            expect(page.get_by_role("heading", level=1)).to_contain_text(expect_heading[path])
        found += [f"{path}: {problem}" for problem in structure_problems(page)]
    return found


# --- The pages of the journeys, as their people ----------------------------------------


def _world() -> dict[str, Any]:
    """One course with a text lesson, a quiz, an assignment with a submission and a
    graded item; a learner, an instructor, a course author and an admin."""
    quiz = make_quiz(
        kinds=("single", "true_false", "numeric"),
        time_limit_minutes=15,
        pass_percent=Decimal("50"),
    )
    course = quiz.course
    learner = UserFactory(email="lea@example.org", full_name="Lea Learner")
    teacher = UserFactory(email="ivo@example.org", full_name="Ivo Instructor")
    enrol(learner, course)
    CourseMembership.objects.create(
        course=course, user=teacher, role=Role.objects.get(slug="instructor")
    )
    module = Module.objects.create(course=course, title="Project", is_published=True)
    text = Lesson.objects.create(
        course=course,
        module=module,
        title="Reading a chart",
        kind=Lesson.Kind.TEXT,
        body="Look at the **axes** first.",
        is_published=True,
    )
    work = Lesson.objects.create(
        course=course,
        module=module,
        title="A short data story",
        kind=Lesson.Kind.ASSIGNMENT,
        is_published=True,
        due_at=timezone.now() + timedelta(days=7),
    )
    assignment = Assignment.objects.create(
        lesson=work,
        course=course,
        instructions="Tell one story with a chart.",
        instructions_html="<p>Tell one story with a chart.</p>",
        max_points=Decimal("10"),
    )
    submission_create(user=learner, assignment=assignment, text="Wednesdays are slower.")
    report = grades.manual_item_create(
        actor=teacher, course=course, title="Field report", max_points="20"
    )
    grades.grade_enter(actor=teacher, item=report, learner=learner, points="15")
    return {
        "course": course,
        "quiz": quiz,
        "text": text,
        "work": work,
        "learner": learner,
        "teacher": teacher,
        "author": course_author("ines@example.org", "Inès Instructor"),
        "admin": UserFactory(
            email="ada@example.org", full_name="Ada Admin", is_superuser=True, site_roles=["admin"]
        ),
    }


def test_public_pages_structure(page, live_server, browser_problems):
    world = _world()
    found = check_pages(
        page,
        ["/", "/accounts/login/", "/courses/", f"/courses/{world['course'].public_id}/"],
        {"/courses/": "Course catalog"},
    )
    assert found == [], "\n".join(found)
    assert unexpected_problems(browser_problems) == []


def test_learner_pages_structure(page, live_server, browser_problems):
    world = _world()
    signed_in_as(page, live_server, world["learner"])
    course = world["course"]
    paths = [
        "/dashboard/",
        f"/learn/{world['text'].public_id}/",
        f"/learn/{world['quiz'].lesson.public_id}/",
        f"/learn/{world['work'].public_id}/",
        "/grades/",
    ]
    found = check_pages(page, paths, {"/grades/": "My grades"})
    # The quiz attempt page (with its sticky timer), reached from the quiz panel.
    page.goto(f"/learn/{world['quiz'].lesson.public_id}/")
    tab_to(page, "Start the quiz", role="button")
    press(page, "Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("attempt 1")
    found += [f"quiz attempt: {problem}" for problem in structure_problems(page)]
    # My grades in the course, from the list.
    page.goto("/grades/")
    tab_to(page, course.title, role="link", within=page.get_by_role("main"))
    press(page, "Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("My grades in")
    found += [f"my grades in a course: {problem}" for problem in structure_problems(page)]
    assert found == [], "\n".join(found)
    assert unexpected_problems(browser_problems) == []


def test_instructor_pages_structure(page, live_server, browser_problems):
    world = _world()
    course = world["course"]
    signed_in_as(page, live_server, world["teacher"])
    paths = [
        "/courses/teach/",
        f"/courses/{course.public_id}/outline/",
        f"/courses/{course.public_id}/edit/",
        f"/grades/course/{course.public_id}/gradebook/",
        f"/assignments/course/{course.public_id}/queue/",
    ]
    found = check_pages(page, paths, {paths[3]: "Gradebook"})
    page.goto(paths[4])
    tab_to(page, "Grade Lea Learner's A short data story", role="link")
    press(page, "Enter")
    expect(page.get_by_role("button", name="Save the grade")).to_be_visible()
    found += [f"grading a submission: {problem}" for problem in structure_problems(page)]
    signed_in_as(page, live_server, world["author"])
    found += check_pages(page, ["/courses/teach/new/"], {"/courses/teach/new/": "New course"})
    assert found == [], "\n".join(found)
    assert unexpected_problems(browser_problems) == []


def test_admin_pages_structure(page, live_server, browser_problems):
    world = _world()
    signed_in_as(page, live_server, world["admin"])
    found = check_pages(
        page,
        [
            "/account/people/",
            f"/account/people/{world['learner'].public_id}/",
            "/account/roles/",
        ],
        {"/account/people/": "People"},
    )
    assert found == [], "\n".join(found)
    assert unexpected_problems(browser_problems) == []


# --- Error messages tied to their fields ------------------------------------------------


def assert_errors_tied(page: Any, *, field: Any) -> None:
    """After a failed submit: the field is invalid, its description is the error, and the
    page passes the other structure checks in that state too."""
    expect(field).to_have_attribute("aria-invalid", "true")
    assert error_ties(page) == []
    problems = structure_problems(page)
    assert problems == [], "\n".join(problems)


def test_sign_in_errors_are_tied_to_their_fields(page, live_server):
    user = UserFactory(email="mara@example.org")
    enrol_totp(user)
    page.goto("/accounts/login/")
    tab_to(page, "Email", role="textbox")
    type_text(page, user.email)
    tab_to(page, re.compile("^Password"))
    type_text(page, "Not-the-password-42")
    press(page, "Enter")
    # A wrong password is the whole form's error (which field is wrong is not said, on
    # purpose): an alert at the top of the form, and no field left marked without one.
    expect(page.get_by_role("main").get_by_role("alert")).to_contain_text("not correct")
    assert error_ties(page) == []
    problems = structure_problems(page)
    assert problems == [], "\n".join(problems)

    # The right password, then a wrong second-factor code.
    tab_to(page, re.compile("^Password"), backwards=True)
    page.keyboard.press("Control+A")
    type_text(page, PASSWORD)
    press(page, "Enter")
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/"))
    tab_to(page, "Code", role="textbox")
    type_text(page, "000000")
    press(page, "Enter")
    assert_errors_tied(page, field=page.get_by_role("textbox", name="Code"))


def test_new_course_errors_are_tied_to_their_fields(page, live_server):
    author = course_author("ines@example.org", "Inès Instructor")
    signed_in_as(page, live_server, author)
    page.goto("/courses/teach/new/")
    tab_to(page, "Create the course", role="button")
    press(page, "Enter")
    assert_errors_tied(page, field=page.get_by_role("textbox", name="Title"))


def test_grade_override_errors_are_tied_to_their_fields(page, live_server):
    course = Course.objects.create(title="Coastal geology", slug="coastal", status="published")
    teacher = UserFactory(email="ivo@example.org", full_name="Ivo Instructor")
    learner = UserFactory(email="lea@example.org", full_name="Lea Learner")
    for person, role in ((teacher, "instructor"), (learner, "learner")):
        CourseMembership.objects.create(
            course=course, user=person, role=Role.objects.get(slug=role)
        )
    grades.source_item_sync(
        course=course, kind="quiz", source_id=4242, title="Rock quiz", max_points=Decimal("10")
    )
    grades.source_grade_record(kind="quiz", source_id=4242, user=learner, points=Decimal("8"))
    signed_in_as(page, live_server, teacher)
    page.goto(f"/grades/course/{course.public_id}/gradebook/")
    tab_to(page, "Override Rock quiz for Lea Learner", role="link")
    press(page, "Enter")
    tab_to(page, "Points that count", role="textbox")
    type_text(page, "10")
    tab_to(page, "Save override", role="button")
    press(page, "Enter")
    assert_errors_tied(page, field=page.get_by_label("Reason"))


# --- htmx updates are announced ---------------------------------------------------------

# Records what a screen reader would announce from now on: a change of text inside a live
# region that was already on the page (a region inserted with its text is usually not
# read), and any alert that appears. Every element present now is remembered, so a focus
# moved to new content can be told apart.
_LISTEN_JS = """
() => {
  const LIVE = '[aria-live]:not([aria-live="off"]), [role=status], [role=alert], [role=log]';
  const initial = new WeakSet(document.querySelectorAll("*"));
  const heard = [];
  const text = (el) => (el.textContent || "").replace(/\\s+/g, " ").trim();
  const observer = new MutationObserver((mutations) => {
    for (const m of mutations) {
      const el = m.target.nodeType === 1 ? m.target : m.target.parentElement;
      const region = el && el.closest(LIVE);
      if (region && initial.has(region) && region.isConnected && text(region)) {
        heard.push(`live region #${region.id}: ${text(region).slice(0, 80)}`);
      }
      for (const added of m.addedNodes) {
        if (added.nodeType !== 1) continue;
        const alerts = added.matches("[role=alert]")
          ? [added] : Array.from(added.querySelectorAll("[role=alert]"));
        for (const alert of alerts) if (text(alert)) heard.push(`alert: ${text(alert)}`);
      }
    }
  });
  observer.observe(document.body, { subtree: true, childList: true, characterData: true });
  window.__syllabusHeard = { heard, initial };
}
"""

_HEARD_JS = """
() => {
  const { heard, initial } = window.__syllabusHeard;
  const el = document.activeElement;
  const moved = el && el !== document.body && !initial.has(el);
  const said = (el && (el.getAttribute("aria-label") || el.textContent) || "")
    .replace(/\\s+/g, " ").trim().slice(0, 80);
  return heard.concat(moved ? [`focus: ${said}`] : []);
}
"""


def listen(page: Any) -> None:
    page.evaluate(_LISTEN_JS)


def heard(page: Any) -> list[str]:
    said: list[str] = page.evaluate(_HEARD_JS)
    return said


def assert_heard(page: Any, pattern: str) -> None:
    """Something matching ``pattern`` was announced since ``listen`` (waits for it). A
    page that loaded again instead of updating in place fails too."""
    try:
        outcome = page.wait_for_function(
            f"""(pattern) => {{
                if (!window.__syllabusHeard) return "reloaded";
                return ({_HEARD_JS})().some((said) => new RegExp(pattern).test(said));
            }}""",
            arg=pattern,
            timeout=10_000,
        ).json_value()
    except PlaywrightTimeoutError:
        raise AssertionError(
            f"nothing announced matching {pattern!r}; heard: {heard(page)}"
        ) from None
    assert outcome is True, f"{page.url} loaded again instead of updating in place ({pattern!r})"


def test_htmx_updates_are_announced(page, live_server, browser_problems):
    world = _world()
    course = world["course"]
    learner = world["learner"]
    signed_in_as(page, live_server, learner)

    # Live search in the catalog: the count of results.
    page.goto("/courses/")
    tab_to(page, "Search courses", role="searchbox")
    listen(page)
    type_text(page, "no such course")
    assert_heard(page, "live region #catalog-status: No courses found")

    # Marking a lesson complete: the new state takes the focus.
    page.goto(f"/learn/{world['text'].public_id}/")
    tab_to(page, "Mark as complete", role="button")
    listen(page)
    press(page, "Enter")
    assert_heard(page, "focus: .*You have completed this lesson")

    # A quiz answer saved as it is given.
    page.goto(f"/learn/{world['quiz'].lesson.public_id}/")
    tab_to(page, "Start the quiz", role="button")
    press(page, "Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("attempt 1")
    tab_to(page, "True", role="radio", within=page.locator("#q2"))
    listen(page)
    press(page, "Space")
    assert_heard(page, "live region #save-2: Saved at")

    # Enrolling (a second course, open): the panel's message takes the focus.
    other = courses.course_create(actor=None, title="Knots for sailors", summary="Knots.")
    teacher = world["teacher"]
    courses.course_role_set(
        actor=None, course=other, user=teacher, role=Role.objects.get(slug="instructor")
    )
    module = courses.module_create(actor=teacher, course=other, title="Basics")
    lesson = courses.lesson_create(
        actor=teacher, module=module, title="Bowline", kind=Lesson.Kind.TEXT, changes={"body": "x"}
    )
    courses.lesson_set_published(actor=teacher, lesson=lesson, published=True)
    courses.lesson_create(
        actor=teacher,
        module=module,
        title="Reef knot",
        kind=Lesson.Kind.TEXT,
        changes={"body": "y"},
    )
    courses.module_set_published(actor=teacher, module=module, published=True)
    courses.course_publish(actor=teacher, course=other)
    page.goto(f"/courses/{other.public_id}/")
    tab_to(page, "Enrol in this course", role="button")
    listen(page)
    press(page, "Enter")
    assert_heard(page, "focus: .*(enrolled|Enrolment)")

    # The instructor's outline: moving a lesson says where it went; publishing one moves
    # the focus to its button, which now says "Unpublish".
    signed_in_as(page, live_server, teacher)
    page.goto(f"/courses/{other.public_id}/outline/")
    tab_to(page, "Down lesson Bowline", role="button")
    listen(page)
    press(page, "Enter")
    assert_heard(page, "live region #outline-status: .*Bowline")
    tab_to(page, "Publish lesson Reef knot", role="button", exact=True)
    listen(page)
    press(page, "Enter")
    assert_heard(page, "focus: Unpublish lesson Reef knot")

    # A gradebook cell: the form takes the focus, the error is an alert.
    page.goto(f"/grades/course/{course.public_id}/gradebook/")
    tab_to(page, "Edit Field report for Lea Learner", role="link")
    listen(page)
    press(page, "Enter")
    assert_heard(page, "focus: ")
    # The field has the focus as soon as it is swapped in; htmx takes over its form a
    # moment later (until then Enter sends the form as a page, which also works).
    page.wait_for_function(
        "() => { const form = document.activeElement.form;"
        " return form && form['htmx-internal-data'] && form['htmx-internal-data'].initHash; }"
    )
    page.keyboard.press("Control+A")
    type_text(page, "25")
    listen(page)
    press(page, "Enter")
    assert_heard(page, "alert: .*Points must be between 0 and 20")
    assert unexpected_problems(browser_problems) == []


# --- The session-timeout warning ---------------------------------------------------------


def test_session_timeout_warning_is_an_alert_dialog_that_keeps_the_focus(
    page, live_server, browser_problems
):
    learner = UserFactory(email="lea@example.org", full_name="Lea Learner")
    page.clock.install()  # the page's timers run on a clock the test moves
    signed_in_as(page, live_server, learner)
    page.goto("/dashboard/")
    tab_to(page, "Dashboard", role="link", within=page.get_by_role("navigation", name="Main"))

    page.clock.fast_forward("28:01")
    dialog = page.get_by_role("alertdialog", name="Are you still there?")
    expect(dialog).to_be_visible()
    expect(dialog).to_have_attribute("aria-modal", "true")
    # Announced: its name and its description (the message) are what a screen reader reads.
    described = dialog.get_attribute("aria-describedby") or ""
    message = page.locator(f"#{described}")
    expect(message).to_contain_text("signed out in 2 minutes")
    stay = dialog.get_by_role("button", name="Stay signed in")
    expect(stay).to_be_focused()

    # Tab and Shift+Tab stay in the dialog (the page behind is inert), each stop visible.
    inside = dialog.locator("*")
    for backwards in (False, False, False, True, True, True):
        state = tab(page, backwards=backwards)
        if state.at_body:  # out to the browser's own controls, and back
            continue
        assert inside.evaluate_all("els => els.includes(document.activeElement)"), state.label

    # Escape means "stay": the dialog closes and the focus goes back where it was.
    with page.expect_response(re.compile(r"/account/session/keepalive/$")):
        press(page, "Escape")
    expect(dialog).to_be_hidden()
    expect(
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard")
    ).to_be_focused()
    assert unexpected_problems(browser_problems) == []


# --- Focus not obscured by the gradebook's sticky column --------------------------------


def test_gradebook_cells_are_never_hidden_under_the_sticky_learner_column(
    page, live_server, browser_problems
):
    course = Course.objects.create(title="Coastal geology", slug="coastal", status="published")
    teacher = UserFactory(email="ivo@example.org", full_name="Ivo Instructor")
    learner = UserFactory(email="lea@example.org", full_name="Lea Learner")
    for person, role in ((teacher, "instructor"), (learner, "learner")):
        CourseMembership.objects.create(
            course=course, user=person, role=Role.objects.get(slug=role)
        )
    # Wider than the window: the grid scrolls sideways under its sticky learner column.
    titles = [f"Field report number {n}" for n in range(1, 15)]
    for title in titles:
        grades.manual_item_create(actor=teacher, course=course, title=title, max_points="20")
    signed_in_as(page, live_server, teacher)
    page.goto(f"/grades/course/{course.public_id}/gradebook/")
    grid = page.locator(".grades-grid")
    scroller = grid.evaluate_handle(
        "el => { let n = el;"
        " while (n && n.scrollWidth <= n.clientWidth) n = n.parentElement; return n; }"
    )
    assert scroller.evaluate("n => n !== null && n !== document.documentElement"), (
        "the gradebook does not scroll sideways in its own box"
    )
    # Along the row and back: every Edit link (checked by each Tab) stays clear of the
    # sticky learner column.
    tab_to(page, f"Edit {titles[-1]} for Lea Learner", role="link", max_tabs=120)
    assert scroller.evaluate("n => n.scrollLeft") > 0
    tab_to(page, f"Edit {titles[0]} for Lea Learner", role="link", backwards=True, max_tabs=120)
    assert unexpected_problems(browser_problems) == []
