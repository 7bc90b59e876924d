from typing import Any

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
    """Sent after the completing transaction committed: queue the issuing job."""
    from syllabus.certificates.tasks import certificate_issue_task

    certificate_issue_task(user.pk, course.pk)
