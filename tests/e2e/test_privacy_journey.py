"""The privacy journey in a real browser: a learner downloads a copy of their data and asks
for erasure; a compliance officer finds the request on the desk and approves it; the
learner's account is then a tombstone. Each page is checked with axe."""

from __future__ import annotations

import io
import json
import re
import zipfile

import pytest
from playwright.sync_api import expect

from syllabus.privacy.models import DataRequest, ErasureRecord
from tests.e2e.course_helpers import sign_in, sign_out
from tests.e2e.test_accessibility import assert_no_serious_violations
from tests.factories import UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_learner_exports_then_officer_approves_erasure(
    page, live_server, screenshot, axe_audit, browser_problems
):
    def accessible(name: str) -> None:
        assert_no_serious_violations(axe_audit(page, f"privacy-journey-{name}"))

    learner = UserFactory(email="petra@example.org", full_name="Petra Privacy")
    UserFactory(email="carla@example.org", site_roles=["compliance_officer"])

    # The learner finds the privacy page from the profile and asks for a copy.
    sign_in(page, "petra@example.org")
    page.goto("/account/profile/")
    page.get_by_role("link", name="Your data and privacy").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your data and privacy")
    expect(page.get_by_text("You have not made any requests")).to_be_visible()
    accessible("home-empty")
    page.get_by_role("button", name="Request a copy of my data").click()
    expect(page.get_by_text("Your export is being prepared")).to_be_visible()

    # The job has built it: the download link is in the list.
    page.reload()
    link = page.get_by_role("link", name=re.compile("^Download"))
    expect(link).to_be_visible()
    screenshot("privacy-journey-1-export-ready")
    accessible("home-ready")
    with page.expect_download() as download_info:
        link.click()
    download = download_info.value
    assert re.fullmatch(r"personal-data-dsr_\w+\.zip", download.suggested_filename)
    with zipfile.ZipFile(io.BytesIO(download.path().read_bytes())) as archive:
        names = archive.namelist()
        profile = json.loads(archive.read("accounts.user.json"))
    assert "manifest.json" in names and "accounts.user.csv" in names
    assert profile["rows"][0]["email"] == "petra@example.org"

    # Erasure needs the confirmation box; then the request waits for review.
    page.get_by_role("button", name="Ask for erasure").click()
    expect(page.get_by_text("Confirm that you understand erasure cannot be undone")).to_be_visible()
    accessible("erasure-error")
    page.get_by_label(re.compile("I understand that once approved")).check()
    page.get_by_role("button", name="Ask for erasure").click()
    expect(page.get_by_text("Your erasure request was sent")).to_be_visible()
    expect(page.get_by_role("cell", name="Waiting for review")).to_be_visible()
    sign_out(page)

    # The compliance officer approves it from the desk.
    sign_in(page, "carla@example.org")
    page.goto("/privacy/requests/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Data requests")
    accessible("desk")
    request = DataRequest.objects.get(kind="erasure")
    page.get_by_role("link", name=request.public_id).click()
    expect(page.get_by_role("heading", level=2, name="Decide")).to_be_visible()
    screenshot("privacy-journey-2-review")
    accessible("review")
    page.get_by_label("Approve: erase now").check()
    page.get_by_role("button", name="Record the decision").click()
    expect(page.get_by_text("Decision recorded.")).to_be_visible()
    expect(
        page.get_by_role("definition").filter(has_text=re.compile("^Completed$"))
    ).to_be_visible()
    accessible("review-done")

    learner.refresh_from_db()
    assert learner.email.endswith("@erased.invalid") and not learner.is_active
    assert ErasureRecord.objects.filter(user=learner).exists()
    assert browser_problems.unexpected() == []


def test_a_new_policy_is_accepted_at_the_next_visit(page, live_server, axe_audit, browser_problems):
    from syllabus.privacy.models import Consent
    from syllabus.privacy.services import policy_publish

    learner = UserFactory(email="quinn@example.org", full_name="Quinn Reader")
    document = policy_publish(
        actor=None, kind="privacy", title="Privacy policy", body="We keep **little**."
    )

    sign_in(page, "quinn@example.org")
    page.goto("/dashboard/")
    expect(page).to_have_url(re.compile(r"/privacy/consent/\?next="))
    expect(page.get_by_role("heading", level=1)).to_have_text("Please review our policies")
    expect(page.get_by_role("heading", level=2, name=re.compile("Privacy policy"))).to_be_visible()
    assert_no_serious_violations(axe_audit(page, "privacy-consent"))
    page.get_by_role("button", name="Accept and continue").click()
    expect(page.get_by_text("Tick the box to accept, or sign out.")).to_be_visible()
    page.get_by_label("I have read and accept these documents").check()
    page.get_by_role("button", name="Accept and continue").click()
    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    assert Consent.objects.filter(user=learner, document=document).exists()
    assert browser_problems.unexpected() == []
