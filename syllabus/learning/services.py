"""Every write to progress: opening and completing lessons, video watching, course
progress and completion. Each runs in one transaction with its audit event, and makes
the learner's cached progress summary stale (after commit).

Completion rules (``Course.completion_rule``):

- ``all_required``: every required, published lesson (in a published module) completed.
  A course with no required lesson never completes (0 %).
- ``pass_grade``: the learner's course grade reaches ``Course.pass_grade``. Grades come
  from the assessments app, which registers a source with ``register_grade_source``.
  With no source registered (today), pass-grade courses never complete on lessons alone;
  their percent still shows lesson progress.

``completed_at`` is set once and never cleared: a course that later gains lessons keeps
the completion its learners earned (their percent may drop).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connections, router, transaction
from django.db.models import Count, F, Field, Model, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from syllabus.audit.services import record
from syllabus.courses.models import Course, Lesson
from syllabus.learning.access import Access, lesson_access
from syllabus.learning.models import CourseProgress, LessonProgress
from syllabus.learning.ranges import (
    MAX_DURATION_SECONDS,
    RangeError,
    merge,
    parse_ranges,
    watched_percent,
    watched_seconds,
)
from syllabus.learning.selectors import (
    forget_course_summaries,
    forget_progress_summary,
    remember_counted_fingerprint,
    required_fingerprint,
    required_lesson_ids,
)
from syllabus.learning.signals import course_completed

# --- Grades (registered by the assessments app) ---------------------------------------------

GradeSource = Callable[[Any, Course], "float | Decimal | None"]
_grade_sources: list[GradeSource] = []


def register_grade_source(source: GradeSource) -> None:
    """``source(user, course)`` returns the user's course grade in percent, or None when
    there is no grade yet. The first source with a grade answers."""
    if source not in _grade_sources:
        _grade_sources.append(source)


def unregister_grade_source(source: GradeSource) -> None:
    if source in _grade_sources:
        _grade_sources.remove(source)


def course_grade(user: Any, course: Course) -> Decimal | None:
    for source in _grade_sources:
        grade = source(user, course)
        if grade is not None:
            return Decimal(str(grade))
    return None


def completed_course_ids(user: Any, course_ids: Any) -> set[int]:
    """For ``syllabus.courses.prerequisites``: the courses among ``course_ids`` that the
    user completed."""
    if not getattr(user, "is_authenticated", False):
        return set()
    return set(
        CourseProgress.objects.filter(
            user=user, course_id__in=list(course_ids), completed_at__isnull=False
        ).values_list("course_id", flat=True)
    )


# --- Errors ------------------------------------------------------------------------------------


class LessonUnavailable(PermissionDenied):
    """The lesson cannot be opened by this person now (the reason says why)."""

    def __init__(self, access: Access) -> None:
        super().__init__(access.reason)
        self.code = access.code
        self.hidden = access.hidden


class StaffPreview(PermissionDenied):
    code = "forbidden"

    def __init__(self) -> None:
        super().__init__(
            _(
                "Progress is recorded for enrolled learners only: you are viewing this course "
                "as its staff."
            )
        )


def _learner_access(user: Any, lesson: Lesson) -> None:
    access = lesson_access(user, lesson)
    if access.staff:
        raise StaffPreview
    if not access.allowed:
        raise LessonUnavailable(access)


def manual_completion(lesson: Lesson) -> tuple[bool, str]:
    """May a learner mark this lesson complete themselves? ``(allowed, reason if not)``.

    Text and file lessons yes; videos hosted elsewhere yes (we cannot see them played);
    uploaded videos complete from the watched share; quizzes and assignments from their
    results.
    """
    if lesson.kind in (Lesson.Kind.TEXT, Lesson.Kind.FILE):
        return True, ""
    if lesson.kind == Lesson.Kind.VIDEO:
        if lesson.video:
            return False, (
                _("This video completes once you have watched %(percent)s%% of it.")
                % {"percent": settings.VIDEO_COMPLETION_PERCENT}
            )
        return True, ""
    return False, _("This lesson completes with its assessment.")


# --- Lesson progress ---------------------------------------------------------------------------


ModelT = TypeVar("ModelT", bound=Model)


@dataclass(frozen=True)
class Opened:
    """What opening a lesson recorded: the lesson's progress and the course's."""

    progress: LessonProgress
    course_progress: CourseProgress


def lesson_opened(
    *,
    user: Any,
    lesson: Lesson,
    now: datetime | None = None,
    completed: Collection[int] | None = None,
) -> Opened | None:
    """A learner opened a lesson: remember it (resume, last activity). Staff previews
    record nothing (returns None).

    ``completed``: the lessons the learner completed in the course, when the caller has
    them already (the access check then needs no query for them).

    Opening changes no count (only completing does), so only the lesson's last opening
    and the course's resume point are written: the commonest write of the site, every
    lesson page a learner opens. A lesson opened before costs two statements, each an
    ``UPDATE ... RETURNING`` that gives back the row it changed (``_update_returning``,
    then ``_course_after_lesson``); the first opening of a lesson, or of a course, takes
    the full path.
    """
    access = lesson_access(user, lesson, completed=completed)
    if access.staff:
        return None
    if not access.allowed:
        raise LessonUnavailable(access)
    now = now or timezone.now()
    progress = _update_returning(
        LessonProgress, {"last_opened_at": now}, user=user.pk, lesson=lesson.pk
    )
    if progress is None:
        return _first_opened(user=user, lesson=lesson, now=now)
    course_progress = _course_after_lesson(user=user, lesson=lesson, now=now)
    return Opened(progress=progress, course_progress=course_progress)


@transaction.atomic
def _first_opened(*, user: Any, lesson: Lesson, now: datetime) -> Opened:
    progress, created = LessonProgress.objects.get_or_create(
        user=user, lesson=lesson, defaults={"course_id": lesson.course_id}
    )
    if not created:  # opened meanwhile, in another tab
        progress.save(update_fields=["last_opened_at"])  # auto_now
    course_progress = _course_after_lesson(user=user, lesson=lesson, now=now)
    return Opened(progress=progress, course_progress=course_progress)


def _update_returning(model: type[ModelT], values: dict[str, Any], **where: Any) -> ModelT | None:
    """``UPDATE model SET values WHERE where RETURNING *``: the changed row, as an
    instance, in one statement; None when no row matched (``where`` must pick at most
    one). Hand-written because Django's ORM has no UPDATE ... RETURNING (``update()``
    returns a count); PostgreSQL and SQLite (3.35+) both have it. Fields are given by
    name, foreign keys by primary key; values go through the fields' own conversion."""
    meta = model._meta
    alias = router.db_for_write(model)  # also tells the replica router this request wrote
    connection = connections[alias]
    quote = connection.ops.quote_name

    def field(name: str) -> Field[Any, Any]:
        found = meta.get_field(name)
        if not isinstance(found, Field) or not found.column:
            raise ValueError(f"{model.__name__}.{name} is not a column")
        return found

    def column(name: str) -> str:
        return quote(str(field(name).column))

    def prepared(name: str, value: Any) -> Any:
        return field(name).get_db_prep_save(value, connection)

    # Only quoted names from the model's own definition go into the text; values are
    # parameters.
    sets = ", ".join(f"{column(name)} = %s" for name in values)
    conditions = " AND ".join(f"{column(name)} = %s" for name in where)
    returned = ", ".join(quote(field.column) for field in meta.concrete_fields)
    table = quote(meta.db_table)
    sql = f"UPDATE {table} SET {sets} WHERE {conditions} RETURNING {returned}"  # noqa: S608  # nosec B608  # quoted names
    params = [prepared(name, value) for name, value in values.items()]
    params += [prepared(name, value) for name, value in where.items()]
    rows = list(model._default_manager.db_manager(alias).raw(sql, params))
    return rows[0] if rows else None


