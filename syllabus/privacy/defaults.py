"""Personal data declarations for the apps that predate the registry (and for libraries).

Apps may refine these from their own ``personal_data.py`` (a later declaration of the same
model wins). docs/privacy.md explains each choice in a table.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import F, Q, QuerySet
from django.utils.translation import gettext_noop

ERASED_DOMAIN = "erased.invalid"  # .invalid never resolves (RFC 2606): mail to it goes nowhere

# Marked for translation, kept in English here: the erasure review page translates them.
AUDIT_BASIS = gettext_noop(
    "Accountability and security records (GDPR Art. 5(2), 17(3)(b) and (e)): kept for their "
    "audit category's period (seed 6.1), then purged by `syllabus audit purge`."
)
ACADEMIC_BASIS = gettext_noop(
    "Academic records an institution must keep (GDPR Art. 17(3)(b)): kept under the "
    "pseudonymous account until the retention category ends."
)
ACCESS_BASIS = gettext_noop(
    "Who held which access, for access reviews and audits (GDPR Art. 17(3)(e))."
)
CONSENT_BASIS = gettext_noop("Proof of consent (GDPR Art. 7(1)), without the address it came from.")
REQUEST_BASIS = gettext_noop("Proof that a data subject request was handled (GDPR Art. 5(2), 12).")


def tombstone_email(user: Any) -> str:
    return f"erased-{user.public_id}@{ERASED_DOMAIN}"


def erase_user_row(rows: QuerySet[Any], user: Any) -> int:
    """The account becomes a tombstone: no name, address, phone or password; disabled.

    Written with ``update`` so simple-history records no new version with the old values;
    the sign-in dates stay (they are what "active" is counted from).
    """
    return rows.update(
        email=tombstone_email(user),
        full_name="",
        phone_number="",
        is_active=False,
        is_staff=False,
        is_superuser=False,
        mfa_required_since=None,
        password=make_password(None),
    )


def erase_from_imports(rows: QuerySet[Any], user: Any) -> int:
    """Enrolment CSV uploads list many people: remove this person's address from each."""
    count = 0
    for item in rows.only("pk", "content", "report"):
        pattern = user.email
        content = item.content.replace(pattern, "(erased)")
        report = _scrub(item.report, pattern)
        type(item)._default_manager.filter(pk=item.pk).update(content=content, report=report)
        count += 1
    return count


def _scrub(value: Any, text: str) -> Any:
    if isinstance(value, str):
        return value.replace(text, "(erased)")
    if isinstance(value, list):
        return [_scrub(v, text) for v in value]
    if isinstance(value, dict):
        return {k: _scrub(v, text) for k, v in value.items()}
    return value


def erase_certificates(rows: QuerySet[Any], user: Any) -> int:
    """Certificates stay (proof of completion) without the name; the PDF, which prints the
    name, is deleted (it is re-rendered from the record on request)."""
    from django.core.files.storage import default_storage

    count = 0
    for certificate in rows.only("pk", "pdf"):
        if certificate.pdf:
            with contextlib.suppress(OSError):
                default_storage.delete(certificate.pdf.name)
        type(certificate)._default_manager.filter(pk=certificate.pk).update(
            learner_name="(erased)", pdf=""
        )
        count += 1
    return count


def _identifiers(user: Any) -> list[str]:
    """What names the person in free text: their addresses and names, old ones included."""
    from allauth.account.models import EmailAddress
    from django.apps import apps

    values = {user.email, user.full_name}
    values.update(EmailAddress.objects.filter(user=user).values_list("email", flat=True))
    history = apps.get_model("accounts", "HistoricalUser")
    for email, name in history.objects.filter(id=user.pk).values_list("email", "full_name"):
        values.update((email, name))
    # Very short values (an initial, "Al") would match unrelated text.
    return sorted((v for v in values if v and len(v) >= 4), key=len, reverse=True)


def scrub_text(text: str, identifiers: list[str], pseudonym: str) -> str:
    """``text`` with every identifier replaced by the pseudonym, whatever its case; longer
    identifiers first, so an address goes whole before a name inside it."""
    for value in sorted(identifiers, key=len, reverse=True):
        text = re.sub(re.escape(value), pseudonym, text, flags=re.IGNORECASE)
    return text


