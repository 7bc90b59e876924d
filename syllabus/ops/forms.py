from __future__ import annotations

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from syllabus.audit.catalog import POLICIES
from syllabus.core.widgets import DatePicker


class AuditFilterForm(forms.Form):
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
    since = forms.DateField(
        required=False,
        label=gettext_lazy("Since"),
        widget=DatePicker(),
    )
    until = forms.DateField(
        required=False,
        label=gettext_lazy("Until"),
        widget=DatePicker(),
    )

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            raise forms.ValidationError(_("The start date must be before the end date."))
        return data
