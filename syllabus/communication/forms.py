"""HTML forms of the notifications pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from syllabus.communication.models import NotificationPreference


class PreferenceForm(forms.Form):
    email_mode = forms.ChoiceField(
        label=_("Email me about notifications"),
        choices=NotificationPreference.EmailMode.choices,
        widget=forms.RadioSelect,
        help_text=_("You always see every notification here; this only decides the emails."),
    )
