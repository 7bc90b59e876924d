"""Email leaves through the job queue, after commit, behind a circuit breaker."""

from __future__ import annotations

import smtplib

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.db import transaction

from syllabus.core.breakers import CircuitBreakerError, breaker, breakers_forget
from syllabus.core.email import email_queue, email_send

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_breakers():
    breakers_forget()
    yield
    breakers_forget()


def test_a_queued_email_is_sent_by_the_job_once_the_transaction_commits(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        email_queue(
            subject="Hello",
            body="Plain text",
            html_body="<p>HTML</p>",
            to=["a@example.org"],
            headers={"X-Syllabus": "yes"},
        )
        assert mail.outbox == [], "nothing is sent before commit"

    assert len(callbacks) == 1
    [message] = mail.outbox
    assert isinstance(message, EmailMultiAlternatives)
    assert message.subject == "Hello"
    assert message.body == "Plain text"
    assert message.alternatives[0] == ("<p>HTML</p>", "text/html")
    assert message.to == ["a@example.org"]
    assert message.extra_headers["X-Syllabus"] == "yes"
    assert message.from_email == "Syllabus <noreply@localhost>"


def test_a_rolled_back_transaction_sends_nothing(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                email_queue(subject="Never", body="x", to=["a@example.org"])
                raise RuntimeError("roll back")
        except RuntimeError:
            pass
    assert callbacks == []
    assert mail.outbox == []


def test_the_console_backend_prints_the_message(settings, capsys):
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    email_send(subject="Printed", body="Shown on the console", to=["b@example.org"])
    out = capsys.readouterr().out
    assert "Subject: Printed" in out
    assert "Shown on the console" in out


def test_repeated_smtp_failures_open_the_breaker_so_jobs_fail_fast(settings, monkeypatch):
    calls = []

    def refuse(self, *args, **kwargs):
        calls.append(1)
        raise smtplib.SMTPServerDisconnected("down")

    monkeypatch.setattr("django.core.mail.backends.locmem.EmailBackend.send_messages", refuse)
    for _ in range(settings.BREAKER_FAILURES):
        with pytest.raises((smtplib.SMTPServerDisconnected, CircuitBreakerError)):
            email_send(subject="x", body="y", to=["c@example.org"])
    assert breaker("email").current_state == "open"

    with pytest.raises(CircuitBreakerError):
        email_send(subject="x", body="y", to=["c@example.org"])
    assert len(calls) == settings.BREAKER_FAILURES, "an open breaker does not call the server"
