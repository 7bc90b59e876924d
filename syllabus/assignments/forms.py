"""HTML forms of the assignment pages: parsing only; the services hold the rules."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from syllabus.assignments.models import Assignment
from syllabus.assignments.rubric import parse_rubric_text, rubric_as_text
from syllabus.assignments.services import FEEDBACK_MAX, REASON_MAX, TEXT_MAX
from syllabus.courses import uploads
from syllabus.courses.forms_authoring import DateTimeLocalInput


def _when(label: Any, help_text: Any = "", required: bool = False) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label, required=required, widget=DateTimeLocalInput(), help_text=help_text
    )


RUBRIC_HELP = gettext_lazy(
    "Optional. One criterion per line (“Title: what it looks for”), each followed by its "
    "levels, one per line as “- points: title”. For example: “Argument: Is the thesis clear?” "
    "then “- 10: Clear and supported”, “- 5: Thin”, “- 0: Missing”. The best levels must add "
    "up to the maximum points. Empty: grade with points only."
)


class SettingsForm(forms.Form):
    instructions = forms.CharField(
        label=gettext_lazy("Instructions"),
        required=False,
        max_length=50_000,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=gettext_lazy(
            "What to do and how it is graded. Markdown; scripts and HTML are removed."
        ),
    )
    max_points = forms.DecimalField(
        label=gettext_lazy("Maximum points"),
        min_value=Decimal("0.01"),
        max_value=100_000,
        decimal_places=2,
    )
    due_at = _when(gettext_lazy("Due"), gettext_lazy("Empty: no due date (the lesson's due date)."))
    accept_text = forms.BooleanField(
        required=False, label=gettext_lazy("Learners may write their answer")
    )
    accept_files = forms.BooleanField(
        required=False, label=gettext_lazy("Learners may attach files")
    )
    allow_resubmission = forms.BooleanField(
        required=False,
        label=gettext_lazy("Learners may hand in new versions until the due date (or the cut-off)"),
    )
    late_policy = forms.ChoiceField(
        choices=Assignment.LatePolicy.choices,
        widget=forms.RadioSelect,
        label=gettext_lazy("Work handed in after the due date"),
    )
    penalty_percent_per_day = forms.DecimalField(
        # xgettext:no-python-format
        label=gettext_lazy("Penalty per started day late (% of the maximum)"),
        min_value=0,
        max_value=100,
        decimal_places=2,
        required=False,
    )
    penalty_max_percent = forms.DecimalField(
        label=gettext_lazy("Largest penalty (%)"),
        min_value=0,
        max_value=100,
        decimal_places=2,
        required=False,
    )
    cutoff_at = _when(
        gettext_lazy("Cut-off"),
        gettext_lazy("With “until a cut-off date”: late work is refused after it."),
    )
    grade_visibility = forms.ChoiceField(
        choices=[
            ("always", gettext_lazy("As soon as their work is graded")),
            ("after", gettext_lazy("From a date (all grades at once)")),
            ("never", gettext_lazy("Never (staff only)")),
        ],
        widget=forms.RadioSelect,
        label=gettext_lazy("Learners see their grade, rubric and feedback"),
    )
    grade_visible_from = _when(
        gettext_lazy("Grades shown from"), gettext_lazy("With “from a date”.")
    )
    rubric = forms.CharField(
        label=gettext_lazy("Rubric"),
        required=False,
        max_length=50_000,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=RUBRIC_HELP,
    )

    def __init__(self, *args: Any, assignment: Assignment, **kwargs: Any) -> None:
        self.assignment = assignment
        super().__init__(*args, **kwargs)

    def clean_rubric(self) -> list[dict[str, Any]]:
        return parse_rubric_text(self.cleaned_data.get("rubric") or "", self.assignment.rubric)

    def changes(self) -> dict[str, Any]:
        data = self.cleaned_data
        changes = {
            field: data[field]
            for field in (
                "instructions",
                "max_points",
                "accept_text",
                "accept_files",
                "allow_resubmission",
                "late_policy",
                "cutoff_at",
                "grade_visibility",
                "grade_visible_from",
            )
        }
        for field in ("penalty_percent_per_day", "penalty_max_percent"):
            if data.get(field) is not None:
                changes[field] = data[field]
        return changes


def settings_initial(assignment: Assignment) -> dict[str, Any]:
    initial = {
        field: getattr(assignment, field)
        for field in SettingsForm.base_fields
        if field not in ("due_at", "rubric")
    }
    initial["due_at"] = assignment.lesson.due_at
    initial["rubric"] = rubric_as_text(assignment.rubric)
    return initial


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; each is checked by the service, not here."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        if isinstance(data, list | tuple):
            return [item for item in data if item]
        return [data] if data else []


class SubmitForm(forms.Form):
    text = forms.CharField(
        required=False,
        label=gettext_lazy("Your answer"),
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=gettext_lazy("Markdown: **bold**, *italic*, lists, links."),
    )
    attachments = MultipleFileField(required=False, label=gettext_lazy("Files"))

    def __init__(self, *args: Any, assignment: Assignment, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        files = self.fields["attachments"]
        if assignment.accept_files:
            count = settings.ASSIGNMENT_MAX_FILES
            limit = min(int(settings.ASSIGNMENT_MAX_FILE_MB), int(settings.UPLOAD_MAX_FILE_MB))
            types = ", ".join(e.upper() for e in uploads.allowed_extensions(uploads.FILE))
            files.help_text = ngettext(
                "Up to %(count)s file, each at most %(limit)s MB: %(types)s.",
                "Up to %(count)s files, each at most %(limit)s MB: %(types)s.",
                count,
            ) % {"count": count, "limit": limit, "types": types}
            files.widget.attrs["accept"] = uploads.accept_attribute(uploads.FILE)
        else:
            del self.fields["attachments"]
        if not assignment.accept_text:
            del self.fields["text"]


class GradeForm(forms.Form):
    """Rubric levels arrive as ``level-<criterion id>`` radio fields (built per rubric)."""

    points = forms.DecimalField(
        required=False, min_value=0, decimal_places=2, label=gettext_lazy("Points")
    )
    adjustment = forms.DecimalField(
        required=False,
        decimal_places=2,
        label=gettext_lazy("Adjustment (points)"),
        help_text=gettext_lazy(
            "Optional: points added (or taken off, with a minus sign) to the rubric's."
        ),
    )
    feedback = forms.CharField(
        label=gettext_lazy("Feedback"),
        required=False,
        max_length=FEEDBACK_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=gettext_lazy("Markdown. The learner sees it with the grade."),
    )

    def __init__(self, *args: Any, assignment: Assignment, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rubric = assignment.rubric
        if self.rubric:
            del self.fields["points"]
            for criterion in self.rubric:
                self.fields[f"level-{criterion['id']}"] = forms.ChoiceField(
                    label=criterion["title"],
                    help_text=criterion.get("description", ""),
                    choices=[
                        (level["id"], f"{level['title']} ({_points_words(level['points'])})")
                        for level in criterion["levels"]
                    ],
                    widget=forms.RadioSelect,
                    error_messages={
                        "required": _("Choose a level for “%(title)s”.")
                        % {"title": criterion["title"]}
                    },
                )
        else:
            points = self.fields["points"]
            points.required = True
            points.widget.attrs["max"] = str(assignment.max_points)
            points.help_text = _("Out of %(max)s.") % {"max": _points(str(assignment.max_points))}
            del self.fields["adjustment"]
        # The rubric's levels first, then the adjustment and the feedback.
        order = [name for name in self.fields if name.startswith("level-")]
        order += [name for name in self.fields if not name.startswith("level-")]
        self.order_fields(order)

    def levels(self) -> dict[str, str]:
        return {
            c["id"]: self.cleaned_data[f"level-{c['id']}"]
            for c in self.rubric
            if self.cleaned_data.get(f"level-{c['id']}")
        }


def grade_initial(submission: Any) -> dict[str, Any]:
    initial: dict[str, Any] = {"feedback": submission.feedback}
    if submission.graded_at is not None:
        initial["points"] = submission.points
        initial["adjustment"] = submission.adjustment or None
        for pick in submission.rubric_scores:
            initial[f"level-{pick['criterion_id']}"] = pick["level_id"]
    return initial


class ExtensionForm(forms.Form):
    learner = forms.ChoiceField(label=gettext_lazy("Learner"))
    due_at = _when(gettext_lazy("New due date"), required=True)
    reason = forms.CharField(
        required=False, max_length=REASON_MAX, label=gettext_lazy("Reason (optional)")
    )

    def __init__(self, *args: Any, learners: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        learner = self.fields["learner"]
        assert isinstance(learner, forms.ChoiceField)
        learner.choices = [("", _("Choose a learner")), *learners]


def _points_words(value: str) -> str:
    if Decimal(value) == 1:
        return _("%(points)s point") % {"points": _points(value)}
    return _("%(points)s points") % {"points": _points(value)}


def _points(value: str) -> str:
    number = Decimal(value)
    # In the reader's number format (12,5 in Spanish).
    return number_format(Decimal(f"{number.normalize():f}"))
