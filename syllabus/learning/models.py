"""Progress and completion: what each learner has done in each lesson and course."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from syllabus.courses.models import Course, Lesson


class LessonProgress(models.Model):
    """One learner in one lesson: opened, how much of a video was watched, completed."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lesson_progress"
    )
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="progress")
    # Denormalised from the lesson: course progress is counted without a join.
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="+")
    # A default, not auto_now_add: a row a result creates (a quiz passed before its lesson
    # was ever opened) is written once, opened and completed at the same moment.
    first_opened_at = models.DateTimeField(default=timezone.now)
    last_opened_at = models.DateTimeField(auto_now=True, db_index=True)
    # Video lessons: where the learner stopped, and the seconds watched at least once.
    video_position_seconds = models.FloatField(default=0)
    video_watched_seconds = models.FloatField(default=0)
    # Watched ranges as [[start, end], ...], merged; the base of video_watched_seconds.
    video_watched_ranges = models.JSONField(default=list, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "lesson"], name="learning_progress_once"),
        ]
        indexes = [models.Index(fields=["user", "course"])]

    def __str__(self) -> str:
        state = "complete" if self.completed_at else "in progress"
        return f"{self.user_id} in lesson {self.lesson_id}: {state}"


class CourseProgress(models.Model):
    """One learner's summary in one course, kept up to date by the progress services so
    dashboards and rosters read one row instead of counting lessons."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="course_progress"
    )
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="progress")
    completed_lessons = models.PositiveIntegerField(default=0)
    required_lessons = models.PositiveIntegerField(default=0)
    percent = models.PositiveSmallIntegerField(default=0)
    last_lesson = models.ForeignKey(
        Lesson, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    last_activity_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "course"], name="learning_course_progress_once"
            ),
        ]
        indexes = [models.Index(fields=["course", "percent"])]

    def __str__(self) -> str:
        return f"{self.user_id} in course {self.course_id}: {self.percent}%"


class DirectoryOptOut(models.Model):
    """A learner who opted out of directory information (FERPA): their directory fields
    (``SYLLABUS_DIRECTORY_FIELDS``: name and email by default) are withheld from rosters,
    directories, other learners and the API. A row means opted out."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="directory_opt_out"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.user_id} opted out of directory information"
