"""The announcement form (HTML input only; the service validates the rules)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from syllabus.courses.services_announcements import BODY_MAX, TITLE_MAX


class AnnouncementForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=TITLE_MAX)
    body = forms.CharField(
        label=_("Message"),
        max_length=BODY_MAX,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_("Markdown: **bold**, *italic*, lists, [links](https://example.org)."),
    )
