"""Gradebook writes: the source functions quizzes and assignments call, categories,
manual items, grades, overrides (history and audit), and the pass-grade completion."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from syllabus.audit.models import AuditEvent
from syllabus.courses.models import Course
from syllabus.grades import services
from syllabus.grades.models import Grade, GradebookSettings, GradeCategory, GradeItem
from syllabus.grades.selectors import course_grade_source
from syllabus.grades.tests.conftest import enrol, make_course, make_item
from syllabus.learning.models import CourseProgress
from syllabus.learning.services import course_grade
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
D = Decimal


def _events(action):
    return list(AuditEvent.objects.filter(action=action).order_by("pk"))


# --- Source functions (quizzes and assignments) ---------------------------------------------


def test_source_item_sync_creates_then_follows_the_source(course):
    item = services.source_item_sync(
        course=course, kind="quiz", source_id=7, title="Tides quiz", max_points=D("20")
    )
    assert (item.kind, item.source_id, item.max_points, item.course) == ("quiz", 7, 20, course)
    assert services.source_item("quiz", 7) == item
    assert services.source_item("assignment", 7) is None
    again = services.source_item_sync(
        course=course,
        kind="quiz",
        source_id=7,
        title="Tides quiz (v2)",
        max_points=D("25"),
        learner_visibility="never",
    )
    assert again.pk == item.pk
    item.refresh_from_db()
    assert (item.title, item.max_points, item.learner_visibility) == (
        "Tides quiz (v2)",
        25,
        "never",
    )
    assert GradeItem.objects.count() == 1
    assert [e.details["changed"] for e in _events("grade.item_updated")] == [
        ["title", "max_points", "learner_visibility"]
    ]
    assert len(_events("grade.item_created")) == 1


def test_a_first_result_is_one_row_and_one_history_entry(
    course, student, instructor, django_assert_num_queries
):
    services.source_item_sync(
        course=course, kind="quiz", source_id=5, title="Tides quiz", max_points=D("10")
    )
    item = services.source_item("quiz", 5)
    assert item is not None and item.course == course  # loaded with it
    # Two savepoints (the insert, the audit event: 4 statements; the call itself adds
    # none), the lookup, the grade inserted with its points and its history entry, and the
    # audit event (the chain's head, with its lock on PostgreSQL in the same statement,
    # then the insert).
    with django_assert_num_queries(4 + 1 + 2 + 2):
        grade = services.source_grade_record(
            kind="quiz", source_id=5, user=student, points=D("8"), actor=instructor, item=item
        )
    assert [(h.history_type, h.points) for h in grade.history.all()] == [("+", 8)]
    assert [e.details["previous"] for e in _events("grade.recorded")] == [None]
    services.source_grade_record(kind="quiz", source_id=5, user=student, points=D("9"))
    assert [h.points for h in grade.history.order_by("history_id")] == [8, 9]
    assert [e.details["previous"] for e in _events("grade.recorded")] == [None, "8.00"]


def test_an_item_given_for_another_source_is_not_used(course, student):
    services.source_item_sync(
        course=course, kind="quiz", source_id=5, title="Quiz", max_points=D("10")
    )
    other = services.source_item_sync(
        course=course, kind="assignment", source_id=6, title="Essay", max_points=D("4")
    )
    grade = services.source_grade_record(
        kind="quiz", source_id=5, user=student, points=D("8"), item=other
    )
    assert grade.item.source_id == 5 and grade.points == 8


def test_source_item_sync_refuses_bad_input(course):
    with pytest.raises(ValueError, match="quiz or assignment"):
        services.source_item_sync(
            course=course, kind="manual", source_id=1, title="x", max_points=1
        )
    with pytest.raises(ValidationError):
        services.source_item_sync(
            course=course, kind="quiz", source_id=1, title="x", max_points=D("0")
        )
    assert not GradeItem.objects.exists()


def test_source_grade_record_writes_audits_and_keeps_overrides(course, student, instructor):
    item = services.source_item_sync(
        course=course, kind="assignment", source_id=3, title="Essay", max_points=D("10")
    )
    grade = services.source_grade_record(
        kind="assignment", source_id=3, user=student, points=D("6"), actor=instructor
    )
    assert (grade.points, grade.graded_by, grade.course) == (6, instructor, course)
    services.grade_override(
        actor=instructor, item=item, learner=student, points="9", reason="Regraded on appeal"
    )
    grade = services.source_grade_record(
        kind="assignment", source_id=3, user=student, points=D("7"), actor=instructor
    )
    assert (grade.points, grade.override_points, grade.effective_points) == (7, 9, 9)
    # The same points again write no event.
    services.source_grade_record(kind="assignment", source_id=3, user=student, points=D("7"))
    assert [e.details["points"] for e in _events("grade.recorded")] == ["6", "7"]
    cleared = services.source_grade_record(
        kind="assignment", source_id=3, user=student, points=None
    )
    assert (cleared.points, cleared.graded_at) == (None, None)
    with pytest.raises(ValidationError):
        services.source_grade_record(kind="assignment", source_id=3, user=student, points=D("11"))
    with pytest.raises(GradeItem.DoesNotExist):
        services.source_grade_record(kind="quiz", source_id=3, user=student, points=D("1"))


def test_a_pass_grade_completes_the_course(django_capture_on_commit_callbacks, student):
    course = make_course(completion_rule=Course.CompletionRule.PASS_GRADE, pass_grade=D("60"))
    enrol(student, course)
    services.source_item_sync(
        course=course, kind="quiz", source_id=11, title="Final", max_points=D("50")
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.source_grade_record(kind="quiz", source_id=11, user=student, points=D("29.5"))
    assert course_grade(student, course) == D("59.00")
    assert not CourseProgress.objects.filter(
        user=student, course=course, completed_at__isnull=False
    ).exists()
    with django_capture_on_commit_callbacks(execute=True):
        services.source_grade_record(kind="quiz", source_id=11, user=student, points=D("30"))
    progress = CourseProgress.objects.get(user=student, course=course)
    assert progress.completed_at is not None
    assert _events("course.completed")[0].details["grade"] == "60.00"


def test_an_override_can_complete_a_pass_grade_course(django_capture_on_commit_callbacks):
    course = make_course(completion_rule=Course.CompletionRule.PASS_GRADE, pass_grade=D("50"))
    learner, teacher = UserFactory(), UserFactory()
    enrol(learner, course)
    enrol(teacher, course, "instructor")
    item = make_item(course, max_points="10")
    with django_capture_on_commit_callbacks(execute=True):
        services.grade_enter(actor=teacher, item=item, learner=learner, points="4")
    assert CourseProgress.objects.filter(user=learner, completed_at__isnull=False).count() == 0
    with django_capture_on_commit_callbacks(execute=True):
        services.grade_override(
            actor=teacher, item=item, learner=learner, points="5", reason="Late work accepted"
        )
    assert CourseProgress.objects.get(user=learner, course=course).completed_at is not None


def test_course_grade_source_is_none_before_any_grade(course, student):
    make_item(course)
    assert course_grade_source(student, course) is None


# --- Scale and categories -------------------------------------------------------------------


def test_scheme_update_validates_and_audits(course, instructor):
    settings = services.scheme_update(
        actor=instructor, course=course, scale=[("P", "50"), ("F", "0")], uncategorised_weight="20"
    )
    assert settings.scale == [("P", D("50.00")), ("F", D("0.00"))]
    assert settings.uncategorised_weight == D("20")
    [event] = _events("grade.scale_updated")
    assert event.details["after"]["uncategorised_weight"] == "20.00"
    with pytest.raises(ValidationError) as info:
        services.scheme_update(actor=instructor, course=course, scale=[("A", "90"), ("B", "90")])
    assert "scale" in info.value.message_dict
    with pytest.raises(ValidationError):
        services.scheme_update(actor=instructor, course=course, uncategorised_weight="-1")
    services.scheme_update(actor=instructor, course=course, uncategorised_weight=None)
    assert GradebookSettings.objects.get(course=course).uncategorised_weight is None
    assert len(_events("grade.scale_updated")) == 2


def test_categories_create_update_delete(course, instructor):
    quizzes = services.category_create(actor=instructor, course=course, name="Quizzes", weight="40")
    with pytest.raises(ValidationError):
        services.category_create(actor=instructor, course=course, name="quizzes", weight="10")
    with pytest.raises(ValidationError):
        services.category_create(actor=instructor, course=course, name="Uncategorised", weight="1")
    with pytest.raises(ValidationError):
        services.category_create(actor=instructor, course=course, name="X", weight="abc")
    assert GradeCategory.objects.count() == 1
    services.category_update(actor=instructor, category=quizzes, weight="45.5")
    quizzes.refresh_from_db()
    assert quizzes.weight == D("45.5")
    item = make_item(course, category=quizzes)
    assert services.category_delete(actor=instructor, category=quizzes) == 1
    item.refresh_from_db()
    assert item.category is None
    assert [
        e.action
        for e in AuditEvent.objects.filter(action__startswith="grade.category").order_by("pk")
    ] == [
        "grade.category_created",
        "grade.category_updated",
        "grade.category_deleted",
    ]


# --- Items ----------------------------------------------------------------------------------


def test_manual_items_create_update_and_delete_with_confirmation(course, instructor, student):
    item = services.manual_item_create(
        actor=instructor, course=course, title="Presentation", max_points="20"
    )
    assert item.kind == "manual"
    item = services.item_update(
        actor=instructor, item=item, title="Oral presentation", max_points="25"
    )
    services.grade_enter(actor=instructor, item=item, learner=student, points="22")
    with pytest.raises(ValidationError):
        services.item_update(actor=instructor, item=item, max_points="20")  # below a grade
    with pytest.raises(services.GradesExist):
        services.item_delete(actor=instructor, item=item)
    assert GradeItem.objects.filter(pk=item.pk).exists()
    assert services.item_delete(actor=instructor, item=item, confirm=True) == 1
    assert not Grade.objects.exists()
    assert _events("grade.item_deleted")[0].details["grades_deleted"] == 1


def test_item_input_is_validated(course, instructor):
    other = services.category_create(
        actor=instructor, course=make_course(), name="Elsewhere", weight="1"
    )
    for bad in (
        {"title": "", "max_points": "10"},
        {"title": "x", "max_points": "0"},
        {"title": "x", "max_points": "ten"},
        {"title": "x", "max_points": "10", "category": other},
        {"title": "x", "max_points": "10", "learner_visibility": "after"},
    ):
        with pytest.raises(ValidationError):
            services.manual_item_create(actor=instructor, course=course, **bad)
    assert not GradeItem.objects.filter(course=course).exists()


def test_source_items_keep_their_own_fields(course, instructor):
    item = services.source_item_sync(
        course=course, kind="quiz", source_id=5, title="Q", max_points=D("10")
    )
    category = services.category_create(actor=instructor, course=course, name="Q", weight="1")
    services.item_update(actor=instructor, item=item, category=category, counts=False)
    with pytest.raises(ValidationError, match="follow the quiz"):
        services.item_update(actor=instructor, item=item, title="Renamed")
    with pytest.raises(ValidationError):
        services.item_delete(actor=instructor, item=item, confirm=True)
    with pytest.raises(ValidationError):
        services.grade_enter(actor=instructor, item=item, learner=UserFactory(), points="1")


# --- Grades and overrides -------------------------------------------------------------------


def test_grade_enter_checks_learner_and_range(course, instructor, student):
    item = make_item(course, max_points="10")
    outsider = UserFactory()
    for learner, points in ((outsider, "5"), (student, "11"), (student, "-1"), (student, "x")):
        with pytest.raises(ValidationError):
            services.grade_enter(actor=instructor, item=item, learner=learner, points=points)
    assert not Grade.objects.exists()
    grade = services.grade_enter(actor=instructor, item=item, learner=student, points="7,5")
    assert grade.points == D("7.5")
    services.grade_enter(actor=instructor, item=item, learner=student, points="7.50")
    assert len(_events("grade.recorded")) == 1  # unchanged: no second event
    services.grade_enter(actor=instructor, item=item, learner=student, points="")
    grade.refresh_from_db()
    assert grade.points is None


def test_overrides_need_a_reason_and_are_kept_in_history(course, instructor, student):
    item = make_item(course, max_points="10")
    services.grade_enter(actor=instructor, item=item, learner=student, points="4")
    with pytest.raises(ValidationError):
        services.grade_override(
            actor=instructor, item=item, learner=student, points="8", reason=" "
        )
    with pytest.raises(ValidationError):
        services.grade_override(actor=instructor, item=item, learner=student, points="", reason="r")
    grade = services.grade_override(
        actor=instructor, item=item, learner=student, points="8", reason="Marking error"
    )
    assert (grade.effective_points, grade.override_reason) == (8, "Marking error")
    removed = services.grade_override_remove(
        actor=instructor, item=item, learner=student, reason="Checked again"
    )
    assert removed is not None
    assert removed.effective_points == 4
    assert services.grade_override_remove(actor=instructor, item=item, learner=student) is None
    history = list(grade.history.order_by("history_date"))
    assert [h.override_points for h in history] == [None, None, D("8"), None]
    assert history[2].override_reason == "Marking error"
    assert history[2].history_change_reason == "Marking error"
    [overridden] = _events("grade.overridden")
    assert overridden.details["reason"] == "Marking error"
    assert overridden.details["given_points"] == "4.00"
    [removed_event] = _events("grade.override_removed")
    assert removed_event.details["removed_points"] == "8.00"


def test_a_weight_change_recounts_a_pass_grade_course(django_capture_on_commit_callbacks):
    """Learners who reach the pass grade because a weight changed complete (by a job)."""
    course = make_course(completion_rule=Course.CompletionRule.PASS_GRADE, pass_grade=D("70"))
    learner, teacher = UserFactory(), UserFactory()
    enrol(learner, course)
    enrol(teacher, course, "instructor")
    strong = services.category_create(actor=teacher, course=course, name="Strong", weight="1")
    weak = services.category_create(actor=teacher, course=course, name="Weak", weight="1")
    with django_capture_on_commit_callbacks(execute=True):
        services.grade_enter(
            actor=teacher, item=make_item(course, category=strong), learner=learner, points="100"
        )
        services.grade_enter(
            actor=teacher, item=make_item(course, category=weak), learner=learner, points="20"
        )
    assert course_grade(learner, course) == D("60.00")
    assert not CourseProgress.objects.filter(user=learner, completed_at__isnull=False).exists()
    with django_capture_on_commit_callbacks(execute=True):
        services.category_update(actor=teacher, category=strong, weight="3")
    assert course_grade(learner, course) == D("80.00")
    assert CourseProgress.objects.get(user=learner, course=course).completed_at is not None


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent transactions")
@pytest.mark.django_db(transaction=True)
def test_two_first_results_at_the_same_moment_make_one_grade(course, student):
    """Both find no grade and insert: the second insert's unique violation falls back to
    updating the row the first one committed."""
    from tests.concurrency import together

    services.source_item_sync(
        course=course, kind="quiz", source_id=8, title="Quiz", max_points=D("10")
    )

    def record(points: str) -> Grade:
        return services.source_grade_record(
            kind="quiz", source_id=8, user=student, points=D(points)
        )

    results = together([lambda p=p: record(p) for p in ("6", "7")])
    assert all(isinstance(r, Grade) for r in results), results
    grade = Grade.objects.get(user=student)
    assert grade.points in (6, 7)
    assert grade.history.count() == 2
    assert len(_events("grade.recorded")) == 2
