"""Account journeys in a real browser: sign-up by invitation, password reset, lockouts.

Emails are read from Django's test outbox: the live server runs in this process, and jobs
run inline once each request's transaction commits.
"""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from syllabus.accounts.models import RoleAssignment, User
from tests.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "Quiet-River-Stone-58"


def sign_in(page, email: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=False).fill(password)
    page.get_by_role("main").get_by_role("button", name="Sign in", exact=True).click()


def paste_into(page, label: str, text: str) -> None:
    """Put ``text`` on the clipboard and paste it with the keyboard, as a person would."""
    page.evaluate("text => navigator.clipboard.writeText(text)", text)
    field = page.get_by_label(label, exact=True)
    field.click()
    field.press("ControlOrMeta+V")


def last_link(to: str, pattern: str) -> str:
    messages = [m for m in mail.outbox if m.to == [to]]
    assert messages, f"no email to {to}"
    match = re.search(rf"https?://\S+{pattern}\S*", str(messages[-1].body))
    assert match, messages[-1].body
    return re.sub(r"^https?://[^/]+", "", match.group(0))


@pytest.fixture
def clipboard(context, live_server):
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)


def test_an_admin_invites_someone_who_signs_up_by_pasting_a_password(
    page, context, clipboard, live_server, screenshot, screenshot_dir, browser_problems, axe_audit
):
    UserFactory.create(
        email="ada@example.org", full_name="Ada Admin", is_superuser=True, site_roles=["admin"]
    )

    # The admin invites a new manager from the Security page.
    sign_in(page, "ada@example.org", PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Security").click()
    page.get_by_role("link", name="Invitations").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Invitations")
    page.get_by_label("Email address").fill("nina@example.org")
    page.get_by_label("Site role (optional)").select_option(label="Manager")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_role("status")).to_contain_text("Invitation sent to nina@example.org")
    expect(page.get_by_role("table")).to_contain_text("Pending")
    screenshot("invitations")
    audit = axe_audit(page, "invitations")
    assert audit.at_least_serious() == [], audit.describe(audit.at_least_serious())

    # The invitee opens the emailed link in their own browser.
    link = last_link("nina@example.org", "/account/invite/")
    invitee = context.browser.new_context(base_url=live_server.url)
    invitee.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    nina = invitee.new_page()
    nina.goto(link)
    expect(nina).to_have_url(f"{live_server.url}/accounts/signup/")
    expect(nina.get_by_role("heading", level=1)).to_have_text("Create your account")
    expect(nina.get_by_role("main")).to_contain_text("Ada Admin invited you to Syllabus as Manager")
    expect(nina.get_by_label("Email", exact=False).first).to_have_value("nina@example.org")
    # The rules are shown next to the password field.
    expect(nina.get_by_role("main")).to_contain_text("at least 12 characters")

    # A too-simple password is refused with the rule that failed, tied to the field.
    nina.get_by_label("Full name:").fill("Nina New")
    nina.get_by_label("Password:", exact=True).fill("alllowercaseletters")
    nina.get_by_label("Password (again):", exact=True).fill("alllowercaseletters")
    nina.get_by_role("button", name="Create account").click()
    password_field = nina.get_by_label("Password:", exact=True)
    expect(password_field).to_have_attribute("aria-invalid", "true")
    expect(nina.locator("#id_password1_error")).to_contain_text("mixes too few kinds")
    nina.screenshot(path=str(screenshot_dir / "signup-invited-error.png"), full_page=True)

    # Pasting works in both password fields (WCAG 2.2 accessible authentication).
    nina.get_by_label("Password:", exact=True).fill("")
    nina.get_by_label("Password (again):", exact=True).fill("")
    paste_into(nina, "Password:", NEW_PASSWORD)
    paste_into(nina, "Password (again):", NEW_PASSWORD)
    expect(nina.get_by_label("Password:", exact=True)).to_have_value(NEW_PASSWORD)
    nina.get_by_role("button", name="Create account").click()

    expect(nina).to_have_url(f"{live_server.url}/")
    expect(nina.get_by_role("main")).to_contain_text("Nina New")
    user = User.objects.get(email="nina@example.org")
    assert RoleAssignment.objects.filter(user=user, role__slug="manager").exists()
    invitee.close()

    page.reload()
    expect(page.get_by_role("table")).to_contain_text("Accepted")
    assert browser_problems.unexpected() == []


