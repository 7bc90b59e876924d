"""The API token form: name, expiry and scopes (the permissions the user holds)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from syllabus.accounts.roles import permission_label
from syllabus.accounts.tokens import NAME_MAX_LENGTH, scopes_available

EXPIRY_CHOICES_DAYS = (7, 30, 90, 180, 365)


def expiry_choices() -> list[tuple[int, str]]:
    """The usual lifetimes up to SYLLABUS_API_TOKEN_MAX_DAYS, and that maximum itself."""
    maximum = settings.API_TOKEN_MAX_DAYS
    days = sorted({d for d in EXPIRY_CHOICES_DAYS if d <= maximum} | {maximum})
    return [(d, _days(d)) for d in days]


def _days(days: int) -> str:
    return ngettext("%(days)s day", "%(days)s days", days) % {"days": days}


class TokenCreateForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=NAME_MAX_LENGTH,
        help_text=_("What will use this token, so you recognise it later."),
    )
    days = forms.TypedChoiceField(
        coerce=int,
        label=_("Expires after"),
        help_text=_("Every token expires. Choose the shortest time that works."),
    )
    scopes = forms.MultipleChoiceField(
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Permissions"),
        help_text=(
            _(
                "The token can use only the permissions ticked here, and only while you hold them. "
                "With none ticked it can read what you can see as yourself."
            )
        ),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        days_field: Any = self.fields["days"]
        days_field.choices = expiry_choices()
        default = settings.API_TOKEN_DEFAULT_DAYS
        self.initial.setdefault("days", default)
        if default not in dict(days_field.choices):
            days_field.choices = sorted(
                [
                    *days_field.choices,
                    (
                        default,
                        ngettext("%(days)s day", "%(days)s days", default) % {"days": default},
                    ),
                ]
            )
        scopes_field: Any = self.fields["scopes"]
        scopes_field.choices = [
            (code, f"{code}: {permission_label(code)}") for code in scopes_available(user)
        ]
