"""Browser tests: Playwright (sync API) driving Debian's Chromium against pytest-django's
``live_server``.

* Chromium is launched by path (``/usr/bin/chromium``, or ``SYLLABUS_CHROMIUM``):
  ``playwright install`` cannot download browsers on our machines.
* No Chromium: the e2e tests are skipped with a reason saying so, unless
  ``SYLLABUS_REQUIRE_BROWSER=1`` (CI), where they fail instead of silently skipping.
* One browser per process (under pytest-xdist, one per worker), reused by consecutive
  e2e tests, and a fresh context and page per test, so no cookie or storage leaks between
  tests. The browser is stopped as soon as the next test is not an e2e test (see below).
* Screenshots go to ``test-results/screenshots/`` (git-ignored).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

DEFAULT_CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # The machines have no internet: without these Chromium keeps trying to reach
    # Google's services (updates, sync, field trials), which slows it down and logs noise.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
E2E_DIR = Path(__file__).resolve().parent
DEFAULT_TIMEOUT_MS = 10_000
# Assertions wait as long as actions and navigations do: Playwright's own 5 s was too short
# for a page load on two cores busy with the fault tests of the other xdist worker.
expect.set_options(timeout=DEFAULT_TIMEOUT_MS)
VIEWPORT = {"width": 1280, "height": 800}


def chromium_path() -> str:
    return os.environ.get("SYLLABUS_CHROMIUM") or DEFAULT_CHROMIUM


def chromium_available() -> bool:
    path = chromium_path()
    return os.path.isfile(path) and os.access(path, os.X_OK)


def browser_required() -> bool:
    return os.environ.get("SYLLABUS_REQUIRE_BROWSER", "").strip().lower() in {"1", "true", "yes"}


def missing_browser_message() -> str:
    return (
        f"Chromium not found at {chromium_path()}; install Debian's chromium to run browser "
        "tests (apt-get install chromium), or point SYLLABUS_CHROMIUM at a Chromium binary"
    )


def pytest_report_header(config: pytest.Config) -> str:
    if chromium_available():
        return f"e2e: Chromium at {chromium_path()}"
    if browser_required():
        return f"e2e: {missing_browser_message()} -- SYLLABUS_REQUIRE_BROWSER=1: e2e tests FAIL"
    return f"e2e: {missing_browser_message()} -- e2e tests will be SKIPPED"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Skip up front (before the live server and database are set up) when there is no
    # browser and none is required. When one is required, the `browser` fixture fails.
    if chromium_available() or browser_required():
        return
    skip = pytest.mark.skip(reason=missing_browser_message())
    for item in items:
        if is_e2e_item(item):
            item.add_marker(skip)


def is_e2e_item(item: pytest.Item) -> bool:
    return item.get_closest_marker("e2e") is not None or E2E_DIR in Path(item.path).parents


ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"


class ChromiumProcess:
    """Playwright and one Chromium for this process, started by the first e2e test.

    Playwright's sync API runs an asyncio event loop in this (the main) thread, and the loop
    stays "running" for as long as Playwright is started. Django's async-safety guard sees
    it and refuses every ORM call made from this thread (SynchronousOnlyOperation), although
    nothing here is async: the test body (factories, database assertions, pytest-django's
    flush between tests) and the browser calls simply take turns; the live server answers
    from its own thread. So while Playwright runs, DJANGO_ALLOW_ASYNC_UNSAFE=true is set.

    It must not outlive the e2e tests: other tests of the same process (the whole suite,
    or an xdist worker that gets e2e and other tests) would run without Django's guard, and
    subprocesses they start inherit the variable (`check --deploy` then warns about it).
    Hence Playwright is stopped, and the variable restored, as soon as the next test is not
    an e2e test (pytest_runtest_teardown below); a later e2e test starts it again.
    """

    def __init__(self) -> None:
        self._playwright: Any = None
        self.browser: Any = None
        self._saved_env: str | None = None

    @property
    def running(self) -> bool:
        return self._playwright is not None

    def start(self) -> Any:
        from playwright.sync_api import sync_playwright

        self._saved_env = os.environ.get(ASYNC_UNSAFE)
        os.environ[ASYNC_UNSAFE] = "true"
        try:
            self._playwright = sync_playwright().start()
            self.browser = self._playwright.chromium.launch(
                executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS
            )
        except BaseException:
            self.stop()
            raise
        return self.browser

    def stop(self) -> None:
        try:
            if self.browser is not None:
                self.browser.close()
            if self._playwright is not None:
                self._playwright.stop()
        finally:
            self.browser = None
            self._playwright = None
            if self._saved_env is None:
                os.environ.pop(ASYNC_UNSAFE, None)
            else:
                os.environ[ASYNC_UNSAFE] = self._saved_env


chromium = ChromiumProcess()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Any:
    # Runs for e2e items only (hooks of this conftest see the items under its folder).
    # After the yield, every fixture of the test (the database flush included) is torn down.
    try:
        return (yield)
    finally:
        if chromium.running and (nextitem is None or not is_e2e_item(nextitem)):
            chromium.stop()


def pytest_sessionfinish(session: pytest.Session) -> None:
    if chromium.running:
        chromium.stop()


@pytest.fixture
def browser() -> Any:
    """The process's headless Chromium (see ChromiumProcess)."""
    if not chromium_available():
        if browser_required():
            pytest.fail(f"SYLLABUS_REQUIRE_BROWSER=1 but {missing_browser_message()}")
        pytest.skip(missing_browser_message())
    return chromium.browser if chromium.running else chromium.start()


