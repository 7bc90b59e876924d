"""Input parsing for the privacy pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from syllabus.privacy.models import DataRequest, PolicyDocument
from syllabus.privacy.services import BODY_MAX, REASON_MAX, TITLE_MAX


class ConsentForm(forms.Form):
    accept = forms.BooleanField(
        label=_("I have read and accept these documents"),
        error_messages={"required": _("Tick the box to accept, or sign out.")},
    )


class ErasureRequestForm(forms.Form):
    reason = forms.CharField(
        label=_("Anything the compliance team should know (optional)"),
        required=False,
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    confirm = forms.BooleanField(
        label=_(
            "I understand that once approved, my account and personal data are erased "
            "and cannot be restored"
        ),
        error_messages={"required": _("Confirm that you understand erasure cannot be undone.")},
    )


class OnBehalfForm(forms.Form):
    email = forms.EmailField(label=_("Email address of the person"))
    kind = forms.ChoiceField(label=_("Request"), choices=DataRequest.Kind.choices)
    reason = forms.CharField(
        label=_("How the person asked (letter, email, phone) and any reference"),
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("approve", _("Approve: erase now")), ("reject", _("Reject"))],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("Reason (required to reject; the person is told)"),
        required=False,
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if data.get("decision") == "reject" and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Say why the request is rejected: the person is told."))
        return data


class PolicyForm(forms.Form):
    kind = forms.ChoiceField(label=_("Document"), choices=PolicyDocument.Kind.choices)
    title = forms.CharField(label=_("Title"), max_length=TITLE_MAX)
    body = forms.CharField(
        label=_("Text (Markdown)"), max_length=BODY_MAX, widget=forms.Textarea(attrs={"rows": 14})
    )
