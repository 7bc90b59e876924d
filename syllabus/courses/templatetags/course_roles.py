"""``{{ role|role_name }}``: a course role's name in the reader's language."""

from __future__ import annotations

from typing import Any

from django import template

from syllabus.courses import role_names

register = template.Library()


@register.filter
def role_name(role: Any) -> str:
    return role_names.role_name(role)
