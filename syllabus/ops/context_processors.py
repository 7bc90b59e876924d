"""Template context for every page: whether to show the "Manage" link."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest

from syllabus.ops.views_manage import tools_for


def manage(request: HttpRequest) -> dict[str, Callable[[], bool]]:
    """``show_manage_link``, worked out only when a template asks (the page's navigation
    does; an htmx fragment such as an autosave's answer never does). Its own name: views
    have a ``can_manage`` of their own (certificates, cohorts), which must not decide
    whether the navigation offers the site's administration tools."""
    user: Any = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"show_manage_link": lambda: bool(tools_for(user))}