@pytest.fixture
def context(browser: Any, live_server: Any) -> Iterator[Any]:
    """A fresh browser context (cookies, storage) per test, pointed at the live server."""
    ctx = browser.new_context(
        base_url=live_server.url,
        viewport=VIEWPORT,
        locale="en-GB",
        timezone_id="UTC",
        reduced_motion="reduce",
    )
    ctx.set_default_timeout(DEFAULT_TIMEOUT_MS)
    ctx.set_default_navigation_timeout(DEFAULT_TIMEOUT_MS)
    yield ctx
    ctx.close()


HEADER_PROBLEM = re.compile(r"Error with [\w-]+ header")


@dataclass
class BrowserProblems:
    """What went wrong in a page as the browser saw it, for tests to assert on: JavaScript
    errors, console errors, and sub-resources (CSS, JS, images) that failed to load."""

    page_errors: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    failed_resources: list[str] = field(default_factory=list)
    cancelled_requests: list[str] = field(default_factory=list)

    def unexpected(self, *, allow: tuple[str, ...] = ()) -> list[str]:
        # Chromium logs "Failed to load resource" without the URL; failed_resources has it.
        console = [text for text in self.console_errors if "Failed to load resource" not in text]
        problems = [f"pageerror: {text}" for text in self.page_errors]
        problems += [f"console.error: {text}" for text in console]
        problems += [f"resource: {text}" for text in self.failed_resources]
        return [p for p in problems if not any(fragment in p for fragment in allow)]


@pytest.fixture
def browser_problems() -> BrowserProblems:
    return BrowserProblems()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Keeps each phase's report on the test item, for fixtures to see how the test went."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


FOCUSED_ELEMENT = """() => {
  const element = document.activeElement;
  if (!element || element === document.body) return "nothing (the page body)";
  const text = (element.textContent || "").replace(/\\s+/g, " ").trim().slice(0, 80);
  return `<${element.tagName.toLowerCase()}> ${text}`;
}"""


def _report_failure(request: pytest.FixtureRequest, page: Any, visited: list[str]) -> None:
    """A failed browser test says where the browser was: the pages it loaded (did the key
    press navigate?), what had the focus, and a screenshot in test-results/failures/."""
    report = getattr(request.node, "report_call", None)
    if report is None or not report.failed or page.is_closed():
        return
    folder = Path(request.config.rootpath) / "test-results" / "failures"
    folder.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^\w.-]+", "_", request.node.nodeid)[-150:]
    try:
        focused = page.evaluate(FOCUSED_ELEMENT)
        page.screenshot(path=str(folder / f"{name}.png"), full_page=True)
    except PlaywrightError as error:  # the page may be gone with the failure
        focused = f"(could not read the page: {error.message.splitlines()[0]})"
    print(f"\nbrowser at {page.url}; focus on: {focused}")  # noqa: T201 (shown with the failure)
    print("pages loaded, in order:\n  " + "\n  ".join(visited or ["(none)"]))  # noqa: T201


