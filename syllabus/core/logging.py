"""JSON-lines logging through structlog, for our code and for every stdlib logger.

Every line carries ``timestamp``, ``level``, ``message`` (also as ``event``, structlog's
name), ``logger`` and, while a request is served, ``request_id``, ``ip``, ``user_agent``,
``route`` and ``user_id`` (once the request's user is known), and ``pid``. The access log line adds
``method``, ``path``, ``status``, ``duration_ms`` and the request's database work.

Sensitive values never reach a line: keys that name a secret are replaced by
``[redacted]`` at any depth, bearer tokens, API tokens and cookie values are masked
inside strings, Django's ``request`` objects are logged as their redacted path, and
paths carrying a secret (password-reset keys, invitation tokens) are redacted.
"""

from __future__ import annotations

import contextvars
import logging
import os
import re
from collections.abc import Mapping, MutableMapping
from typing import Any

import structlog
from structlog.typing import Processor

# Keys whose values must never reach a log line, whichever logger wrote them.
SENSITIVE_KEYS = frozenset(
    {
        "password",
        "password1",
        "password2",
        "token",
        "secret",
        "authorization",
        "cookie",
        "otp_code",
        "code",
        "recovery_code",
        "session",
        "sessionid",
        "csrftoken",
        "api_key",
    }
)


# Parts of key names that mark a secret (``new_password``, ``X-Api-Key``, ``totp_secret``).
SENSITIVE_PARTS = ("password", "passwd", "secret", "token", "cookie", "authorization",
                   "otp", "api_key", "apikey", "csrf", "session", "recovery", "credential",
                   "private_key", "ciphertext")  # fmt: skip
REDACTED = "[redacted]"

# Values inside free text: bearer credentials, our API tokens, cookie and form pairs.
_SECRET_TEXT = re.compile(
    r"(?i)(?P<bearer>\b(?:bearer|basic|token)\s+)[A-Za-z0-9._~+/=-]{8,}"
    r"|(?P<api>\bsyl_)[A-Za-z0-9]+_[A-Za-z0-9_-]+"
    r"|(?P<pair>\b(?:sessionid|csrftoken|csrfmiddlewaretoken|password[0-9]?|otp_code|code"
    r"|token|secret|api_key|recovery_code)=)[^;&\s'\"]+"
)


def _mask_text(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        prefix = match["bearer"] or match["api"] or match["pair"] or ""
        return f"{prefix}{REDACTED}"

    return _SECRET_TEXT.sub(replace, text)


def is_sensitive_key(key: Any) -> bool:
    name = str(key).lower().replace("-", "_")
    return name in SENSITIVE_KEYS or any(part in name for part in SENSITIVE_PARTS)


def _scrub(value: Any, depth: int = 0) -> Any:
    if depth > 6:
        return value
    if isinstance(value, str):
        return _mask_text(value)
    if isinstance(value, Mapping):
        return {
            k: REDACTED if is_sensitive_key(k) else _scrub(v, depth + 1) for k, v in value.items()
        }
    if isinstance(value, list | tuple | set | frozenset):
        return [_scrub(v, depth + 1) for v in value]
    return value


def redact_sensitive(
    _: Any, __: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    for key in list(event_dict):
        if key in ("exc_info", "stack_info"):
            continue
        if is_sensitive_key(key):
            event_dict[key] = REDACTED
            continue
        value = event_dict[key]
        if hasattr(value, "META") and hasattr(value, "path_info"):  # an HttpRequest
            event_dict[key] = f"{getattr(value, 'method', '')} {redact_path(value)}"
        elif key == "exception" and isinstance(value, str):
            event_dict[key] = _mask_text(value)
        else:
            event_dict[key] = _scrub(value)
    return event_dict


# --- The request being served -----------------------------------------------------------

_request: contextvars.ContextVar[Any] = contextvars.ContextVar("syllabus_request", default=None)

# URL keyword arguments whose values are secrets (reset keys, invitation tokens, ...).
_SECRET_KWARGS = ("key", "token", "uidb36", "code", "secret")


def bind_request(request: Any) -> contextvars.Token[Any]:
    return _request.set(request)


def unbind_request(token: contextvars.Token[Any]) -> None:
    _request.reset(token)


def redact_path(request: Any) -> str:
    """``request.path`` with the values of secret URL arguments replaced."""
    path = str(getattr(request, "path", ""))
    match = getattr(request, "resolver_match", None)
    kwargs = getattr(match, "kwargs", None) or {}
    for name, value in kwargs.items():
        text = str(value)
        if text and any(part in name.lower() for part in _SECRET_KWARGS):
            path = path.replace(text, REDACTED)
    return _mask_text(path)[:500]


def add_request_fields(
    _: Any, __: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """``route`` and ``user_id`` of the request being served, when known.

    The user is read only if something already loaded it: logging must not query the
    database (or it could log about its own query).
    """
    request = _request.get()
    if request is None:
        return event_dict
    if "route" not in event_dict:
        match = getattr(request, "resolver_match", None)
        if match is not None and getattr(match, "route", None) is not None:
            from syllabus.core.metrics import route_template

            event_dict["route"] = route_template(request)
    if "user_id" not in event_dict:
        lazy = request.__dict__.get("user")
        wrapped = getattr(lazy, "_wrapped", None)
        loaded = wrapped is not None and wrapped.__class__.__name__ != "object"
        if loaded and getattr(wrapped, "is_authenticated", False):
            event_dict["user_id"] = getattr(wrapped, "public_id", None)
    return event_dict


def add_process(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """``pid``: which process (gunicorn worker, job worker) wrote the line."""
    event_dict.setdefault("pid", os.getpid())
    return event_dict


def add_message(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """The seed's ``message`` field (structlog calls it ``event``; both are kept)."""
    if "event" in event_dict and "message" not in event_dict:
        event_dict["message"] = event_dict["event"]
    return event_dict


SHARED_PROCESSORS: list[Processor] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
    add_request_fields,
    add_process,
    add_message,
]


def build_formatter(fmt: str = "json") -> logging.Formatter:
    renderer: Processor = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*SHARED_PROCESSORS, structlog.stdlib.ExtraAdder()],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            # Last before rendering: covers our events, stdlib extras and tracebacks.
            redact_sensitive,
            renderer,
        ],
    )


def configure_structlog() -> None:
    structlog.configure(
        processors=[
            *SHARED_PROCESSORS,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
