from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy

from syllabus.audit.catalog import POLICIES
from syllabus.core.forms import DateRangeForm


class AuditFilterForm(DateRangeForm):
    """No default period: empty dates mean the whole trail (``dates()`` is not used)."""

    field_order = ("category", "action", "actor", "since", "until")
    order_error = gettext_lazy("The start date must be before the end date.")

    category = forms.ChoiceField(
        required=False,
        label=gettext_lazy("Category"),
        choices=[("", gettext_lazy("All categories I may read"))]
        + [(c.value, p.label) for c, p in POLICIES.items()],
    )
    action = forms.CharField(
        required=False,
        max_length=64,
        label=gettext_lazy("Action"),
        help_text=gettext_lazy("e.g. auth. or role.granted"),
    )
    actor = forms.CharField(
        required=False, max_length=254, label=gettext_lazy("Actor email contains")
    )