@pytest.fixture
def page(
    context: Any, browser_problems: BrowserProblems, request: pytest.FixtureRequest
) -> Iterator[Any]:
    page = context.new_page()
    visited: list[str] = []

    def on_navigated(frame: Any) -> None:
        if frame == page.main_frame:
            visited.append(frame.url)

    page.on("framenavigated", on_navigated)

    def on_console(message: Any) -> None:
        # A header the browser cannot read (an unknown Permissions-Policy feature, say)
        # comes as a warning, "Error with <name> header: ...": a mistake of ours all the same.
        if message.type == "error" or (
            message.type == "warning" and HEADER_PROBLEM.match(message.text)
        ):
            browser_problems.console_errors.append(message.text)

    def on_response(response: Any) -> None:
        # The document's own status (a 404 page) is the test's business, not a problem.
        if response.status >= 400 and response.request.resource_type != "document":
            browser_problems.failed_resources.append(f"{response.status} {response.url}")

    def on_request_failed(request: Any) -> None:
        # net::ERR_ABORTED is a request the browser itself cancelled, not one that failed:
        # a navigation cancels the page's scripts and htmx requests still loading, a
        # download ends its navigation that way, and a video element drops a range request
        # once it has what it needs. A server error still arrives as a response (above) and
        # a refused connection or a timeout has its own error code, so both stay reported.
        if request.failure == "net::ERR_ABORTED":
            browser_problems.cancelled_requests.append(request.url)
            return
        browser_problems.failed_resources.append(f"failed {request.url}: {request.failure}")

    page.on("pageerror", lambda error: browser_problems.page_errors.append(str(error)))
    page.on("console", on_console)
    page.on("response", on_response)
    page.on("requestfailed", on_request_failed)
    yield page
    _report_failure(request, page, visited)


@pytest.fixture(scope="session")
def screenshot_dir(pytestconfig: pytest.Config) -> Path:
    """``test-results/screenshots/`` at the repository root (git-ignored)."""
    path = Path(pytestconfig.rootpath) / "test-results" / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def screenshot(page: Any, screenshot_dir: Path):
    """``screenshot("home")`` saves the whole page as test-results/screenshots/home.png."""

    def take(name: str, *, full_page: bool = True) -> Path:
        path = screenshot_dir / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page, animations="disabled")
        return path

    return take


SERIOUS_IMPACTS = ("serious", "critical")


@dataclass
class AxeAudit:
    """The result of one axe-core run on a page."""

    url: str
    violations: list[dict[str, Any]]

    def at_least_serious(self) -> list[dict[str, Any]]:
        return [v for v in self.violations if v.get("impact") in SERIOUS_IMPACTS]

    def minor(self) -> list[dict[str, Any]]:
        return [v for v in self.violations if v.get("impact") not in SERIOUS_IMPACTS]

    @staticmethod
    def describe(violations: list[dict[str, Any]]) -> str:
        lines = []
        for violation in violations:
            lines.append(
                f"- {violation['id']} ({violation.get('impact')}): {violation['help']} "
                f"[{violation.get('helpUrl', '')}]"
            )
            for node in violation.get("nodes", [])[:5]:
                target = " ".join(str(part) for part in node.get("target", []))
                summary = (node.get("failureSummary") or "").replace("\n", " ")
                lines.append(f"    at {target}: {node.get('html', '')[:160]}")
                if summary:
                    lines.append(f"      {summary[:300]}")
        return "\n".join(lines)


@pytest.fixture(scope="session")
def _axe() -> Any:
    from axe_playwright_python.sync_playwright import Axe

    return Axe()


# The WCAG 2.0-2.2 A and AA rules: the success criteria Syllabus conforms to. A run with
# these tags checks only them (axe's best-practice rules are left out), and any violation
# of them, whatever its impact, is a failure (see tests/e2e/test_route_accessibility.py).
WCAG_AA_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa")


@pytest.fixture
def axe_audit(_axe: Any, pytestconfig: pytest.Config):
    """``axe_audit(page, "home")`` runs axe-core on the page once it has loaded.

    By default all of axe's rules run (WCAG 2.0-2.2 A/AA and best practices);
    ``axe_audit(page, "home", tags=WCAG_AA_TAGS)`` runs only the rules with those tags.
    The violations are also written to test-results/axe/<name>.json so they can be read
    after a failure.
    """
    import json

    out_dir = Path(pytestconfig.rootpath) / "test-results" / "axe"

    def audit(page: Any, name: str, *, tags: tuple[str, ...] | None = None) -> AxeAudit:
        # A click that follows a link returns once the next page has started loading,
        # when its document may not even have an <html> element yet: axe then fails
        # with "Cannot read properties of null (reading 'documentElement')" (seen in
        # CI). Audit the page once it has loaded, as a person would see it.
        page.wait_for_load_state("load")
        options: dict[str, Any] = {"resultTypes": ["violations"]}
        if tags:
            options["runOnly"] = {"type": "tag", "values": list(tags)}
        results = _axe.run(page, options=options)
        violations = list(results.response.get("violations", []))
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / f"{name}.json").write_text(json.dumps(violations, indent=2))
        return AxeAudit(url=page.url, violations=violations)

    return audit
