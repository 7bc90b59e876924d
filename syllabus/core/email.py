"""Sending email. Every message goes through the job queue, never from a request.

``email_queue`` takes a message that is already rendered (subject, text, optional HTML)
and queues ``tasks.email_send_task`` once the current transaction commits, so a rolled
back sign-up sends nothing and a slow mail server never holds a request. The worker
calls ``email_send``, which hands the message to Django's email backend (the console in
development, SMTP in production) behind the ``email`` circuit breaker: while the server
keeps failing, jobs fail fast and are retried later instead of each waiting for its
timeout.

Messages are written in their recipient's language: ``in_language_of(user)`` around the
rendering (``User.language``, else the site default SYLLABUS_LANGUAGE_CODE).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.utils import translation

from syllabus.core.breakers import breaker
from syllabus.core.jobs import enqueue_on_commit

BREAKER = "email"


def language_of(user: Any) -> str:
    """The language to write to this person in: their saved choice, else the site default."""
    chosen = getattr(user, "language", "") or ""
    return chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


@contextmanager
def in_language_of(user: Any) -> Iterator[None]:
    """Render a message (subject, body, templates) in its recipient's language."""
    with translation.override(language_of(user)):
        yield


def email_send(
    *,
    subject: str,
    body: str,
    to: Sequence[str],
    from_email: str | None = None,
    html_body: str | None = None,
    headers: dict[str, str] | None = None,
) -> int:
    """Send one message now (the worker calls this); returns the number sent (0 or 1)."""
    message = EmailMultiAlternatives(
        subject=subject,
        body=body,
        from_email=from_email or settings.DEFAULT_FROM_EMAIL,
        to=list(to),
        headers=headers or {},
    )
    if html_body:
        message.attach_alternative(html_body, "text/html")
    # While the mail server keeps failing the breaker is open: the job fails at once and
    # the queue retries it later (see core.breakers and core.jobs).
    sent: int = breaker(BREAKER).call(message.send)
    return sent


def email_queue(
    *,
    subject: str,
    body: str,
    to: Sequence[str],
    from_email: str | None = None,
    html_body: str | None = None,
    headers: dict[str, str] | None = None,
) -> None:
    """Queue a rendered message; it is sent by the worker after the transaction commits."""
    from syllabus.core.tasks import email_send_task

    enqueue_on_commit(
        email_send_task,
        subject=subject,
        body=body,
        to=list(to),
        from_email=from_email or settings.DEFAULT_FROM_EMAIL,
        html_body=html_body,
        headers=dict(headers or {}),
    )
