"""Workers racing to issue the same certificate issue one.

The threaded test needs a database where concurrent transactions really overlap
(PostgreSQL); on SQLite each write transaction holds the database's write lock, so the
same outcome holds by construction (and the lost-race path is covered by a unit test in
test_certificate_services.py).
"""

from __future__ import annotations

import pytest
from django.core.files.storage import default_storage
from django.db import connection
from django.utils import timezone

from syllabus.audit.models import AuditEvent
from syllabus.certificates.models import Certificate
from syllabus.certificates.tasks import certificate_issue_task
from syllabus.communication.models import Notification
from syllabus.learning.models import CourseProgress
from tests.concurrency import together
from tests.factories import UserFactory

from .conftest import enrol, make_course

WORKERS = 6


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent transactions")
@pytest.mark.django_db(transaction=True)
def test_concurrent_jobs_issue_one_certificate():
    course = make_course(title="Race")
    learner = UserFactory()
    enrol(learner, course)
    # The completion as the learning app records it (without its signal, whose job would
    # run inline here and issue the certificate before the race).
    CourseProgress.objects.create(
        user=learner,
        course=course,
        required_lessons=1,
        completed_lessons=1,
        percent=100,
        completed_at=timezone.now(),
    )
    results = together([lambda: certificate_issue_task.call_local(learner.pk, course.pk)] * WORKERS)
    assert not [r for r in results if isinstance(r, Exception)], results
    certificate = Certificate.objects.get(user=learner, course=course)
    assert AuditEvent.objects.filter(action="certificate.issued").count() == 1
    assert Notification.objects.filter(recipient=learner, kind="certificate").count() == 1
    assert certificate.pdf and default_storage.exists(certificate.pdf.name)
