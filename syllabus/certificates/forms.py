"""HTML forms of the certificates pages (parsing only; the services validate the rules)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from syllabus.certificates.codes import MAX_INPUT, normalize_code
from syllabus.certificates.services import REASON_MAX, VALIDITY_MAX_DAYS


class VerifyForm(forms.Form):
    code = forms.CharField(
        label=_("Certificate code"),
        max_length=MAX_INPUT,
        help_text=_(
            "The 16 characters printed on the certificate, such as 7KQ2-M9XD-4HTR-0BWE. "
            "Upper or lower case; spaces and hyphens do not matter."
        ),
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}
        ),
    )

    def clean_code(self) -> str:
        code = normalize_code(self.cleaned_data["code"])
        if code is None:
            raise forms.ValidationError(
                _(
                    "That is not a certificate code: a code has 16 letters and digits, "
                    "in four groups of four."
                )
            )
        return code


class RevokeForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=REASON_MAX,
        help_text=_(
            "Recorded in the audit trail and shown to the learner's instructors; "
            "the public verification page shows only that it is revoked."
        ),
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class SettingsForm(forms.Form):
    enabled = forms.BooleanField(
        label=_("Issue a certificate to each learner who completes the course"),
        required=False,
    )
    validity_days = forms.IntegerField(
        label=_("Valid for (days after completion)"),
        required=False,
        min_value=1,
        max_value=VALIDITY_MAX_DAYS,
        help_text=_(
            "Leave empty for certificates that never expire. Applies to certificates "
            "issued from now on; reissue a certificate to apply it to that one."
        ),
    )
