"""Forms of the sign-in part: sign-up (allauth's, plus a name), invitations, profile, lockouts."""

from __future__ import annotations

from typing import Any

from allauth.account.forms import SignupForm as AllauthSignupForm
from allauth.core import context as allauth_context
from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from syllabus.accounts.models import Role


class SignupForm(AllauthSignupForm):
    """allauth's sign-up form with the person's name; locked to the invited address."""

    full_name = forms.CharField(
        label=gettext_lazy("Full name"),
        max_length=200,
        required=False,
        help_text=gettext_lazy("How your name appears to instructors and other learners."),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    field_order = ["full_name", "email", "password1", "password2"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from syllabus.accounts.adapters import signup_email_for

        super().__init__(*args, **kwargs)
        request = allauth_context.request
        invited = signup_email_for(request) if request is not None else None
        if invited and "email" in self.fields:
            self.fields["email"].initial = invited
            self.fields["email"].widget.attrs["readonly"] = True
            self.fields["email"].help_text = "The address your invitation was sent to."


class InvitationForm(forms.Form):
    email = forms.EmailField(
        label=gettext_lazy("Email address"),
        max_length=254,
        help_text=gettext_lazy("The invitation link is sent to this address."),
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    role = forms.ModelChoiceField(
        label=gettext_lazy("Site role (optional)"),
        queryset=Role.objects.none(),
        required=False,
        empty_label=gettext_lazy("No site role"),
        help_text=gettext_lazy(
            "Granted when the invitation is accepted. You can only choose roles you "
            "may grant yourself."
        ),
    )

    def __init__(self, *args: Any, roles: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].queryset = roles  # type: ignore[attr-defined]


class ProfileForm(forms.Form):
    full_name = forms.CharField(
        label=gettext_lazy("Full name"),
        max_length=200,
        required=False,
        help_text=gettext_lazy("How your name appears to instructors and other learners."),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )


class LockoutClearForm(forms.Form):
    """Which lockout to clear: an account (email) or an address (IP), not both."""

    email = forms.CharField(required=False, max_length=254, widget=forms.HiddenInput)
    ip = forms.GenericIPAddressField(required=False, widget=forms.HiddenInput)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if bool(data.get("email")) == bool(data.get("ip")):
            raise forms.ValidationError(_("Choose one account or one address to clear."))
        return data
