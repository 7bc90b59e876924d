"""The page shell: landmarks, the skip link driven by keyboard, and the layout."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_home_page_renders_with_landmarks(page, browser_problems):
    response = page.goto("/")

    assert response is not None
    assert response.status == 200
    expect(page).to_have_title(re.compile(r"^Home · Syllabus$"))
    assert page.locator("html").get_attribute("lang") == "en"
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome to Syllabus")

    # One of each landmark, each visible: header (banner), nav, main, footer (contentinfo).
    landmarks = {
        "banner": page.get_by_role("banner"),
        "navigation": page.get_by_role("navigation", name="Main"),
        "main": page.get_by_role("main"),
        "contentinfo": page.get_by_role("contentinfo"),
    }
    for role, locator in landmarks.items():
        expect(locator, f"exactly one {role} landmark").to_have_count(1)
        expect(locator, f"the {role} landmark is visible").to_be_visible()
    assert page.locator("main").get_attribute("id") == "main"
    expect(landmarks["navigation"].get_by_role("link", name="Home")).to_have_attribute(
        "aria-current", "page"
    )
    expect(landmarks["main"].get_by_role("link", name="Sign in")).to_be_visible()

    # Every stylesheet and script loads and no script fails; the stylesheet is applied.
    assert browser_problems.unexpected() == []
    header_background = page.locator("header").evaluate(
        "el => getComputedStyle(el).backgroundColor"
    )
    assert header_background == "rgb(27, 31, 36)", "syllabus.css is not applied"


def test_skip_link_moves_keyboard_focus_to_main(page):
    page.goto("/")
    skip_link = page.get_by_role("link", name="Skip to main content")

    page.keyboard.press("Tab")
    expect(skip_link, "the skip link is the first thing Tab reaches").to_be_focused()

    page.keyboard.press("Enter")
    expect(page.locator("#main")).to_be_focused()
    assert page.url.endswith("#main")

    # The next Tab continues inside main: the header navigation was really skipped.
    page.keyboard.press("Tab")
    focused = page.evaluate(
        "() => ({inMain: !!document.activeElement.closest('main'),"
        " text: document.activeElement.textContent.trim()})"
    )
    assert focused["inMain"], f"after the skip link, Tab went to {focused['text']!r} outside main"
    assert focused["text"] == "Sign in"


def test_skip_link_is_hidden_until_focused_then_visible(page, screenshot):
    page.goto("/")
    skip_link = page.get_by_role("link", name="Skip to main content")

    box = skip_link.bounding_box()
    assert box is not None
    assert box["y"] + box["height"] <= 0, f"the skip link should be off-screen until focused: {box}"

    page.keyboard.press("Tab")
    expect(skip_link).to_be_focused()
    box = skip_link.bounding_box()
    assert box is not None
    assert box["y"] >= 0, f"the focused skip link must be on screen (WCAG 2.4.7): {box}"
    assert box["width"] >= 24, f"target too small (WCAG 2.5.8): {box}"
    assert box["height"] >= 24, f"target too small (WCAG 2.5.8): {box}"
    outline = skip_link.evaluate("el => getComputedStyle(el).outlineStyle")
    assert outline != "none", "the focused skip link shows no focus outline (WCAG 2.4.7)"
    screenshot("home-skip-link-focused", full_page=False)


@pytest.mark.parametrize("path", ["/", "/accounts/login/", "/no-such-page/"])
def test_main_content_lines_up_with_the_header(page, path):
    # The page column is as wide as the header's: content starts where the brand starts
    # and does not move sideways with the length of its text.
    page.goto(path)
    brand = page.locator(".brand").bounding_box()
    heading = page.get_by_role("heading", level=1).bounding_box()
    assert brand is not None
    assert heading is not None
    assert abs(heading["x"] - brand["x"]) <= 1, (
        f"on {path} the h1 starts at x={heading['x']} but the header's brand at x={brand['x']}: "
        "main is not full width"
    )


def test_sign_in_form_keeps_a_narrow_column(page):
    # Account pages (allauth) sit in the layout's narrow column (.narrow, 32rem): a
    # 1000px-wide email field is hard to scan and looks broken.
    page.goto("/accounts/login/")
    field = page.get_by_label("Email").bounding_box()
    assert field is not None
    assert field["width"] <= 32 * 16, (
        f"the sign-in email field is {field['width']}px wide; the account pages should use "
        "the 32rem .narrow column of syllabus/templates/allauth/layouts/base.html"
    )
