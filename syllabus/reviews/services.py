"""Access review campaigns: start (snapshot), decide, apply revocations, remind, sign
off and archive. Every write is one transaction with its audit event."""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from syllabus.accounts.models import Role, RoleAssignment, User
from syllabus.accounts.permissions import has_site_perm
from syllabus.accounts.services import role_revoke
from syllabus.audit.services import record
from syllabus.communication.services import notify
from syllabus.courses.models import CourseMembership
from syllabus.courses.services import course_role_remove
from syllabus.learning.exports import csv_safe
from syllabus.reviews.models import LEAVER_DEACTIVATED, Campaign, ReportingLine, ReviewItem
from syllabus.reviews.report import campaign_pdf

PERMISSION = "access_review.run"

# A role is privileged when it carries any of these: it can change who may do what, read
# everything, or take data out of the system.
PRIVILEGED_PERMISSIONS = frozenset(
    {
        "role.assign",
        "user.manage",
        "audit.view_all",
        "audit.view_security",
        "backup.run",
        "retention.manage",
        "export.run",
        "lockout.manage",
        "access_review.run",
    }
)


def quarter_of(moment: datetime) -> str:
    local = timezone.localtime(moment)
    return f"{local.year}-Q{(local.month - 1) // 3 + 1}"


def require_runner(actor: Any) -> None:
    if not has_site_perm(actor, PERMISSION):
        raise PermissionDenied(_("Running access reviews needs the access review permission."))


def _leaver_reason(user: User, now: datetime, inactive_days: int) -> str:
    if not user.is_active:
        return LEAVER_DEACTIVATED
    seen = user.last_login or user.date_joined
    if seen < now - timedelta(days=inactive_days):
        return f"no sign-in for {inactive_days} days"
    return ""


def _reviewer_for(holder: User, managers: dict[int, User], default: User | None) -> User | None:
    manager = managers.get(holder.pk)
    if manager is not None and manager.pk != holder.pk and manager.is_active:
        return manager
    if default is not None and default.pk != holder.pk:
        return default
    return None  # nobody may review their own access: a runner assigns it


@transaction.atomic
def campaign_start(
    *,
    actor: User | None,
    name: str = "",
    default_reviewer: User | None = None,
    now: datetime | None = None,
) -> Campaign:
    """Snapshot every permission-granting role assignment into a new campaign.

    ``actor`` None is the schedule or the CLI. ``default_reviewer`` reviews what no
    manager covers; without one, the actor does (and items of the actor themselves are
    left unassigned for another runner)."""
    if actor is not None:
        require_runner(actor)
    now = now or timezone.now()
    if default_reviewer is not None and not default_reviewer.is_active:
        raise ValidationError(_("The chosen reviewer's account is deactivated."))
    reviewer = default_reviewer or actor or _first_runner()
    inactive_days = settings.ACCESS_REVIEW_INACTIVE_DAYS
    quarter = quarter_of(now)
    campaign = Campaign.objects.create(
        name=(name.strip() or _("Access review %(quarter)s") % {"quarter": quarter})[:200],
        started_by=actor,
        default_reviewer=reviewer,
        due_at=now + timedelta(days=settings.ACCESS_REVIEW_DUE_DAYS),
        inactive_days=inactive_days,
        quarter=quarter,
    )
    managers = {
        line.user_id: line.manager for line in ReportingLine.objects.select_related("manager")
    }
    items: list[ReviewItem] = []

    def add(holder: User, role: Role, granted_at: datetime | None, **course: Any) -> None:
        permissions = sorted(role.permissions)
        items.append(
            ReviewItem(
                campaign=campaign,
                holder=holder,
                holder_email=holder.email,
                holder_name=holder.full_name,
                role_slug=role.slug,
                role_name=role.name,
                permissions=permissions,
                granted_at=granted_at,
                last_login=holder.last_login,
                privileged=bool(PRIVILEGED_PERMISSIONS & set(permissions)),
                leaver_reason=_leaver_reason(holder, now, inactive_days),
                reviewer=_reviewer_for(holder, managers, reviewer),
                **course,
            )
        )

    for assignment in RoleAssignment.objects.select_related("user", "role").order_by("pk"):
        add(assignment.user, assignment.role, assignment.created_at, kind=ReviewItem.Kind.SITE)
    memberships = (
        CourseMembership.objects.select_related("user", "role", "course")
        .exclude(role__permissions=[])
        .order_by("pk")
    )
    for membership in memberships.iterator(chunk_size=2000):
        add(
            membership.user,
            membership.role,
            membership.created_at,
            kind=ReviewItem.Kind.COURSE,
            course_id_snapshot=membership.course_id,
            course_public_id=membership.course.public_id,
            course_title=membership.course.title,
        )
    ReviewItem.objects.bulk_create(items, batch_size=1000)
    counts = Counter("privileged" if i.privileged else "other" for i in items)
    record(
        actor=actor,
        action="access_review.started",
        target=campaign,
        details={
            "items": len(items),
            "privileged": counts["privileged"],
            "leavers": sum(1 for i in items if i.leaver_reason),
            "unassigned": sum(1 for i in items if i.reviewer is None),
        },
    )
    transaction.on_commit(lambda: remind_reviewers(campaign=campaign, now=now))
    return campaign