def test_a_forgotten_password_is_reset_by_the_emailed_link_once(
    page, clipboard, live_server, screenshot, browser_problems, axe_audit
):
    UserFactory.create(email="rosa@example.org", full_name="Rosa Reset")

    page.goto("/accounts/login/")
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Email").fill("rosa@example.org")
    page.get_by_role("button", name=re.compile("reset", re.I)).click()
    expect(page.get_by_role("main")).to_contain_text("sent you an email")

    link = last_link("rosa@example.org", "/accounts/password/reset/key/")
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose a new password")
    expect(page.get_by_role("main")).to_contain_text("at least 12 characters")
    screenshot("password-reset-choose")
    audit = axe_audit(page, "password-reset-choose")
    assert audit.at_least_serious() == [], audit.describe(audit.at_least_serious())
    paste_into(page, "New Password:", NEW_PASSWORD)
    paste_into(page, "New Password (again):", NEW_PASSWORD)
    page.get_by_role("button", name="Set new password").click()
    expect(page.get_by_role("main")).to_contain_text("password is now changed")

    # The link works once.
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "This password-reset link is not valid"
    )
    screenshot("password-reset-used-link")

    sign_in(page, "rosa@example.org", NEW_PASSWORD)
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.get_by_role("main")).to_contain_text("Rosa Reset")
    assert browser_problems.unexpected() == []


def test_a_security_officer_clears_a_lockout(
    browser, live_server, settings, screenshot_dir, axe_audit
):
    # Two people behind one trusted proxy, each with their own address.
    settings.TRUSTED_PROXY_COUNT = 1
    UserFactory.create(
        email="sam@example.org", full_name="Sam Security", site_roles=["security_officer"]
    )
    UserFactory.create(email="locked@example.org")

    def browser_from(address: str):
        ctx = browser.new_context(
            base_url=live_server.url, extra_http_headers={"X-Forwarded-For": address}
        )
        return ctx, ctx.new_page()

    guesser_ctx, guesser = browser_from("203.0.113.5")
    for _ in range(5):
        sign_in(guesser, "locked@example.org", "Wrong-Password-11")
    sign_in(guesser, "locked@example.org", PASSWORD)
    expect(guesser.get_by_role("main")).to_contain_text("not correct")

    officer_ctx, officer = browser_from("198.51.100.20")
    sign_in(officer, "sam@example.org", PASSWORD)
    officer.get_by_role("navigation", name="Main").get_by_role("link", name="Security").click()
    officer.get_by_role("link", name="Sign-in lockouts").click()
    table = officer.get_by_role("table")
    expect(table).to_contain_text("locked@example.org")
    expect(table).to_contain_text("203.0.113.5")
    officer.screenshot(path=str(screenshot_dir / "lockouts.png"), full_page=True)
    audit = axe_audit(officer, "lockouts")
    assert audit.at_least_serious() == [], audit.describe(audit.at_least_serious())

    officer.get_by_role("link", name="Clear the lockout of locked@example.org").click()
    expect(officer.get_by_role("heading", level=1)).to_have_text(
        "Clear the lockout of locked@example.org?"
    )
    officer.screenshot(path=str(screenshot_dir / "lockout-clear-confirm.png"), full_page=True)
    officer.get_by_role("button", name="Clear lockout").click()
    expect(officer.get_by_role("status")).to_contain_text("were cleared")
    expect(officer.get_by_role("main")).to_contain_text("Nothing is locked right now")

    sign_in(guesser, "locked@example.org", PASSWORD)
    expect(guesser).to_have_url(f"{live_server.url}/")
    guesser_ctx.close()
    officer_ctx.close()