def pseudonymise_audit_events(rows: QuerySet[Any], user: Any) -> int:
    """Audit events stay (they are evidence) with the person's identifiers replaced by the
    pseudonym; the events they caused lose the address and browser they came from.

    Events that mention the person in a label or in their details are found by text as
    well, since a label copies whatever the target's name was. The audit app's ``redact``
    keeps every chain verifiable.
    """
    from django.db.models.functions import Cast

    from syllabus.audit.models import AuditEvent
    from syllabus.audit.services import redact

    pseudonym = f"erased {user.public_id}"
    identifiers = _identifiers(user)
    mentions = Q(pk__in=rows.values("pk"))
    for value in identifiers:
        mentions |= Q(actor_label__icontains=value) | Q(target_label__icontains=value)
        mentions |= Q(details_text__icontains=value)
    found = (
        AuditEvent.objects.annotate(details_text=Cast("details", models.TextField()))
        .filter(mentions)
        .order_by("pk")
    )

    def scrub(text: str) -> str:
        return scrub_text(text, identifiers, pseudonym)

    def replace(event: Any) -> dict[str, Any]:
        changes: dict[str, Any] = {
            "actor_label": scrub(event.actor_label),
            "target_label": scrub(event.target_label),
            "details": _map_strings(event.details, scrub),
        }
        if event.actor_id == user.pk:
            changes.update(actor_label=pseudonym, ip=None, user_agent="")
        return changes

    return redact(events=found.iterator(chunk_size=500), replace=replace, reason="erasure")


