"""Template helpers for the sign-in pages."""

from __future__ import annotations

from typing import Any

from django import template
from django.conf import settings

from syllabus.accounts.adapters import pending_invitation

register = template.Library()


@register.simple_tag
def signup_mode() -> str:
    """SYLLABUS_SIGNUP: "open", "invite" or "off" (the sign-in page links sign-up if open)."""
    return str(settings.SIGNUP)


@register.simple_tag(takes_context=True)
def invitation_in_progress(context: Any) -> Any:
    """The invitation whose link this browser opened, if any (for the sign-up page)."""
    request = context.get("request")
    return pending_invitation(request) if request is not None else None
