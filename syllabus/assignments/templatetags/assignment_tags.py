"""``{% assignment_panel %}``: the assignment part of a lesson page (learning/lesson.html
includes assignments/lesson_panel.html with ``lesson``, ``staff`` and ``request``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template
from django.utils.formats import number_format

register = template.Library()


@register.inclusion_tag("assignments/includes/panel.html", takes_context=True)
def assignment_panel(context: template.Context) -> dict[str, Any]:
    from syllabus.assignments.views import panel_context

    request = context["request"]
    panel = panel_context(request, context["lesson"], bool(context.get("staff")))
    panel["request"] = request
    panel["csrf_token"] = context.get("csrf_token")
    return panel


@register.filter
def points(value: Any) -> str:
    """12.50 -> "12.5", 10.00 -> "10" (12,5 in Spanish: the reader's number format)."""
    if value in (None, ""):
        return ""
    return number_format(Decimal(f"{Decimal(str(value)).normalize():f}"))
