"""Certificates: issuing on completion, the PDF, revocation, reissue, a course's settings.

Each state change happens in one transaction with its audit event. Issuing is idempotent:
a learner has at most one current certificate per course (a database constraint), so a
job that runs twice, or two workers racing, issue one certificate; a worker killed after
the certificate committed but before its PDF was stored leaves a certificate without a
PDF, and the job's next run draws it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urljoin

import structlog
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from syllabus.audit.services import linked_at_the_end, record
from syllabus.certificates.codes import new_code
from syllabus.certificates.models import Certificate, CertificateSettings
from syllabus.communication.services import notify, site_url
from syllabus.core.jobs import enqueue_on_commit
from syllabus.courses.models import Course

log = structlog.get_logger(__name__)

REASON_MAX = 500
VALIDITY_MAX_DAYS = 36500  # a hundred years: anything longer is "never expires"
CODE_ATTEMPTS = 5  # a fresh code after a collision (80 random bits: never in practice)
NOTIFICATION_KIND = "certificate"
SWEEP_WINDOW = timedelta(days=7)  # completions the hourly sweep looks back on
SWEEP_LIMIT = 500  # certificates (and PDFs) per sweep: a backlog drains over a few hours
PDF_GRACE = timedelta(minutes=10)  # the issuing job draws the PDF well within this


# --- Settings -----------------------------------------------------------------------------


def certificate_settings_for(course: Course) -> CertificateSettings:
    """The course's settings; the defaults (issue, never expire) when none were saved."""
    found = CertificateSettings.objects.filter(course=course).first()
    return found or CertificateSettings(course=course)


@transaction.atomic
def certificate_settings_update(
    *, actor: Any, course: Course, enabled: bool, validity_days: int | None
) -> CertificateSettings:
    if validity_days is not None and not 1 <= validity_days <= VALIDITY_MAX_DAYS:
        raise ValidationError(
            {
                "validity_days": _(
                    "Enter a number of days from 1 to %(max)s, "
                    "or leave it empty for certificates that never expire."
                )
                % {"max": VALIDITY_MAX_DAYS}
            }
        )
    current = CertificateSettings.objects.select_for_update().filter(course=course).first()
    before = {
        "enabled": current.enabled if current else True,
        "validity_days": current.validity_days if current else None,
    }
    after = {"enabled": enabled, "validity_days": validity_days}
    row = current or CertificateSettings(course=course)
    if before == after and current is not None:
        return row
    row.enabled = enabled
    row.validity_days = validity_days
    row.updated_by = actor
    row.save()
    record(
        actor=actor,
        action="certificate.settings_updated",
        target=course,
        details={"before": before, "after": after},
    )
    return row


# --- Issuing ------------------------------------------------------------------------------


def learner_display_name(user: Any) -> str:
    """The name printed: the full name; else the part of the email before the @ (the
    verification page is public and must not show an email address)."""
    name = " ".join((user.full_name or "").split())
    return name or user.email.partition("@")[0]


def _expiry(course: Course | None, completed_at: datetime) -> datetime | None:
    if course is None:
        return None
    days = certificate_settings_for(course).validity_days
    return completed_at + timedelta(days=days) if days else None


def _current(user: Any, course: Course) -> Certificate | None:
    return Certificate.objects.filter(user=user, course=course, replaced_at__isnull=True).first()


def _create(**fields: Any) -> Certificate:
    """Insert with a fresh code; a code collision draws another one."""
    for attempt in range(CODE_ATTEMPTS):
        try:
            with transaction.atomic():
                return Certificate.objects.create(code=new_code(), **fields)
        except IntegrityError:
            if Certificate.objects.filter(
                user=fields["user"], course=fields["course"], replaced_at__isnull=True
            ).exists():
                raise  # another worker issued it: the caller returns that one
            log.warning("certificates.code_collision", attempt=attempt + 1)
    raise RuntimeError("Could not draw an unused certificate code.")


def learner_language(user: Any) -> Any:
    """The learner's language, active for what is written for them (the PDF, their
    notifications): their choice, else the site's default."""
    return translation.override(getattr(user, "language", "") or settings.LANGUAGE_CODE)


def _notify_issued(certificate: Certificate, *, replaced: bool) -> None:
    with learner_language(certificate.user):
        title = (
            _("Your certificate for “%(course)s” was reissued")
            if replaced
            else _("Your certificate for “%(course)s” is ready")
        ) % {"course": certificate.course_title}
        body = _("Download it from your certificates. Its verification code is %(code)s.") % {
            "code": certificate.code
        }
    notify(
        [certificate.user_id],
        kind=NOTIFICATION_KIND,
        title=title,
        body=body,
        url=reverse("certificates:mine"),
    )


