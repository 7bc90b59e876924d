"""Template context for every page: whether to show the "Manage" link."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from syllabus.ops.views_manage import tools_for


def manage(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"can_manage": bool(tools_for(user))}
