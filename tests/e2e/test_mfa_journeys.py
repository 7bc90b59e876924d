"""Two-step verification and the session-timeout warning, in a real browser."""

from __future__ import annotations

import re
import time

import pytest
import time_machine
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.contrib.sessions.backends.cached_db import SessionStore
from playwright.sync_api import expect

from syllabus.accounts.sessions import SEEN_AT
from tests.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

EMAIL = "mara@example.org"


def totp_now(secret: str) -> str:
    """The code an authenticator app shows now (the server's clock: see the test)."""
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def sign_in(page, email: str = EMAIL) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=False).fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name=re.compile("sign in", re.I)).click()


def serious_violations(axe_audit, page, name: str) -> str:
    audit = axe_audit(page, name)
    return audit.describe(audit.at_least_serious())


def test_enrol_an_authenticator_app_then_sign_in_with_it(
    request, page, live_server, screenshot, axe_audit, browser_problems
):
    # The server's clock stands still at the start of a 30-second step, so a code computed
    # here is the code the server expects however slow the machine is; it moves on one step
    # before signing in again (the enrolment code cannot be replayed). time-machine moves
    # the clock of this whole process, the live server's thread included.
    travel = time_machine.travel(1_800_000_000, tick=False)
    clock = travel.start()
    request.addfinalizer(travel.stop)
    UserFactory(email=EMAIL, full_name="Mara Admin")
    sign_in(page)
    expect(page.get_by_role("main")).to_contain_text("Signed in as Mara Admin")

    # The two-step verification page lists the methods.
    page.goto("/accounts/2fa/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Two-step verification")
    screenshot("mfa-index-none")
    assert serious_violations(axe_audit, page, "mfa-index") == ""
    page.get_by_role("link", name="Set up an authenticator app").click()

    # Setting up a factor asks for the password again first.
    expect(page).to_have_url(re.compile(r"/accounts/reauthenticate/"))
    page.get_by_label("Password", exact=False).fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name=re.compile("confirm", re.I)).click()

    # The QR code is drawn on the server; the setup key is shown for typing.
    expect(page).to_have_url(re.compile(r"/accounts/2fa/totp/activate/"))
    expect(page.get_by_role("img", name=re.compile("QR code"))).to_be_visible()
    secret = page.get_by_role("textbox", name="Setup key").input_value()
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)
    screenshot("mfa-totp-activate")
    assert serious_violations(axe_audit, page, "mfa-totp-activate") == ""
    page.get_by_role("textbox", name="Authenticator code").fill(totp_now(secret))
    page.get_by_role("button", name="Turn on").click()

    # The 8 recovery codes are shown once.
    expect(page.get_by_role("heading", level=1)).to_have_text("Recovery codes")
    codes = page.get_by_label("Your recovery codes").input_value().split()
    assert len(codes) == 8
    screenshot("mfa-recovery-codes")
    page.get_by_role("link", name="Done").click()
    expect(page.get_by_role("main")).to_contain_text("Codes from an app")

    clock.shift(30)  # the next step: a new code
    # Sign out, then sign in: the password is not enough.
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("button", name=re.compile("^Sign out")).click()
    expect(nav.get_by_role("link", name="Sign in")).to_be_visible()
    sign_in(page)
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/"))
    expect(page.get_by_role("main")).not_to_contain_text("Signed in as")
    screenshot("mfa-authenticate")
    assert serious_violations(axe_audit, page, "mfa-authenticate") == ""

    # A wrong code is refused with an error tied to the field.
    code_field = page.get_by_role("textbox", name="Code")
    code_field.fill("000000")
    page.get_by_role("main").get_by_role("button", name="Sign in", exact=True).click()
    expect(code_field).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("main")).to_contain_text("Incorrect code")

    code_field.fill(totp_now(secret))
    page.get_by_role("main").get_by_role("button", name="Sign in", exact=True).click()
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.get_by_role("main")).to_contain_text("Signed in as Mara Admin")
    assert browser_problems.unexpected() == []


def session_key(page) -> str:
    return {c["name"]: c for c in page.context.cookies()}["sessionid"]["value"]


def test_the_idle_warning_lets_the_user_stay_signed_in(
    page, live_server, screenshot, axe_audit, browser_problems
):
    UserFactory(email=EMAIL, full_name="Mara Admin")
    page.clock.install()  # the page's timers run on a clock the test moves
    sign_in(page)
    expect(page.get_by_role("main")).to_contain_text("Signed in as Mara Admin")
    # The timer script is deferred: it starts counting when it runs, which can be after
    # the text above is on screen. Move the clock only once it has.
    page.wait_for_load_state("load")
    page.get_by_role("link", name="Home").focus()

    dialog = page.get_by_role("alertdialog", name="Are you still there?")
    page.clock.fast_forward("27:30")
    expect(dialog).to_be_hidden()

    # Two minutes before the 30-minute idle timeout the warning appears, focused.
    page.clock.fast_forward("00:31")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("signed out in 2 minutes")
    stay = dialog.get_by_role("button", name="Stay signed in")
    expect(stay).to_be_focused()
    screenshot("session-timeout-warning", full_page=False)
    assert serious_violations(axe_audit, page, "session-timeout-warning") == ""

    # The keyboard alone extends the session: Enter on the focused button.
    with page.expect_response(re.compile(r"/account/session/keepalive/$")) as keepalive:
        page.keyboard.press("Enter")
    assert keepalive.value.status == 200
    assert keepalive.value.json()["idle_seconds"] == 30 * 60
    expect(dialog).to_be_hidden()
    expect(page.get_by_role("link", name="Home")).to_be_focused()  # focus goes back

    # The new deadline counts from the keepalive: no warning for another 28 minutes.
    page.clock.fast_forward("27:00")
    expect(dialog).to_be_hidden()
    page.clock.fast_forward("01:05")
    expect(dialog).to_be_visible()

    # Escape means "stay", never "leave me to be signed out".
    with page.expect_response(re.compile(r"/account/session/keepalive/$")):
        page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()

    # If nobody answers and the server has ended the session, the page says so.
    page.clock.fast_forward("28:05")
    expect(dialog).to_be_visible()
    store = SessionStore(session_key=session_key(page))
    store[SEEN_AT] = float(store[SEEN_AT]) - 3600  # the server's clock: idle for an hour
    store.save()
    page.clock.fast_forward("02:00")
    expect(page.get_by_role("main")).to_contain_text(
        "You were signed out after 30 minutes without activity."
    )
    expect(
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Sign in")
    ).to_be_visible()
    screenshot("session-timeout-signed-out")
    # the timer's last question got its answer: 401, the session is over
    assert browser_problems.unexpected(allow=("/account/session/status/",)) == []


def test_the_sessions_page_lists_this_browser(page, live_server, screenshot, axe_audit):
    UserFactory(email=EMAIL)
    sign_in(page)
    page.goto("/account/sessions/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Signed-in devices")
    row = page.get_by_role("row", name=re.compile("This device"))
    expect(row).to_contain_text("Chrome on Linux")
    expect(row).to_contain_text("127.0.0.1")
    screenshot("sessions")
    assert serious_violations(axe_audit, page, "sessions") == ""
