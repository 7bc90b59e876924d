"""axe-core (through axe-playwright-python) on the public pages: no serious or critical
violations. Moderate and minor ones are printed (run with -s, or see test-results/axe/)."""

from __future__ import annotations

import pytest

from tests.factories import UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PAGES = [
    pytest.param("home", "/", 200, id="home"),
    pytest.param("sign-in", "/accounts/login/", 200, id="sign-in"),
    pytest.param("404", "/no-such-page/", 404, id="404"),
]


def assert_no_serious_violations(audit) -> None:
    minor = audit.minor()
    if minor:
        print(f"axe: minor/moderate issues on {audit.url}:\n{audit.describe(minor)}")  # noqa: T201
    serious = audit.at_least_serious()
    assert not serious, (
        f"axe found {len(serious)} serious/critical accessibility violation(s) on {audit.url}:\n"
        + audit.describe(serious)
    )


@pytest.mark.parametrize(("name", "path", "status"), PAGES)
def test_page_has_no_serious_accessibility_violations(page, axe_audit, name, path, status):
    response = page.goto(path)
    assert response is not None
    assert response.status == status
    assert_no_serious_violations(axe_audit(page, name))


def test_sign_in_error_state_has_no_serious_accessibility_violations(page, axe_audit):
    user = UserFactory()
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password", exact=False).fill("Not-The-Password-42")
    page.get_by_role("main").get_by_role("button", name="Sign in", exact=True).click()
    page.locator(".errorlist").wait_for()
    assert_no_serious_violations(axe_audit(page, "sign-in-error"))


def test_skip_link_focused_has_no_serious_accessibility_violations(page, axe_audit):
    # The skip link only shows when focused: check its contrast in that state too.
    page.goto("/")
    page.keyboard.press("Tab")
    assert_no_serious_violations(axe_audit(page, "home-skip-link-focused"))


def test_axe_really_reports_violations(page, axe_audit):
    # A canary: if axe stopped running (a CSP blocking it, an API change in the library),
    # the page tests above would pass on nothing.
    page.goto("/")
    # Styles are set through the DOM: the CSP refuses inline style attributes in markup.
    page.evaluate(
        """() => {
            const main = document.querySelector('main');
            main.insertAdjacentHTML('beforeend', '<img src="/static/none.png">');
            const text = document.createElement('p');
            text.textContent = 'low contrast text';
            text.style.color = '#ccc';
            text.style.background = '#fff';
            main.append(text);
        }"""
    )
    found = {v["id"]: v["impact"] for v in axe_audit(page, "canary").violations}
    assert found.get("image-alt") == "critical", found
    assert found.get("color-contrast") == "serious", found