def _course_after_lesson(
    *, user: Any, lesson: Lesson, now: datetime, newly_completed: bool = False
) -> CourseProgress:
    """The learner was last in ``lesson``, whose progress was just written. Only a lesson
    completed for the first time changes the counts, so only then is the course recounted
    (and its completion rule applied); otherwise the resume point and the last activity
    are written, in one ``UPDATE ... RETURNING`` (the full recount when the learner has no
    row yet)."""
    course_progress = (
        None
        if newly_completed
        else _update_returning(
            CourseProgress,
            {"last_lesson": lesson.pk, "last_activity_at": now},
            user=user.pk,
            course=lesson.course_id,
        )
    )
    if course_progress is None:
        return _course_progress_update(user=user, course=lesson.course, last_lesson=lesson, now=now)
    forget_progress_summary(user.pk)
    return course_progress


@transaction.atomic
def lesson_complete(
    *, user: Any, lesson: Lesson, now: datetime | None = None, opened_file: bool = False
) -> LessonProgress:
    """Mark a lesson complete (idempotent: completing it again changes nothing).

    ``opened_file``: the learner downloaded a file lesson's document, which completes it.
    """
    _learner_access(user, lesson)
    if opened_file:
        if lesson.kind != Lesson.Kind.FILE:
            raise ValidationError(_("Only file lessons complete when their file is opened."))
    else:
        allowed, reason = manual_completion(lesson)
        if not allowed:
            raise ValidationError(reason)
    now = now or timezone.now()
    progress, _created = LessonProgress.objects.select_for_update().get_or_create(
        user=user, lesson=lesson, defaults={"course_id": lesson.course_id}
    )
    newly_completed = progress.completed_at is None
    if newly_completed:
        progress.completed_at = now
        progress.save(update_fields=["completed_at", "last_opened_at"])
    _course_after_lesson(user=user, lesson=lesson, now=now, newly_completed=newly_completed)
    return progress


