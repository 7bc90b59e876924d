from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from syllabus.accounts.models import Role
from syllabus.accounts.roles import PERMISSIONS, permission_label


def _permission_choices() -> list[tuple[str, str]]:
    return [(code, f"{code}: {permission_label(code)}") for code in PERMISSIONS]


class RoleForm(forms.Form):
    name = forms.CharField(max_length=100)
    description = forms.CharField(max_length=300, required=False)
    permissions = forms.MultipleChoiceField(
        choices=_permission_choices,  # called when shown: in the page's language
        widget=forms.CheckboxSelectMultiple,
        help_text=_("A custom role may carry only permissions you hold yourself."),
    )


class GrantRoleForm(forms.Form):
    role = forms.ModelChoiceField(queryset=Role.objects.none(), empty_label=_("Choose a role"))

    def __init__(self, *args: Any, roles: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].queryset = roles  # type: ignore[attr-defined]


class PeopleSearchForm(forms.Form):
    q = forms.CharField(required=False, max_length=200, label=_("Search by name or email"))
    role = forms.SlugField(required=False)
