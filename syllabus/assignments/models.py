"""Assignments: work a learner hands in (text and/or files), graded by hand, with or
without a rubric.

An assignment belongs to an assignment lesson (``Lesson.kind == "assignment"``), created
with it through the lesson-kind handler (``syllabus.courses.lesson_kinds``). Its due date
is the lesson's ``due_at`` (one date, shown everywhere the lesson is); a learner's
``Extension`` replaces it for that learner.

Late policy (``Assignment.late_policy``), for work handed in after the (extended) due date:

- ``penalty``: accepted; the grade loses ``penalty_percent_per_day`` percent of the
  maximum per started day late, at most ``penalty_max_percent``.
- ``cutoff``: accepted without penalty until ``cutoff_at`` (or the learner's extension
  when that is later), refused after.
- ``refuse``: refused.

A rubric is a list of criteria, each with levels worth points, kept as JSON on the
assignment (``rubric``)::

    [{"id": "c1a2b3", "title": "Argument", "description": "",
      "levels": [{"id": "l4d5e6", "title": "Clear", "description": "", "points": "10"}]}]

Ids are short random strings, never positions, so editing the rubric cannot make a grade
point at the wrong level. Grading picks one level per criterion; the submission keeps a
snapshot of what was picked (titles and points), so later rubric edits never change a
grade already given.

Every hand-in is a new ``Submission`` version (numbered from 1); the latest is the one
graded and shown.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from syllabus.core.models import PublicIdField, TimeStampedModel, new_public_id
from syllabus.courses.models import Course, Lesson
from syllabus.grades.models import LearnerVisibility


def _submission_upload_to(instance: object, filename: str) -> str:
    """Submitted files live under a random directory: names never collide or leak ids."""
    return f"assignments/{new_public_id('f', 20)}/{filename[-120:]}"


class Assignment(TimeStampedModel):
    class LatePolicy(models.TextChoices):
        PENALTY = "penalty", _("Accept late work with a penalty")
        CUTOFF = "cutoff", _("Accept late work until a cut-off date")
        REFUSE = "refuse", _("Refuse late work")

    public_id = PublicIdField(prefix="asg")
    lesson = models.OneToOneField(Lesson, on_delete=models.CASCADE, related_name="assignment")
    # Denormalised from the lesson: permission checks and queues without a join.
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="assignments")
    instructions = models.TextField(blank=True, help_text=_("Markdown."))
    instructions_html = models.TextField(blank=True, editable=False)
    max_points = models.DecimalField(
        max_digits=8,
        decimal_places=2,
        default=Decimal("100"),
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("100000"))],
    )
    accept_text = models.BooleanField(default=True)
    accept_files = models.BooleanField(default=True)
    allow_resubmission = models.BooleanField(default=True)
    late_policy = models.CharField(
        max_length=8, choices=LatePolicy.choices, default=LatePolicy.PENALTY
    )
    penalty_percent_per_day = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=Decimal("10"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    penalty_max_percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=Decimal("50"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    cutoff_at = models.DateTimeField(null=True, blank=True)
    rubric = models.JSONField(default=list, blank=True)
    # When learners see their grade, rubric and feedback (the gradebook item follows):
    # as soon as graded, from a date (all grades released together), or never (staff only).
    grade_visibility = models.CharField(
        max_length=8, choices=LearnerVisibility.choices, default=LearnerVisibility.ALWAYS
    )
    grade_visible_from = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords(excluded_fields=["instructions_html"])

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.lesson.title

    def grades_released(self, now: datetime | None = None) -> bool:
        """May learners see their grades (and rubric and feedback) now?"""
        if self.grade_visibility == LearnerVisibility.ALWAYS:
            return True
        if self.grade_visibility == LearnerVisibility.NEVER:
            return False
        now = now or timezone.now()
        return self.grade_visible_from is not None and self.grade_visible_from <= now


class Extension(TimeStampedModel):
    """A learner's own due date for one assignment (audited when granted or removed)."""

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="extensions")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assignment_extensions"
    )
    due_at = models.DateTimeField()
    reason = models.CharField(max_length=300, blank=True)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ["due_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["assignment", "user"], name="assign_extension_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} until {self.due_at:%Y-%m-%d %H:%M}"


class Submission(TimeStampedModel):
    """One version of a learner's work, and its grade once graded."""

    public_id = PublicIdField(prefix="sub")
    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="submissions")
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assignment_submissions"
    )
    version = models.PositiveIntegerField()
    is_latest = models.BooleanField(default=True)
    text = models.TextField(blank=True, help_text=_("Markdown."))
    text_html = models.TextField(blank=True, editable=False)
    submitted_at = models.DateTimeField()
    # What the due date was for this learner when they handed in, and how late it was.
    due_at = models.DateTimeField(null=True, blank=True)
    days_late = models.PositiveIntegerField(default=0)
    penalty_percent = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("0"))
    # The grade: rubric picks (snapshot) or points given directly, an adjustment, the
    # penalty in points, and what counts (after the penalty, within 0..max).
    rubric_scores = models.JSONField(default=list, blank=True)
    points = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    adjustment = models.DecimalField(max_digits=8, decimal_places=2, default=Decimal("0"))
    penalty_points = models.DecimalField(max_digits=8, decimal_places=2, default=Decimal("0"))
    final_points = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    feedback = models.TextField(blank=True, help_text=_("Markdown."))
    feedback_html = models.TextField(blank=True, editable=False)
    graded_at = models.DateTimeField(null=True, blank=True)
    graded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    history = HistoricalRecords(excluded_fields=["text_html", "feedback_html"])

    class Meta:
        ordering = ["assignment", "user", "version"]
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "user", "version"], name="assign_submission_version_once"
            ),
            models.UniqueConstraint(
                fields=["assignment", "user"],
                condition=models.Q(is_latest=True),
                name="assign_one_latest_submission",
            ),
        ]
        indexes = [
            models.Index(fields=["course", "is_latest", "graded_at", "submitted_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.assignment_id} by {self.user_id} (v{self.version})"

    @property
    def is_graded(self) -> bool:
        return self.graded_at is not None

    @property
    def is_late(self) -> bool:
        return self.days_late > 0

    @property
    def earned_points(self) -> Decimal | None:
        """The grade before the late penalty (rubric or points, plus the adjustment)."""
        return None if self.points is None else self.points + self.adjustment


class SubmissionFile(models.Model):
    public_id = PublicIdField(prefix="sbf")
    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="files")
    file = models.FileField(upload_to=_submission_upload_to, max_length=300)
    name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.name
