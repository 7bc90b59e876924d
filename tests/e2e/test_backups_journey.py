"""The backups page in a real browser: an administrator finds it empty, backs up now, sees
the archive with its size and duration, verifies it, and reads why restoring is a command.
Jobs run inline in tests (SYLLABUS_JOBS_IMMEDIATE), so each button's job is done when its
page comes back. Each state of the page is checked with axe."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from syllabus.backups.crypto import generate_key_text
from syllabus.backups.models import BackupRun
from tests.e2e.course_helpers import sign_in
from tests.e2e.test_accessibility import assert_no_serious_violations
from tests.factories import UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_admin_backs_up_and_verifies_from_the_page(
    page, live_server, settings, tmp_path, screenshot, axe_audit, browser_problems
):
    settings.BACKUP_KEYS = [generate_key_text()]
    settings.BACKUP_DIR = tmp_path / "backups"
    settings.DATA_DIR = tmp_path / "data"
    settings.MEDIA_ROOT = tmp_path / "media"

    def accessible(name: str) -> None:
        assert_no_serious_violations(axe_audit(page, f"backups-journey-{name}"))

    UserFactory(email="ada@example.org", site_roles=["admin"], is_staff=True)
    sign_in(page, "ada@example.org")

    # Nothing yet: the page says what to do.
    page.goto("/backups/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Backups")
    expect(page.get_by_text("No backup has been taken yet. Press")).to_be_visible()
    accessible("empty")

    # Back up now: the job runs, the history shows it with its size and duration.
    page.get_by_role("button", name="Back up now").click()
    expect(page.get_by_text("A backup has been queued")).to_be_visible()
    backup = BackupRun.objects.get(kind=BackupRun.Kind.BACKUP)
    assert backup.status == BackupRun.Status.SUCCEEDED
    row = page.get_by_role("row", name=re.compile(backup.archive))
    expect(row.first).to_contain_text("Succeeded")
    expect(row.first).to_contain_text("Not verified")
    accessible("after-backup")

    # Verify the archive chosen in the list.
    page.get_by_label("Archive to verify").select_option(backup.archive)
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_text(f"Verification of {backup.archive} has been queued")).to_be_visible()
    backup.refresh_from_db()
    assert backup.verification == BackupRun.Verification.PASSED
    newest = page.locator("tbody tr").first
    expect(newest).to_contain_text("Verification")
    expect(newest).to_contain_text("Passed")
    expect(page.get_by_text("OK Last backup")).to_be_visible()
    expect(page.get_by_text("syllabus restore <archive>")).to_be_visible()
    screenshot("backups-journey-verified")
    accessible("verified")
    assert browser_problems.unexpected() == []
