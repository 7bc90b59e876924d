"""Text messages (SMS) through a gateway: an interface and two implementations.

``SYLLABUS_SMS_GATEWAY`` picks one:

* ``console`` (default): writes each message to the log (``syllabus.sms``) and standard
  output; nothing leaves the machine. For development and trying Syllabus out.
* ``http``: POSTs ``{"to": "+447700900123", "text": "..."}`` as JSON to
  ``SYLLABUS_SMS_GATEWAY_URL`` with ``Authorization: Bearer SYLLABUS_SMS_GATEWAY_TOKEN``,
  5 s timeout. Any 2xx is success. Most SMS providers offer such an endpoint, or a small
  relay in front of theirs does.

Every send goes through the ``sms`` circuit breaker (``core.breakers``) and happens in a
background job (``communication.tasks_sms``), so a failing gateway makes jobs retry
later instead of losing the message or holding a request.
"""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.parse
import urllib.request
from typing import Protocol

import structlog
from django.conf import settings

from syllabus.core.breakers import breaker

log = structlog.get_logger("syllabus.sms")

TIMEOUT_SECONDS = 5


class SmsError(Exception):
    """The gateway could not be reached or failed (5xx, timeout): try again later."""


class SmsRejected(Exception):
    """The gateway refused this message (4xx): sending it again will not help."""


class SmsGateway(Protocol):
    def send(self, to: str, text: str) -> None: ...


class ConsoleSmsGateway:
    """Development: prints the message instead of sending it."""

    def send(self, to: str, text: str) -> None:
        log.info("sms.console", to=to, text=text)
        sys.stdout.write(f"SMS to {to}: {text}\n")
        sys.stdout.flush()


class HttpSmsGateway:
    """Production: a JSON POST to an HTTP gateway with a bearer token."""

    def __init__(self, url: str, token: str, timeout: float = TIMEOUT_SECONDS) -> None:
        # urlopen would also follow file:// and ftp://: only a web gateway may be called.
        if urllib.parse.urlsplit(url).scheme not in ("https", "http"):
            raise ValueError(f"The SMS gateway URL must be http(s): {url!r}")
        self.url = url
        self.token = token
        self.timeout = timeout

    def send(self, to: str, text: str) -> None:
        body = json.dumps({"to": to, "text": text}).encode()
        request = urllib.request.Request(  # noqa: S310 (the URL's scheme is checked in __init__)
            self.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "Accept": "application/json",
                "Authorization": f"Bearer {self.token}",
                "User-Agent": "Syllabus-SMS/1",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310  # nosec B310  # scheme checked in __init__
                status = response.status
        except urllib.error.HTTPError as exc:
            if 400 <= exc.code < 500 and exc.code not in (408, 429):
                raise SmsRejected(f"SMS gateway refused the message: HTTP {exc.code}") from None
            raise SmsError(f"SMS gateway failed: HTTP {exc.code}") from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise SmsError(f"SMS gateway unreachable: {reason}") from None
        if not 200 <= status < 300:
            raise SmsError(f"SMS gateway answered HTTP {status}")


def sms_gateway() -> SmsGateway:
    if settings.SMS_GATEWAY == "http":
        return HttpSmsGateway(settings.SMS_GATEWAY_URL, settings.SMS_GATEWAY_TOKEN)
    return ConsoleSmsGateway()


def sms_send(*, to: str, text: str, gateway: SmsGateway | None = None) -> None:
    """Send one message now, through the ``sms`` breaker (the worker calls this).

    Raises SmsError or ``CircuitBreakerError`` (retry later) or SmsRejected (give up).
    """
    sms_breaker = breaker("sms", exclude=(SmsRejected,))
    sms_breaker.call((gateway or sms_gateway()).send, to, text)
    log.info("sms.sent", to=to[:-3] + "***")
