"""Helpers shared by the HTML forms of every app."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.forms import Form


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
