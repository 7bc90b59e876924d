"""The access review pages used by a compliance officer and a reviewer."""

from __future__ import annotations

import pytest
from django.test import Client

from syllabus.accounts.models import RoleAssignment
from syllabus.accounts.tests.mfa_helpers import mark_recent_mfa
from syllabus.audit.models import AuditEvent
from syllabus.reviews.models import Campaign, ReportingLine, ReviewItem
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _client(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def officer():
    return UserFactory(email="officer@example.org", site_roles=["compliance_officer"])


@pytest.fixture
def boss():
    return UserFactory(email="boss@example.org")


@pytest.fixture
def auditor(boss):
    user = UserFactory(email="auditor@example.org", site_roles=["auditor"])
    ReportingLine.objects.create(user=user, manager=boss)
    return user


def test_campaign_pages_from_start_to_archive(officer, boss, auditor):
    UserFactory(email="admin@example.org", site_roles=["admin"])
    runner = _client(officer)
    empty = runner.get("/access-reviews/")
    assert "No campaign yet" in empty.content.decode()

    bad = runner.post("/access-reviews/", {"reviewer": "nobody@example.org"})
    assert bad.status_code == 400
    assert "No active account" in bad.content.decode()
    assert not Campaign.objects.exists()

    started = runner.post("/access-reviews/", {"name": "Q4"})
    campaign = Campaign.objects.get()
    assert started.status_code == 302 and campaign.public_id in started["Location"]
    page = runner.get(f"/access-reviews/{campaign.public_id}/").content.decode()
    assert "0 of 3 reviewed" in page and "3 items are not reviewed yet." in page

    # The boss reviews the auditor from "My access reviews".
    reviewer = _client(boss)
    mine = reviewer.get("/access-reviews/mine/").content.decode()
    assert "auditor@example.org" in mine and "admin@example.org" not in mine
    item = ReviewItem.objects.get(holder_email="auditor@example.org")
    refused = reviewer.post(
        f"/access-reviews/items/{item.public_id}/decide/", {"decision": "revoke", "next": "mine"}
    )
    assert refused.status_code == 302
    item.refresh_from_db()
    assert item.decision == "pending"  # a revocation needs a comment
    reviewer.post(
        f"/access-reviews/items/{item.public_id}/decide/",
        {"decision": "revoke", "comment": "Moved teams", "next": "mine"},
    )
    item.refresh_from_db()
    assert (item.decision, item.decided_by) == ("revoke", boss)
    assert "Nothing to review" in reviewer.get("/access-reviews/mine/").content.decode()

    # The officer decides the rest (not their own item: an admin reviews that one).
    for other in ReviewItem.objects.exclude(pk=item.pk).exclude(holder=officer):
        runner.post(f"/access-reviews/items/{other.public_id}/decide/", {"decision": "keep"})
    own = ReviewItem.objects.get(holder=officer)
    assert (
        runner.post(f"/access-reviews/items/{own.public_id}/decide/", {"decision": "keep"})
    ).status_code == 403

    admin = _client(UserFactory(email="admin2@example.org", site_roles=["admin"]))
    admin.post(f"/access-reviews/items/{own.public_id}/decide/", {"decision": "keep"})

    confirm = runner.get(f"/access-reviews/{campaign.public_id}/apply/").content.decode()
    assert "Remove 1 role" in confirm and "Moved teams" in confirm
    runner.post(f"/access-reviews/{campaign.public_id}/apply/")
    assert not RoleAssignment.objects.filter(user=auditor).exists()

    unconfirmed = runner.post(f"/access-reviews/{campaign.public_id}/sign-off/", {})
    assert unconfirmed.status_code == 302
    assert Campaign.objects.get().status == "open"
    runner.post(f"/access-reviews/{campaign.public_id}/sign-off/", {"confirm": "on"})
    assert Campaign.objects.get().status == "signed_off"
    # Downloading the archive is an export: it asks for the second factor again first.
    asked = runner.get(f"/access-reviews/{campaign.public_id}/report.csv")
    assert asked.status_code == 302 and "reauthenticate" in asked["Location"]
    mark_recent_mfa(runner, officer, method="password")
    csv_file = runner.get(f"/access-reviews/{campaign.public_id}/report.csv")
    assert csv_file.status_code == 200
    assert b"auditor@example.org" in b"".join(csv_file.streaming_content)
    assert runner.get(f"/access-reviews/{campaign.public_id}/report.pdf").status_code == 200
    assert runner.get(f"/access-reviews/{campaign.public_id}/report.txt").status_code == 404
    exports = AuditEvent.objects.filter(action="export.run")
    assert exports.count() == 2
    assert [e.details["rows"] for e in exports] == [3, 3]


def test_campaign_page_query_count_does_not_grow_with_items(officer, django_assert_max_num_queries):
    from syllabus.reviews.services import campaign_start

    for i in range(3):
        UserFactory(email=f"a{i}@example.org", site_roles=["auditor"])
    small = campaign_start(actor=officer)
    for i in range(3, 30):
        UserFactory(email=f"a{i}@example.org", site_roles=["auditor"])
    big = campaign_start(actor=officer)
    runner = _client(officer)
    runner.get(f"/access-reviews/{small.public_id}/")  # warm the session and permissions
    with django_assert_max_num_queries(12) as small_queries:
        runner.get(f"/access-reviews/{small.public_id}/")
    with django_assert_max_num_queries(len(small_queries)):
        runner.get(f"/access-reviews/{big.public_id}/")
