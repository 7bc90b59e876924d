"""Background jobs of the certificates app: load by id, call a service."""

from __future__ import annotations

import structlog
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from syllabus.accounts.models import User
from syllabus.certificates.models import Certificate
from syllabus.certificates.services import (
    certificate_issue_for_completion,
    certificate_render_pdf,
    certificates_issue_missing,
)
from syllabus.core.jobs import job
from syllabus.courses.models import Course

log = structlog.get_logger(__name__)


@job()
def certificate_issue_task(user_id: int, course_id: int) -> None:
    """Issue the certificate of a completed course (once) and draw its PDF. Safe to run
    again: an issued certificate is kept, a missing PDF is drawn."""
    user = User.objects.filter(pk=user_id).first()
    course = Course.objects.filter(pk=course_id).first()
    if user is None or course is None:
        log.info("certificates.issue_skipped", user=user_id, course=course_id)
        return
    certificate_issue_for_completion(user=user, course=course)


@job()
def certificate_pdf_task(certificate_id: int) -> None:
    """Draw (or draw again) one certificate's PDF."""
    certificate = Certificate.objects.filter(pk=certificate_id).first()
    if certificate is not None:
        certificate_render_pdf(certificate=certificate)


@db_periodic_task(crontab(minute="23"))
def certificates_issue_missing_task() -> None:
    """Hourly: issue certificates whose job was lost, and draw PDFs still missing."""
    certificates_issue_missing()
