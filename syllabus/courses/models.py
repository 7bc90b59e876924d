from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from syllabus.accounts.models import Role
from syllabus.accounts.roles import COURSE
from syllabus.core.models import PublicIdField, TimeStampedModel, new_public_id


def _course_upload_to(instance: Any, filename: str) -> str:
    """Uploaded files live under a random directory: names never collide or leak ids."""
    return f"courses/{new_public_id('f', 20)}/{Path(filename).name[-120:]}"


class Category(models.Model):
    """A catalog section (e.g. "Data and analytics")."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.CharField(max_length=300, blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ("position", "name")
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name


class Tag(models.Model):
    """A free keyword on courses, used by catalog filters and search."""

    name = models.CharField(max_length=50, unique=True)
    slug = models.SlugField(max_length=50, unique=True)

    class Meta:
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name


class Course(TimeStampedModel):
    """A course: catalog fields, enrolment rules, completion rule; content in modules."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        ARCHIVED = "archived", _("Archived")

    class Level(models.TextChoices):
        BEGINNER = "beginner", _("Beginner")
        INTERMEDIATE = "intermediate", _("Intermediate")
        ADVANCED = "advanced", _("Advanced")

    class Enrolment(models.TextChoices):
        OPEN = "open", _("Open: anyone signed in can enrol")
        KEY = "key", _("With an enrolment key")
        MANUAL = "manual", _("By instructors and managers only")

    class CompletionRule(models.TextChoices):
        ALL_REQUIRED = "all_required", _("Complete every required lesson")
        PASS_GRADE = "pass_grade", _("Reach the pass grade")

    public_id = PublicIdField(prefix="crs")
    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    summary = models.CharField(max_length=500, blank=True)
    description = models.TextField(blank=True, help_text=_("Markdown."))
    description_html = models.TextField(blank=True, editable=False)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField(null=True, blank=True)
    category = models.ForeignKey(
        Category, on_delete=models.SET_NULL, null=True, blank=True, related_name="courses"
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="courses")
    level = models.CharField(max_length=12, choices=Level.choices, default=Level.BEGINNER)
    estimated_hours = models.DecimalField(
        max_digits=5,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(9999)],
    )
    image = models.FileField(upload_to=_course_upload_to, blank=True, max_length=300)
    image_alt = models.CharField(max_length=250, blank=True)
    # An image that only decorates is shown with alt="" (screen readers skip it); any
    # other needs its description before the course can be published (WCAG 1.1.1).
    image_decorative = models.BooleanField(default=False)
    available_from = models.DateTimeField(null=True, blank=True)
    available_until = models.DateTimeField(null=True, blank=True)
    enrolment = models.CharField(max_length=8, choices=Enrolment.choices, default=Enrolment.OPEN)
    enrolment_key = models.CharField(max_length=64, blank=True)
    capacity = models.PositiveIntegerField(
        null=True, blank=True, help_text=_("Most learners at once; empty for no limit.")
    )
    default_enrolment_days = models.PositiveIntegerField(
        null=True, blank=True, help_text=_("Enrolments end this many days after they start.")
    )
    prerequisites = models.ManyToManyField(
        "self", symmetrical=False, blank=True, related_name="required_by"
    )
    completion_rule = models.CharField(
        max_length=12, choices=CompletionRule.choices, default=CompletionRule.ALL_REQUIRED
    )
    pass_grade = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=_("Percent, for the pass-grade completion rule."),
    )
    copied_from = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="copies"
    )
    # Title, summary, description, category and tags as one text: what search indexes.
    search_text = models.TextField(blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ("title",)
        indexes = [models.Index(fields=["status", "category"])]

    def __str__(self) -> str:
        return self.title


class CourseMembership(TimeStampedModel):
    """A person's role within one course: instructor, teaching assistant or learner.

    One role per person per course; a person can teach one course and learn in another.
    """

    class Source(models.TextChoices):
        MANUAL = "manual", _("Added by staff")
        SELF = "self", _("Self-enrolment")
        KEY = "key", _("Enrolment key")
        CSV = "csv", _("Bulk import")
        WAITLIST = "waitlist", _("From the waiting list")

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="course_memberships"
    )
    role = models.ForeignKey(
        Role,
        on_delete=models.PROTECT,
        related_name="course_memberships",
        limit_choices_to={"scope": COURSE},
    )
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    source = models.CharField(
        max_length=10,
        choices=Source.choices,
        default=Source.MANUAL,
        help_text=_("How they joined."),
    )
    cohort = models.ForeignKey(
        "Cohort", on_delete=models.SET_NULL, null=True, blank=True, related_name="memberships"
    )
    ends_at = models.DateTimeField(
        null=True, blank=True, help_text=_("Access ends at this time; empty for no end.")
    )

    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["course", "user"], name="courses_one_role_per_course"),
        ]
        indexes = [models.Index(fields=["user", "course"])]

    def __str__(self) -> str:
        return f"{self.user} is {self.role} in {self.course}"


