"""``{% enrol_state course as enrol %}``: what the enrol panel shows the current person."""

from __future__ import annotations

from django import template

from syllabus.courses.models import Course
from syllabus.courses.services_enrolment import EnrolState, enrolment_state

register = template.Library()


@register.simple_tag(takes_context=True)
def enrol_state(context: template.Context, course: Course) -> EnrolState:
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    return enrolment_state(user, course)
