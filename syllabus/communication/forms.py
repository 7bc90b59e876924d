"""HTML forms of the notifications pages."""

from __future__ import annotations

from django import forms

from syllabus.communication.models import NotificationPreference


class PreferenceForm(forms.Form):
    email_mode = forms.ChoiceField(
        label="Email me about notifications",
        choices=NotificationPreference.EmailMode.choices,
        widget=forms.RadioSelect,
        help_text="You always see every notification here; this only decides the emails.",
    )
