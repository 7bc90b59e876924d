"""Background jobs for text messages, and the delivery of one-time codes.

``sms_send_task`` retries with the queue's backoff while the gateway fails or its breaker
is open, so a message is delayed, not lost; a message the gateway refuses (4xx) is logged
and dropped, as sending it again would fail the same way. Email codes go through the
email queue (``core.email``). The communication app registers
``one_time_code_deliver`` with ``accounts.one_time_codes`` when it loads.
"""

from __future__ import annotations

import structlog
from django.conf import settings
from django.utils.translation import gettext as _

from syllabus.accounts.one_time_codes import EMAIL, SMS, code_message
from syllabus.communication.sms import SmsRejected, sms_send
from syllabus.core.email import email_queue
from syllabus.core.jobs import enqueue_on_commit, job

log = structlog.get_logger("syllabus.sms")


@job()
def sms_send_task(*, to: str, text: str) -> None:
    try:
        sms_send(to=to, text=text)
    except SmsRejected as exc:
        log.warning("sms.rejected", error=str(exc))


def one_time_code_deliver(*, channel: str, destination: str, code: str, purpose: str) -> None:
    """Queue a one-time code for delivery by email or SMS."""
    text = code_message(code=code, purpose=purpose, site_name=settings.SITE_NAME)
    if channel == EMAIL:
        email_queue(
            subject=_("Your %(site_name)s code") % {"site_name": settings.SITE_NAME},
            body=text,
            to=[destination],
        )
    elif channel == SMS:
        enqueue_on_commit(sms_send_task, to=destination, text=text)
    else:
        raise ValueError(f"Unknown channel {channel!r}.")
