"""Demo data: certificates for the demo learners who have completed a course.

``load_demo()`` is called by ``syllabus demo`` after the courses and progress are loaded
(the demo writes progress rows directly, so no completion signal was sent). It issues
through the same service as a real completion (audited, the learner notified) and queues
the PDF jobs; running it again issues nothing new. Only people of the demo's reserved
domain are considered, so it never issues certificates to real users.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Exists, OuterRef

from syllabus.certificates.models import Certificate
from syllabus.certificates.services import certificate_issue
from syllabus.certificates.tasks import certificate_pdf_task
from syllabus.core.jobs import enqueue_on_commit
from syllabus.learning.models import CourseProgress

DEMO_EMAIL_DOMAIN = "@example.com"


def load_demo() -> None:
    completions = (
        CourseProgress.objects.filter(
            completed_at__isnull=False,
            user__email__iendswith=DEMO_EMAIL_DOMAIN,
        )
        .exclude(
            Exists(
                Certificate.objects.filter(user=OuterRef("user_id"), course=OuterRef("course_id"))
            )
        )
        .select_related("user", "course")
        .order_by("completed_at", "pk")
    )
    with transaction.atomic():
        for progress in completions:
            assert progress.completed_at is not None  # filtered above
            certificate = certificate_issue(
                user=progress.user, course=progress.course, completed_at=progress.completed_at
            )
            if certificate is not None and not certificate.pdf:
                enqueue_on_commit(certificate_pdf_task, certificate.pk)
