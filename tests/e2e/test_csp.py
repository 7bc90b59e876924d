"""The Content Security Policy in a real browser: pages work and nothing is blocked.

Chromium reports every blocked script, style or frame as a ``securitypolicyviolation``
event (and a console error). Each test records those events from before the page's own
scripts run and asserts there are none.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from playwright.sync_api import expect

from syllabus.accounts.models import ApiToken
from tests.factories import UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True), pytest.mark.slow]

RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(
    `${event.effectiveDirective} blocked ${event.blockedURI || "inline"} ` +
    `at ${event.sourceFile || ""}:${event.lineNumber || ""}`
  );
});
"""


@pytest.fixture
def watched_page(page: Any) -> Any:
    page.add_init_script(RECORD_VIOLATIONS)
    return page


def violations(page: Any, browser_problems: Any) -> list[str]:
    reported = page.evaluate("window.__cspViolations || []")
    console = [
        text
        for text in browser_problems.console_errors
        if "Content Security Policy" in text or "Permissions-Policy" in text
    ]
    return [*reported, *console]


def sign_in_browser(page: Any, live_server: Any, user: Any) -> None:
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )


@pytest.mark.parametrize("path", ["/", "/accounts/login/"])
def test_public_pages_report_no_csp_violation(watched_page, browser_problems, path):
    response = watched_page.goto(path)
    assert response is not None
    assert response.status == 200
    assert "'nonce-" in response.headers["content-security-policy"]
    watched_page.wait_for_load_state("load")
    # htmx (loaded with the nonce) really ran under the policy
    assert watched_page.evaluate("typeof window.htmx") == "object"
    assert violations(watched_page, browser_problems) == []
    assert browser_problems.unexpected() == []


def test_the_api_docs_work_under_the_policy(watched_page, browser_problems, screenshot):
    response = watched_page.goto("/api/v1/docs")
    assert response is not None
    assert response.status == 200
    # Swagger UI rendered the schema: the sign-in operation is listed.
    expect(
        watched_page.locator('.opblock-summary-path[data-path="/api/v1/auth/token"]')
    ).to_be_visible()
    expect(watched_page.locator("#swagger-ui .info .title")).to_contain_text("Syllabus API")
    # Opening an operation renders its schema and "Try it out" controls.
    watched_page.locator('.opblock-summary-path[data-path="/api/v1/auth/token"]').click()
    expect(watched_page.get_by_role("button", name="Try it out")).to_be_visible()
    expect(watched_page.get_by_text("mfa_required").first).to_be_visible()
    screenshot("api-docs")
    assert violations(watched_page, browser_problems) == []
    assert browser_problems.unexpected() == []


def test_the_tokens_page_creates_and_copies_a_token_without_violations(
    watched_page, live_server, browser_problems, screenshot, axe_audit
):
    user = UserFactory(email="mara@example.org", full_name="Mara Manager", site_roles=["manager"])
    sign_in_browser(watched_page, live_server, user)
    watched_page.goto("/account/tokens/")
    expect(watched_page.get_by_role("heading", level=1)).to_have_text("API tokens")
    screenshot("api-tokens-empty")

    watched_page.get_by_label("Name").fill("Grade export")
    watched_page.get_by_label("Expires after").select_option("30")
    watched_page.get_by_label("grade.view: See grades").check()
    watched_page.get_by_role("button", name="Create token").click()

    field = watched_page.get_by_label("Token", exact=True)
    expect(field).to_be_visible()
    expect(field).to_be_focused()
    plain = field.input_value()
    assert re.match(r"^syl_[0-9a-z]{8}_", plain)
    token = ApiToken.objects.get()
    assert (token.name, token.scopes) == ("Grade export", ["grade.view"])
    expect(watched_page.get_by_text("it will not be shown again")).to_be_visible()
    # the copy button is JavaScript's (a file with the nonce): it shows and reports
    watched_page.get_by_role("button", name="Copy token").click()
    expect(watched_page.locator("[data-copy-status]")).to_contain_text("Token")
    screenshot("api-tokens-created")
    audit = axe_audit(watched_page, "api-tokens-created")
    assert audit.at_least_serious() == [], audit.describe(audit.at_least_serious())

    watched_page.set_viewport_size({"width": 375, "height": 740})
    scroll_width = watched_page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= 375, f"the tokens page is {scroll_width}px wide on a 375px screen"
    screenshot("api-tokens-created-phone")
    narrow = axe_audit(watched_page, "api-tokens-created-phone")
    assert narrow.at_least_serious() == [], narrow.describe(narrow.at_least_serious())

    assert violations(watched_page, browser_problems) == []
    assert browser_problems.unexpected() == []


def test_a_blocked_inline_script_is_reported(watched_page, browser_problems):
    # A canary: the policy really blocks inline code, and this file would see it.
    watched_page.goto("/")
    watched_page.evaluate(
        """() => {
            const script = document.createElement('script');
            script.textContent = 'window.__inlineRan = true;';
            document.body.append(script);
        }"""
    )
    watched_page.wait_for_function("window.__cspViolations.length > 0")
    assert watched_page.evaluate("window.__inlineRan === undefined")
    assert any("script-src" in v for v in violations(watched_page, browser_problems))
