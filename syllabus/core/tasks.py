"""Background jobs of the core app: transports every other app uses."""

from __future__ import annotations

from syllabus.core.email import email_send
from syllabus.core.jobs import job


@job()
def email_send_task(
    *,
    subject: str,
    body: str,
    to: list[str],
    from_email: str,
    html_body: str | None = None,
    headers: dict[str, str] | None = None,
) -> None:
    """Send an email that was rendered when it was queued (see core.email)."""
    email_send(
        subject=subject,
        body=body,
        to=to,
        from_email=from_email,
        html_body=html_body,
        headers=headers,
    )
