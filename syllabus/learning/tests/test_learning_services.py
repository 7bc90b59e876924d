"""Progress services: opening, completing, video watching, course percent, completion
rules, prerequisites, and the recount when a course changes."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from syllabus.audit.models import AuditEvent
from syllabus.courses.cache import invalidate_course
from syllabus.courses.models import Course, Lesson
from syllabus.courses.prerequisites import missing_prerequisites
from syllabus.learning import apps as learning_apps
from syllabus.learning.models import CourseProgress, LessonProgress
from syllabus.learning.services import (
    LessonUnavailable,
    StaffPreview,
    course_completion_refresh,
    course_progress_recount,
    lesson_complete,
    lesson_opened,
    register_grade_source,
    unregister_grade_source,
    video_progress,
)
from syllabus.learning.tests.conftest import enrol, make_course, make_lesson, make_module
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _progress(user, course) -> CourseProgress:
    return CourseProgress.objects.get(user=user, course=course)


def _complete_all_required(user, lessons):
    lesson_complete(user=user, lesson=lessons["intro"])
    lesson_complete(user=user, lesson=lessons["doc"], opened_file=True)
    video_progress(user=user, lesson=lessons["video"], ranges=[[0, 100]], position=100)
    lesson_complete(user=user, lesson=lessons["after"])


# --- Opening ---------------------------------------------------------------------------------


def test_opening_a_lesson_records_it_as_the_resume_point(student, course, lessons):
    opened = lesson_opened(user=student, lesson=lessons["intro"])
    assert opened is not None and opened.progress.completed_at is None
    summary = _progress(student, course)
    assert opened.course_progress == summary
    assert summary.last_lesson == lessons["intro"]
    assert summary.last_activity_at is not None
    assert summary.required_lessons == 4  # the optional lesson does not count
    lesson_opened(user=student, lesson=lessons["video"])
    assert _progress(student, course).last_lesson == lessons["video"]
    assert LessonProgress.objects.filter(user=student).count() == 2


def test_opening_again_updates_the_resume_point_without_recounting(student, course, lessons):
    lesson_opened(user=student, lesson=lessons["video"])
    lesson_complete(user=student, lesson=lessons["intro"])
    lesson_opened(user=student, lesson=lessons["intro"])
    # Counts changed behind the row's back (as a concurrent completion would leave
    # them): opening writes only the resume point, so it neither recounts nor undoes them.
    CourseProgress.objects.filter(user=student, course=course).update(completed_lessons=3)
    with CaptureQueriesContext(connection) as queries:
        opened = lesson_opened(
            user=student, lesson=lessons["video"], completed={lessons["intro"].pk}
        )
    assert opened is not None
    writes = [q["sql"] for q in queries if q["sql"].startswith("UPDATE")]
    assert len(writes) == 2, writes  # last_opened_at, then the course's resume point
    assert not [q["sql"] for q in queries if "COUNT(" in q["sql"]]
    row = _progress(student, course)
    assert (row.last_lesson, row.completed_lessons) == (lessons["video"], 3)
    assert opened.course_progress.last_lesson == lessons["video"]


def test_opening_again_is_two_statements_that_return_the_rows_as_stored(student, course, lessons):
    """A lesson opened before: UPDATE ... RETURNING on the lesson's row and the course's,
    no read, no transaction; what comes back is the whole row, as the database has it."""
    lesson_opened(user=student, lesson=lessons["video"])
    video_progress(user=student, lesson=lessons["video"], ranges=[[0, 40]], position=40)
    before = LessonProgress.objects.get(user=student, lesson=lessons["video"])
    with time_machine.travel(timezone.now() + timedelta(minutes=5), tick=False):
        later = timezone.now()
        with CaptureQueriesContext(connection) as queries:
            opened = lesson_opened(user=student, lesson=lessons["video"], completed=set())
    assert opened is not None
    statements = [q["sql"].split()[0] for q in queries]
    assert statements == ["UPDATE", "UPDATE"], statements  # memberships: read already
    assert all("RETURNING" in q["sql"] for q in queries if q["sql"].startswith("UPDATE"))
    stored = LessonProgress.objects.get(user=student, lesson=lessons["video"])
    assert opened.progress.last_opened_at == stored.last_opened_at == later
    assert (opened.progress.pk, opened.progress.first_opened_at) == (
        before.pk,
        before.first_opened_at,
    )
    assert opened.progress.video_position_seconds == stored.video_position_seconds == 40
    assert opened.progress.video_watched_ranges == stored.video_watched_ranges
    assert opened.course_progress == _progress(student, course)
    assert opened.course_progress.last_activity_at == later
    assert opened.course_progress.required_lessons == 4


def test_a_lesson_row_without_a_course_row_recounts_the_course(student, course, lessons):
    lesson_opened(user=student, lesson=lessons["intro"])
    lesson_complete(user=student, lesson=lessons["intro"])
    CourseProgress.objects.filter(user=student, course=course).delete()
    opened = lesson_opened(user=student, lesson=lessons["intro"])
    assert opened is not None
    row = _progress(student, course)
    assert (row.last_lesson, row.completed_lessons, row.required_lessons) == (
        lessons["intro"],
        1,
        4,
    )


def test_staff_previews_record_nothing(teacher, lessons):
    assert lesson_opened(user=teacher, lesson=lessons["intro"]) is None
    with pytest.raises(StaffPreview):
        lesson_complete(user=teacher, lesson=lessons["intro"])
    assert not LessonProgress.objects.exists()
    assert not CourseProgress.objects.exists()


def test_outsiders_and_ended_enrolments_cannot_record(course, lessons):
    outsider = UserFactory()
    with pytest.raises(LessonUnavailable, match="Enrol in this course"):
        lesson_opened(user=outsider, lesson=lessons["intro"])
    former = UserFactory()
    enrol(former, course, ends_at=timezone.now() - timedelta(days=1))
    with pytest.raises(LessonUnavailable, match="ended on"):
        lesson_complete(user=former, lesson=lessons["intro"])
    assert not LessonProgress.objects.exists()


# --- Completing -------------------------------------------------------------------------------


def test_completing_is_idempotent(student, course, lessons):
    first = lesson_complete(user=student, lesson=lessons["intro"])
    stamp = first.completed_at
    with time_machine.travel(timezone.now() + timedelta(hours=1)):
        again = lesson_complete(user=student, lesson=lessons["intro"])
    assert again.pk == first.pk and again.completed_at == stamp
    summary = _progress(student, course)
    assert (summary.completed_lessons, summary.required_lessons, summary.percent) == (1, 4, 25)


def test_completing_again_only_moves_the_resume_point(student, course, lessons):
    lesson_complete(user=student, lesson=lessons["intro"])
    lesson_opened(user=student, lesson=lessons["video"])
    with CaptureQueriesContext(connection) as queries:
        lesson_complete(user=student, lesson=lessons["intro"])
    assert not [q["sql"] for q in queries if "COUNT(" in q["sql"]]
    summary = _progress(student, course)
    assert (summary.last_lesson, summary.completed_lessons) == (lessons["intro"], 1)


def test_uploaded_videos_and_assessments_cannot_be_marked_complete_by_hand(student, lessons):
    with pytest.raises(ValidationError, match="watched 90%"):
        lesson_complete(user=student, lesson=lessons["video"])
    quiz = make_lesson(lessons["intro"].module, title="Quiz", kind=Lesson.Kind.QUIZ)
    with pytest.raises(ValidationError, match="assessment"):
        lesson_complete(user=student, lesson=quiz)
    with pytest.raises(ValidationError, match="Only file lessons"):
        lesson_complete(user=student, lesson=lessons["intro"], opened_file=True)
    assert not LessonProgress.objects.filter(completed_at__isnull=False).exists()


def test_externally_hosted_videos_are_marked_complete_by_hand(student, lessons):
    external = make_lesson(
        lessons["intro"].module,
        title="Talk",
        kind=Lesson.Kind.VIDEO,
        video_url="https://video.example.org/talk",
    )
    assert lesson_complete(user=student, lesson=external).completed_at is not None


def test_a_lesson_with_a_prerequisite_opens_once_it_is_complete(student, lessons):
    with pytest.raises(LessonUnavailable, match="“Introduction”"):
        lesson_opened(user=student, lesson=lessons["after"])
    lesson_complete(user=student, lesson=lessons["intro"])
    assert lesson_opened(user=student, lesson=lessons["after"]) is not None


# --- Video -------------------------------------------------------------------------------------


def test_video_completes_once_the_share_is_watched(student, course, lessons, settings):
    settings.VIDEO_COMPLETION_PERCENT = 90
    video = lessons["video"]
    progress = video_progress(user=student, lesson=video, ranges=[[0, 50]], position=50)
    assert progress.video_watched_seconds == 50 and progress.completed_at is None
    # rewatching the same part adds nothing
    progress = video_progress(user=student, lesson=video, ranges=[[10, 50]], position=50)
    assert progress.video_watched_seconds == 50 and progress.completed_at is None
    # ranges past the end are capped to the video
    progress = video_progress(user=student, lesson=video, ranges=[[50, 89.5]], position=500)
    assert progress.video_position_seconds == 100
    assert progress.completed_at is None
    progress = video_progress(user=student, lesson=video, ranges=[[89.5, 400]], position=100)
    assert progress.video_watched_ranges == [[0.0, 100.0]]
    assert progress.video_watched_seconds == 100
    assert progress.completed_at is not None
    assert _progress(student, course).completed_lessons == 1


def test_a_video_report_that_completes_nothing_does_not_recount(student, course, lessons):
    video = lessons["video"]
    video_progress(user=student, lesson=video, ranges=[[0, 10]], position=10)
    with CaptureQueriesContext(connection) as queries:
        video_progress(user=student, lesson=video, ranges=[[10, 20]], position=20)
    assert not [q["sql"] for q in queries if "COUNT(" in q["sql"]]
    row = _progress(student, course)
    assert (row.last_lesson, row.completed_lessons) == (video, 0)


def test_video_duration_from_the_player_when_the_lesson_has_none(student, lessons):
    video = lessons["video"]
    video.video_duration_seconds = None
    video.save()
    with pytest.raises(ValidationError, match="duration"):
        video_progress(user=student, lesson=video, ranges=[[0, 5]], position=5)
    with pytest.raises(ValidationError, match="24 hours"):
        video_progress(user=student, lesson=video, ranges=[[0, 5]], position=5, duration=10**9)
    progress = video_progress(user=student, lesson=video, ranges=[[0, 60]], position=3, duration=60)
    assert progress.completed_at is not None


@pytest.mark.parametrize(
    ("ranges", "position"),
    [([[5, 1]], 0), ("0-10", 0), ([[0, "x"]], 0), ([[0, 1]], float("nan")), ([[0, 1]], True)],
)
def test_bad_video_reports_write_nothing(student, lessons, ranges, position):
    with pytest.raises(ValidationError):
        video_progress(user=student, lesson=lessons["video"], ranges=ranges, position=position)
    assert not LessonProgress.objects.exists()


def test_only_uploaded_videos_report_watching(student, lessons):
    with pytest.raises(ValidationError, match="uploaded videos"):
        video_progress(user=student, lesson=lessons["intro"], ranges=[[0, 1]], position=1)


# --- Course completion -------------------------------------------------------------------------


def test_completing_every_required_lesson_completes_the_course_once(student, course, lessons):
    _complete_all_required(student, lessons)
    summary = _progress(student, course)
    assert summary.percent == 100 and summary.completed_at is not None
    events = AuditEvent.objects.filter(action="course.completed")
    assert events.count() == 1
    event = events.get()
    assert event.actor == student
    assert event.target_id == course.public_id
    assert event.details["learner"] == student.public_id
    # more activity never completes it twice
    lesson_complete(user=student, lesson=lessons["optional"])
    lesson_complete(user=student, lesson=lessons["intro"])
    assert AuditEvent.objects.filter(action="course.completed").count() == 1


def test_a_course_without_required_lessons_stays_at_zero(student):
    empty = make_course()
    enrol(student, empty)
    module = make_module(empty)
    optional = make_lesson(module, is_required=False)
    lesson_complete(user=student, lesson=optional)
    summary = _progress(student, empty)
    assert (summary.percent, summary.required_lessons, summary.completed_at) == (0, 0, None)


def test_pass_grade_courses_need_a_grade_source(student, course, lessons):
    course.completion_rule = Course.CompletionRule.PASS_GRADE
    course.pass_grade = 70
    course.save()
    _complete_all_required(student, lessons)
    assert _progress(student, course).completed_at is None  # lessons alone never do it
    grades = {"value": None}

    def fake_grades(user, of_course):
        return grades["value"] if of_course == course else None

    register_grade_source(fake_grades)
    try:
        course_completion_refresh(user=student, course=course)
        assert _progress(student, course).completed_at is None  # no grade yet
        grades["value"] = 69.5
        course_completion_refresh(user=student, course=course)
        assert _progress(student, course).completed_at is None
        grades["value"] = 70
        course_completion_refresh(user=student, course=course)
        assert _progress(student, course).completed_at is not None
        event = AuditEvent.objects.get(action="course.completed")
        assert event.details["grade"] == "70" and event.details["rule"] == "pass_grade"
    finally:
        unregister_grade_source(fake_grades)


def test_completed_courses_satisfy_course_prerequisites(student, course, lessons):
    advanced = make_course(title="Advanced")
    advanced.prerequisites.add(course)
    assert missing_prerequisites(student, advanced) == [course]
    _complete_all_required(student, lessons)
    assert missing_prerequisites(student, advanced) == []


# --- Recount when the course changes -------------------------------------------------------------


def test_course_changes_recount_progress(
    student, course, lessons, django_capture_on_commit_callbacks
):
    lesson_complete(user=student, lesson=lessons["intro"])
    lesson_complete(user=student, lesson=lessons["doc"], opened_file=True)
    assert _progress(student, course).percent == 50
    # the instructor unpublishes the video and the wrap-up: 2 of 2 required are done
    Lesson.objects.filter(pk__in=[lessons["video"].pk, lessons["after"].pk]).update(
        is_published=False
    )
    with django_capture_on_commit_callbacks(execute=True):
        invalidate_course(course.pk)
    summary = _progress(student, course)
    assert (summary.completed_lessons, summary.required_lessons, summary.percent) == (2, 2, 100)
    assert summary.completed_at is not None
    assert AuditEvent.objects.get(action="course.completed").actor is None  # the system
    # a new required lesson lowers the percent; the completion earned stays
    make_lesson(lessons["intro"].module, title="New chapter")
    with django_capture_on_commit_callbacks(execute=True):
        invalidate_course(course.pk)
    summary = _progress(student, course)
    assert (summary.completed_lessons, summary.required_lessons, summary.percent) == (2, 3, 66)
    assert summary.completed_at is not None


def test_large_courses_are_recounted_by_a_job(
    student, course, lessons, monkeypatch, django_capture_on_commit_callbacks
):
    lesson_complete(user=student, lesson=lessons["intro"])
    monkeypatch.setattr(learning_apps, "INLINE_RECOUNT_ROWS", 0)
    calls = []
    from syllabus.learning import tasks

    original = tasks.course_progress_recount_task

    def spy(course_id):
        calls.append(course_id)
        return original(course_id)

    monkeypatch.setattr(tasks, "course_progress_recount_task", spy)
    Lesson.objects.filter(pk=lessons["after"].pk).update(is_required=False)
    with django_capture_on_commit_callbacks(execute=True):
        invalidate_course(course.pk)
    assert calls == [course.pk]  # jobs run inline in tests (SYLLABUS_JOBS_IMMEDIATE)
    assert _progress(student, course).required_lessons == 3


def _learners_with_progress(course, lessons, n):
    for _ in range(n):
        user = UserFactory()
        enrol(user, course)
        lesson_complete(user=user, lesson=lessons["intro"])


def test_recount_uses_the_same_queries_for_3_or_30_learners(course, lessons):
    _learners_with_progress(course, lessons, 3)
    with CaptureQueriesContext(connection) as few:
        assert course_progress_recount(course_id=course.pk) == 3
    _learners_with_progress(course, lessons, 27)
    with CaptureQueriesContext(connection) as many:
        assert course_progress_recount(course_id=course.pk) == 30
    assert len(many) == len(few)
    assert set(CourseProgress.objects.values_list("percent", flat=True)) == {25}


def test_changes_that_leave_required_lessons_alone_recount_nothing(
    student, course, lessons, django_capture_on_commit_callbacks
):
    lesson_complete(user=student, lesson=lessons["intro"])
    with django_capture_on_commit_callbacks(execute=True):
        course_progress_recount(course_id=course.pk)
    CourseProgress.objects.update(percent=99)  # would be put right by a recount
    course.title = "Renamed"
    course.save()
    with django_capture_on_commit_callbacks(execute=True):
        invalidate_course(course.pk)  # e.g. a new title or an enrolment
    assert _progress(student, course).percent == 99
    lessons["optional"].is_required = True
    lessons["optional"].save()
    with django_capture_on_commit_callbacks(execute=True):
        invalidate_course(course.pk)
    assert _progress(student, course).percent == 20  # 1 of 5


def test_recount_of_an_unknown_course_does_nothing():
    assert course_progress_recount(course_id=987654) == 0


def test_outsiders_get_permission_denied_not_a_crash(lessons):
    with pytest.raises(PermissionDenied):
        video_progress(user=UserFactory(), lesson=lessons["video"], ranges=[], position=0)


# --- Completion by a result (a quiz passed, an assignment handed in) -----------------------


def test_a_result_before_any_opening_writes_one_complete_row(student, course):
    from syllabus.learning.services import lesson_result_complete

    module = make_module(course)
    quiz_lesson = make_lesson(module, kind=Lesson.Kind.QUIZ, title="Check")
    moment = timezone.now() - timedelta(minutes=5)
    with CaptureQueriesContext(connection) as queries:
        progress = lesson_result_complete(user=student, lesson=quiz_lesson, now=moment)
    row_writes = [
        q["sql"].split()[0]
        for q in queries
        if '"learning_lessonprogress"' in q["sql"] and q["sql"].startswith(("INSERT", "UPDATE"))
    ]
    assert row_writes == ["INSERT"]  # written once, complete from the start
    progress.refresh_from_db()
    assert progress.first_opened_at == progress.completed_at == moment
    assert progress.last_opened_at >= moment


def test_a_result_after_an_opening_completes_the_row_no_earlier_than_it(student, course):
    from syllabus.learning.services import lesson_result_complete

    module = make_module(course)
    quiz_lesson = make_lesson(module, kind=Lesson.Kind.QUIZ, title="Check")
    opened = lesson_opened(user=student, lesson=quiz_lesson)
    assert opened is not None
    progress = lesson_result_complete(
        user=student,
        lesson=quiz_lesson,
        now=opened.progress.first_opened_at - timedelta(minutes=1),
    )
    assert progress.pk == opened.progress.pk
    assert progress.completed_at == opened.progress.first_opened_at
    assert LessonProgress.objects.filter(user=student, lesson=quiz_lesson).count() == 1


def test_a_second_result_for_a_completed_lesson_only_moves_the_resume_point(student, course):
    from syllabus.learning.services import lesson_result_complete

    quiz_lesson = make_lesson(make_module(course), kind=Lesson.Kind.QUIZ, title="Retake")
    lesson_result_complete(user=student, lesson=quiz_lesson)
    done = _progress(student, course).completed_lessons
    with CaptureQueriesContext(connection) as queries:
        again = lesson_result_complete(user=student, lesson=quiz_lesson)
    assert again.completed_at is not None
    assert not [q["sql"] for q in queries if "COUNT(" in q["sql"]]
    row = _progress(student, course)
    assert (row.last_lesson, row.completed_lessons) == (quiz_lesson, done)
