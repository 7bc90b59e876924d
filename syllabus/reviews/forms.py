from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from syllabus.accounts.models import User
from syllabus.reviews.models import ReviewItem


class StartForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=200,
        required=False,
        help_text=_("Empty: 'Access review' and the quarter."),
    )
    reviewer = forms.EmailField(
        required=False,
        label=_("Reviewer for people without a manager"),
        help_text=_("Empty: you. Items are routed to each holder's manager first."),
    )

    def clean_reviewer(self) -> User | None:
        email = self.cleaned_data.get("reviewer")
        if not email:
            return None
        user = User.objects.filter(email__iexact=email, is_active=True).first()
        if user is None:
            raise forms.ValidationError(_("No active account has this email address."))
        return user


class DecideForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[
            (ReviewItem.Decision.KEEP, _("Keep")),
            (ReviewItem.Decision.REVOKE, _("Revoke")),
        ],
        label=_("Decision"),
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when revoking."),
    )


class SignOffForm(forms.Form):
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    confirm = forms.BooleanField(
        label=_("I confirm every assignment was reviewed and the revocations were applied.")
    )