def _map_strings(value: Any, change: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return change(value)
    if isinstance(value, list):
        return [_map_strings(v, change) for v in value]
    if isinstance(value, dict):
        return {k: _map_strings(v, change) for k, v in value.items()}
    return value


def _review_items_expired(now: datetime) -> Q:
    return Q(campaign__created_at__lt=now - timedelta(days=settings.RETENTION_AUDIT_LOG_DAYS))


def fold_course_progress(rows: QuerySet[Any]) -> None:
    """Anonymisation of course progress: per course, only counts survive the rows."""
    from syllabus.privacy.models import AnonymisedCourseStat

    for row in rows.only("course_id", "percent", "completed_at"):
        stat, _ = AnonymisedCourseStat.objects.get_or_create(course_id=row.course_id)
        AnonymisedCourseStat.objects.filter(pk=stat.pk).update(
            learners=F("learners") + 1,
            completions=F("completions") + (1 if row.completed_at else 0),
            percent_total=F("percent_total") + row.percent,
        )


def _notifications_expired(now: datetime) -> Q:
    read_cutoff = now - timedelta(days=settings.RETENTION_NOTIFICATION_READ_DAYS)
    all_cutoff = now - timedelta(days=settings.RETENTION_SYSTEM_LOG_DAYS)
    return Q(read_at__lt=read_cutoff) | Q(created_at__lt=all_cutoff)


def _user_sessions_expired(now: datetime) -> Q:
    # Past the absolute session lifetime a session cannot be used; a year of logs.
    return Q(last_seen_at__lt=now - timedelta(hours=settings.SESSION_MAX_HOURS))


def _user_object(user: Any) -> Q:
    ct = ContentType.objects.get_for_model(type(user))
    return Q(content_type=ct, object_id=str(user.pk))


def register_defaults(register: Callable[..., Any]) -> None:
    P, C, A, S, L = (
        "user_profiles",
        "course_progress",
        "assessment_results",
        "system_logs",
        "audit_logs",
    )
    # --- Accounts ---------------------------------------------------------------------
    register(
        model="accounts.User",
        match=lambda u: Q(pk=u.pk),
        export=(
            "public_id",
            "email",
            "full_name",
            "phone_number",
            "is_active",
            "date_joined",
            "last_login",
            "mfa_required_since",
        ),
        secret=("password",),
        erasure="anonymise",
        eraser=erase_user_row,
        category=P,
    )
    register(
        model="accounts.HistoricalUser",
        match=lambda u: Q(id=u.pk),
        actor_fields=("history_user",),
        export=("history_date", "history_type", "email", "full_name"),
        category=P,
        note="Earlier versions of the profile: they hold the old name and address.",
    )
    register(
        model="accounts.PersonalDetails",
        subject_fields=("user",),
        export=(
            "date_of_birth",
            "postal_address",
            "id_number",
            "accommodation_notes",
            "medical_notes",
            "updated_at",
        ),
        secret=("id_number_index",),
        category=P,
    )
    register(
        model="learning.DirectoryOptOut",
        subject_fields=("user",),
        export=("created_at",),
        category=P,
    )
    register(model="accounts.User_groups", subject_fields=("user",), category=P)
    register(model="accounts.User_user_permissions", subject_fields=("user",), category=P)
    register(
        model="accounts.RoleAssignment",
        subject_fields=("user",),
        actor_fields=("granted_by",),
        export=("role", "created_at"),
        category=P,
    )
    register(
        model="accounts.HistoricalRoleAssignment",
        subject_fields=("user",),
        actor_fields=("granted_by", "history_user"),
        export=("role", "history_date", "history_type"),
        erasure="keep",
        legal_basis=ACCESS_BASIS,
        category=P,
    )
    register(
        model="accounts.ApiToken",
        subject_fields=("user",),
        actor_fields=("revoked_by",),
        export=(
            "name",
            "prefix",
            "scopes",
            "created_at",
            "expires_at",
            "last_used_at",
            "last_used_ip",
            "revoked_at",
        ),
        secret=("token_hash",),
        category=P,
    )
    register(
        model="accounts.UserSession",
        subject_fields=("user",),
        export=("created_at", "last_seen_at", "ip", "user_agent", "device"),
        secret=("session_key",),
        category=S,
        retention_q=_user_sessions_expired,
    )
    register(
        model="accounts.Invitation",
        subject_fields=("accepted_by",),
        actor_fields=("invited_by",),
        match=lambda u: Q(email__iexact=u.email),
        export=("email", "created_at", "expires_at", "accepted_at"),
        secret=("token_hash",),
        erasure="anonymise",
        anonymise={"email": f"erased@{ERASED_DOMAIN}"},
        category=P,
    )
    register(
        model="accounts.OneTimeCodeMethod",
        subject_fields=("user",),
        export=("channel", "verified_at", "created_at"),
        category=P,
    )
    register(
        model="account.EmailAddress",
        subject_fields=("user",),
        export=("email", "verified", "primary"),
        category=P,
    )
    register(
        model="mfa.Authenticator",
        subject_fields=("user",),
        export=("type", "created_at", "last_used_at"),
        secret=("data",),  # TOTP secrets, recovery code seeds, public keys
        category=P,
    )
    register(
        model="admin.LogEntry",
        actor_fields=("user",),
        match=_user_object,
        export=("action_time", "object_repr", "action_flag", "change_message"),
        erasure="anonymise",
        anonymise={"object_repr": "(erased person)", "change_message": ""},
        category=S,
        timestamp_field="action_time",
    )
    for name in ("AccessAttempt", "AccessFailureLog", "AccessLog"):
        register(
            model=f"axes.{name}",
            match=lambda u: Q(username__iexact=u.email),
            export=("attempt_time", "ip_address", "user_agent", "path_info"),
            category=S,
            timestamp_field="attempt_time",
            note="Sign-in attempts, found by the address typed in.",
        )
    # --- Audit trail ------------------------------------------------------------------
    register(
        model="audit.AuditEvent",
        subject_fields=("actor",),
        match=lambda u: Q(target_type="accounts.user", target_id=u.public_id),
        export=("occurred_at", "action", "target_type", "target_label", "ip", "user_agent"),
        erasure="keep",
        legal_basis=AUDIT_BASIS,
        eraser=pseudonymise_audit_events,
        category=L,
        timestamp_field="occurred_at",
        note="Hash-chained: pseudonymised through the audit app's redaction, disposed of "
        "only by the audit purge (seed 6.1).",
    )
    # --- Communication ----------------------------------------------------------------
    register(
        model="communication.Notification",
        subject_fields=("recipient",),
        export=("kind", "title", "body", "url", "created_at", "read_at", "emailed_at"),
        category=S,
        retention_q=_notifications_expired,
    )
    register(
        model="communication.NotificationPreference",
        subject_fields=("user",),
        export=("email_mode", "updated_at"),
        category=P,
    )
    # --- Courses ----------------------------------------------------------------------
    register(
        model="courses.Course",
        actor_fields=("created_by",),
        export=("public_id", "title", "created_at"),
        category=None,
        note="Courses someone created are the institution's content, not theirs.",
    )
    register(
        model="courses.Announcement",
        actor_fields=("author",),
        export=("public_id", "title", "created_at"),
        category=None,
    )
    register(
        model="courses.EnrolmentImport",
        actor_fields=("created_by",),
        match=lambda u: Q(content__icontains=u.email),
        export=("public_id", "filename", "created_at", "status"),
        erasure="anonymise",
        eraser=erase_from_imports,
        category=S,
        timestamp_field="created_at",
        note="Uploaded enrolment lists: the person's address is removed from each.",
    )
    register(
        model="courses.CourseMembership",
        subject_fields=("user",),
        actor_fields=("granted_by",),
        export=("course", "role", "source", "cohort", "ends_at", "created_at"),
        category=C,
    )
    register(
        model="courses.HistoricalCourseMembership",
        subject_fields=("user",),
        actor_fields=("granted_by", "history_user"),
        export=("course", "role", "history_date", "history_type"),
        erasure="keep",
        legal_basis=ACADEMIC_BASIS,
        category=C,
    )
    register(
        model="courses.WaitlistEntry",
        subject_fields=("user",),
        export=("course", "created_at"),
        category=C,
    )
    # --- Learning ---------------------------------------------------------------------
    register(
        model="learning.LessonProgress",
        subject_fields=("user",),
        export=(
            "lesson",
            "course",
            "first_opened_at",
            "last_opened_at",
            "video_position_seconds",
            "video_watched_seconds",
            "completed_at",
        ),
        category=C,
    )
    register(
        model="learning.CourseProgress",
        subject_fields=("user",),
        export=(
            "course",
            "completed_lessons",
            "required_lessons",
            "percent",
            "last_activity_at",
            "completed_at",
        ),
        erasure="keep",
        legal_basis=ACADEMIC_BASIS,
        category=C,
        anonymiser=fold_course_progress,
    )
    # --- Assessments and grades -------------------------------------------------------
    register(
        model="assessments.Attempt",
        subject_fields=("user",),
        export=(
            "public_id",
            "quiz",
            "number",
            "status",
            "started_at",
            "submitted_at",
            "score",
            "max_score",
            "percent",
        ),
        erasure="keep",
        legal_basis=ACADEMIC_BASIS,
        category=A,
    )
    register(
        model="assessments.AttemptQuestion",
        match=lambda u: Q(attempt__user=u.pk),
        actor_fields=("graded_by",),
        export=("attempt", "position", "response", "saved_at", "points_awarded", "feedback"),
        erasure="keep",
        legal_basis=ACADEMIC_BASIS,
        category=A,
    )
    for name in ("Accommodation", "HistoricalAccommodation"):
        register(
            model=f"assessments.{name}",
            subject_fields=("user",),
            actor_fields=("history_user",) if name.startswith("Historical") else (),
            export=("quiz", "extra_minutes", "extra_attempts", "note"),
            erasure="anonymise",
            anonymise={"note": ""},  # may describe a health condition
            category=A,
        )
    for name in ("HistoricalQuestion", "HistoricalQuiz"):
        register(
            model=f"assessments.{name}",
            actor_fields=("history_user",),
            export=("history_date", "history_type"),
            category=None,
        )
    for name in ("Grade", "HistoricalGrade"):
        register(
            model=f"grades.{name}",
            subject_fields=("user",),
            actor_fields=("graded_by", "overridden_by")
            + (("history_user",) if name.startswith("Historical") else ()),
            export=(
                "item",
                "course",
                "points",
                "graded_at",
                "override_points",
                "override_reason",
                "overridden_at",
            ),
            erasure="keep",
            legal_basis=ACADEMIC_BASIS,
            anonymise={"override_reason": ""},
            category=A,
        )
    # --- Assignments ------------------------------------------------------------------
    for name in ("Submission", "HistoricalSubmission"):
        register(
            model=f"assignments.{name}",
            subject_fields=("user",),
            actor_fields=("graded_by",)
            + (("history_user",) if name.startswith("Historical") else ()),
            export=(
                "public_id",
                "assignment",
                "course",
                "version",
                "text",
                "submitted_at",
                "days_late",
                "points",
                "final_points",
                "feedback",
                "graded_at",
            ),
            erasure="keep",
            legal_basis=ACADEMIC_BASIS,
            category=A,
        )
    register(
        model="assignments.Extension",
        subject_fields=("user",),
        actor_fields=("granted_by",),
        export=("assignment", "due_at", "reason", "created_at"),
        erasure="anonymise",
        anonymise={"reason": ""},  # may give a personal circumstance
        category=A,
    )
    register(
        model="assignments.HistoricalAssignment",
        actor_fields=("history_user",),
        export=("history_date", "history_type"),
        category=None,
    )
    # --- Certificates -----------------------------------------------------------------
    register(
        model="certificates.Certificate",
        subject_fields=("user",),
        actor_fields=("revoked_by",),
        export=(
            "code",
            "course",
            "learner_name",
            "course_title",
            "completed_at",
            "issued_at",
            "expires_at",
            "revoked_at",
            "revoked_reason",
        ),
        secret=("pdf",),
        erasure="keep",
        legal_basis=ACADEMIC_BASIS,
        eraser=erase_certificates,
        category=A,
    )
    register(
        model="certificates.CertificateSettings",
        actor_fields=("updated_by",),
        export=("course", "updated_at"),
        category=None,
    )
    register(
        model="grades.HistoricalGradebookSettings",
        actor_fields=("history_user",),
        export=("history_date", "history_type"),
        category=None,
    )
    # --- Access reviews ---------------------------------------------------------------
    register(
        model="reviews.ReportingLine",
        subject_fields=("user",),
        actor_fields=("manager",),
        export=("manager", "created_at"),
        category=P,
    )
    register(
        model="reviews.Campaign",
        actor_fields=("started_by", "default_reviewer", "signed_off_by"),
        export=("public_id", "name", "created_at"),
        category=None,
    )
    register(
        model="reviews.ReviewItem",
        subject_fields=("holder",),
        actor_fields=("reviewer", "decided_by"),
        export=(
            "public_id",
            "holder_email",
            "holder_name",
            "role_name",
            "course_title",
            "granted_at",
            "decision",
            "comment",
            "decided_at",
        ),
        erasure="keep",
        legal_basis=ACCESS_BASIS,
        anonymise={"holder_email": f"erased@{ERASED_DOMAIN}", "holder_name": ""},
        category=L,
        retention_q=_review_items_expired,
    )
    register(
        model="backups.BackupRun",
        actor_fields=("actor",),
        export=("public_id", "kind", "started_at"),
        category=None,
    )
    # --- Operations -------------------------------------------------------------------
    register(
        model="ops.FailedJob",
        actor_fields=("rerun_by",),
        export=("task_name", "rerun_at"),
        category=None,
    )
    # --- Privacy (this app) -----------------------------------------------------------
    register(
        model="privacy.PolicyDocument",
        actor_fields=("published_by",),
        export=("kind", "version", "published_at"),
        category=None,
    )
    register(
        model="privacy.Consent",
        subject_fields=("user",),
        export=("document", "accepted_at", "ip"),
        erasure="keep",
        legal_basis=CONSENT_BASIS,
        anonymise={"ip": None},
        category=L,
        timestamp_field="accepted_at",
    )
    register(
        model="privacy.DataRequest",
        subject_fields=("subject",),
        actor_fields=("requested_by", "reviewed_by"),
        export=(
            "public_id",
            "kind",
            "status",
            "reason",
            "created_at",
            "due_at",
            "completed_at",
            "decision_reason",
        ),
        erasure="keep",
        legal_basis=REQUEST_BASIS,
        anonymise={"reason": ""},
        category=L,
        timestamp_field="created_at",
    )
    register(
        model="privacy.ErasureRecord",
        subject_fields=("user",),
        export=("erased_at", "reason"),
        erasure="keep",
        legal_basis=REQUEST_BASIS,
        category=L,
        timestamp_field="erased_at",
    )
    register(
        model="privacy.RetentionRun",
        actor_fields=("triggered_by",),
        export=("public_id", "started_at", "status"),
        category=None,
    )
