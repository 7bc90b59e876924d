"""HTML forms of the enrolment pages: input parsing only (the services decide)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from syllabus.accounts.models import Role
from syllabus.accounts.roles import COURSE
from syllabus.core.widgets import DatePicker
from syllabus.courses.models import Cohort, Course
from syllabus.courses.role_names import role_name


class KeyForm(forms.Form):
    key = forms.CharField(
        label=_("Enrolment key"),
        max_length=64,
        required=False,
        strip=True,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )


class PeopleFilterForm(forms.Form):
    q = forms.CharField(label=_("Search by name or email"), required=False, max_length=200)
    cohort = forms.CharField(required=False, max_length=40)
    role = forms.CharField(required=False, max_length=64)


def _end_date_field(required: bool = False) -> forms.DateField:
    return forms.DateField(
        label=_("Last day of access"),
        required=required,
        widget=DatePicker(),
        help_text=_("Learners only. Leave empty for no end date."),
    )


def _role_choices(roles: Any) -> list[tuple[str, str]]:
    return [(r.slug, role_name(r)) for r in roles]


class AddPersonForm(forms.Form):
    email = forms.EmailField(label=_("Email of an existing account"), max_length=254)
    role = forms.ChoiceField(label=_("Course role"), initial="learner")
    cohort = forms.ModelChoiceField(
        label=_("Cohort"),
        queryset=Cohort.objects.none(),
        required=False,
        empty_label=_("No cohort"),
    )
    ends_at = _end_date_field()
    override_capacity = forms.BooleanField(
        label=_("Enrol even if the course is full (beyond its capacity)"), required=False
    )

    def __init__(self, *args: Any, course: Course, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = _role_choices(Role.objects.filter(scope=COURSE))  # type: ignore[attr-defined]
        self.fields["cohort"].queryset = Cohort.objects.filter(course=course)  # type: ignore[attr-defined]


class MemberForm(forms.Form):
    role = forms.ChoiceField(label=_("Course role"))
    cohort = forms.ModelChoiceField(
        label=_("Cohort"),
        queryset=Cohort.objects.none(),
        required=False,
        empty_label=_("No cohort"),
    )
    ends_at = _end_date_field()

    def __init__(self, *args: Any, course: Course, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = _role_choices(Role.objects.filter(scope=COURSE))  # type: ignore[attr-defined]
        self.fields["cohort"].queryset = Cohort.objects.filter(course=course)  # type: ignore[attr-defined]

    def clean_ends_at(self) -> Any:
        value = self.cleaned_data.get("ends_at")
        if value is not None and value < timezone.localdate():
            raise forms.ValidationError(_("The last day of access cannot be in the past."))
        return value


class CohortForm(forms.Form):
    name = forms.CharField(label=_("Cohort name"), max_length=100)


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "UTF-8, with a header line: email (required), role, cohort, ends_at "
            "(YYYY-MM-DD). Commas or semicolons."
        ),
    )
    override_capacity = forms.BooleanField(
        label=_("Rows may enrol people beyond the course's capacity"), required=False
    )
    dry_run = forms.BooleanField(
        label=_("Dry run: only show what would happen, keep nothing"), required=False
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        limit = settings.UPLOAD_MAX_CSV_KB * 1024
        if upload.size is not None and upload.size > limit:
            raise forms.ValidationError(
                _("The file is larger than %(limit)s KB: split it.")
                % {"limit": settings.UPLOAD_MAX_CSV_KB}
            )
        return upload