def _first_runner() -> User | None:
    """For scheduled campaigns: the longest-standing active holder of a role that runs
    access reviews (a compliance officer by default)."""
    slugs = [r.slug for r in Role.objects.all() if PERMISSION in r.permissions]
    assignment = (
        RoleAssignment.objects.filter(role__slug__in=slugs, user__is_active=True)
        .select_related("user")
        .order_by("created_at", "pk")
        .first()
    )
    return assignment.user if assignment else None


def _open(campaign: Campaign) -> Campaign:
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.status != Campaign.Status.OPEN:
        raise ValidationError(_("This campaign is signed off: it cannot change any more."))
    return campaign


def can_decide(actor: Any, item: ReviewItem) -> bool:
    if not getattr(actor, "is_authenticated", False):
        return False
    if item.holder_id == actor.pk:
        return False  # nobody reviews their own access
    return item.reviewer_id == actor.pk or has_site_perm(actor, PERMISSION)


@transaction.atomic
def item_decide(*, actor: User, item: ReviewItem, decision: str, comment: str = "") -> ReviewItem:
    """Keep or revoke one assignment. A revocation needs a comment; the role is removed
    when the decision is applied (``campaign_apply``), not here, so a mistaken click can
    be changed until then."""
    campaign = _open(item.campaign)
    item = ReviewItem.objects.select_for_update().get(pk=item.pk)
    if not can_decide(actor, item):
        raise PermissionDenied(_("This item is not yours to review."))
    if decision not in (ReviewItem.Decision.KEEP, ReviewItem.Decision.REVOKE):
        raise ValidationError({"decision": _("Choose keep or revoke.")})
    comment = comment.strip()
    if decision == ReviewItem.Decision.REVOKE and not comment:
        raise ValidationError({"comment": _("Say why the access should be revoked.")})
    if len(comment) > 2000:
        raise ValidationError({"comment": _("A comment is at most 2,000 characters.")})
    if item.applied_at is not None:
        raise ValidationError(_("This revocation has been applied already."))
    item.decision = decision
    item.comment = comment
    item.decided_by = actor
    item.decided_at = timezone.now()
    item.save(update_fields=["decision", "comment", "decided_by", "decided_at"])
    record(
        actor=actor,
        action="access_review.decided",
        target=campaign,
        details={
            "item": item.public_id,
            "holder": item.holder_email,
            "role": item.role_slug,
            "course": item.course_public_id,
            "decision": decision,
        },
    )
    return item


@transaction.atomic
def item_reassign(*, actor: User, item: ReviewItem, reviewer: User) -> ReviewItem:
    require_runner(actor)
    _open(item.campaign)
    if reviewer.pk == item.holder_id:
        raise ValidationError({"reviewer": _("Nobody reviews their own access.")})
    if not reviewer.is_active:
        raise ValidationError({"reviewer": _("That account is deactivated.")})
    item.reviewer = reviewer
    item.save(update_fields=["reviewer"])
    record(
        actor=actor,
        action="access_review.reassigned",
        target=item.campaign,
        details={"item": item.public_id, "reviewer": reviewer.public_id},
    )
    return item


@dataclass(frozen=True)
class Applied:
    revoked: int
    failed: int


