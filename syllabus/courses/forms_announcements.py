"""The announcement form (HTML input only; the service validates the rules)."""

from __future__ import annotations

from django import forms

from syllabus.courses.services_announcements import BODY_MAX, TITLE_MAX


class AnnouncementForm(forms.Form):
    title = forms.CharField(label="Title", max_length=TITLE_MAX)
    body = forms.CharField(
        label="Message",
        max_length=BODY_MAX,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text="Markdown: **bold**, *italic*, lists, [links](https://example.org).",
    )
