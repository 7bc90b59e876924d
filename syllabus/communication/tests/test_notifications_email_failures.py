"""A failing mail server never fails the code that notifies: the email job fails, is
retried with backoff, and lands in the dead-letter record when its retries run out."""

from __future__ import annotations

import smtplib
from datetime import datetime
from typing import Any

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend

from syllabus.communication.models import Notification
from syllabus.communication.services import notify
from syllabus.core.breakers import breakers_forget
from syllabus.core.jobs import huey
from syllabus.ops.models import FailedJob
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

FAR_FUTURE = datetime(2100, 1, 1)


class FailingBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Any) -> int:
        raise smtplib.SMTPServerDisconnected("mail server is down")


@pytest.fixture
def queue(monkeypatch):
    """The job queue for real (in memory): jobs wait to be run, retries are scheduled."""
    q = huey()
    q.immediate = False
    monkeypatch.setattr("huey.contrib.djhuey.close_old_connections", lambda: None)
    breakers_forget()
    yield q
    q.immediate = True
    q.flush()
    breakers_forget()


def test_a_failed_send_is_retried_and_then_delivered(
    queue, settings, django_capture_on_commit_callbacks
):
    # given a mail server that is down
    settings.EMAIL_BACKEND = f"{__name__}.FailingBackend"
    user = UserFactory(email="retry@example.org")
    # when the notification is created: no error, nothing sent yet
    with django_capture_on_commit_callbacks(execute=True):
        assert notify([user], kind="k", title="Retry me") == 1
    # then the job fails and is scheduled again
    queue.execute(queue.dequeue())
    (retry,) = queue.read_schedule(FAR_FUTURE)
    assert Notification.objects.get().emailed_at is None
    # and once the server is back, the retry delivers it
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    queue.execute(retry, timestamp=FAR_FUTURE)
    assert [m.to for m in mail.outbox] == [["retry@example.org"]]
    assert Notification.objects.get().emailed_at is not None
    assert queue.read_schedule(FAR_FUTURE) == []


def test_a_send_that_keeps_failing_becomes_a_dead_letter(
    queue, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = f"{__name__}.FailingBackend"
    with django_capture_on_commit_callbacks(execute=True):
        notify([UserFactory()], kind="k", title="Never")
    queue.execute(queue.dequeue())
    for _ in range(settings.JOBS_RETRIES):
        (retry,) = queue.read_schedule(FAR_FUTURE)
        queue.execute(retry, timestamp=FAR_FUTURE)
    assert queue.read_schedule(FAR_FUTURE) == []
    failed = FailedJob.objects.get()
    assert failed.task_name.endswith("notification_email_task")
    assert Notification.objects.get().emailed_at is None  # still in the app, not lost


def test_with_inline_jobs_a_failing_server_does_not_raise_into_the_caller(
    settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = f"{__name__}.FailingBackend"
    breakers_forget()
    try:
        with django_capture_on_commit_callbacks(execute=True):
            assert notify([UserFactory()], kind="k", title="Inline") == 1
        assert Notification.objects.count() == 1
        assert Notification.objects.get().emailed_at is None
    finally:
        breakers_forget()
