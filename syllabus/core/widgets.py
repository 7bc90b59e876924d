"""Form widgets rendered in Python, for the forms of pages that everyone opens.

Django renders a ``<select>`` through its template engine, one included template per
option (and one more for each option's attributes): the catalog's four filter boxes cost
about 40 % of the catalog page's rendering time in a profile on the 100,000-learner data.
No maintained library renders Django's widgets another way, so ``PlainSelect`` builds
the same HTML with ``format_html``: same name, attributes, options and selection, every
value and label escaped.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

_OPTION = '<option value="{}">{}</option>'
_OPTION_SELECTED = '<option value="{}" selected>{}</option>'


class PlainSelect(forms.Select):
    """A single-choice ``<select>`` with flat choices (no option groups), rendered
    without templates. Use it where a page renders on every visit; it refuses option
    groups rather than render them wrongly."""

    def render(
        self,
        name: str,
        value: Any,
        attrs: dict[str, Any] | None = None,
        renderer: Any = None,
    ) -> SafeString:
        chosen = set(self.format_value(value))
        options = []
        selected_one = False  # as Django's Select: only the first matching option
        for option_value, label in self.choices:
            if isinstance(label, (list, tuple)):
                raise ValueError("PlainSelect renders flat choices only, not option groups.")
            text = "" if option_value is None else str(option_value)
            selected = not selected_one and text in chosen
            selected_one = selected_one or selected
            options.append(format_html(_OPTION_SELECTED if selected else _OPTION, text, label))
        return format_html(
            '<select name="{}"{}>{}</select>',
            name,
            flatatt(self.build_attrs(self.attrs, attrs)),
            format_html_join("", "{}", ((option,) for option in options)),
        )


class DatePicker(forms.DateInput):
    """The browser's date picker (``<input type="date">``). Its value must be ISO 8601
    whatever the page's language: Django's DateInput writes a date in the language's
    first input format (Spanish: 26/11/2026), which the browser drops, showing an empty
    field."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")
