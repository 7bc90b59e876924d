from typing import Any

import structlog
from django.apps import AppConfig


class CertificatesConfig(AppConfig):
    name = "syllabus.certificates"
    label = "certificates"
    verbose_name = "Certificates"

    def ready(self) -> None:
        from syllabus.learning.signals import course_completed

        # Learning (a lower app) announces completions; we issue the certificate.
        course_completed.connect(on_course_completed, dispatch_uid="certificates.issue")


def on_course_completed(sender: Any, *, user: Any, course: Any, **kwargs: Any) -> None:
    """Sent after the completing transaction committed: queue the issuing job.

    The learner's request has already saved the completion: if the queue cannot take the
    job (its storage is down), that is logged rather than shown to them as an error, and
    the hourly sweep (certificates_issue_missing_task) issues the certificate later.
    """
    from syllabus.certificates.tasks import certificate_issue_task

    try:
        certificate_issue_task(user.pk, course.pk)
    except Exception:
        structlog.get_logger(__name__).exception(
            "certificates.enqueue_failed", user=user.pk, course=course.pk
        )
