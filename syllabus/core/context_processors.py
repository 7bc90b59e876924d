from __future__ import annotations

import functools
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest
from django.urls import get_script_prefix, reverse

# The URLs of the page shell (base.html: navigation, footer, session timer), which take no
# arguments. Reversing them on every page cost about 0.5 ms (up to 19 ``{% url %}`` tags,
# 5 % of a lesson page); they only change with the URL configuration and the script prefix.
SHELL_URLS = {
    "home": "home",
    "catalog": "courses:catalog",
    "dashboard": "learning:dashboard",
    "grades": "grades:mine",
    "teach": "courses:teach",
    "manage": "ops:manage",
    "notifications": "communication:list",
    "profile": "accounts:profile",
    "security": "accounts:security",
    "tokens": "accounts:tokens",
    "login": "account_login",
    "logout": "account_logout",
    "help": "help",
    "language": "accounts:language",
    "session_keepalive": "accounts:session_keepalive",
    "session_status": "accounts:session_status",
}


@functools.cache
def shell_urls(script_prefix: str) -> dict[str, str]:
    """SHELL_URLS reversed, once per script prefix (``reverse`` reads the prefix itself:
    it is the key so that a process serving two prefixes keeps both right)."""
    return {key: reverse(name) for key, name in SHELL_URLS.items()}


@receiver(setting_changed)
def _urlconf_changed(*, setting: str, **kwargs: Any) -> None:
    if setting in ("ROOT_URLCONF", "FORCE_SCRIPT_NAME"):
        shell_urls.cache_clear()


def site(request: HttpRequest) -> dict[str, Any]:
    return {
        "site_name": settings.SITE_NAME,
        "request_id": getattr(request, "request_id", ""),
        "urls": shell_urls(get_script_prefix()),
    }
