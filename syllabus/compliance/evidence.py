"""Continuous control monitoring (SOC 2): the evidence an auditor asks for, gathered from
the records Syllabus already keeps, each with its date and its source.

Nothing here is stored: every report reads the live tables, so it can never disagree with
them. Each item has a status: ``ok`` (the control worked within its expected interval),
``attention`` (it ran, but too long ago or with something to follow up), ``failed`` (the
last run failed), ``missing`` (never ran) or ``info`` (a count for the period, no target).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import IntegerField, Q, Sum
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from syllabus.accounts.mfa import user_has_mfa
from syllabus.accounts.models import Role, RoleAssignment
from syllabus.audit.models import AuditEvent
from syllabus.backups.models import BackupRun
from syllabus.privacy.models import DataRequest, RetentionRun
from syllabus.reviews.models import Campaign
from syllabus.reviews.services import PRIVILEGED_PERMISSIONS

OK, ATTENTION, FAILED, MISSING, INFO = "ok", "attention", "failed", "missing", "info"

# How recent each control's last run must be to count as working.
BACKUP_MAX_AGE = timedelta(hours=26)
DRILL_MAX_AGE = timedelta(days=31)
REVIEW_MAX_AGE = timedelta(days=92 + 14)  # a quarter plus the review period
AUDIT_VERIFY_MAX_AGE = timedelta(days=8)  # weekly, with a day's grace
RETENTION_MAX_AGE = timedelta(hours=26)


@dataclass(frozen=True)
class Evidence:
    key: str
    control: str
    status: str
    summary: str
    as_of: datetime | None
    source: str
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Period:
    since: datetime
    until: datetime


def _age(moment: datetime | None, now: datetime, limit: timedelta) -> str:
    if moment is None:
        return MISSING
    return OK if now - moment <= limit else ATTENTION


def mfa_coverage(now: datetime) -> Evidence:
    privileged_roles = [
        r.pk for r in Role.objects.all() if PRIVILEGED_PERMISSIONS & set(r.permissions)
    ]
    holders = {
        a.user
        for a in RoleAssignment.objects.filter(
            role_id__in=privileged_roles, user__is_active=True
        ).select_related("user")
    }
    without = sorted(u.email for u in holders if not user_has_mfa(u))
    total = len(holders)
    covered = total - len(without)
    return Evidence(
        key="mfa_coverage",
        control=_("MFA on every privileged account"),
        status=OK if not without else ATTENTION,
        summary=(
            (
                _(
                    "%(covered)s of %(total)s privileged accounts have a second factor;"
                    " missing: %(missing)s"
                )
                % {"covered": covered, "total": total, "missing": ", ".join(without[:10])}
                if without
                else _("%(covered)s of %(total)s privileged accounts have a second factor")
                % {"covered": covered, "total": total}
            )
            if total
            else _("No active account holds a privileged role.")
        ),
        as_of=now,
        source=_("role assignments and MFA authenticators (live)"),
        details={"privileged": total, "with_mfa": covered, "without_mfa": without},
    )


def access_review(now: datetime) -> Evidence:
    last = (
        Campaign.objects.filter(status=Campaign.Status.SIGNED_OFF)
        .order_by("-signed_off_at")
        .first()
    )
    open_count = Campaign.objects.filter(status=Campaign.Status.OPEN).count()
    if last is None:
        summary = _("No access review has been signed off yet.")
    else:
        summary = _("%(name)s signed off by %(email)s.") % {
            "name": last.name,
            "email": getattr(last.signed_off_by, "email", "—"),
        }
    if open_count:
        summary += " " + ngettext(
            "%(count)s campaign in review.", "%(count)s campaigns in review.", open_count
        ) % {"count": open_count}
    return Evidence(
        key="access_review",
        control=_("Quarterly access review completed"),
        status=_age(last.signed_off_at if last else None, now, REVIEW_MAX_AGE),
        summary=summary,
        as_of=last.signed_off_at if last else None,
        source=_("access review campaigns (/access-reviews/)"),
        details={"campaign": last.public_id if last else None, "open": open_count},
    )


def _last_run(kind: str) -> tuple[BackupRun | None, BackupRun | None]:
    runs = BackupRun.objects.filter(kind=kind).exclude(status=BackupRun.Status.RUNNING)
    return (
        runs.filter(status=BackupRun.Status.SUCCEEDED).order_by("-finished_at").first(),
        runs.order_by("-finished_at").first(),
    )


def backup(now: datetime) -> Evidence:
    good, last = _last_run(BackupRun.Kind.BACKUP)
    if last is not None and last.status == BackupRun.Status.FAILED and last != good:
        status = FAILED
    else:
        status = _age(good.finished_at if good else None, now, BACKUP_MAX_AGE)
    summary = (
        _("Last good backup %(archive)s (%(size)s, verification: %(verification)s)")
        % {
            "archive": good.archive or good.public_id,
            # As the backups page writes it (number_format cut 2.86 MB to 2.8, not 2.9).
            "size": filesizeformat(good.size_bytes or 0),
            "verification": str(good.get_verification_display()).lower(),
        }
        if good
        else _("No successful backup yet.")
    )
    if status == FAILED and last is not None:
        summary += " " + _("The latest backup failed: %(message)s") % {
            "message": last.message[:200]
        }
    return Evidence(
        key="backup",
        control=_("Daily backup taken"),
        status=status,
        summary=summary,
        as_of=good.finished_at if good else None,
        source=_("backup runs (/backups/)"),
        details={"run": good.public_id if good else None},
    )


def restore_drill(now: datetime) -> Evidence:
    good, last = _last_run(BackupRun.Kind.VERIFY)
    status = _age(good.finished_at if good else None, now, DRILL_MAX_AGE)
    if last is not None and last.status == BackupRun.Status.FAILED and last != good:
        status = FAILED
    return Evidence(
        key="restore_drill",
        control=_("Backup restored and verified (restore drill)"),
        status=status,
        summary=(
            _("Restored into a scratch database and compared: %(tables)s tables, %(rows)s rows")
            % {"tables": good.tables or 0, "rows": good.rows or 0}
            if good
            else _("No backup has been verified by a restore yet.")
        ),
        as_of=good.finished_at if good else None,
        source=_("verify-backup runs (syllabus verify-backup)"),
        details={"run": good.public_id if good else None},
    )


def audit_chain(now: datetime) -> Evidence:
    last = AuditEvent.objects.filter(action="audit.verified").order_by("-occurred_at").first()
    broken = list(last.details.get("broken", [])) if last else []
    status = (
        FAILED if broken else _age(last.occurred_at if last else None, now, AUDIT_VERIFY_MAX_AGE)
    )
    return Evidence(
        key="audit_chain",
        control=_("Audit trail hash chain verified"),
        status=status,
        summary=(
            _("Never verified: run `syllabus audit verify`.")
            if last is None
            else (
                _("Broken chains: %(chains)s.") % {"chains": ", ".join(broken)}
                if broken
                else _("%(events)s events verified, every chain intact.")
                % {"events": last.details.get("events", 0)}
            )
        ),
        as_of=last.occurred_at if last else None,
        source=_("audit.verified events (syllabus audit verify)"),
        details={"broken": broken},
    )


def retention(now: datetime, period: Period) -> Evidence:
    runs = RetentionRun.objects.all()
    last = runs.filter(status=RetentionRun.Status.COMPLETED).order_by("-finished_at").first()
    in_period = runs.filter(started_at__gte=period.since, started_at__lt=period.until)
    failed = in_period.filter(status=RetentionRun.Status.FAILED).count()
    status = _age(last.finished_at if last else None, now, RETENTION_MAX_AGE)
    if status == OK and failed:
        status = ATTENTION
    return Evidence(
        key="retention",
        control=_("Retention policy applied daily"),
        status=status,
        summary=(
            _("Runs in the period: %(runs)s, interrupted: %(failed)s; last completed: %(run)s.")
            % {"runs": in_period.count(), "failed": failed, "run": last.public_id}
            if last
            else _("Runs in the period: %(runs)s, interrupted: %(failed)s; none completed yet.")
            % {"runs": in_period.count(), "failed": failed}
        ),
        as_of=last.finished_at if last else None,
        source=_("retention runs (syllabus retention)"),
        details={"runs": in_period.count(), "interrupted": failed},
    )


def gdpr_requests(now: datetime) -> Evidence:
    open_requests = DataRequest.objects.filter(status__in=DataRequest.OPEN)
    overdue = open_requests.filter(due_at__lt=now)
    counts = {
        "open": open_requests.count(),
        "overdue": overdue.count(),
        "access": open_requests.filter(kind=DataRequest.Kind.ACCESS).count(),
        "erasure": open_requests.filter(kind=DataRequest.Kind.ERASURE).count(),
    }
    return Evidence(
        key="gdpr_requests",
        control=_("Data subject requests answered within 30 days"),
        status=ATTENTION if counts["overdue"] else OK,
        summary=(
            _("%(open)s open (%(access)s exports, %(erasure)s erasures), %(overdue)s overdue.")
            % counts
        ),
        as_of=now,
        source=_("data requests (/privacy/)"),
        details={**counts, "overdue_ids": list(overdue.values_list("public_id", flat=True)[:20])},
    )


def _counted_until(now: datetime, period: Period) -> datetime:
    """A period's counts are as of its end, or of now while it runs (a period that ends
    tomorrow at midnight has not been counted up to then)."""
    return min(now, period.until)


def _events(action: str, period: Period) -> Any:
    return AuditEvent.objects.filter(
        action=action, occurred_at__gte=period.since, occurred_at__lt=period.until
    )


def lockouts(now: datetime, period: Period) -> Evidence:
    count = _events("auth.lockout", period).count()
    return Evidence(
        key="lockouts",
        control=_("Sign-in lockouts in the period"),
        status=INFO,
        summary=ngettext(
            "%(count)s lockout after repeated failed sign-ins.",
            "%(count)s lockouts after repeated failed sign-ins.",
            count,
        )
        % {"count": count},
        as_of=_counted_until(now, period),
        source=_("auth.lockout audit events"),
        details={"lockouts": count},
    )


def exports(now: datetime, period: Period) -> Evidence:
    events = AuditEvent.objects.filter(
        action__in=("export.run", "privacy.export_downloaded"),
        occurred_at__gte=period.since,
        occurred_at__lt=period.until,
    )
    count = events.count()
    rows = (
        events.annotate(rows=Cast(KeyTextTransform("rows", "details"), IntegerField())).aggregate(
            total=Sum("rows")
        )["total"]
        or 0
    )
    people = events.exclude(Q(actor_label="")).values("actor_label").distinct().count()
    return Evidence(
        key="exports",
        control=_("Data exports in the period"),
        status=INFO,
        summary=_("Exports: %(count)s; people who exported: %(people)s; rows in all: %(rows)s.")
        % {"count": count, "people": people, "rows": rows},
        as_of=_counted_until(now, period),
        source=_("export.run and privacy.export_downloaded audit events (/ops/exports/)"),
        details={"exports": count, "rows": rows, "people": people},
    )


def gather(period: Period | None = None, now: datetime | None = None) -> list[Evidence]:
    now = now or timezone.now()
    period = period or Period(since=now - timedelta(days=90), until=now)
    return [
        mfa_coverage(now),
        access_review(now),
        backup(now),
        restore_drill(now),
        audit_chain(now),
        retention(now, period),
        gdpr_requests(now),
        lockouts(now, period),
        exports(now, period),
    ]