def _revoke(item: ReviewItem) -> None:
    """Remove the role the item names (as the operator: the reviewer's decision is the
    authority, recorded beside it)."""
    holder = item.holder
    if holder is None:
        return  # the account is gone, and its roles with it
    if item.kind == ReviewItem.Kind.SITE:
        role = Role.objects.filter(slug=item.role_slug).first()
        if role is not None:
            role_revoke(actor=None, user=holder, role=role)
        return
    if item.course_id_snapshot is None:
        return
    membership = (
        CourseMembership.objects.select_related("course", "role")
        .filter(course_id=item.course_id_snapshot, user=holder, role__slug=item.role_slug)
        .first()
    )
    if membership is not None:
        course_role_remove(actor=None, course=membership.course, user=holder)


def campaign_apply(*, actor: User, campaign: Campaign) -> Applied:
    """Apply every revocation decided and not yet applied. Each in its own transaction:
    one that cannot be applied (the last administrator...) records why and the others
    still go through."""
    require_runner(actor)
    with transaction.atomic():
        _open(campaign)
    revoked = failed = 0
    pending = campaign.items.filter(
        decision=ReviewItem.Decision.REVOKE, applied_at__isnull=True
    ).select_related("holder")
    for item in pending:
        try:
            with transaction.atomic():
                _revoke(item)
                item.applied_at = timezone.now()
                item.apply_error = ""
                item.save(update_fields=["applied_at", "apply_error"])
                record(
                    actor=actor,
                    action="access_review.revoked",
                    target=campaign,
                    details={
                        "item": item.public_id,
                        "holder": item.holder_email,
                        "role": item.role_slug,
                        "course": item.course_public_id,
                        "decided_by": item.decided_by.public_id if item.decided_by else None,
                    },
                )
            revoked += 1
        except (ValidationError, PermissionDenied) as error:
            message = " ".join(getattr(error, "messages", [str(error)]))[:300]
            ReviewItem.objects.filter(pk=item.pk).update(apply_error=message)
            failed += 1
    return Applied(revoked=revoked, failed=failed)


def progress(campaign: Campaign) -> dict[str, int]:
    counts = campaign.items.aggregate(
        total=Count("pk"),
        pending=Count("pk", filter=Q(decision=ReviewItem.Decision.PENDING)),
        keep=Count("pk", filter=Q(decision=ReviewItem.Decision.KEEP)),
        revoke=Count("pk", filter=Q(decision=ReviewItem.Decision.REVOKE)),
        applied=Count("pk", filter=Q(applied_at__isnull=False)),
        unapplied=Count(
            "pk", filter=Q(decision=ReviewItem.Decision.REVOKE, applied_at__isnull=True)
        ),
        privileged=Count("pk", filter=Q(privileged=True)),
        leavers=Count("pk", filter=~Q(leaver_reason="")),
        unassigned=Count("pk", filter=Q(reviewer__isnull=True)),
    )
    counts["decided"] = counts["total"] - counts["pending"]
    counts["percent"] = counts["decided"] * 100 // counts["total"] if counts["total"] else 100
    return counts


def sign_off_blockers(campaign: Campaign) -> list[str]:
    counts = progress(campaign)
    problems = []
    if counts["pending"]:
        problems.append(
            ngettext(
                "%(count)s item is not reviewed yet.",
                "%(count)s items are not reviewed yet.",
                counts["pending"],
            )
            % {"count": counts["pending"]}
        )
    if counts["unapplied"]:
        problems.append(
            ngettext(
                "%(count)s revocation is not applied yet.",
                "%(count)s revocations are not applied yet.",
                counts["unapplied"],
            )
            % {"count": counts["unapplied"]}
        )
    return problems


@transaction.atomic
def campaign_sign_off(*, actor: User, campaign: Campaign, comment: str = "") -> Campaign:
    """A compliance officer (the access review permission) signs the campaign off: every
    item reviewed and every revocation applied. Archives the CSV and PDF reports."""
    require_runner(actor)
    campaign = _open(campaign)
    if problems := sign_off_blockers(campaign):
        raise ValidationError(problems)
    if len(comment) > 2000:
        raise ValidationError({"comment": _("A comment is at most 2,000 characters.")})
    campaign.status = Campaign.Status.SIGNED_OFF
    campaign.signed_off_by = actor
    campaign.signed_off_at = timezone.now()
    campaign.sign_off_comment = comment.strip()
    stamp = campaign.signed_off_at.strftime("%Y%m%d")
    campaign.report_csv.save(
        f"{campaign.public_id}-{stamp}.csv", ContentFile(campaign_csv(campaign)), save=False
    )
    campaign.report_pdf.save(
        f"{campaign.public_id}-{stamp}.pdf", ContentFile(campaign_pdf(campaign)), save=False
    )
    campaign.save()
    record(
        actor=actor,
        action="access_review.signed_off",
        target=campaign,
        details={**progress(campaign), "csv": campaign.report_csv.name},
    )
    return campaign


