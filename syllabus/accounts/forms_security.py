"""Forms of the security pages: one-time codes and phone numbers."""

from __future__ import annotations

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from syllabus.accounts.one_time_codes import CODE_DIGITS, normalise_phone


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=16,
        help_text=format_lazy(
            _("The {digits}-digit code we sent you. It works once, for 10 minutes."),
            digits=CODE_DIGITS,
        ),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false"}
        ),
    )

    def clean_code(self) -> str:
        code = "".join(str(self.cleaned_data["code"]).split())
        if not code.isdigit() or len(code) != CODE_DIGITS:
            raise forms.ValidationError(
                _("Enter the %(digits)s digits of the code.") % {"digits": CODE_DIGITS}
            )
        return code


class PhoneForm(forms.Form):
    phone = forms.CharField(
        label=_("Mobile phone number"),
        max_length=32,
        help_text=_("In international format, starting with + and the country code."),
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )

    def clean_phone(self) -> str:
        return normalise_phone(self.cleaned_data["phone"])
