"""WCAG 2.2's new success criteria, and the media rules, checked in a real browser:

* 2.5.8 target size (minimum): every pointer target on the main pages is at least
  24 x 24 CSS px, or is a link in a line of text, or has room around it;
* 2.5.7 dragging movements: everything the outline lets you drag has Up/Down buttons;
* 3.2.6 consistent help: the Help link is first in the footer on every page;
* 3.3.7 redundant entry: a refused sign-in keeps the email typed;
* 3.3.8 accessible authentication: sign-in and code fields take a paste and a password
  manager's fill (autocomplete), and a passkey can replace the password;
* 1.2.2 / 1.2.3 / 2.1.1 / 4.1.2 media: a video lesson plays in the browser's own player
  (labelled, keyboard operable) with captions on by default and a transcript."""

from __future__ import annotations

import re
from typing import Any

import pytest
from allauth.mfa.totp.internal.auth import TOTP
from playwright.sync_api import expect

from syllabus.accounts.tests.mfa_helpers import totp_code
from tests.e2e.course_helpers import sign_in, sign_out, unexpected_problems
from tests.e2e.layout_pages import (
    LEARNER_EMAIL,
    PUBLIC_PAGES,
    build_world,
    small_targets,
    start_quiz_attempt,
)
from tests.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 375, "height": 740}


def _targets_report(page: Any, pages: dict[str, str], problems: dict[str, list[str]]) -> None:
    for name, path in pages.items():
        page.goto(path)
        found = small_targets(page)
        if found:
            problems[f"{name} ({path}) at {page.viewport_size['width']}px"] = found


def _describe(problems: dict[str, list[str]]) -> str:
    return "\n".join(f"{where}:\n  " + "\n  ".join(found) for where, found in problems.items())


# --- 2.5.8 target size -------------------------------------------------------------------


def test_targets_are_at_least_24_px_on_the_main_pages(page, live_server, browser_problems):
    world = build_world()
    problems: dict[str, list[str]] = {}
    for viewport in (None, PHONE):
        if viewport:
            page.set_viewport_size(viewport)
        _targets_report(page, PUBLIC_PAGES, problems)
        sign_in(page, LEARNER_EMAIL)
        _targets_report(page, world.learner_pages(), problems)
        _targets_report(page, {"quiz-attempt": start_quiz_attempt(page, world)}, problems)
        sign_out(page)
        sign_in(page, world.teacher.email)
        _targets_report(page, world.instructor_pages(), problems)
        sign_out(page)
    assert problems == {}, "targets smaller than 24x24 CSS px (WCAG 2.5.8):\n" + _describe(problems)
    assert unexpected_problems(browser_problems) == []


def test_the_target_check_finds_a_small_crowded_target(page, live_server):
    # The measurement itself: two 16px buttons side by side fail, a 16px link in a
    # sentence passes (2.5.8's inline exception).
    page.goto("/help/")
    page.evaluate(
        """() => {
          const main = document.querySelector('main');
          const box = document.createElement('div');
          for (const label of ['A', 'B']) {
            const b = document.createElement('button');
            b.textContent = label;
            Object.assign(b.style, {minHeight: '0', minWidth: '0', width: '16px',
              height: '16px', padding: '0', margin: '0', fontSize: '10px'});
            box.append(b);
          }
          const p = document.createElement('p');
          p.append('Read the ');
          const a = document.createElement('a');
          a.href = '#x';
          a.textContent = 'guide';
          a.style.fontSize = '12px';
          p.append(a, ' before you start.');
          main.prepend(box, p);
        }"""
    )
    found = small_targets(page)
    assert [f.split(" is ")[0] for f in found] == ["<button> 'A'", "<button> 'B'"]


# --- 2.5.7 dragging movements ------------------------------------------------------------


