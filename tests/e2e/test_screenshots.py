"""Screenshots of the public pages for humans to look at: test-results/screenshots/."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PAGES = [
    pytest.param("home", "/", 200, id="home"),
    pytest.param("sign-in", "/accounts/login/", 200, id="sign-in"),
    pytest.param("404", "/no-such-page/", 404, id="404"),
]


@pytest.mark.parametrize(("name", "path", "status"), PAGES)
def test_screenshot_desktop(page, screenshot, name, path, status):
    response = page.goto(path)
    assert response is not None
    assert response.status == status
    shot = screenshot(name)
    assert shot.stat().st_size > 1000


@pytest.mark.parametrize(("name", "path", "status"), PAGES)
def test_screenshot_phone(page, screenshot, name, path, status):
    page.set_viewport_size({"width": 375, "height": 740})
    response = page.goto(path)
    assert response is not None
    assert response.status == status
    # Nothing wider than the screen: no sideways scrolling on a phone (WCAG 1.4.10 reflow).
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= 375, f"{path} is {scroll_width}px wide on a 375px screen"
    shot = screenshot(f"{name}-phone")
    assert shot.stat().st_size > 1000
