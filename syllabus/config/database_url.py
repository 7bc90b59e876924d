"""PostgreSQL connection URLs, including libpq's multi-host form.

``postgres://user:pass@host1:5432,host2:5433/dbname?target_session_attrs=read-write``
lists several servers; libpq tries them in order and, with ``target_session_attrs``,
keeps the first that accepts writes, which is how Syllabus finds the new primary after a
failover (seed 3.2). dj-database-url cannot parse several ``host:port`` pairs, so this
small parser (written by hand: no maintained library parses libpq's multi-host URLs into
Django settings) turns such a URL into Django's HOST/PORT lists (libpq accepts
comma-separated hosts and ports) and passes query parameters through as OPTIONS.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

_HOST = re.compile(
    r"^(?:\[(?P<v6>[0-9A-Fa-f:.]+)\]|(?P<name>[^\s:/?#\[\]@,]*))(?::(?P<port>[^,]*))?$"
)
# Query parameters passed to libpq as they are; anything else is refused so a typo does
# not silently do nothing.
OPTION_NAMES = frozenset(
    {
        "sslmode",
        "sslrootcert",
        "sslcert",
        "sslkey",
        "target_session_attrs",
        "connect_timeout",
        "application_name",
        "options",
        "keepalives",
        "keepalives_idle",
        "keepalives_interval",
        "keepalives_count",
        "load_balance_hosts",
    }
)


def parse_postgres_url(url: str, *, variable: str) -> dict[str, Any]:
    """Django DATABASES settings from a postgres:// URL. Errors name ``variable`` and
    never repeat the URL (it may carry a password)."""
    try:
        parts = urlsplit(url)
    except ValueError:  # unbalanced [ ] around an IPv6 address
        raise ImproperlyConfigured(f"{variable} cannot be read as a URL.") from None
    if parts.scheme not in ("postgres", "postgresql"):
        raise ImproperlyConfigured(f"{variable} must start with postgres:// or postgresql://.")
    userinfo, at, hostlist = parts.netloc.rpartition("@")
    if not at:
        userinfo, hostlist = "", parts.netloc
    user, _, password = userinfo.partition(":")
    hosts: list[str] = []
    ports: list[str] = []
    for item in hostlist.split(","):
        match = _HOST.match(item)
        if not match:
            raise ImproperlyConfigured(f"{variable} has a host that cannot be read.")
        host = match["v6"] or match["name"] or ""
        port = match["port"] or ""
        if port and not (port.isdigit() and 0 < int(port) < 65536):
            raise ImproperlyConfigured(f"{variable} has an invalid port.")
        hosts.append(unquote(host))
        ports.append(port)
    if len(hosts) > 1 and not all(hosts):
        raise ImproperlyConfigured(f"{variable} lists several hosts, one of them empty.")
    name = unquote(parts.path.lstrip("/"))
    if not name or "/" in name:
        raise ImproperlyConfigured(f"{variable} names no database (expected .../DBNAME).")
    options: dict[str, str] = {}
    for key, value in parse_qsl(parts.query, keep_blank_values=True, strict_parsing=False):
        if key not in OPTION_NAMES:
            raise ImproperlyConfigured(f"{variable} has an unknown parameter {key!r}.")
        options[key] = value
    if any(ports) and len(hosts) > 1:
        port_setting = ",".join(p or "5432" for p in ports)
    else:
        port_setting = ports[0] if ports else ""
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": name,
        "USER": unquote(user),
        "PASSWORD": unquote(password),
        "HOST": ",".join(hosts),
        "PORT": port_setting,
        "OPTIONS": options,
    }
