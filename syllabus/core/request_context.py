"""Facts about the request being served, readable anywhere in its call stack.

The middleware binds them as structlog context variables, so every log line carries
them, and the audit trail reads them from here (the seed's logger read ``req`` from
nowhere; this is where it comes from).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

import structlog

_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")


@dataclass(frozen=True)
class RequestContext:
    request_id: str = ""
    ip: str | None = None
    user_agent: str = ""


def new_request_id() -> str:
    return uuid.uuid4().hex


def accept_request_id(incoming: str | None) -> str:
    """Keep a well-formed incoming id (so a proxy's id follows the request), else make one."""
    if incoming and _VALID_REQUEST_ID.fullmatch(incoming):
        return incoming
    return new_request_id()


def bind(context: RequestContext) -> None:
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(
        request_id=context.request_id, ip=context.ip, user_agent=context.user_agent
    )


def current() -> RequestContext:
    values = structlog.contextvars.get_contextvars()
    return RequestContext(
        request_id=values.get("request_id", ""),
        ip=values.get("ip"),
        user_agent=values.get("user_agent", ""),
    )


def clear() -> None:
    structlog.contextvars.clear_contextvars()
