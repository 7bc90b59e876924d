"""Background jobs for notification emails: at once, and the daily digest.

Jobs take ids and call services. A send that fails (mail server down, breaker open)
raises, so the queue retries the job with backoff and, when retries run out, keeps it as
a dead letter; ``emailed_at`` makes every retry send only what is still due.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.conf import settings
from django.utils import timezone
from huey.contrib.djhuey import db_periodic_task

from syllabus.communication.services import (
    digest_recipient_ids,
    notifications_email_digest,
    notifications_email_immediate,
)
from syllabus.core.jobs import job


@job()
def notification_email_task(*, notification_ids: list[int]) -> None:
    """Email a batch of new notifications to people who want them at once."""
    notifications_email_immediate(notification_ids=notification_ids)


@job()
def notification_digest_send_task(*, user_id: int) -> None:
    """One person's daily summary (a job per person: one failure retries only theirs)."""
    notifications_email_digest(user_id=user_id)


def digest_due(moment: datetime) -> bool:
    """Whether the digest runs now: the first minute of NOTIFICATION_DIGEST_HOUR in the
    site's time zone (huey passes the time in UTC, without a zone)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    local = timezone.localtime(moment)
    return local.hour == settings.NOTIFICATION_DIGEST_HOUR and local.minute == 0


@db_periodic_task(digest_due)
def notification_digest_task() -> int:
    """Daily: queue a digest email for everyone who chose one and has something new."""
    user_ids = digest_recipient_ids()
    for user_id in user_ids:
        notification_digest_send_task(user_id=user_id)
    return len(user_ids)