def certificate_issue(
    *, user: Any, course: Course, completed_at: datetime, actor: Any = None
) -> Certificate | None:
    """The learner's current certificate for the course, issued now if there is none.

    None when the course does not issue certificates. Issuing is audited and the learner
    is notified; calling it again returns the same certificate and writes nothing.
    """
    existing = _current(user, course)
    if existing is not None:
        return existing
    if not certificate_settings_for(course).enabled:
        return None
    try:
        # The event is linked as the block ends: the job worker runs at a lower CPU
        # priority (SYLLABUS_JOBS_NICE), and holding the data chain's lock over the
        # notification's round trips would keep every other writer of that chain (each
        # graded quiz submit) waiting on a process the CPU gives little time to.
        with transaction.atomic(), linked_at_the_end():
            certificate = _create(
                user=user,
                course=course,
                learner_name=learner_display_name(user),
                course_title=course.title,
                completed_at=completed_at,
                issued_at=timezone.now(),
                expires_at=_expiry(course, completed_at),
            )
            record(
                actor=actor,
                action="certificate.issued",
                target=certificate,
                details={
                    "code": certificate.code,
                    "learner": user.public_id,
                    "course": course.public_id,
                    "completed_at": completed_at.isoformat(),
                    "expires_at": certificate.expires_at.isoformat()
                    if certificate.expires_at
                    else None,
                },
            )
            _notify_issued(certificate, replaced=False)
    except IntegrityError:
        # Two workers raced and the other one won: its certificate is the one.
        found = _current(user, course)
        if found is None:
            raise
        return found
    return certificate


def verify_url(code: str) -> str:
    return urljoin(site_url(), reverse("certificates:verify", args=[code]))


def pdf_name(certificate: Certificate) -> str:
    return f"certificates/{certificate.public_id}.pdf"


def certificate_render_pdf(*, certificate: Certificate) -> Certificate:
    """Draw the PDF and store it (replacing a partial file a killed worker left)."""
    # Imported here: fpdf2 takes 0.45 s to import, which every process paid at start-up
    # (the API's URLconf imports this module); only the worker draws certificates.
    from syllabus.certificates.pdf import certificate_pdf

    with learner_language(certificate.user):
        data = certificate_pdf(
            site_name=settings.SITE_NAME,
            learner_name=certificate.learner_name,
            course_title=certificate.course_title,
            completed_at=certificate.completed_at,
            issued_at=certificate.issued_at,
            expires_at=certificate.expires_at,
            code=certificate.code,
            verify_url=verify_url(certificate.code),
        )
    name = pdf_name(certificate)
    if default_storage.exists(name):
        default_storage.delete(name)
    stored = default_storage.save(name, ContentFile(data))
    Certificate.objects.filter(pk=certificate.pk).update(pdf=stored)
    certificate.pdf.name = stored
    return certificate


def certificate_issue_for_completion(*, user: Any, course: Course) -> Certificate | None:
    """What the completion job does: issue (once) from the recorded completion, then draw
    the PDF if it is not stored yet."""
    from syllabus.learning.models import CourseProgress

    completed_at = (
        CourseProgress.objects.filter(user=user, course=course, completed_at__isnull=False)
        .values_list("completed_at", flat=True)
        .first()
    )
    if completed_at is None:
        log.warning("certificates.not_completed", user=user.pk, course=course.pk)
        return None
    certificate = certificate_issue(user=user, course=course, completed_at=completed_at)
    if certificate is not None and not certificate.pdf:
        certificate_render_pdf(certificate=certificate)
    return certificate


