"""Signing in with email and password, in a real browser."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LOGIN_PATH = "/accounts/login/"
EMAIL = "lena@example.org"


def fill_sign_in_form(page, email: str, password: str) -> None:
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=False).fill(password)
    page.get_by_role("main").get_by_role("button", name=re.compile("sign in", re.I)).click()


def test_user_signs_in_with_email_and_password(page, live_server, screenshot, browser_problems):
    UserFactory(email=EMAIL, full_name="Lena Learner")

    page.goto("/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Sign in").click()
    expect(page).to_have_url(f"{live_server.url}{LOGIN_PATH}")
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("sign in", re.I))

    fill_sign_in_form(page, EMAIL, PASSWORD)

    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.get_by_role("main")).to_contain_text("Signed in as Lena Learner")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("button", name=re.compile("^Sign out"))).to_be_visible()
    expect(nav.get_by_role("link", name="Sign in")).to_have_count(0)

    session = {c["name"]: c for c in page.context.cookies()}.get("sessionid")
    assert session is not None, "signing in should set a session cookie"
    assert session["httpOnly"] is True
    assert session["sameSite"] == "Lax"
    screenshot("home-signed-in")
    assert browser_problems.unexpected() == []


def test_wrong_password_shows_an_error_and_stays_on_sign_in(page, live_server, screenshot):
    UserFactory(email=EMAIL)

    page.goto(LOGIN_PATH)
    fill_sign_in_form(page, EMAIL, "Not-The-Password-42")

    expect(page).to_have_url(f"{live_server.url}{LOGIN_PATH}")
    error = page.get_by_role("main").locator(".errorlist")
    expect(error).to_be_visible()
    expect(error).to_contain_text("not correct")
    # The email is kept, the password is not sent back.
    expect(page.get_by_label("Email")).to_have_value(EMAIL)
    expect(page.get_by_label("Password", exact=False)).to_have_value("")
    expect(page.get_by_role("main")).not_to_contain_text("Signed in as")
    assert "sessionid" not in {c["name"] for c in page.context.cookies()}
    screenshot("sign-in-error")

    page.goto("/")
    expect(page.get_by_role("main")).not_to_contain_text("Signed in as")
