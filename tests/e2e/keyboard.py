"""Moving through a page with the keyboard only, as a keyboard or screen-reader user does.

The journeys in test_keyboard_journeys.py never click and never fill an element: they
press Tab until the control they want has focus (``tab_to``), then type or press Enter or
Space. Every Tab is also a check of what a sighted keyboard user sees:

* the focused element shows a focus indicator: it matches ``:focus-visible`` and its
  outline or box-shadow is really drawn (WCAG 2.4.7 Focus Visible);
* it is inside the viewport and no sticky or fixed element covers it (WCAG 2.4.11 Focus
  Not Obscured: the quiz timer, a sticky table column);
* it has a size: focus never lands on something invisible.

``assert_no_keyboard_trap`` tabs through a whole page until focus comes back to the start,
then walks the same stops back with Shift+Tab (WCAG 2.1.2 No Keyboard Trap).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from playwright.sync_api import Error as PlaywrightError

# Roles a person can reach with Tab and operate: what ``tab_to(page, name)`` looks for when
# no role is given.
INTERACTIVE_ROLES = (
    "link",
    "button",
    "textbox",
    "searchbox",
    "combobox",
    "checkbox",
    "radio",
    "spinbutton",
    "switch",
    "tab",
    "menuitem",
    "slider",
)
MAX_TABS = 80

# What the focused element is, and whether a sighted person can see where the focus is.
# ``key`` is a path through the DOM (tag:nth-of-type from <html>) that names a tab stop
# without adding anything to the page.
_FOCUS_STATE_JS = """
() => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) {
    return { atBody: true, key: "body", label: "<body>" };
  }
  const path = [];
  for (let node = el; node && node.nodeType === 1; node = node.parentElement) {
    let index = 1;
    for (let sib = node.previousElementSibling; sib; sib = sib.previousElementSibling) {
      if (sib.tagName === node.tagName) index += 1;
    }
    path.unshift(`${node.tagName.toLowerCase()}:${index}`);
  }
  const labelledBy = (el.getAttribute("aria-labelledby") || "")
    .split(/\\s+/).filter(Boolean)
    .map((id) => (document.getElementById(id) || {}).textContent || "").join(" ");
  const labels = el.labels ? Array.from(el.labels).map((l) => l.textContent).join(" ") : "";
  const name = (el.getAttribute("aria-label") || labelledBy || labels || el.textContent
    || el.getAttribute("value") || el.getAttribute("title") || "").replace(/\\s+/g, " ").trim();
  const tag = el.tagName.toLowerCase();
  const type = el.getAttribute("type");
  const label = `<${tag}${type ? ` type=${type}` : ""}${el.id ? ` id=${el.id}` : ""}> `
    + JSON.stringify(name.slice(0, 60));

  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0
    && !/rgba\\(.*,\\s*0\\)$/.test(style.outlineColor);
  const shadow = style.boxShadow && style.boxShadow !== "none";
  const focusVisible = el.matches(":focus-visible");

  const rect = el.getBoundingClientRect();
  const box = { x: rect.x, y: rect.y, width: rect.width, height: rect.height };
  // Inside the viewport: all of it, or for a field taller or wider than the window (a
  // long textarea, where the browser scrolls the caret into view) a good part of it.
  const seenX = Math.min(rect.right, window.innerWidth) - Math.max(rect.left, 0);
  const seenY = Math.min(rect.bottom, window.innerHeight) - Math.max(rect.top, 0);
  const inViewport = rect.width > 0 && rect.height > 0
    && seenX >= Math.min(rect.width, 16) - 1 && seenY >= Math.min(rect.height, 16) - 1;

  // Author content that stays put while the page scrolls (sticky or fixed), drawn over
  // the focused element: WCAG 2.4.11. An ancestor of the focused element does not count
  // (a control inside the sticky quiz timer is not hidden by it), nor an open dialog.
  const covers = [];
  for (const other of document.querySelectorAll("body *")) {
    if (other === el || other.contains(el) || el.contains(other)) continue;
    const position = getComputedStyle(other).position;
    if (position !== "sticky" && position !== "fixed") continue;
    const r = other.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    const overlapX = Math.min(rect.right, r.right) - Math.max(rect.left, r.left);
    const overlapY = Math.min(rect.bottom, r.bottom) - Math.max(rect.top, r.top);
    if (overlapX > 1 && overlapY > 1) {
      covers.push(`<${other.tagName.toLowerCase()} class="${other.className}"> at `
        + `${Math.round(r.top)}..${Math.round(r.bottom)}`);
    }
  }
  return {
    atBody: false, key: path.join("/"), label, box, inViewport, covers,
    focusVisible, indicator: outline || shadow,
    outline: `${style.outlineStyle} ${style.outlineWidth} ${style.outlineColor}`,
    shadow: style.boxShadow,
  };
}
"""


@dataclass(frozen=True)
class FocusState:
    """Where the keyboard focus is, and how it looks."""

    at_body: bool
    key: str
    label: str
    problems: tuple[str, ...]


def _evaluate(page: Any, script: str) -> Any:
    # A key that submitted a form may still be loading the next page: read the new one.
    for _ in range(3):
        try:
            return page.evaluate(script)
        except PlaywrightError as error:
            if "Execution context was destroyed" not in str(error):
                raise
            page.wait_for_load_state()
    return page.evaluate(script)


def focus_state(page: Any) -> FocusState:
    """The focused element and what is wrong with how it is shown (empty when nothing)."""
    state = _evaluate(page, _FOCUS_STATE_JS)
    if state["atBody"]:
        return FocusState(at_body=True, key="body", label="<body>", problems=())
    problems = []
    if not state["indicator"]:
        problems.append(
            f"no visible focus indicator (outline {state['outline']}, "
            f"box-shadow {state['shadow']}, :focus-visible {state['focusVisible']})"
        )
    if not state["inViewport"]:
        problems.append(f"not in the viewport, or of no size: {state['box']}")
    if state["covers"]:
        problems.append("hidden under " + ", ".join(state["covers"]))
    return FocusState(
        at_body=False, key=state["key"], label=state["label"], problems=tuple(problems)
    )


class FocusProblem(AssertionError):
    """The keyboard focus is not where, or not how, it should be."""


def press(page: Any, key: str) -> None:
    """Press a key that acts (``Enter``, ``Space``, ``ArrowDown``, ``Escape``...). It may
    load another page, so nothing is read from the page here."""
    page.keyboard.press(key)


def tab(page: Any, *, backwards: bool = False) -> FocusState:
    """Press Tab (Shift+Tab when ``backwards``): the newly focused element must be
    visibly focused and not obscured."""
    key = "Shift+Tab" if backwards else "Tab"
    page.keyboard.press(key)
    state = focus_state(page)
    if state.problems:
        raise FocusProblem(f"after {key}, focus on {state.label}: " + "; ".join(state.problems))
    return state


def type_text(page: Any, text: str) -> None:
    """Type into whatever has focus, key by key (as a person types: key events fire)."""
    page.keyboard.type(text)


def _target(page: Any, name: str | re.Pattern[str], role: str | None, exact: bool) -> Any:
    if role is not None:
        return page.get_by_role(role, name=name, exact=exact)
    target = page.get_by_role(INTERACTIVE_ROLES[0], name=name, exact=exact)
    for other in INTERACTIVE_ROLES[1:]:
        target = target.or_(page.get_by_role(other, name=name, exact=exact))
    # A password field has no ARIA role: its label names it.
    return target.or_(page.get_by_label(name, exact=exact))


def is_focused(locator: Any) -> bool:
    """Any element of the locator has the focus."""
    return bool(locator.evaluate_all("els => els.includes(document.activeElement)"))


def tab_to(
    page: Any,
    name: str | re.Pattern[str],
    *,
    role: str | None = None,
    within: Any = None,
    exact: bool = False,
    backwards: bool = False,
    max_tabs: int = MAX_TABS,
) -> FocusState:
    """Press Tab (Shift+Tab when ``backwards``) until the focused element has the
    accessible ``name`` (and ``role``, when given; inside ``within``, a locator, when
    given). Names match as Playwright's do: a substring, whatever the case, unless
    ``exact``; or a regular expression. Fails with every element the focus passed through
    when it is not reached in ``max_tabs`` presses, or when a focused element on the way
    is not visibly focused."""
    scope = within if within is not None else page
    target = _target(scope, name, role, exact)
    key = "Shift+Tab" if backwards else "Tab"
    visited: list[str] = []
    state = focus_state(page)
    if is_focused(target):
        return state
    for _ in range(max_tabs):
        state = tab(page, backwards=backwards)
        visited.append(state.label)
        if is_focused(target):
            return state
    described = f"{role or 'control'} named {name!r}"
    raise FocusProblem(
        f"{key} x{max_tabs} never reached the {described}; focus went through:\n  "
        + "\n  ".join(visited)
    )


def focus_start(page: Any) -> None:
    """Put the keyboard back at the start of the document, as after a page load: the
    next Tab goes to the first tab stop (the skip link). Blurring alone is not enough:
    the browser starts the next Tab from where the focus was. So the body takes the
    focus for an instant (a tabindex it loses again) and lets it go."""
    _evaluate(
        page,
        """() => {
            const body = document.body;
            const had = body.hasAttribute("tabindex");
            if (!had) body.setAttribute("tabindex", "-1");
            body.focus({ preventScroll: true });
            body.blur();
            if (!had) body.removeAttribute("tabindex");
            window.scrollTo(0, 0);
        }""",
    )


def tab_stops(page: Any, *, max_tabs: int = 250) -> list[FocusState]:
    """Every tab stop of the page in order, from the first, pressing Tab until the focus
    comes back to the first one (or leaves the page, to the browser): a keyboard trap, a
    cycle that never returns to the start, fails."""
    focus_start(page)
    stops: list[FocusState] = []
    for _ in range(max_tabs):
        state = tab(page)
        if state.at_body or (stops and state.key == stops[0].key):
            return stops
        if stops and state.key == stops[-1].key:
            continue  # the next part of the same field (day, month, year of a date)
        if state.key in {stop.key for stop in stops}:
            raise FocusProblem(
                f"keyboard trap: Tab came back to {state.label} without reaching the end "
                "of the page; the stops were:\n  " + "\n  ".join(s.label for s in stops)
            )
        stops.append(state)
    raise FocusProblem(
        f"keyboard trap: {max_tabs} Tabs never left the page; the last stops were:\n  "
        + "\n  ".join(s.label for s in stops[-20:])
    )


def assert_no_keyboard_trap(page: Any) -> list[FocusState]:
    """Tab through the whole page and back: Tab reaches the end of the page and leaves
    it; Shift+Tab from there visits the same stops in reverse, back to the first.
    Returns the stops (for further checks)."""
    stops = tab_stops(page)
    assert stops, f"no tab stop at all on {page.url}"
    # Focus is now past the last stop (on the browser, or back on the first stop).
    if focus_state(page).key == stops[0].key:
        tab(page, backwards=True)  # out of the page, before the first stop
    backwards: list[str] = []
    for _ in range(len(stops) * 6 + 5):  # a date field takes up to 5 presses
        state = tab(page, backwards=True)
        if state.at_body:
            break
        if backwards and state.key == backwards[-1]:
            continue  # a part of the same field
        backwards.append(state.key)
        if state.key == stops[0].key:
            break
    forwards = [stop.key for stop in stops]
    if backwards != list(reversed(forwards)):
        labels = {stop.key: stop.label for stop in stops}
        raise FocusProblem(
            "Shift+Tab does not walk back through the stops Tab went through.\n"
            "Tab:\n  "
            + "\n  ".join(s.label for s in stops)
            + "\nShift+Tab:\n  "
            + "\n  ".join(labels.get(key, key) for key in backwards)
        )
    return stops
