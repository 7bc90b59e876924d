"""Typed readers for configuration from the environment.

Every reader accepts ``NAME_FILE`` (a path whose contents are the value, as container
secrets are mounted) in place of ``NAME``, and raises ``ImproperlyConfigured`` naming the
variable when a value cannot be used, so a typo stops start-up instead of being ignored.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
_MISSING = object()


def _raw(name: str) -> str | None:
    """The value of NAME, or the contents of the file named by NAME_FILE."""
    file_path = os.environ.get(f"{name}_FILE")
    if file_path:
        if name in os.environ:
            raise ImproperlyConfigured(f"Set only one of {name} and {name}_FILE.")
        try:
            return Path(file_path).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ImproperlyConfigured(
                f"{name}_FILE names {file_path!r}, which cannot be read: {exc.strerror}."
            ) from exc
    return os.environ.get(name)


def env_str(name: str, default: str | object | None = _MISSING) -> str:
    value = _raw(name)
    if value is None:
        if default is _MISSING or default is None:
            raise ImproperlyConfigured(f"Set {name} (or {name}_FILE).")
        assert isinstance(default, str)
        return default
    return value


def env_optional(name: str) -> str | None:
    value = _raw(name)
    return value if value else None


def env_bool(name: str, default: bool) -> bool:
    value = _raw(name)
    if value is None or value.strip() == "":
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name} must be one of true/false, yes/no, on/off or 1/0; got {value!r}."
    )


def env_int(
    name: str, default: int, *, minimum: int | None = None, maximum: int | None = None
) -> int:
    value = _raw(name)
    if value is None or value.strip() == "":
        return default
    try:
        number = int(value.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number; got {value!r}.") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}; got {number}.")
    if maximum is not None and number > maximum:
        raise ImproperlyConfigured(f"{name} must be at most {maximum}; got {number}.")
    return number


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    value = _raw(name)
    if value is None:
        return list(default or [])
    return [item.strip() for item in value.split(",") if item.strip()]


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = (_raw(name) or default).strip().lower()
    if value not in choices:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(choices)}; got {value!r}.")
    return value


def env_url(name: str, *, schemes: tuple[str, ...]) -> str | None:
    """A URL whose scheme is one of ``schemes`` and which names a host; None when unset."""
    value = env_optional(name)
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme not in schemes:
        raise ImproperlyConfigured(
            f"{name} must start with {' or '.join(s + '://' for s in schemes)}; "
            f"got a value starting with {parts.scheme + '://' if parts.scheme else 'no scheme'}."
        )
    try:
        parts.port  # noqa: B018  (raises ValueError on a non-numeric port)
    except ValueError:
        raise ImproperlyConfigured(f"{name} has an invalid port.") from None
    if not parts.hostname and not parts.path.strip("/"):
        raise ImproperlyConfigured(f"{name} names no host.")
    return value