def test_everything_draggable_in_the_outline_has_up_and_down_buttons(
    page, live_server, browser_problems
):
    world = build_world()
    sign_in(page, world.teacher.email)
    page.goto(f"/courses/{world.course.public_id}/outline/")
    draggable = page.locator("[draggable=true]")
    expect(draggable.first).to_be_visible()
    count = draggable.count()
    assert count >= 3, "the modules and lessons of the outline can be dragged"
    for index in range(count):
        item = draggable.nth(index)
        title = item.locator(".outline-title").first.inner_text().strip()
        buttons = item.locator(":scope > .outline-row").get_by_role("button")
        names = [buttons.nth(i).inner_text().split()[0] for i in range(buttons.count())]
        assert "Up" in names and "Down" in names, f"{title!r} can be dragged but has {names}"

    # The buttons do what a drag does, with a pointer too (the keyboard is in
    # test_instructor_journey): the first lesson moves down one place.
    lessons = page.locator(".outline-lesson .outline-title > a")
    before = lessons.all_inner_texts()
    page.get_by_role("button", name=f"Down lesson {before[0]}").click()
    expect(lessons.nth(1)).to_have_text(before[0])
    assert lessons.all_inner_texts() == [before[1], before[0], *before[2:]]
    assert unexpected_problems(browser_problems) == []


def test_the_quiz_attempt_needs_no_dragging(page, live_server, browser_problems):
    # Ordering questions are answered with a position select per item, not by dragging.
    world = build_world()
    sign_in(page, LEARNER_EMAIL)
    start_quiz_attempt(page, world)
    assert page.locator("[draggable=true]").count() == 0
    # The ordering question (the fourth): one position select per item.
    expect(page.locator("#q4").get_by_role("combobox")).to_have_count(3)
    assert unexpected_problems(browser_problems) == []


# --- 3.2.6 consistent help ---------------------------------------------------------------


def _help_position(page: Any) -> dict[str, Any]:
    return dict(
        page.evaluate(
            """() => {
              const footer = document.querySelector('footer');
              const links = footer ? [...footer.querySelectorAll('a')] : [];
              const help = links.find(a => a.textContent.trim() === 'Help');
              return {inFooter: !!help, index: help ? links.indexOf(help) : -1,
                      href: help ? help.getAttribute('href') : null,
                      landmarks: document.querySelectorAll('footer').length};
            }"""
        )
    )


def test_help_is_in_the_same_place_on_every_page(page, live_server):
    world = build_world()
    seen: dict[str, dict[str, Any]] = {}
    for name, path in PUBLIC_PAGES.items():
        page.goto(path)
        seen[name] = _help_position(page)
    sign_in(page, LEARNER_EMAIL)
    for name, path in world.learner_pages().items():
        page.goto(path)
        seen[name] = _help_position(page)
    start_quiz_attempt(page, world)
    seen["quiz-attempt"] = _help_position(page)
    sign_out(page)
    sign_in(page, world.teacher.email)
    for name, path in world.instructor_pages().items():
        page.goto(path)
        seen[name] = _help_position(page)
    expected = {"inFooter": True, "index": 0, "href": "/help/", "landmarks": 1}
    different = {name: where for name, where in seen.items() if where != expected}
    assert different == {}, f"the Help link is not first in the one footer on: {different}"

    # It leads to a real page, which links the accessibility statement and how to report.
    page.get_by_role("contentinfo").get_by_role("link", name="Help").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Help")
    expect(page.get_by_role("heading", name="Report a barrier")).to_be_visible()
    page.get_by_role("contentinfo").get_by_role("link", name="Accessibility").click()
    expect(page).to_have_url(re.compile(r"/help/#accessibility$"))
    expect(page.get_by_role("main")).to_contain_text("WCAG) 2.2 at level AA")


# --- 3.3.7 redundant entry, 3.3.8 accessible authentication -------------------------------


def _paste(page: Any, locator: Any, text: str) -> None:
    """Paste as a person does: the text on the clipboard, then Ctrl+V in the field."""
    page.evaluate("text => navigator.clipboard.writeText(text)", text)
    locator.focus()
    page.keyboard.press("ControlOrMeta+V")


