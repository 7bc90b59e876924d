"""Every page of the web UI, as each role that sees it, checked with axe-core for WCAG 2.0,
2.1 and 2.2 A and AA (tags wcag2a, wcag2aa, wcag21a, wcag21aa, wcag22aa): any violation of
any impact fails. What is visited, and how, is the registry in ``tests/e2e/routes.py``
(``tests/test_route_registry.py`` makes sure every URL pattern is in it).

The visits are grouped by role (a few people sign in one after the other in one test) so
the demo data is built once per group: ``tests/e2e/route_world.py``. Each group ends by
checking it visited exactly the registry's visits for its roles. All problems of a group
are collected and reported together, so one run lists everything to fix.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import pytest
from allauth.mfa.models import Authenticator
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from syllabus.ops.demo.content import DEMO_PASSWORD
from tests.e2e.conftest import WCAG_AA_TAGS, AxeAudit
from tests.e2e.course_helpers import LOGIN_PATH
from tests.e2e.route_world import ANONYMOUS, ROLE_EMAILS, World, build_world
from tests.e2e.routes import ERROR_PAGES, INVALID, PAGES, Visit

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True), pytest.mark.slow]

GROUPS: dict[str, tuple[str, ...]] = {
    "public-and-newcomer": (ANONYMOUS, "newcomer"),
    "learner-and-mfa": ("learner", "mfa"),
    "course-staff": ("instructor", "ta"),
    "site-roles": ("admin", "manager", "auditor", "compliance", "security"),
}
ALL_VISITS: dict[str, tuple[Visit, ...]] = {**PAGES, **ERROR_PAGES}
ERROR_MARKERS = '.errorlist, [aria-invalid="true"]'

# Clears a form's text fields, turns the browser's own checks off and sends it with its
# first submit button: the server answers with its error messages.
SUBMIT_BLANK = """(selector) => {
    const form = document.querySelector(selector);
    if (!form) return false;
    form.noValidate = true;
    window.routeCheckOldPage = true;
    const skip = ['hidden', 'submit', 'button', 'checkbox', 'radio', 'file', 'reset', 'image'];
    for (const field of form.querySelectorAll('input, textarea')) {
        if (!skip.includes((field.type || '').toLowerCase())) field.value = '';
    }
    const button = form.querySelector(
        'button[type=submit], button:not([type]), input[type=submit]');
    form.requestSubmit(button || undefined);
    return true;
}"""


def visit_id(key: str, index: int, visit: Visit) -> str:
    return f"{key}#{index} {visit.role} {visit.state}"


def expected_visits(roles: tuple[str, ...]) -> set[str]:
    return {
        visit_id(key, index, visit)
        for key, visits in ALL_VISITS.items()
        for index, visit in enumerate(visits)
        if visit.role in roles
    }


class Checker:
    """Visits pages and runs axe; collects problems instead of stopping at the first."""

    def __init__(self, page: Any, axe_audit: Any, world: World) -> None:
        self.page = page
        self.axe_audit = axe_audit
        self.world = world
        self.visited: set[str] = set()
        self.problems: list[str] = []
        self.pages_checked = 0
        self.violations_found = 0

    def audit(self, name: str) -> None:
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
        audit: AxeAudit = self.axe_audit(self.page, f"routes-{slug}", tags=WCAG_AA_TAGS)
        self.pages_checked += 1
        if audit.violations:
            self.violations_found += len(audit.violations)
            self.problems.append(f"{name} ({audit.url}):\n{audit.describe(audit.violations)}")

    def sign_in(self, role: str) -> None:
        page = self.page
        page.context.clear_cookies()
        if role == ANONYMOUS:
            return
        page.goto(LOGIN_PATH)
        page.get_by_label("Email").fill(ROLE_EMAILS[role])
        page.get_by_label("Password", exact=False).fill(DEMO_PASSWORD)
        page.get_by_role("main").get_by_role("button", name=re.compile("sign in", re.I)).click()
        if role == "mfa":
            # The second step of signing in is a page of the registry: check it here.
            expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/"))
            for key, visits in ALL_VISITS.items():
                for index, visit in enumerate(visits):
                    if visit.role == role and visit.during_sign_in:
                        self.check_in_place(key, index, visit)
            page.get_by_label("Code", exact=False).fill(self.world.recovery_codes.pop())
            page.get_by_role("main").get_by_role("button", name="Sign in", exact=True).click()
        expect(
            page.get_by_role("navigation", name="Main").get_by_role(
                "button", name=re.compile("^Sign out")
            )
        ).to_be_visible()
        if role == "mfa":
            self.register_passkey()

    def register_passkey(self) -> None:
        """Chromium's virtual authenticator (DevTools protocol) stands in for a security
        key, so the pages of a registered passkey can be visited too."""
        page = self.page
        cdp = page.context.new_cdp_session(page)
        cdp.send("WebAuthn.enable")
        cdp.send(
            "WebAuthn.addVirtualAuthenticator",
            {
                "options": {
                    "protocol": "ctap2",
                    "transport": "internal",
                    "hasResidentKey": True,
                    "hasUserVerification": True,
                    "isUserVerified": True,
                    "automaticPresenceSimulation": True,
                }
            },
        )
        page.goto("/accounts/2fa/webauthn/add/")
        self.reauthenticate_if_asked()
        page.goto("/accounts/2fa/webauthn/add/")
        page.get_by_label("Name").fill("Laptop key")
        page.get_by_role("button", name="Add", exact=True).click()
        page.wait_for_url(lambda url: "/webauthn/add/" not in url)
        key = Authenticator.objects.get(
            user__email=ROLE_EMAILS["mfa"], type=Authenticator.Type.WEBAUTHN
        )
        self.world.webauthn_key = key.pk

    def reauthenticate_if_asked(self) -> bool:
        """Pages that change security settings ask for the password (or a code) again."""
        page = self.page
        path = urlsplit(page.url).path
        if path == "/accounts/reauthenticate/":
            page.get_by_label("Password", exact=False).fill(DEMO_PASSWORD)
        elif path == "/accounts/2fa/reauthenticate/":
            page.get_by_label("Code", exact=False).fill(self.world.recovery_codes.pop())
        else:
            return False
        page.get_by_role("main").get_by_role("button", name=re.compile("confirm", re.I)).click()
        page.wait_for_load_state()
        return True

    def check(self, key: str, index: int, visit: Visit) -> None:
        name = visit_id(key, index, visit)
        self.visited.add(name)
        path = visit.path(self.world)
        try:
            response = self.page.goto(path)
            if self.reauthenticate_if_asked():
                response = self.page.goto(path)
        except PlaywrightError as error:  # an empty error answer, a download...
            self.problems.append(f"{name}: GET {path} failed: {error.message.splitlines()[0]}")
            return
        status = response.status if response is not None else None
        if status != visit.status:
            self.problems.append(f"{name}: GET {path} answered {status}, not {visit.status}")
            return
        landed = urlsplit(self.page.url).path
        wanted = visit.lands_on or urlsplit(path).path
        if landed != wanted and not (visit.lands_on and landed.startswith(visit.lands_on)):
            self.problems.append(f"{name}: GET {path} landed on {landed}, not {wanted}")
            return
        self.check_in_place(key, index, visit)

    def check_in_place(self, key: str, index: int, visit: Visit) -> None:
        name = visit_id(key, index, visit)
        self.visited.add(name)
        if visit.state == INVALID and not self.submit_blank(name, visit):
            return
        self.audit(name)

    def submit_blank(self, name: str, visit: Visit) -> bool:
        page = self.page
        with page.expect_response(
            lambda r: r.request.resource_type in ("document", "xhr", "fetch")
        ) as posted:
            sent = page.evaluate(SUBMIT_BLANK, visit.form)
            if not sent:
                self.problems.append(f"{name}: no form {visit.form!r} on {page.url}")
                return False
        # A plain form loads a new page (the old one's marker is gone); an htmx form swaps
        # its errors into this one.
        page.wait_for_function(
            "(markers) => !window.routeCheckOldPage || document.querySelector(markers)",
            arg=ERROR_MARKERS,
        )
        page.wait_for_load_state()
        if posted.value.status >= 500:
            self.problems.append(f"{name}: the blank form answered {posted.value.status}")
            return False
        if page.locator(ERROR_MARKERS).count() == 0:
            self.problems.append(f"{name}: the blank form showed no error on {page.url}")
            return False
        return True


@pytest.mark.parametrize("group", list(GROUPS))
def test_every_page_has_no_wcag_violation(group, page, settings, tmp_path, axe_audit):
    settings.MEDIA_ROOT = tmp_path / "media"
    # The site's URLs plus a view that fails: the 500 page is checked like the others.
    settings.ROOT_URLCONF = "tests.e2e.error_urls"
    roles = GROUPS[group]
    checker = Checker(page, axe_audit, build_world())
    for role in roles:
        checker.sign_in(role)
        for key, visits in ALL_VISITS.items():
            for index, visit in enumerate(visits):
                if visit.role == role and not visit.during_sign_in:
                    checker.check(key, index, visit)
    print(  # noqa: T201 - the numbers the suite reports
        f"{group}: {checker.pages_checked} page states checked, "
        f"{checker.violations_found} WCAG A/AA violation(s)"
    )
    assert not checker.problems, f"{len(checker.problems)} problem(s):\n\n" + "\n\n".join(
        checker.problems
    )
    assert checker.visited == expected_visits(roles)


def test_every_role_of_the_registry_has_a_group():
    grouped = {role for roles in GROUPS.values() for role in roles}
    used = {visit.role for visits in ALL_VISITS.values() for visit in visits}
    assert used <= grouped, f"roles without a test group: {sorted(used - grouped)}"
    assert grouped <= {ANONYMOUS, *ROLE_EMAILS}