class Cohort(TimeStampedModel):
    """A group of learners within one course (a class, a shift, a team)."""

    public_id = PublicIdField(prefix="coh")
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="cohorts")
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ("name",)
        constraints = [
            models.UniqueConstraint(fields=["course", "name"], name="courses_cohort_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class WaitlistEntry(TimeStampedModel):
    """Someone waiting for a place in a full course; first come, first served."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="waitlist")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="waitlist_entries"
    )

    class Meta:
        ordering = ("created_at", "pk")
        constraints = [
            models.UniqueConstraint(fields=["course", "user"], name="courses_waitlist_once"),
        ]


class EnrolmentImport(TimeStampedModel):
    """A bulk enrolment CSV: parsed and previewed first, applied on confirmation."""

    class Status(models.TextChoices):
        PREVIEWED = "previewed", _("Previewed")
        APPLIED = "applied", _("Applied")

    public_id = PublicIdField(prefix="imp")
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="imports")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    filename = models.CharField(max_length=200, blank=True)
    content = models.TextField(help_text=_("The CSV as uploaded (UTF-8)."))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PREVIEWED)
    report = models.JSONField(default=dict, blank=True)
    applied_at = models.DateTimeField(null=True, blank=True)


class Module(TimeStampedModel):
    """A section of a course: an ordered list of lessons."""

    public_id = PublicIdField(prefix="mod")
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="modules")
    title = models.CharField(max_length=200)
    summary = models.CharField(max_length=500, blank=True)
    position = models.PositiveIntegerField(default=0)
    is_published = models.BooleanField(default=False)
    available_from = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("course", "position", "pk")
        indexes = [models.Index(fields=["course", "position"])]

    def __str__(self) -> str:
        return self.title


class Lesson(TimeStampedModel):
    """One lesson: text (Markdown), video (upload or URL, with captions), a file, or,
    with assessments, a quiz or an assignment."""

    class Kind(models.TextChoices):
        TEXT = "text", _("Text")
        VIDEO = "video", _("Video")
        FILE = "file", _("File")
        QUIZ = "quiz", _("Quiz")
        ASSIGNMENT = "assignment", _("Assignment")

    public_id = PublicIdField(prefix="les")
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="lessons")
    module = models.ForeignKey(Module, on_delete=models.CASCADE, related_name="lessons")
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.TEXT)
    position = models.PositiveIntegerField(default=0)
    is_published = models.BooleanField(default=False)
    is_required = models.BooleanField(default=True)
    available_from = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    estimated_minutes = models.PositiveIntegerField(null=True, blank=True)
    prerequisite = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="unlocks",
        help_text=_("This lesson opens once that one is complete."),
    )
    # Text lessons (and the introduction of other kinds): Markdown, rendered on save.
    body = models.TextField(blank=True)
    body_html = models.TextField(blank=True, editable=False)
    # Video lessons: an uploaded file or an external URL, captions and a transcript.
    video = models.FileField(upload_to=_course_upload_to, blank=True, max_length=300)
    video_url = models.URLField(blank=True, max_length=500)
    video_duration_seconds = models.PositiveIntegerField(null=True, blank=True)
    captions = models.FileField(upload_to=_course_upload_to, blank=True, max_length=300)
    captions_language = models.CharField(max_length=16, default="en", blank=True)
    transcript = models.TextField(blank=True)
    # File lessons: a document to download.
    file = models.FileField(upload_to=_course_upload_to, blank=True, max_length=300)
    file_name = models.CharField(max_length=200, blank=True)
    file_content_type = models.CharField(max_length=100, blank=True)
    file_size = models.PositiveBigIntegerField(null=True, blank=True)
    copied_from = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="copies"
    )

    class Meta:
        ordering = ("module__position", "position", "pk")
        indexes = [
            models.Index(fields=["module", "position"]),
            models.Index(fields=["course", "is_published"]),
        ]

    def __str__(self) -> str:
        return self.title


class Announcement(TimeStampedModel):
    """A message from a course's teachers to its learners."""

    public_id = PublicIdField(prefix="ann")
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="announcements")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    title = models.CharField(max_length=200)
    body = models.TextField(help_text=_("Markdown."))
    body_html = models.TextField(blank=True, editable=False)

    class Meta:
        ordering = ("-created_at", "-pk")
        indexes = [models.Index(fields=["course", "-created_at"])]

    def __str__(self) -> str:
        return self.title
