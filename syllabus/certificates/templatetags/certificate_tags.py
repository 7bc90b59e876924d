"""``{% my_certificate course as certificate %}``: the signed-in learner's current
certificate for a course (None when they have none), for course pages to link to it."""

from __future__ import annotations

from typing import Any

from django import template

from syllabus.certificates.models import Certificate
from syllabus.certificates.selectors import current_certificate

register = template.Library()


@register.simple_tag(takes_context=True)
def my_certificate(context: template.Context, course: Any) -> Certificate | None:
    request = context.get("request")
    if request is None or course is None:
        return None
    return current_certificate(request.user, course)
