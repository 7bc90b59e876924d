"""The compliance evidence: every control's status from its records, the page, the
downloads (exports) and the command."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone

from syllabus.accounts.tests.mfa_helpers import enrol_totp, mark_recent_mfa
from syllabus.audit.models import AuditEvent
from syllabus.audit.services import record
from syllabus.backups.models import BackupRun
from syllabus.compliance.evidence import Period, gather
from syllabus.privacy.models import DataRequest, RetentionRun
from syllabus.reviews.models import Campaign
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NOW = timezone.make_aware(timezone.datetime(2026, 11, 26, 9, 0))


def _by_key(items):
    return {item.key: item for item in items}


def _run(kind, status=BackupRun.Status.SUCCEEDED, age=timedelta(hours=1), **extra):
    return BackupRun.objects.create(
        kind=kind,
        status=status,
        trigger=BackupRun.Trigger.SCHEDULE,
        started_at=NOW - age - timedelta(minutes=1),
        finished_at=NOW - age,
        **extra,
    )


@time_machine.travel(NOW, tick=False)
def test_nothing_done_yet_shows_as_missing():
    admin = UserFactory(site_roles=["admin"])
    items = _by_key(gather())
    assert items["mfa_coverage"].status == "attention"
    assert admin.email in items["mfa_coverage"].summary
    for key in ("access_review", "backup", "restore_drill", "audit_chain", "retention"):
        assert items[key].status == "missing", key
        assert items[key].as_of is None
    assert items["gdpr_requests"].status == "ok"
    assert items["lockouts"].status == items["exports"].status == "info"


@time_machine.travel(NOW, tick=False)
def test_every_control_working_shows_ok_with_dates_and_sources():
    admin = UserFactory(site_roles=["admin"])
    enrol_totp(admin)
    UserFactory(site_roles=["manager"])  # managers run access reviews: privileged
    manager = UserFactory(site_roles=["manager"])
    enrol_totp(manager)
    Campaign.objects.create(
        name="Q3",
        due_at=NOW,
        inactive_days=90,
        quarter="2026-Q3",
        status=Campaign.Status.SIGNED_OFF,
        signed_off_at=NOW - timedelta(days=30),
        signed_off_by=admin,
    )
    _run(BackupRun.Kind.BACKUP, size_bytes=3 * 1_048_576, archive="daily-1")
    _run(BackupRun.Kind.VERIFY, tables=40, rows=1234, age=timedelta(days=3))
    record(actor=None, action="audit.verified", details={"events": 10, "broken": []})
    RetentionRun.objects.create(
        now=NOW - timedelta(hours=2),
        status=RetentionRun.Status.COMPLETED,
        started_at=NOW - timedelta(hours=2),
        finished_at=NOW - timedelta(hours=2),
    )
    items = _by_key(gather())
    assert items["mfa_coverage"].status == "attention"  # one manager has no second factor
    assert items["mfa_coverage"].details["privileged"] == 3
    assert items["mfa_coverage"].details["with_mfa"] == 2
    for key in ("access_review", "backup", "restore_drill", "audit_chain", "retention"):
        assert items[key].status == "ok", (key, items[key].summary)
        assert items[key].as_of is not None and items[key].source
    assert "(3.0\xa0MB, verification: not verified)" in items["backup"].summary
    assert "1234 rows" in items["restore_drill"].summary


@time_machine.travel(NOW, tick=False)
def test_stale_failed_and_overdue_evidence_is_flagged():
    subject = UserFactory()
    _run(BackupRun.Kind.BACKUP, age=timedelta(hours=30))
    stale = _by_key(gather())["backup"]
    assert stale.status == "attention"
    _run(BackupRun.Kind.BACKUP, status=BackupRun.Status.FAILED, message="disk full")
    failed = _by_key(gather())["backup"]
    assert failed.status == "failed" and "disk full" in failed.summary

    record(
        actor=None, action="audit.verified", details={"events": 10, "broken": ["authentication"]}
    )
    assert _by_key(gather())["audit_chain"].status == "failed"

    request = DataRequest.objects.create(
        kind=DataRequest.Kind.ERASURE, subject=subject, requested_by=subject
    )
    DataRequest.objects.filter(pk=request.pk).update(due_at=NOW - timedelta(days=1))
    gdpr = _by_key(gather())["gdpr_requests"]
    assert gdpr.status == "attention"
    assert gdpr.details["overdue"] == 1 and gdpr.details["overdue_ids"] == [request.public_id]


@time_machine.travel(NOW, tick=False)
def test_period_counts_for_lockouts_and_exports():
    actor = UserFactory()
    with time_machine.travel(NOW - timedelta(days=5), tick=False):
        record(actor=None, action="auth.lockout", details={})
        record(actor=actor, action="export.run", details={"export": "gradebook", "rows": 40})
    with time_machine.travel(NOW - timedelta(days=200), tick=False):
        record(actor=actor, action="export.run", details={"export": "gradebook", "rows": 9})
    items = _by_key(gather(Period(since=NOW - timedelta(days=90), until=NOW)))
    assert items["lockouts"].details["lockouts"] == 1
    assert items["lockouts"].summary == "1 lockout after repeated failed sign-ins."
    assert items["exports"].details == {"exports": 1, "rows": 40, "people": 1}
    assert items["exports"].summary == "Exports: 1; people who exported: 1; rows in all: 40."
    assert items["lockouts"].as_of == items["exports"].as_of == NOW

    # The page's period runs to the end of today: counted as of now, not of midnight.
    items = _by_key(gather(Period(since=NOW - timedelta(days=90), until=NOW + timedelta(hours=15))))
    assert items["lockouts"].as_of == items["exports"].as_of == NOW
    items = _by_key(
        gather(Period(since=NOW - timedelta(days=300), until=NOW - timedelta(days=100)))
    )
    assert items["lockouts"].summary == "0 lockouts after repeated failed sign-ins."
    assert items["exports"].as_of == NOW - timedelta(days=100)
    assert items["exports"].details == {"exports": 1, "rows": 9, "people": 1}


def _client(user):
    client = Client()
    client.force_login(user)
    return client


@time_machine.travel(NOW, tick=False)
def test_page_and_downloads():
    auditor = UserFactory(site_roles=["auditor"])
    page = _client(auditor).get("/compliance/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Quarterly access review completed" in html and "Download PDF" not in html
    # The fields show the period the page shows: the last 90 days, today included.
    since, until = NOW.date() - timedelta(days=90), NOW.date()
    assert f'name="since" value="{since:%Y-%m-%d}"' in html
    assert f'name="until" value="{until:%Y-%m-%d}"' in html
    assert _client(auditor).get("/compliance/report.csv").status_code == 403

    officer = UserFactory(site_roles=["compliance_officer"])
    client = _client(officer)
    assert "Download PDF" in client.get("/compliance/").content.decode()
    asked = client.get("/compliance/report.csv")
    assert asked.status_code == 302 and "reauthenticate" in asked["Location"]
    mark_recent_mfa(client, officer, method="password")
    body = client.get("/compliance/report.csv").content.decode()
    rows = list(csv.DictReader(io.StringIO(body)))
    assert [r["control"] for r in rows][:2] == [
        "MFA on every privileged account",
        "Quarterly access review completed",
    ]
    pdf = client.get("/compliance/report.pdf", {"since": "2026-09-01", "until": "2026-11-26"})
    assert pdf.content.startswith(b"%PDF-")
    exports = AuditEvent.objects.filter(action="export.run").order_by("id")
    assert [e.details["format"] for e in exports] == ["csv", "pdf"]
    assert exports[0].details["rows"] == 9

    bad = client.get("/compliance/", {"since": "2026-12-01", "until": "2026-11-01"})
    assert (
        bad.status_code == 400 and "The start date is after the end date." in bad.content.decode()
    )
    assert client.get("/compliance/report.txt").status_code == 404


@time_machine.travel(NOW, tick=False)
def test_command_text_csv_pdf_and_strict(tmp_path, capsys):
    call_command("compliance-report")
    out = capsys.readouterr().out
    assert "[Missing  ] Daily backup taken" in out
    call_command("compliance-report", "--format", "csv", "--output", str(tmp_path / "r.csv"))
    assert (tmp_path / "r.csv").read_text().startswith("control,status,summary")
    call_command("compliance-report", "--format", "pdf", "-o", str(tmp_path / "r.pdf"))
    assert (tmp_path / "r.pdf").read_bytes().startswith(b"%PDF-")
    assert AuditEvent.objects.filter(action="export.run").count() == 2
    with pytest.raises(CommandError, match="need attention"):
        call_command("compliance-report", "--strict")
    with pytest.raises(CommandError, match="needs --output"):
        call_command("compliance-report", "--format", "pdf")
    with pytest.raises(CommandError, match="Not a date"):
        call_command("compliance-report", "--since", "last week")
