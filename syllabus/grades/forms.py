"""HTML forms of the gradebook pages: parsing only; the services hold the rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from syllabus.courses.forms_authoring import DateTimeLocalInput
from syllabus.courses.models import Course
from syllabus.grades.imports import MAX_BYTES
from syllabus.grades.models import GradeCategory, GradeItem, LearnerVisibility


class CategoryForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    weight = forms.DecimalField(
        label=gettext_lazy("Weight"),
        min_value=0,
        max_value=1000,
        decimal_places=2,
        help_text=gettext_lazy(
            "Its share of the course grade: weight ÷ sum of the weights in use."
        ),
    )


class SchemeForm(forms.Form):
    scale = forms.CharField(
        label=gettext_lazy("Letter scale"),
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=gettext_lazy(
            "One letter per line with the lowest percent that earns it, for example "
            "“A 90”. Thresholds from 0 to 100, each used once; the lowest letter starts at 0."
        ),
    )
    uncategorised_weight = forms.DecimalField(
        label=gettext_lazy("Weight of uncategorised items"),
        required=False,
        min_value=0,
        max_value=1000,
        decimal_places=2,
        help_text=gettext_lazy(
            "Leave empty for an equal share: the mean weight of the categories in use."
        ),
    )

    def clean_scale(self) -> list[tuple[str, str]]:
        pairs = []
        for number, line in enumerate(self.cleaned_data["scale"].splitlines(), start=1):
            if not line.strip():
                continue
            parts = line.replace("\t", " ").replace("%", " ").split()
            if len(parts) != 2:
                raise forms.ValidationError(
                    _("Line %(number)s: write a letter and a percent, like “B 80”.")
                    % {"number": number}
                )
            pairs.append((parts[0], parts[1]))
        return pairs

    @staticmethod
    def scale_text(scale: list[tuple[str, Any]]) -> str:
        return "\n".join(f"{letter} {threshold}" for letter, threshold in scale)


class ItemForm(forms.Form):
    """A manual item's fields; quiz and assignment items get only category and counts."""

    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    max_points = forms.DecimalField(
        label=gettext_lazy("Maximum points"), min_value=0.01, max_value=100000, decimal_places=2
    )
    category = forms.ModelChoiceField(
        queryset=GradeCategory.objects.none(),
        label=gettext_lazy("Category"),
        required=False,
        empty_label=gettext_lazy("Uncategorised"),
    )
    due_at = forms.DateTimeField(
        label=gettext_lazy("Due"), required=False, widget=DateTimeLocalInput()
    )
    counts = forms.BooleanField(
        label=gettext_lazy("Counts towards the course grade"),
        required=False,
        initial=True,
        help_text=gettext_lazy("Untick for practice work: it still shows in the gradebook."),
    )
    learner_visibility = forms.ChoiceField(
        label=gettext_lazy("Learners see their grade"), choices=LearnerVisibility.choices
    )
    learner_visible_from = forms.DateTimeField(
        label=gettext_lazy("From"),
        required=False,
        widget=DateTimeLocalInput(),
        help_text=gettext_lazy("Only for “From a date”."),
    )

    SOURCE_FIELDS = ("category", "counts")

    def __init__(self, *args: Any, course: Course, item: GradeItem | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = GradeCategory.objects.filter(course=course)  # type: ignore[attr-defined]
        if item is not None and item.kind != GradeItem.Kind.MANUAL:
            for name in list(self.fields):
                if name not in self.SOURCE_FIELDS:
                    del self.fields[name]


class PointsForm(forms.Form):
    points = forms.CharField(
        label=gettext_lazy("Points"),
        max_length=20,
        required=False,
        help_text=gettext_lazy("Leave empty to clear the grade."),
    )


class OverrideForm(forms.Form):
    points = forms.CharField(max_length=20, label=gettext_lazy("Points that count"))
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Required. Kept in the grade's history and the audit trail."),
    )


class RemoveOverrideForm(forms.Form):
    remove_reason = forms.CharField(
        label=gettext_lazy("Why remove the override (optional)"), max_length=500, required=False
    )


class ConfirmDeleteForm(forms.Form):
    confirm = forms.BooleanField(
        label=gettext_lazy("Yes, delete the item and the grades learners have on it"),
        required=False,
    )


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("CSV file"),
        help_text=format_lazy(
            gettext_lazy("UTF-8 CSV with the columns email, item and points; at most {kb} KB."),
            kb=MAX_BYTES // 1024,
        ),
        widget=forms.FileInput(attrs={"accept": ".csv,text/csv"}),
    )