def lesson_result_complete(
    *, user: Any, lesson: Lesson, now: datetime | None = None
) -> LessonProgress:
    """A quiz or assignment lesson is complete because its owner app says so (a quiz
    passed or submitted, an assignment handed in...). Idempotent, like
    ``lesson_complete``, but with no access check: the result was earned while the
    learner had access, and a grade given later still counts."""
    if lesson.kind not in (Lesson.Kind.QUIZ, Lesson.Kind.ASSIGNMENT):
        raise ValidationError(_("Only quiz and assignment lessons complete from their results."))
    # Inside the caller's transaction (a quiz submit, an assignment handed in) without a
    # savepoint of its own, as ``source_grade_record``.
    with transaction.atomic(savepoint=False):
        return _result_complete(user=user, lesson=lesson, now=now or timezone.now())


def _result_complete(*, user: Any, lesson: Lesson, now: datetime) -> LessonProgress:
    progress = LessonProgress.objects.select_for_update().filter(user=user, lesson=lesson).first()
    if progress is None:
        # The result came first (no opening recorded): one row, complete from the start.
        try:
            with transaction.atomic():
                progress = LessonProgress.objects.create(
                    user=user,
                    lesson=lesson,
                    course_id=lesson.course_id,
                    first_opened_at=now,
                    last_opened_at=now,
                    completed_at=now,
                )
        except IntegrityError:  # opened at the same moment: complete that row
            progress = LessonProgress.objects.select_for_update().get(user=user, lesson=lesson)
    # Never before the row's first opening.
    now = max(now, progress.first_opened_at)
    newly_completed = progress.completed_at is None
    if newly_completed:
        progress.completed_at = now
        progress.save(update_fields=["completed_at", "last_opened_at"])
    _course_after_lesson(user=user, lesson=lesson, now=now, newly_completed=newly_completed)
    return progress


