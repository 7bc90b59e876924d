"""A complete access review campaign: snapshot, flags, routing, decisions,
revocations, reminders, sign-off and the archived reports."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.utils import timezone

from syllabus.accounts.models import Role, RoleAssignment
from syllabus.audit.models import AuditEvent
from syllabus.communication.models import Notification
from syllabus.courses.models import Course, CourseMembership
from syllabus.reviews.models import Campaign, ReportingLine, ReviewItem
from syllabus.reviews.services import (
    campaign_apply,
    campaign_sign_off,
    campaign_start,
    item_decide,
    item_reassign,
    progress,
    quarter_of,
    remind_reviewers,
    sign_off_blockers,
    start_quarterly,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NOW = timezone.make_aware(timezone.datetime(2026, 11, 26, 9, 0))


@pytest.fixture
def people():
    officer = UserFactory(email="officer@example.org", site_roles=["compliance_officer"])
    boss = UserFactory(email="boss@example.org")
    admin = UserFactory(email="admin@example.org", site_roles=["admin"])
    second_admin = UserFactory(email="admin2@example.org", site_roles=["admin"])
    auditor = UserFactory(email="auditor@example.org", site_roles=["auditor"])
    ReportingLine.objects.create(user=auditor, manager=boss)
    gone = UserFactory(email="gone@example.org", site_roles=["manager"], is_active=False)
    stale = UserFactory(email="stale@example.org", site_roles=["auditor"])
    stale.last_login = NOW - timedelta(days=200)
    stale.save(update_fields=["last_login"])
    course = Course.objects.create(title="Statistics", slug="stats")
    teacher = UserFactory(email="teacher@example.org")
    learner = UserFactory(email="learner@example.org")
    CourseMembership.objects.create(
        course=course, user=teacher, role=Role.objects.get(slug="instructor")
    )
    CourseMembership.objects.create(
        course=course, user=learner, role=Role.objects.get(slug="learner")
    )
    for user in (officer, boss, admin, second_admin, auditor, teacher):
        user.last_login = NOW - timedelta(days=1)
        user.save(update_fields=["last_login"])
    return {
        "officer": officer,
        "boss": boss,
        "admin": admin,
        "admin2": second_admin,
        "auditor": auditor,
        "gone": gone,
        "stale": stale,
        "teacher": teacher,
        "learner": learner,
        "course": course,
    }


def _item(campaign, email, role):
    return campaign.items.get(holder_email=email, role_slug=role)


def decide(actor, campaign, email, role, decision, comment=""):
    item = _item(campaign, email, role)
    return item_decide(actor=actor, item=item, decision=decision, comment=comment)


@time_machine.travel(NOW, tick=False)
def test_a_complete_campaign(people, django_capture_on_commit_callbacks):
    officer = people["officer"]
    with django_capture_on_commit_callbacks(execute=True):
        campaign = campaign_start(actor=officer, name="Q4 review")

    # Snapshot: every site role and every course role that grants permissions.
    roles = sorted(campaign.items.values_list("holder_email", "role_slug"))
    assert roles == [
        ("admin2@example.org", "admin"),
        ("admin@example.org", "admin"),
        ("auditor@example.org", "auditor"),
        ("gone@example.org", "manager"),
        ("officer@example.org", "compliance_officer"),
        ("stale@example.org", "auditor"),
        ("teacher@example.org", "instructor"),
    ]  # the learner's role grants nothing: not reviewed
    assert campaign.quarter == "2026-Q4"
    assert campaign.due_at == NOW + timedelta(days=14)

    # Flags.
    assert _item(campaign, "admin@example.org", "admin").privileged
    assert not _item(campaign, "teacher@example.org", "instructor").privileged
    assert _item(campaign, "gone@example.org", "manager").leaver_reason == "deactivated"
    assert _item(campaign, "stale@example.org", "auditor").leaver_reason == "no sign-in for 90 days"
    assert _item(campaign, "auditor@example.org", "auditor").leaver_reason == ""
    teacher_item = _item(campaign, "teacher@example.org", "instructor")
    assert teacher_item.course_title == "Statistics"

    # Routing: the manager first, else the runner; nobody reviews themselves.
    assert _item(campaign, "auditor@example.org", "auditor").reviewer == people["boss"]
    assert _item(campaign, "admin@example.org", "admin").reviewer == officer
    assert _item(campaign, "officer@example.org", "compliance_officer").reviewer is None

    # Reviewers were notified on start.
    assert Notification.objects.filter(recipient=people["boss"], kind="access_review").count() == 1
    assert Notification.objects.filter(recipient=officer, kind="access_review").count() == 1

    # Decisions: the boss keeps the auditor; the officer revokes the leavers and one admin.
    auditor_item = _item(campaign, "auditor@example.org", "auditor")
    item_decide(actor=people["boss"], item=auditor_item, decision="keep")
    with pytest.raises(PermissionDenied):  # not the boss's item, and the boss is no runner
        item_decide(
            actor=people["boss"],
            item=_item(campaign, "admin@example.org", "admin"),
            decision="keep",
        )
    with pytest.raises(ValidationError, match="why"):
        decide(officer, campaign, "gone@example.org", "manager", "revoke")
    for email, role in (
        ("gone@example.org", "manager"),
        ("stale@example.org", "auditor"),
        ("teacher@example.org", "instructor"),
    ):
        decide(officer, campaign, email, role, "revoke", "Left")
    for email in ("admin@example.org", "admin2@example.org"):
        decide(officer, campaign, email, "admin", "keep")
    own = _item(campaign, "officer@example.org", "compliance_officer")
    with pytest.raises(PermissionDenied):
        item_decide(actor=officer, item=own, decision="keep")
    item_reassign(actor=people["admin"], item=own, reviewer=people["admin2"])
    item_decide(
        actor=people["admin2"],
        item=_item(campaign, "officer@example.org", "compliance_officer"),
        decision="keep",
    )

    assert sign_off_blockers(campaign) == ["3 revocations are not applied yet."]
    with pytest.raises(ValidationError):
        campaign_sign_off(actor=officer, campaign=campaign)

    applied = campaign_apply(actor=officer, campaign=campaign)
    assert (applied.revoked, applied.failed) == (3, 0)
    assert not RoleAssignment.objects.filter(user=people["stale"]).exists()
    assert not RoleAssignment.objects.filter(user=people["gone"]).exists()
    assert not CourseMembership.objects.filter(user=people["teacher"]).exists()
    assert CourseMembership.objects.filter(user=people["learner"]).exists()
    assert RoleAssignment.objects.filter(user=people["auditor"]).exists()
    revoked = AuditEvent.objects.filter(action="access_review.revoked")
    assert revoked.count() == 3
    assert AuditEvent.objects.filter(action="role.removed").count() == 3

    with pytest.raises(ValidationError, match="applied already"):
        decide(officer, campaign, "stale@example.org", "auditor", "keep")

    campaign = campaign_sign_off(actor=officer, campaign=campaign, comment="All good.")
    assert campaign.status == Campaign.Status.SIGNED_OFF
    rows = list(csv.DictReader(io.StringIO(campaign.report_csv.open("rb").read().decode())))
    assert len(rows) == 7
    stale_row = next(r for r in rows if r["holder_email"] == "stale@example.org")
    assert stale_row["decision"] == "revoke" and stale_row["revocation_applied_at"]
    assert stale_row["leaver"] == "no sign-in for 90 days"
    pdf = campaign.report_pdf.open("rb").read()
    assert pdf.startswith(b"%PDF-")
    assert AuditEvent.objects.filter(action="access_review.signed_off").count() == 1

    # Signed off means frozen.
    with pytest.raises(ValidationError, match="signed off"):
        item_decide(actor=officer, item=auditor_item, decision="revoke", comment="x")


@time_machine.travel(NOW, tick=False)
def test_the_last_administrator_cannot_be_revoked_and_the_others_still_apply(people):
    RoleAssignment.objects.filter(user=people["admin2"]).delete()
    officer = people["officer"]
    campaign = campaign_start(actor=officer)
    item_decide(
        actor=officer,
        item=_item(campaign, "admin@example.org", "admin"),
        decision="revoke",
        comment="x",
    )
    item_decide(
        actor=officer,
        item=_item(campaign, "stale@example.org", "auditor"),
        decision="revoke",
        comment="x",
    )
    applied = campaign_apply(actor=officer, campaign=campaign)
    assert (applied.revoked, applied.failed) == (1, 1)
    admin_item = _item(campaign, "admin@example.org", "admin")
    assert "last active administrator" in admin_item.apply_error
    assert admin_item.applied_at is None
    assert RoleAssignment.objects.filter(user=people["admin"]).exists()


def test_only_runners_start_campaigns(people):
    with pytest.raises(PermissionDenied):
        campaign_start(actor=people["boss"])
    assert not Campaign.objects.exists()


def test_quarters_and_the_schedule(people):
    assert quarter_of(timezone.make_aware(timezone.datetime(2026, 3, 31, 12))) == "2026-Q1"
    assert quarter_of(timezone.make_aware(timezone.datetime(2026, 4, 1, 12))) == "2026-Q2"
    with time_machine.travel(timezone.make_aware(timezone.datetime(2027, 1, 1, 6, 7)), tick=False):
        first = start_quarterly()
        assert first is not None and first.quarter == "2027-Q1"
        # Scheduled campaigns are routed to a compliance officer.
        assert first.default_reviewer == people["officer"]
        assert start_quarterly() is None
    assert Campaign.objects.count() == 1


@time_machine.travel(NOW, tick=False)
def test_reminders_only_reach_reviewers_with_pending_items(people):
    campaign = campaign_start(actor=people["officer"])
    Notification.objects.all().delete()
    item_decide(
        actor=people["boss"],
        item=_item(campaign, "auditor@example.org", "auditor"),
        decision="keep",
    )
    assert remind_reviewers(campaign=campaign) == 1
    (note,) = Notification.objects.all()
    assert note.recipient == people["officer"] and "wait for you" in note.title
    with time_machine.travel(NOW + timedelta(days=20), tick=False):
        remind_reviewers(campaign=campaign)
    assert Notification.objects.filter(title__startswith="Overdue").count() == 1


@time_machine.travel(NOW, tick=False)
def test_progress_counts(people):
    campaign = campaign_start(actor=people["officer"])
    counts = progress(campaign)
    assert counts["total"] == 7 and counts["pending"] == 7 and counts["percent"] == 0
    assert counts["privileged"] == 4  # two admins, the manager, the compliance officer
    assert counts["leavers"] == 2 and counts["unassigned"] == 1


@time_machine.travel(NOW, tick=False)
def test_cli_start_status_and_remind(people, capsys):
    call_command("access-review", "start", "--reviewer", "officer@example.org")
    out = capsys.readouterr().out
    assert "7 assignments, 4 privileged, 2 held by leavers" in out
    campaign = Campaign.objects.get()
    assert campaign.default_reviewer == people["officer"]
    call_command("access-review", "status")
    assert "0/7" in capsys.readouterr().out
    call_command("access-review", "remind", campaign.public_id)
    assert "Reminded 2 reviewers." in capsys.readouterr().out
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="nobody@example.org"):
        call_command("access-review", "start", "--reviewer", "nobody@example.org")
    with pytest.raises(CommandError, match="No open campaign"):
        call_command("access-review", "remind", "arc_nope")
    assert ReviewItem.objects.count() == 7
