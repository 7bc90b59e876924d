from __future__ import annotations

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from syllabus.accounts.models import Role
from syllabus.accounts.roles import COURSE
from syllabus.core.models import PublicIdField, TimeStampedModel


class Course(TimeStampedModel):
    """A course. Its content (modules, lessons), catalog fields and enrolment rules grow
    with the courses and learning work; here it is what course roles attach to."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"
        ARCHIVED = "archived", "Archived"

    public_id = PublicIdField(prefix="crs")
    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    summary = models.CharField(max_length=500, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ("title",)

    def __str__(self) -> str:
        return self.title


class CourseMembership(TimeStampedModel):
    """A person's role within one course: instructor, teaching assistant or learner.

    One role per person per course; a person can teach one course and learn in another.
    """

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

    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["course", "user"], name="courses_one_role_per_course"),
        ]
        indexes = [models.Index(fields=["user", "course"])]

    def __str__(self) -> str:
        return f"{self.user} is {self.role} in {self.course}"
