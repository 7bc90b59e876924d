"""HTML forms of the authoring pages: parsing only; the services hold the rules."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from syllabus.courses import uploads
from syllabus.courses.models import Category, Course, Lesson, Module
from syllabus.courses.permissions import courses_visible_to

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


def _when(label: StrOrPromise, help_text: StrOrPromise = "") -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label, required=False, widget=DateTimeLocalInput(), help_text=help_text
    )


class CourseNewForm(forms.Form):
    title = forms.CharField(max_length=200, label=_("Title"))
    summary = forms.CharField(
        max_length=500,
        required=False,
        label=_("Summary"),
        help_text=_("One or two sentences for the catalog."),
    )


class CourseSettingsForm(forms.Form):
    title = forms.CharField(max_length=200, label=_("Title"))
    summary = forms.CharField(
        max_length=500,
        required=False,
        label=_("Summary"),
        help_text=_("One or two sentences for the catalog."),
    )
    description = forms.CharField(
        required=False,
        max_length=50_000,
        label=_("Description"),
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Markdown: **bold**, *italic*, lists, links. Scripts and HTML are removed."),
    )
    category = forms.ModelChoiceField(
        queryset=Category.objects.all(),
        required=False,
        empty_label=_("No category"),
        label=_("Category"),
    )
    tags = forms.CharField(
        required=False,
        max_length=1000,
        label=_("Tags"),
        help_text=_("Separate tags with commas (at most 20)."),
    )
    level = forms.ChoiceField(choices=Course.Level.choices, label=_("Level"))
    estimated_hours = forms.DecimalField(
        required=False, min_value=0, max_value=9999, decimal_places=1, label=_("Estimated hours")
    )
    image = forms.FileField(
        required=False,
        label=_("New image"),
        help_text=uploads.describe_limit_lazy(uploads.IMAGE),
        widget=forms.FileInput(attrs={"accept": uploads.accept_attribute("image")}),
    )
    remove_image = forms.BooleanField(required=False, label=_("Remove the current image"))
    image_alt = forms.CharField(
        max_length=250,
        required=False,
        label=_("Image description (alt text)"),
        help_text=_("Required with an image: what it shows, for people who cannot see it."),
    )
    image_decorative = forms.BooleanField(
        required=False,
        label=_("The image is decorative"),
        help_text=_(
            "It adds nothing the text does not say: it gets no description and screen "
            "readers skip it."
        ),
    )
    available_from = _when(_("Opens"), _("Empty: open as soon as it is published."))
    available_until = _when(_("Closes"), _("Empty: no end date."))
    enrolment = forms.ChoiceField(choices=Course.Enrolment.choices, label=_("Who can enrol"))
    enrolment_key = forms.CharField(
        max_length=64,
        required=False,
        label=_("Enrolment key"),
        help_text=_("Needed when enrolment is by key."),
    )
    capacity = forms.IntegerField(
        required=False,
        min_value=1,
        label=_("Capacity"),
        help_text=_("Most learners at once; empty for no limit."),
    )
    default_enrolment_days = forms.IntegerField(
        required=False,
        min_value=1,
        label=_("Enrolment length (days)"),
        help_text=_("Enrolments end this many days after they start; empty for no end."),
    )
    completion_rule = forms.ChoiceField(
        choices=Course.CompletionRule.choices, label=_("Completion rule")
    )
    pass_grade = forms.DecimalField(
        required=False,
        min_value=0,
        max_value=100,
        decimal_places=2,
        label=_("Pass grade (%)"),
        help_text=_("Needed for the pass-grade rule."),
    )
    prerequisites = forms.ModelMultipleChoiceField(
        queryset=Course.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Prerequisites"),
        help_text=_("Courses a learner must complete before enrolling."),
    )

    def __init__(self, *args: Any, course: Course, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.course = course
        field = self.fields["prerequisites"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        # Courses the editor can see (published ones, and drafts they teach), and those
        # already required, so saving never drops a prerequisite they cannot see.
        field.queryset = (
            Course.objects.filter(
                courses_visible_to(user) | Q(pk__in=course.prerequisites.values("pk"))
            )
            .exclude(pk=course.pk)
            .exclude(status=Course.Status.ARCHIVED)
            .only("pk", "title")
            .order_by("title")
        )

    def clean_tags(self) -> list[str]:
        raw: str = self.cleaned_data.get("tags") or ""
        return [t.strip() for t in raw.split(",") if t.strip()]

    def changes(self) -> dict[str, Any]:
        """Service changes from the cleaned data (the image is handled on its own)."""
        data = dict(self.cleaned_data)
        data.pop("image", None)
        data.pop("remove_image", None)
        for key in ("summary", "description", "image_alt", "enrolment_key"):
            data[key] = data.get(key) or ""
        data["prerequisites"] = list(data.get("prerequisites") or [])
        return data


def course_settings_initial(course: Course) -> dict[str, Any]:
    initial: dict[str, Any] = {
        field: getattr(course, field)
        for field in CourseSettingsForm.base_fields
        if field not in ("tags", "prerequisites", "image", "remove_image", "category")
    }
    initial["category"] = course.category_id
    initial["tags"] = ", ".join(course.tags.order_by("name").values_list("name", flat=True))
    initial["prerequisites"] = list(course.prerequisites.values_list("pk", flat=True))
    return initial


class CopyForm(forms.Form):
    title = forms.CharField(max_length=200, label=_("Title of the copy"))


class ModuleForm(forms.Form):
    title = forms.CharField(max_length=200, label=_("Title"))
    summary = forms.CharField(max_length=500, required=False, label=_("Summary"))
    available_from = _when(_("Opens"), _("Empty: opens with the course."))


class LessonNewForm(forms.Form):
    title = forms.CharField(max_length=200, label=_("Title"))
    KIND_LABELS = {
        Lesson.Kind.TEXT: _("Text: a page written in Markdown"),
        Lesson.Kind.VIDEO: _("Video: an uploaded file or an address, with captions"),
        Lesson.Kind.FILE: _("File: a document to download"),
        Lesson.Kind.QUIZ: _("Quiz: questions graded on submit, with time limits and attempts"),
        Lesson.Kind.ASSIGNMENT: _("Assignment: text or files handed in, graded with a rubric"),
    }
    kind = forms.ChoiceField(widget=forms.RadioSelect, initial=Lesson.Kind.TEXT, label=_("Kind"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from syllabus.courses.services import creatable_kinds

        kind = self.fields["kind"]
        assert isinstance(kind, forms.ChoiceField)
        kind.choices = [(k, self.KIND_LABELS[Lesson.Kind(k)]) for k in creatable_kinds()]


class LessonForm(forms.Form):
    title = forms.CharField(max_length=200, label=_("Title"))
    module = forms.ModelChoiceField(
        queryset=Module.objects.none(), empty_label=None, label=_("Module")
    )
    body = forms.CharField(
        required=False,
        max_length=200_000,
        widget=forms.Textarea(attrs={"rows": 14}),
        label=_("Text"),
        help_text=_("Markdown. Scripts, event handlers and javascript: links are removed."),
    )
    video_url = forms.URLField(
        required=False,
        max_length=500,
        assume_scheme="https",
        label=_("Video address"),
        help_text=_("An external http(s) address, instead of uploading a file."),
    )
    video_duration_seconds = forms.IntegerField(
        required=False, min_value=0, label=_("Video length (seconds)")
    )
    captions_language = forms.CharField(
        max_length=16,
        required=False,
        label=_("Captions language"),
        help_text=_("A language tag such as en or fr."),
    )
    transcript = forms.CharField(
        required=False,
        max_length=500_000,
        widget=forms.Textarea(attrs={"rows": 8}),
        label=_("Transcript"),
        help_text=_("Required before a video lesson is published."),
    )
    is_required = forms.BooleanField(required=False, label=_("Required for completing the course"))
    estimated_minutes = forms.IntegerField(required=False, min_value=0, label=_("Minutes"))
    available_from = _when(_("Opens"), _("Empty: opens with its module."))
    due_at = _when(_("Due"))
    prerequisite = forms.ModelChoiceField(
        queryset=Lesson.objects.none(),
        required=False,
        label=_("Prerequisite"),
        empty_label=_("None: open at once"),
        help_text=_("This lesson opens once that one is complete."),
    )

    KIND_FIELDS = {
        Lesson.Kind.TEXT: {
            "video_url",
            "video_duration_seconds",
            "captions_language",
            "transcript",
        },
        Lesson.Kind.FILE: {
            "video_url",
            "video_duration_seconds",
            "captions_language",
            "transcript",
        },
        Lesson.Kind.VIDEO: set(),
    }

    def __init__(self, *args: Any, lesson: Lesson, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in self.KIND_FIELDS.get(Lesson.Kind(lesson.kind), set()):
            del self.fields[name]
        if lesson.kind != Lesson.Kind.TEXT:
            self.fields["body"].label = _("Introduction (optional)")
            self.fields["body"].help_text = _("Markdown, shown above the video or document.")
        module = self.fields["module"]
        assert isinstance(module, forms.ModelChoiceField)
        module.queryset = Module.objects.filter(course_id=lesson.course_id).order_by("position")
        prerequisite = self.fields["prerequisite"]
        assert isinstance(prerequisite, forms.ModelChoiceField)
        prerequisite.queryset = (
            Lesson.objects.filter(course_id=lesson.course_id)
            .exclude(pk=lesson.pk)
            .select_related("module")
            .order_by("module__position", "position")
        )
        prerequisite.label_from_instance = lambda obj: f"{obj.module.title}: {obj.title}"  # type: ignore[method-assign]

    def changes(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        for key in ("body", "video_url", "captions_language", "transcript"):
            if key in data and data[key] is None:
                data[key] = ""
        return data


def lesson_initial(lesson: Lesson) -> dict[str, Any]:
    initial = {field: getattr(lesson, field) for field in LessonForm.base_fields}
    initial["module"] = lesson.module_id
    initial["prerequisite"] = lesson.prerequisite_id
    return initial


class UploadForm(forms.Form):
    file = forms.FileField(label=_("File"))

    def __init__(self, *args: Any, kind: str, label: StrOrPromise, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["file"]
        field.label = label
        field.help_text = uploads.describe_limit(kind)
        field.widget.attrs["accept"] = uploads.accept_attribute(kind)
