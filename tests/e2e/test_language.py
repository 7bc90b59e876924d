"""The language chooser in a real browser: a learner picks Español with the keyboard, the
same page comes back in Spanish (navigation, a localized date, the html lang) and passes
axe; the choice is saved on the account; picking English brings the English page back."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from syllabus.accounts.models import User
from syllabus.communication.models import Notification
from tests.e2e.course_helpers import sign_in
from tests.factories import UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

EMAIL = "lena@example.org"
MONTHS = "enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|octubre|noviembre|diciembre"
SPANISH_DATE = re.compile(rf"\d{{1,2}} de ({MONTHS}) de \d{{4}}")


def _choose_with_the_keyboard(page, key: str) -> None:
    """Focus the chooser, move to the other language with an arrow key, Tab to the button
    and press Enter: no mouse."""
    chooser = page.get_by_label("Language", exact=True).or_(page.get_by_label("Idioma", exact=True))
    chooser.focus()
    page.keyboard.press(key)
    page.keyboard.press("Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")


def test_a_learner_switches_to_spanish_and_back_with_the_keyboard(
    page, live_server, axe_audit, screenshot, browser_problems
):
    # given: a learner with a notification (a page with a date on it)
    learner = UserFactory(email=EMAIL, full_name="Lena Learner")
    Notification.objects.create(recipient=learner, kind="k", title="Quiz 1 is open", url="/")
    sign_in(page, EMAIL)
    page.goto("/notifications/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_label("Language", exact=True)).to_have_value("en")

    # when: Español, picked from the keyboard
    _choose_with_the_keyboard(page, "ArrowDown")

    # then: the same page, in Spanish
    expect(page).to_have_url(f"{live_server.url}/notifications/")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    nav = page.get_by_role("navigation", name="Principal")
    expect(nav.get_by_role("link", name="Cursos")).to_be_visible()
    expect(nav.get_by_role("link", name=re.compile("^Notificaciones"))).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Notificaciones")
    expect(page.locator(".notification-meta time")).to_have_text(SPANISH_DATE)
    expect(page.get_by_role("status").filter(has_text="Se ha guardado tu idioma.")).to_be_visible()
    expect(page.get_by_label("Idioma", exact=True)).to_have_value("es")
    assert User.objects.get(email=EMAIL).language == "es"
    audit = axe_audit(page, "notifications-es")
    serious = audit.at_least_serious()
    assert not serious, f"axe found serious violations in Spanish: {serious}"
    screenshot("language-es-notifications")

    # and back to English, the same way
    _choose_with_the_keyboard(page, "ArrowUp")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Notifications")
    assert User.objects.get(email=EMAIL).language == "en"
    assert browser_problems.unexpected() == []
