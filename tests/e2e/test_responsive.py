"""The layout from a 320 px phone to a desktop, in a real browser:

* 1.4.10 reflow: no page of the main journeys scrolls sideways at 320 CSS px;
* 1.4.4 resize text: at 1280 px with the text at 200 % (and with the whole page zoomed to
  200 %, a 640 px window) nothing is pushed off the side and no two controls overlap;
* 2.3.3 animation from interactions: with reduced motion asked for, nothing animates;
* screenshots of the learner dashboard, a lesson, a quiz attempt and the gradebook at
  375 px and 1280 px, saved as test-results/screenshots/<name>-<width>.png for review."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.course_helpers import sign_in, sign_out, unexpected_problems
from tests.e2e.layout_pages import (
    LEARNER_EMAIL,
    PUBLIC_PAGES,
    World,
    build_world,
    horizontal_overflow,
    start_quiz_attempt,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True), pytest.mark.slow]

NARROWEST = {"width": 320, "height": 640}
DESKTOP = {"width": 1280, "height": 800}


def _visit_all(page: Any, world: World, check: Any) -> dict[str, str]:
    """Run ``check(page)`` (None when fine, else a message) on every main page, as the
    visitor, the learner (with a quiz attempt) and the instructor."""
    problems: dict[str, str] = {}

    def visit(pages: dict[str, str]) -> None:
        for name, path in pages.items():
            page.goto(path)
            if (found := check(page)) is not None:
                problems[f"{name} ({path})"] = found

    visit(PUBLIC_PAGES)
    sign_in(page, LEARNER_EMAIL)
    visit(world.learner_pages())
    start_quiz_attempt(page, world)
    if (found := check(page)) is not None:
        problems["quiz-attempt"] = found
    sign_out(page)
    sign_in(page, world.teacher.email)
    visit(world.instructor_pages())
    sign_out(page)
    return problems


def _describe(problems: dict[str, str]) -> str:
    return "\n".join(f"- {where}: {found}" for where, found in problems.items())


def test_no_page_scrolls_sideways_at_320_px(page, live_server, browser_problems):
    world = build_world()
    page.set_viewport_size(NARROWEST)
    problems = _visit_all(page, world, horizontal_overflow)
    assert problems == {}, "pages wider than a 320px screen (WCAG 1.4.10):\n" + _describe(problems)
    assert unexpected_problems(browser_problems) == []


OVERLAPS_JS = """
() => {
  const selector = 'a[href], button, input:not([type=hidden]), select, textarea, summary, '
    + 'h1, h2, label';
  const items = [...document.querySelectorAll(selector)]
    .filter(el => {
      const s = getComputedStyle(el);
      return s.visibility !== 'hidden' && s.display !== 'none';
    })
    .filter(el => !el.closest('.visually-hidden'))
    .map(el => ({el, r: el.getBoundingClientRect()}))
    .filter(({r}) => r.width > 0 && r.height > 0 && r.bottom > 0);
  const out = [];
  for (let i = 0; i < items.length; i++) {
    for (let j = i + 1; j < items.length; j++) {
      const a = items[i], b = items[j];
      if (a.el.contains(b.el) || b.el.contains(a.el)) continue;
      // A label and its own control may touch; they are one thing.
      if (a.el.control === b.el || b.el.control === a.el) continue;
      const w = Math.min(a.r.right, b.r.right) - Math.max(a.r.left, b.r.left);
      const h = Math.min(a.r.bottom, b.r.bottom) - Math.max(a.r.top, b.r.top);
      if (w > 2 && h > 2) {
        const name = el => {
          const text = (el.textContent || el.name || '').trim().replace(/\\s+/g, ' ');
          return `${el.tagName.toLowerCase()} "${text.slice(0, 30)}"`;
        };
        out.push(`${name(a.el)} overlaps ${name(b.el)}`);
      }
    }
  }
  return out.slice(0, 6);
}
"""


def _zoomed_problems(page: Any) -> str | None:
    found = []
    if (overflow := horizontal_overflow(page)) is not None:
        found.append(overflow)
    found += page.evaluate(OVERLAPS_JS)
    return "; ".join(found) or None


def test_text_at_200_percent_fits_without_overlap(page, live_server, browser_problems):
    # Text-only zoom: the browser setting "font size", which scales every rem and em.
    world = build_world()
    page.add_init_script(
        "document.addEventListener('DOMContentLoaded', () =>"
        " { document.documentElement.style.fontSize = '200%'; });"
    )
    problems = _visit_all(page, world, _zoomed_problems)
    assert problems == {}, "with text at 200% (WCAG 1.4.4):\n" + _describe(problems)
    assert unexpected_problems(browser_problems) == []


def test_page_zoom_200_percent_is_a_640_px_window(page, live_server, browser_problems):
    # Page zoom at 200% on a 1280px window lays the page out in 640 CSS px.
    world = build_world()
    page.set_viewport_size({"width": 640, "height": 400})
    problems = _visit_all(page, world, _zoomed_problems)
    assert problems == {}, "at 200% page zoom (WCAG 1.4.4):\n" + _describe(problems)
    assert unexpected_problems(browser_problems) == []


MOTION_JS = """
() => {
  const seconds = v => v.split(',').map(s => parseFloat(s) * (s.trim().endsWith('ms') ? 0.001 : 1));
  const moving = [];
  for (const el of document.querySelectorAll('*')) {
    const s = getComputedStyle(el);
    const longest = Math.max(...seconds(s.animationDuration), ...seconds(s.transitionDuration));
    if (longest > 0.01 && (s.animationName !== 'none' || s.transitionProperty !== 'none')) {
      moving.push(`${el.tagName.toLowerCase()}.${el.className}: animation ${s.animationName}`
        + ` ${s.animationDuration}, transition ${s.transitionProperty} ${s.transitionDuration}`);
    }
  }
  return moving;
}
"""

PROBE_JS = """
() => {
  const probe = document.createElement('div');
  probe.className = 'htmx-request';
  probe.innerHTML = '<span class="htmx-indicator">Saving</span>';
  document.querySelector('main').append(probe);
  return getComputedStyle(probe.firstChild).transitionDuration;
}
"""


def test_reduced_motion_turns_off_animation(page, live_server, browser_problems):
    world = build_world()
    # The context asks for reduced motion (conftest): nothing on any page moves.
    problems = _visit_all(page, world, lambda p: "; ".join(p.evaluate(MOTION_JS)) or None)
    assert problems == {}, "animations despite prefers-reduced-motion:\n" + _describe(problems)

    # And the rule is what stops them: without the preference, the htmx indicator fades in.
    page.goto("/help/")
    assert page.evaluate(PROBE_JS) == "0s"
    page.emulate_media(reduced_motion="no-preference")
    page.goto("/help/")
    assert page.evaluate(PROBE_JS) == "0.2s"
    assert unexpected_problems(browser_problems) == []


# --- screenshots for review ----------------------------------------------------------------


@pytest.mark.parametrize("width", [375, 1280])
def test_screenshots_of_the_main_pages(page, live_server, screenshot, browser_problems, width):
    world = build_world()
    page.set_viewport_size({"width": width, "height": 800 if width > 400 else 740})
    saved = []

    def shot(name: str) -> None:
        assert horizontal_overflow(page) is None, f"{name} scrolls sideways at {width}px"
        path = screenshot(f"{name}-{width}")
        assert path.stat().st_size > 5_000, f"{path} looks empty"
        saved.append(path.name)

    sign_in(page, LEARNER_EMAIL)
    page.goto("/dashboard/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text(world.course.title)
    shot("dashboard")
    page.goto(f"/learn/{world.text.public_id}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(world.text.title)
    shot("lesson")
    start_quiz_attempt(page, world)
    expect(page.get_by_role("timer").or_(page.locator("fieldset").first)).to_be_visible()
    shot("quiz-attempt")
    sign_out(page)
    sign_in(page, world.teacher.email)
    page.goto(f"/grades/course/{world.course.public_id}/gradebook/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Gradebook")
    expect(page.get_by_role("main")).to_contain_text("Rosa Learner")
    shot("gradebook")
    assert saved == [
        f"{n}-{width}.png" for n in ("dashboard", "lesson", "quiz-attempt", "gradebook")
    ]
    assert unexpected_problems(browser_problems) == []