CSV_HEADER = [
    "holder_email",
    "holder_name",
    "kind",
    "role",
    "course",
    "permissions",
    "granted_at",
    "last_sign_in",
    "privileged",
    "leaver",
    "reviewer",
    "decision",
    "comment",
    "decided_by",
    "decided_at",
    "revocation_applied_at",
    "revocation_error",
]


def _iso(value: datetime | None) -> str:
    return value.isoformat() if value else ""


def campaign_csv(campaign: Campaign) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    for item in campaign_items(campaign):
        writer.writerow(
            [
                csv_safe(v)
                for v in (
                    item.holder_email,
                    item.holder_name,
                    item.kind,
                    item.role_name,
                    item.course_title,
                    " ".join(item.permissions),
                    _iso(item.granted_at),
                    _iso(item.last_login),
                    "yes" if item.privileged else "no",
                    item.leaver_reason,
                    item.reviewer.email if item.reviewer else "",
                    item.decision,
                    item.comment,
                    item.decided_by.email if item.decided_by else "",
                    _iso(item.decided_at),
                    _iso(item.applied_at),
                    item.apply_error,
                )
            ]
        )
    return out.getvalue().encode("utf-8")


def campaign_items(campaign: Campaign) -> QuerySet[ReviewItem]:
    return campaign.items.select_related("reviewer", "decided_by").order_by(
        "-privileged", "holder_email", "role_slug", "pk"
    )


def remind_reviewers(*, campaign: Campaign, now: datetime | None = None) -> int:
    """Notify (in the app and by email, per each person's preference) every reviewer
    with items still pending. Returns the number of reviewers reminded."""
    now = now or timezone.now()
    pending = (
        campaign.items.filter(decision=ReviewItem.Decision.PENDING, reviewer__isnull=False)
        .values("reviewer")
        .annotate(n=Count("pk"))
    )
    reminded = 0
    overdue = now > campaign.due_at
    rows = list(pending)
    reviewers = User.objects.in_bulk([row["reviewer"] for row in rows])
    for row in rows:
        reviewer = reviewers.get(row["reviewer"])
        # Each reminder in its reader's language (blank: the site's default).
        language = getattr(reviewer, "language", "") or settings.LANGUAGE_CODE
        with translation.override(language):
            title = (
                ngettext(
                    "Overdue: %(count)s access review item waits for you in %(campaign)s",
                    "Overdue: %(count)s access review items wait for you in %(campaign)s",
                    row["n"],
                )
                if overdue
                else ngettext(
                    "%(count)s access review item waits for you in %(campaign)s",
                    "%(count)s access review items wait for you in %(campaign)s",
                    row["n"],
                )
            ) % {"count": row["n"], "campaign": campaign.name}
            body = _("Please keep or revoke each by %(due)s.") % {
                "due": date_format(timezone.localtime(campaign.due_at), "DATE_FORMAT")
            }
        reminded += notify(
            [row["reviewer"]],
            kind="access_review",
            title=title,
            body=body,
            url="/access-reviews/mine/",
        )
    Campaign.objects.filter(pk=campaign.pk).update(last_reminded_at=now)
    if reminded:
        with transaction.atomic():
            record(
                actor=None,
                action="access_review.reminded",
                target=campaign,
                details={"reviewers": reminded},
            )
    return reminded


def start_quarterly(now: datetime | None = None) -> Campaign | None:
    """The schedule: start this quarter's campaign unless one exists. Returns it, or
    None when there was one already."""
    now = now or timezone.now()
    if Campaign.objects.filter(quarter=quarter_of(now)).exists():
        return None
    return campaign_start(actor=None, now=now)