def _number(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValidationError(_("%(name)s must be a number of seconds.") % {"name": name})
    return float(value)


@transaction.atomic
def video_progress(
    *,
    user: Any,
    lesson: Lesson,
    ranges: Any,
    position: Any,
    duration: Any = None,
    now: datetime | None = None,
) -> LessonProgress:
    """Record what a learner watched of an uploaded video: merge the reported ranges into
    the stored ones (capped to the video), keep the position to resume from, and complete
    the lesson once the watched share reaches SYLLABUS_VIDEO_COMPLETION_PERCENT.

    The video's length is the lesson's ``video_duration_seconds``; when the instructor did
    not give it, the player's reported ``duration`` is used (bounded to 24 hours).
    """
    _learner_access(user, lesson)
    if lesson.kind != Lesson.Kind.VIDEO or not lesson.video:
        raise ValidationError(_("Only uploaded videos report what was watched."))
    if lesson.video_duration_seconds:
        length = float(lesson.video_duration_seconds)
    else:
        if duration is None:
            raise ValidationError(_("Send the video's duration in seconds."))
        length = _number(duration, "duration")
        if not 0 < length <= MAX_DURATION_SECONDS:
            raise ValidationError(_("The duration must be between 0 and 24 hours."))
    try:
        reported = parse_ranges(ranges)
    except RangeError as exc:
        raise ValidationError(str(exc)) from exc
    where = min(max(_number(position, "position"), 0.0), length)
    now = now or timezone.now()
    progress, _created = LessonProgress.objects.select_for_update().get_or_create(
        user=user, lesson=lesson, defaults={"course_id": lesson.course_id}
    )
    try:
        stored = parse_ranges(progress.video_watched_ranges or [])
    except RangeError:  # unreadable history (hand-edited): start again from this report
        stored = []
    merged = merge([*stored, *reported], length)
    progress.video_watched_ranges = merged
    progress.video_watched_seconds = watched_seconds(merged)
    progress.video_position_seconds = where
    completes = (
        progress.completed_at is None
        and watched_percent(merged, length) >= settings.VIDEO_COMPLETION_PERCENT
    )
    if completes:
        progress.completed_at = now
    progress.save()
    _course_after_lesson(user=user, lesson=lesson, now=now, newly_completed=completes)
    return progress


# --- Course progress and completion ------------------------------------------------------------


def _course_progress_update(
    *,
    user: Any,
    course: Course,
    last_lesson: Lesson | None = None,
    now: datetime | None = None,
) -> CourseProgress:
    now = now or timezone.now()
    progress, _created = CourseProgress.objects.select_for_update().get_or_create(
        user=user, course=course
    )
    required = required_lesson_ids(course.pk)
    progress.required_lessons = required.count()
    progress.completed_lessons = LessonProgress.objects.filter(
        user=user, course=course, completed_at__isnull=False, lesson_id__in=required
    ).count()
    progress.percent = _percent(progress.completed_lessons, progress.required_lessons)
    if last_lesson is not None:
        progress.last_lesson = last_lesson
        progress.last_activity_at = now
    _complete_if_met(progress, course=course, user=user, now=now, actor=user)
    progress.save()
    forget_progress_summary(user.pk)
    return progress


def _percent(done: int, required: int) -> int:
    """Whole percent, rounded down: 100 % only when everything is done."""
    return min(100, done * 100 // required) if required else 0


def _complete_if_met(
    progress: CourseProgress, *, course: Course, user: Any, now: datetime, actor: Any
) -> bool:
    if progress.completed_at is not None:
        return False
    grade: Decimal | None = None
    if course.completion_rule == Course.CompletionRule.PASS_GRADE:
        if course.pass_grade is None:
            return False
        grade = course_grade(user, course)
        if grade is None or grade < course.pass_grade:
            return False
    elif not (
        progress.required_lessons and progress.completed_lessons >= progress.required_lessons
    ):
        return False
    progress.completed_at = now
    transaction.on_commit(
        lambda: course_completed.send(
            sender=CourseProgress, user=user, course=course, completed_at=now
        )
    )
    record(
        actor=actor,
        action="course.completed",
        target=course,
        details={
            "learner": user.public_id,
            "rule": course.completion_rule,
            "completed_lessons": progress.completed_lessons,
            "required_lessons": progress.required_lessons,
            **({"grade": str(grade)} if grade is not None else {}),
        },
    )
    return True


@transaction.atomic
def course_completion_refresh(*, user: Any, course: Course) -> CourseProgress:
    """Recount one learner's progress and apply the completion rule now (for example
    after a grade changed). Records no activity."""
    return _course_progress_update(user=user, course=course)


@transaction.atomic
def course_progress_recount(*, course_id: int, now: datetime | None = None) -> int:
    """Recount every learner's progress in a course after its content changed (lessons
    published, removed, made optional...): two bulk UPDATEs whatever the number of
    learners, then the completion rule for those not complete yet. Returns the rows."""
    course = Course.objects.filter(pk=course_id).first()
    if course is None:
        return 0
    now = now or timezone.now()
    fingerprint = required_fingerprint(course_id)
    required = required_lesson_ids(course_id)
    total = required.count()
    done = (
        LessonProgress.objects.filter(
            course_id=course_id,
            user_id=OuterRef("user_id"),
            completed_at__isnull=False,
            lesson_id__in=required,
        )
        .order_by()
        .values("user_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    rows = CourseProgress.objects.filter(course_id=course_id)
    count = rows.update(required_lessons=total, completed_lessons=Coalesce(Subquery(done), 0))
    if total:
        rows.update(percent=F("completed_lessons") * 100 / Value(total))
    else:
        rows.update(percent=0)
    pending = rows.filter(completed_at__isnull=True).select_related("user")
    if course.completion_rule == Course.CompletionRule.ALL_REQUIRED:
        pending = pending.filter(completed_lessons__gte=total) if total else pending.none()
    elif course.pass_grade is None or not _grade_sources:
        pending = pending.none()
    for progress in pending.iterator(chunk_size=500):
        if _complete_if_met(progress, course=course, user=progress.user, now=now, actor=None):
            progress.save(update_fields=["completed_at"])

    def counted() -> None:
        remember_counted_fingerprint(course_id, fingerprint)
        forget_course_summaries(course_id)

    transaction.on_commit(counted)
    return count
