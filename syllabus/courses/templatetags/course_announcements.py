"""``{% course_announcements course as panel %}``: the course page's announcements panel
data for the signed-in reader, or None when they may not read the announcements."""

from __future__ import annotations

from typing import Any

from django import template

from syllabus.courses.models import Course
from syllabus.courses.selectors_announcements import (
    can_post_announcements,
    can_read_announcements,
    latest_announcements,
)

register = template.Library()


@register.simple_tag(takes_context=True)
def course_announcements(context: dict[str, Any], course: Course) -> dict[str, Any] | None:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not isinstance(course, Course) or not can_read_announcements(user, course):
        return None
    return {
        "items": latest_announcements(course),
        "can_post": can_post_announcements(user, course),
    }
