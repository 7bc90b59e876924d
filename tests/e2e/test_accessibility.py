"""axe-core (through axe-playwright-python) on the public pages: no serious or critical
violations. Moderate and minor ones are printed (run with -s, or see test-results/axe/)."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.factories import UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# The smallest GIF: one transparent pixel.
GIF = bytes.fromhex(
    "47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b"
)
SLOW_PAGE = (
    b'<!doctype html><html lang="en"><title>Loading</title>'
    b'<main><h1>Loading</h1><img alt="A slow image" src="/slow.gif"></main></html>'
)

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


class _SlowPageServer(ThreadingHTTPServer):
    """Serves a page whose one image comes only once the test lets it go (or after 2 s)."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _SlowPage)
        self.release = threading.Event()


class _SlowPage(BaseHTTPRequestHandler):
    server: _SlowPageServer

    def do_GET(self) -> None:
        if self.path == "/slow.gif":
            self.server.release.wait(timeout=2)
            self._send("image/gif", GIF)
        else:
            self._send("text/html; charset=utf-8", SLOW_PAGE)

    def _send(self, content_type: str, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass  # the test's output is for the test


def test_axe_waits_for_the_page_to_load(page, axe_audit):
    # A click on a link returns once the next page has started loading. An audit then
    # must wait for the page to load, not run on a half-built document (in CI axe once
    # found no <html> element at all). Here an image that has not come yet keeps the
    # page loading: the audit may only run once it has come.
    server = _SlowPageServer()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        page.goto(f"http://127.0.0.1:{server.server_address[1]}/", wait_until="commit")
        audit = axe_audit(page, "loading-page")
        state = page.evaluate("document.readyState")
    finally:
        server.release.set()
        server.shutdown()
        server.server_close()
    assert state == "complete"
    assert_no_serious_violations(audit)
