"""The gradebook: grade items (from quizzes, assignments, or entered by hand), weighted
categories, and one grade per learner and item.

Quizzes and assignments own their items: they create and update them through
``syllabus.grades.services.source_item_sync`` and write learners' results through
``source_grade_record``; manual items are created in the gradebook. A grade's
``points`` is what the source (or the grader) gave; an override replaces it in every
total, with a reason, and both are kept in history.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from syllabus.core.models import PublicIdField, TimeStampedModel
from syllabus.courses.models import Course


class GradeCategory(TimeStampedModel):
    """A weighted group of items (for example "Quizzes 40 %, Project 60 %")."""

    public_id = PublicIdField(prefix="gcat")
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="grade_categories")
    name = models.CharField(max_length=100)
    weight = models.DecimalField(
        max_digits=6,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("Share of the course grade, in percent of the sum of all weights."),
    )
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["course", "name"], name="grades_category_name_once"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.weight} %)"


class LearnerVisibility(models.TextChoices):
    ALWAYS = "always", _("Always")
    AFTER = "after", _("From a date")
    NEVER = "never", _("Never")


class GradeItem(TimeStampedModel):
    """One column of the gradebook."""

    class Kind(models.TextChoices):
        QUIZ = "quiz", _("Quiz")
        ASSIGNMENT = "assignment", _("Assignment")
        MANUAL = "manual", _("Manual")

    public_id = PublicIdField(prefix="gitm")
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="grade_items")
    category = models.ForeignKey(
        GradeCategory, on_delete=models.SET_NULL, null=True, blank=True, related_name="items"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.MANUAL)
    # The primary key of the quiz or assignment this item comes from (none for manual).
    source_id = models.PositiveBigIntegerField(null=True, blank=True)
    title = models.CharField(max_length=200)
    max_points = models.DecimalField(
        max_digits=8,
        decimal_places=2,
        default=Decimal("100"),
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    due_at = models.DateTimeField(null=True, blank=True)
    position = models.PositiveIntegerField(default=0)
    # Items not counted in totals still show in the gradebook (for example a practice quiz).
    counts = models.BooleanField(default=True)
    # When learners see their grade on this item: always, only from a date (a quiz whose
    # results show after its due date), or never (staff only). Staff always see it.
    learner_visibility = models.CharField(
        max_length=8, choices=LearnerVisibility.choices, default=LearnerVisibility.ALWAYS
    )
    learner_visible_from = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "source_id"],
                condition=models.Q(source_id__isnull=False),
                name="grades_item_source_once",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Grade(TimeStampedModel):
    """One learner's grade on one item."""

    item = models.ForeignKey(GradeItem, on_delete=models.CASCADE, related_name="grades")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="grades"
    )
    # Denormalised from the item so a learner's course grades are read without a join.
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="+")
    points = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    graded_at = models.DateTimeField(null=True, blank=True)
    graded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    override_points = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    override_reason = models.CharField(max_length=500, blank=True)
    overridden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    overridden_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["item", "user"], name="grades_grade_once"),
        ]
        indexes = [models.Index(fields=["user", "course"])]

    @property
    def effective_points(self) -> Decimal | None:
        """What counts: the override when there is one, else the points given."""
        return self.override_points if self.override_points is not None else self.points

    def __str__(self) -> str:
        return f"{self.user_id} on {self.item_id}: {self.effective_points}"


def default_scale() -> list[list[str]]:
    """A to F at 90/80/70/60/0 (stored as strings: JSON has no decimals)."""
    return [["A", "90.00"], ["B", "80.00"], ["C", "70.00"], ["D", "60.00"], ["F", "0.00"]]


class GradebookSettings(TimeStampedModel):
    """A course's letter scale and the weight of its uncategorised items (one row per
    course, made on first change; a course without one uses the defaults)."""

    course = models.OneToOneField(Course, on_delete=models.CASCADE, related_name="gradebook")
    # [[letter, lowest percent], ...], highest first; validated by calculation.validate_scale.
    letter_scale = models.JSONField(default=default_scale)
    # None: an equal share (the mean weight of the categories taking part).
    uncategorised_weight = models.DecimalField(
        max_digits=6,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )

    history = HistoricalRecords()

    def __str__(self) -> str:
        return f"Gradebook settings of {self.course_id}"

    @property
    def scale(self) -> list[tuple[str, Decimal]]:
        return [(letter, Decimal(threshold)) for letter, threshold in self.letter_scale]