def test_sign_in_takes_pasted_passwords_and_offers_a_passkey(
    page, context, live_server, browser_problems
):
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    UserFactory(email="paula@example.org", full_name="Paula Paste")
    page.goto("/accounts/login/")
    email = page.get_by_label("Email")
    password = page.get_by_label("Password", exact=False)
    # A password manager can fill them: the fields say what they are.
    assert email.get_attribute("autocomplete") in {"email", "username"}
    assert password.get_attribute("autocomplete") == "current-password"
    # Nothing on the page stops a paste (no onpaste, no script cancelling the event).
    assert page.locator("[onpaste], [oncopy], [ondrop]").count() == 0
    # A passkey replaces the password and the second step: no memory test at all.
    expect(page.get_by_role("button", name="Use a passkey")).to_be_visible()

    # Redundant entry: a refused password keeps the email that was typed.
    email.fill("paula@example.org")
    _paste(page, password, "not the password")
    expect(password).to_have_value("not the password")
    page.get_by_role("main").get_by_role("button", name=re.compile("sign in", re.I)).click()
    expect(page.get_by_role("main")).to_contain_text(re.compile("not correct|incorrect", re.I))
    expect(page.get_by_label("Email")).to_have_value("paula@example.org")

    _paste(page, page.get_by_label("Password", exact=False), PASSWORD)
    page.get_by_role("main").get_by_role("button", name=re.compile("sign in", re.I)).click()
    expect(page.get_by_role("main")).to_contain_text("Signed in as Paula Paste")
    assert unexpected_problems(browser_problems) == []


def test_the_second_step_code_can_be_pasted(page, context, live_server, browser_problems):
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    user = UserFactory(email="otto@example.org", full_name="Otto Code")
    secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    TOTP.activate(user, secret)
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password", exact=False).fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name=re.compile("sign in", re.I)).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Two-step verification")

    code = page.get_by_role("main").get_by_role("textbox").first
    # The phone's or the password manager's code fills it (autocomplete one-time-code).
    assert code.get_attribute("autocomplete") == "one-time-code"
    assert page.locator("[onpaste], [oncopy], [ondrop]").count() == 0
    _paste(page, code, totp_code(secret))
    page.get_by_role("main").get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("main")).to_contain_text("Signed in as Otto Code")
    assert unexpected_problems(browser_problems) == []


# --- media ---------------------------------------------------------------------------------


def test_video_lesson_has_captions_on_a_transcript_and_a_keyboard_player(
    page, live_server, browser_problems
):
    world = build_world()
    sign_in(page, LEARNER_EMAIL)
    page.goto(f"/learn/{world.video.public_id}/")
    video = page.locator("video#learn-video")
    expect(video).to_be_visible()

    # The browser's own player: its buttons are labelled by the browser and work by keyboard.
    assert video.evaluate("v => v.controls") is True
    assert video.get_attribute("aria-label") == f"Video: {world.video.title}"
    # Captions (WebVTT) load and show by default.
    track = video.locator("track")
    assert track.get_attribute("kind") == "captions"
    assert track.get_attribute("srclang") == "en"
    assert track.get_attribute("default") is not None
    page.wait_for_function(
        "() => { const t = document.querySelector('#learn-video').textTracks[0];"
        " return t && t.mode === 'showing' && t.cues && t.cues.length > 0; }"
    )
    first_cue = video.evaluate("v => v.textTracks[0].cues[0].text")
    assert first_cue.strip()

    # Keyboard: Tab reaches the player; Space plays and pauses it, arrows seek.
    video.focus()
    expect(video).to_be_focused()
    page.keyboard.press("Space")
    page.wait_for_function("() => !document.querySelector('#learn-video').paused")
    page.keyboard.press("Space")
    page.wait_for_function("() => document.querySelector('#learn-video').paused")

    # The transcript: a disclosure opened from the keyboard.
    summary = page.get_by_text("Transcript", exact=True)
    summary.focus()
    page.keyboard.press("Enter")
    expect(page.locator(".learn-transcript-text")).to_be_visible()
    expect(page.locator(".learn-transcript-text")).not_to_be_empty()

    # Stop progress reports before the test database is flushed (see the learner journey).
    video.evaluate("v => v.pause()")
    page.wait_for_load_state("networkidle")
    page.evaluate("() => { window.fetch = () => new Promise(() => {}); }")
    assert unexpected_problems(browser_problems) == []
