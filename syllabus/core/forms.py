"""Helpers shared by the HTML forms of every app."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms import Form
from django.utils import timezone
from django.utils.translation import gettext_lazy

from syllabus.core.widgets import DatePicker


def add_service_errors(form: Form, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form: on its field when it names one.

    Services validate business rules and raise ValidationError({"field": ...}); the view
    shows those errors beside the field, like the form's own.
    """
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


class DateRangeForm(forms.Form):
    """A "Since"/"Until" filter of whole days, both optional, for the pages that list
    events or evidence over a period (audit trail, data exports, compliance).

    ``dates()`` fills what was left empty: until today, since ``default_days`` before
    the end date. Subclasses add their own fields (``field_order`` places them).
    """

    # The error for a start after the end; the audit trail words it its own way.
    order_error = gettext_lazy("The start date is after the end date.")
    since = forms.DateField(label=gettext_lazy("Since"), required=False, widget=DatePicker())
    until = forms.DateField(label=gettext_lazy("Until"), required=False, widget=DatePicker())

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            raise ValidationError(self.order_error)
        return data

    def dates(self, default_days: int) -> tuple[date, date]:
        """The period's first and last day (both included), defaults filled in; an
        unbound or invalid form gives the default period."""
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        until = data.get("until") or timezone.localdate()
        since = data.get("since") or until - timedelta(days=default_days)
        return since, until
