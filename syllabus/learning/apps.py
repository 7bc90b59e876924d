from typing import Any

from django.apps import AppConfig


class LearningConfig(AppConfig):
    name = "syllabus.learning"
    label = "learning"
    verbose_name = "Learning"

    def ready(self) -> None:
        from syllabus.courses.cache import course_changed
        from syllabus.courses.prerequisites import register_completion_source
        from syllabus.learning.services import completed_course_ids

        # Course prerequisites ask learning which courses a person completed.
        register_completion_source(completed_course_ids)
        course_changed.connect(on_course_changed, dispatch_uid="learning.recount")


# Courses with more progress rows than this are recounted by a background job.
INLINE_RECOUNT_ROWS = 200


def on_course_changed(sender: Any, course_id: int, **kwargs: Any) -> None:
    """A course's content changed (sent after commit): learners' summaries including it
    are stale, and their progress is recounted (required lessons may have changed)."""
    import structlog

    from syllabus.learning.models import CourseProgress
    from syllabus.learning.selectors import (
        counted_fingerprint,
        forget_course_summaries,
        remember_counted_fingerprint,
        required_fingerprint,
    )
    from syllabus.learning.services import course_progress_recount
    from syllabus.learning.tasks import course_progress_recount_task

    forget_course_summaries(course_id)
    # Enrolments, titles, announcements... also send the signal: recount only when the
    # required lessons or the completion rule changed since the last recount.
    fingerprint = required_fingerprint(course_id)
    if counted_fingerprint(course_id) == fingerprint:
        return
    rows = CourseProgress.objects.filter(course_id=course_id).count()
    if not rows:  # nothing to recount; rows created later are counted when created
        remember_counted_fingerprint(course_id, fingerprint)
        return
    if rows > INLINE_RECOUNT_ROWS:
        course_progress_recount_task(course_id)
        return
    try:
        course_progress_recount(course_id=course_id)
    except Exception:  # the author's change is saved: never fail their request for this
        structlog.get_logger(__name__).exception("learning.recount_failed", course_id=course_id)
        course_progress_recount_task(course_id)
