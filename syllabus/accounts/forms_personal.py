"""The personal details form on the profile page (values are encrypted when saved)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from syllabus.core.widgets import DatePicker


class PersonalDetailsForm(forms.Form):
    date_of_birth = forms.DateField(
        label=_("Date of birth"),
        required=False,
        widget=DatePicker(attrs={"autocomplete": "bday"}),
    )
    postal_address = forms.CharField(
        label=_("Postal address"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "street-address"}),
    )
    id_number = forms.CharField(
        label=_("National or student id number"),
        required=False,
        max_length=64,
        help_text=_("As on your student card or id document. Administrators can find you by it."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    accommodation_notes = forms.CharField(
        label=_("Accommodation needs"),
        required=False,
        max_length=2000,
        help_text=_("For example extra time in quizzes, or captions on every video."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    medical_notes = forms.CharField(
        label=_("Medical notes"),
        required=False,
        max_length=2000,
        help_text=_("Only what staff should know in an emergency. Optional."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
