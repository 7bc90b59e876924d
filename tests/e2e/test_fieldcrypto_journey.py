"""Personal details in a real browser: a learner enters and corrects them (stored
encrypted), a security officer finds the learner by id number and opens them."""

from __future__ import annotations

import pytest
from django.db import connection
from playwright.sync_api import expect

from syllabus.accounts.models import PersonalDetails
from syllabus.audit.models import AuditEvent
from tests.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def sign_in(page, email: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=False).fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Sign in", exact=True).click()


def test_a_learner_keeps_personal_details_that_a_user_manager_can_open(
    page, context, live_server, browser_problems, axe_audit, screenshot
):
    learner = UserFactory.create(email="lena@example.org", full_name="Lena Learner")
    UserFactory.create(
        email="sekou@example.org", full_name="Sekou Security", site_roles=["security_officer"]
    )

    # The learner opens their profile and gives their details.
    sign_in(page, "lena@example.org")
    page.goto("/account/profile/")
    expect(page.get_by_role("heading", name="Personal details")).to_be_visible()
    audit = axe_audit(page, "profile-personal-details")
    assert audit.at_least_serious() == [], audit.describe(audit.at_least_serious())

    # A date of birth in the future is refused beside the field, and nothing is stored.
    page.get_by_label("Date of birth").fill("2999-01-01")
    page.get_by_label("Medical notes").fill("Asthma: inhaler in bag")
    page.get_by_role("button", name="Save personal details").click()
    birth = page.get_by_label("Date of birth")
    expect(birth).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_text("Enter a date between 1900 and today.").first).to_be_visible()
    assert not PersonalDetails.objects.exists()

    page.get_by_label("Date of birth").fill("2003-05-17")
    page.get_by_label("National or student id number").fill("STU-2024-0042")
    page.get_by_role("button", name="Save personal details").click()
    expect(page.get_by_text("Your personal details were saved.")).to_be_visible()
    expect(page.get_by_label("Medical notes")).to_have_value("Asthma: inhaler in bag")
    screenshot("profile-personal-details")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT medical_notes FROM accounts_personaldetails WHERE user_id = %s", [learner.pk]
        )
        assert str(cursor.fetchone()[0]).startswith("fe1:")  # encrypted in the table

    # A security officer (user.manage) finds the learner by id number and opens the details.
    context.clear_cookies()
    sign_in(page, "sekou@example.org")
    page.goto("/account/people/")
    page.get_by_label("Search by name, email or id number").fill("stu 2024 0042")
    page.get_by_role("button", name="Filter").click()
    page.get_by_role("link", name="Lena Learner").click()
    expect(page.get_by_text("Asthma")).to_have_count(0)
    page.get_by_role("link", name="Show personal details").click()
    expect(page.get_by_text("Asthma: inhaler in bag")).to_be_visible()
    audit = axe_audit(page, "person-personal-details")
    assert audit.at_least_serious() == [], audit.describe(audit.at_least_serious())
    assert AuditEvent.objects.filter(action="personal_details.viewed").count() == 1
    assert browser_problems.unexpected() == []
