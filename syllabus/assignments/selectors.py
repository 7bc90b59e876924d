"""Reads of the assignments app: the grading queue, an assignment's submissions, a
learner's versions and what the lesson panel shows them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from django.conf import settings
from django.db.models import Count, Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from syllabus.assignments import late
from syllabus.assignments.models import Assignment, Extension, Submission, SubmissionFile
from syllabus.assignments.services import deadline
from syllabus.courses.models import Course, Lesson

UNGRADED, LATE, GRADED, ALL = "ungraded", "late", "graded", "all"
QUEUE_FILTERS: Final = {
    UNGRADED: gettext_lazy("Waiting to be graded"),
    LATE: gettext_lazy("Late and waiting"),
    GRADED: gettext_lazy("Graded"),
    ALL: gettext_lazy("All"),
}


def assignment_for_lesson(lesson: Lesson) -> Assignment | None:
    assignment = Assignment.objects.filter(lesson=lesson).select_related("course").first()
    if assignment is not None:
        assignment.lesson = lesson  # already loaded, with its course and module
    return assignment


def _with_files(submissions: QuerySet[Submission]) -> QuerySet[Submission]:
    return submissions.prefetch_related(
        Prefetch("files", queryset=SubmissionFile.objects.order_by("pk"))
    )


def grading_queue(*, course: Course, status: str = UNGRADED) -> QuerySet[Submission]:
    """Learners' latest versions across the course, oldest hand-in first."""
    submissions = Submission.objects.filter(course=course, is_latest=True)
    if status == UNGRADED:
        submissions = submissions.filter(graded_at__isnull=True)
    elif status == LATE:
        submissions = submissions.filter(graded_at__isnull=True, days_late__gt=0)
    elif status == GRADED:
        submissions = submissions.filter(graded_at__isnull=False)
    elif status != ALL:
        raise ValueError(f"Unknown queue filter {status!r}.")
    return (
        submissions.select_related("user", "assignment__lesson")
        .annotate(file_count=Count("files"))
        .order_by("submitted_at", "pk")
    )


def assignment_submissions(*, assignment: Assignment) -> QuerySet[Submission]:
    """Each learner's latest version of one assignment, oldest hand-in first."""
    return (
        Submission.objects.filter(assignment=assignment, is_latest=True)
        .select_related("user")
        .annotate(file_count=Count("files"))
        .order_by("submitted_at", "pk")
    )


def submission_versions(*, assignment: Assignment, user: Any) -> list[Submission]:
    """A learner's versions, newest first, with their files."""
    return list(
        _with_files(Submission.objects.filter(assignment=assignment, user=user)).order_by(
            "-version"
        )
    )


def extension_list(*, assignment: Assignment) -> QuerySet[Extension]:
    return Extension.objects.filter(assignment=assignment).select_related("user", "granted_by")


def extension_for(assignment: Assignment, user: Any) -> Extension | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return Extension.objects.filter(assignment=assignment, user=user).first()


@dataclass(frozen=True)
class LearnerView:
    """What the lesson panel shows a learner."""

    assignment: Assignment
    deadline: late.Deadline
    policy: str  # the late policy in words
    versions: list[Submission]
    refusal: str  # why they cannot hand in now ("" when they can)
    overdue: bool  # past the (extended) due date, not yet handed in
    released: bool  # grades, rubric and feedback are shown to learners now

    @property
    def latest(self) -> Submission | None:
        return self.versions[0] if self.versions else None


def learner_view(assignment: Assignment, user: Any, *, now: datetime | None = None) -> LearnerView:
    now = now or timezone.now()
    dates = deadline(assignment, extension_for(assignment, user))
    versions = submission_versions(assignment=assignment, user=user)
    refusal = late.submission_refusal(
        deadline=dates,
        now=now,
        has_previous=bool(versions),
        allow_resubmission=assignment.allow_resubmission,
    )
    if not refusal and len(versions) >= int(settings.ASSIGNMENT_MAX_VERSIONS):
        refusal = _("You have handed in %(count)s versions, the most this site accepts.") % {
            "count": len(versions)
        }
    return LearnerView(
        assignment=assignment,
        deadline=dates,
        policy=policy_words(assignment, dates),
        versions=versions,
        refusal=refusal,
        overdue=not versions and dates.due_at is not None and now > dates.due_at,
        released=assignment.grades_released(now),
    )


def policy_words(assignment: Assignment, dates: late.Deadline) -> str:
    return late.policy_in_words(
        policy=assignment.late_policy,
        per_day=assignment.penalty_percent_per_day,
        cap=assignment.penalty_max_percent,
        deadline=dates,
        allow_resubmission=assignment.allow_resubmission,
    )


def staff_summary(assignment: Assignment) -> dict[str, int]:
    """Counts for the staff view of the lesson panel."""
    latest = Submission.objects.filter(assignment=assignment, is_latest=True)
    return {
        "submitted": latest.count(),
        "waiting": latest.filter(graded_at__isnull=True).count(),
        "extensions": Extension.objects.filter(assignment=assignment).count(),
    }