def certificates_issue_missing(
    *, now: datetime | None = None, limit: int = SWEEP_LIMIT
) -> tuple[int, int]:
    """The hourly safety net: issue the certificates of recent completions that have none
    (their job was lost or used up its retries) and draw PDFs still missing after a while.

    Only completions of the last SWEEP_WINDOW are considered, so turning certificates on
    does not suddenly notify everyone who completed a course years ago. Returns
    (certificates issued, PDFs drawn).
    """
    from syllabus.learning.models import CourseProgress

    now = now or timezone.now()
    missing = (
        CourseProgress.objects.filter(
            completed_at__isnull=False, completed_at__gte=now - SWEEP_WINDOW
        )
        .exclude(
            Exists(
                Certificate.objects.filter(user=OuterRef("user_id"), course=OuterRef("course_id"))
            )
        )
        .exclude(course__certificate_settings__enabled=False)
        .select_related("user", "course")
        .order_by("completed_at", "pk")[:limit]
    )
    issued = 0
    for progress in missing:
        assert progress.completed_at is not None  # filtered above
        if certificate_issue(
            user=progress.user, course=progress.course, completed_at=progress.completed_at
        ):
            issued += 1
    drawn = 0
    without_pdf = Certificate.objects.filter(
        pdf="", replaced_at__isnull=True, issued_at__lt=now - PDF_GRACE
    ).order_by("issued_at", "pk")[:limit]
    for certificate in without_pdf:
        certificate_render_pdf(certificate=certificate)
        drawn += 1
    if issued or drawn:
        log.info("certificates.sweep", issued=issued, pdfs_drawn=drawn)
    return issued, drawn


# --- Revocation and reissue ---------------------------------------------------------------


def _clean_reason(reason: str) -> str:
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError({"reason": _("Say why the certificate is revoked.")})
    if len(reason) > REASON_MAX:
        raise ValidationError(
            {"reason": _("A reason is at most %(max)s characters.") % {"max": REASON_MAX}}
        )
    return reason


@transaction.atomic
def certificate_revoke(*, actor: Any, certificate: Certificate, reason: str) -> Certificate:
    reason = _clean_reason(reason)
    locked = Certificate.objects.select_for_update().get(pk=certificate.pk)
    if locked.revoked_at is not None:
        raise ValidationError(_("This certificate is already revoked."))
    locked.revoked_at = timezone.now()
    locked.revoked_reason = reason
    locked.revoked_by = actor
    locked.save(update_fields=["revoked_at", "revoked_reason", "revoked_by"])
    record(
        actor=actor,
        action="certificate.revoked",
        target=locked,
        details={"code": locked.code, "reason": reason},
    )
    with learner_language(locked.user):
        title = _("Your certificate for “%(course)s” was revoked") % {"course": locked.course_title}
        body = _(
            "It no longer verifies as valid. Ask the course's instructor if you think "
            "this is a mistake."
        )
    notify(
        [locked.user_id],
        kind=NOTIFICATION_KIND,
        title=title,
        body=body,
        url=reverse("certificates:mine"),
    )
    return locked


@transaction.atomic
def certificate_reissue(*, actor: Any, certificate: Certificate) -> Certificate:
    """Replace a certificate with a new one (new code, the learner's name and the course's
    title as they are now, the same completion date); the old one is revoked."""
    from syllabus.certificates.tasks import certificate_pdf_task

    old = (
        Certificate.objects.select_for_update(of=("self",))
        .select_related("user", "course")
        .get(pk=certificate.pk)
    )
    if old.replaced_at is not None:
        raise ValidationError(_("This certificate was already replaced: reissue the new one."))
    now = timezone.now()
    old.replaced_at = now
    was_revoked = old.revoked_at is not None
    if not was_revoked:
        old.revoked_at = now
        old.revoked_by = actor
        old.revoked_reason = "Replaced by a reissued certificate."
    old.save(update_fields=["replaced_at", "revoked_at", "revoked_by", "revoked_reason"])
    new = _create(
        user=old.user,
        course=old.course,
        learner_name=learner_display_name(old.user),
        course_title=old.course.title if old.course else old.course_title,
        completed_at=old.completed_at,
        issued_at=now,
        expires_at=_expiry(old.course, old.completed_at) if old.course else old.expires_at,
    )
    old.replaced_by = new
    old.save(update_fields=["replaced_by"])
    if not was_revoked:
        record(
            actor=actor,
            action="certificate.revoked",
            target=old,
            details={"code": old.code, "reason": old.revoked_reason, "replaced_by": new.code},
        )
    record(
        actor=actor,
        action="certificate.issued",
        target=new,
        details={
            "code": new.code,
            "learner": old.user.public_id,
            "course": old.course.public_id if old.course else None,
            "completed_at": new.completed_at.isoformat(),
            "expires_at": new.expires_at.isoformat() if new.expires_at else None,
            "reissue_of": old.code,
        },
    )
    _notify_issued(new, replaced=True)
    enqueue_on_commit(certificate_pdf_task, new.pk)
    return new
