"""Assignment services: the lesson kind, settings and rubric, handing in under each late
policy, extensions, grading with the gradebook and notifications."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from syllabus.assignments import services
from syllabus.assignments.models import Assignment, Extension, Submission, SubmissionFile
from syllabus.assignments.rubric import clean_rubric
from syllabus.assignments.tests.conftest import (
    RUBRIC,
    enrol,
    make_assignment,
    pdf,
    zip_bomb,
)
from syllabus.audit.models import AuditEvent
from syllabus.communication.models import Notification
from syllabus.courses import services as course_services
from syllabus.courses.models import Lesson, Module
from syllabus.grades.models import Grade, GradeItem
from syllabus.learning.models import LessonProgress
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _events(action):
    return AuditEvent.objects.filter(action=action)


# --- The lesson kind ----------------------------------------------------------------------


def test_creating_an_assignment_lesson_creates_its_assignment(course, instructor):
    module = Module.objects.create(course=course, title="M")
    lesson = course_services.lesson_create(
        actor=instructor, module=module, title="Essay", kind=Lesson.Kind.ASSIGNMENT
    )
    assignment = Assignment.objects.get(lesson=lesson)
    assert assignment.course == course
    # a new assignment has no instructions yet: it cannot be published
    assert course_services.lesson_publish_blockers(lesson) == [
        "Write the assignment's instructions."
    ]


def test_publish_problems(assignment):
    assert services.publish_problems(assignment) == []
    assignment.rubric = clean_rubric(RUBRIC)
    assignment.max_points = Decimal("12")
    assignment.late_policy = Assignment.LatePolicy.CUTOFF
    assignment.accept_text = assignment.accept_files = False
    problems = services.publish_problems(assignment)
    assert problems == [
        "Accept text, files or both.",
        "The rubric's levels add up to 10 points but the assignment is worth 12: make them match.",
        "Set the cut-off date until which late work is accepted.",
    ]
    assignment.cutoff_at = assignment.lesson.due_at
    assert "The cut-off date must come after the due date." in services.publish_problems(assignment)


def test_course_copy_copies_settings_and_rubric_not_submissions(
    course, instructor, assignment, student
):
    assignment.rubric = clean_rubric(RUBRIC)
    assignment.save()
    services.submission_create(user=student, assignment=assignment, text="Mine")
    copy = course_services.course_copy(actor=instructor, course=course)
    copied = Assignment.objects.get(course=copy)
    assert copied.rubric == assignment.rubric
    assert copied.instructions == assignment.instructions
    assert copied.max_points == assignment.max_points
    assert not Submission.objects.filter(assignment=copied).exists()


# --- Settings ------------------------------------------------------------------------------


def test_update_changes_settings_rubric_and_due_date_and_syncs_the_gradebook(
    assignment, instructor
):
    due = timezone.now() + timedelta(days=10)
    updated = services.assignment_update(
        actor=instructor,
        assignment=assignment,
        changes={"instructions": "Write *more*.", "late_policy": "refuse"},
        rubric=RUBRIC,
        due_at=due,
    )
    assert updated.instructions_html == "<p>Write <em>more</em>.</p>\n"
    assert updated.late_policy == "refuse"
    assert [c["title"] for c in updated.rubric] == ["Argument", "Style"]
    assert Lesson.objects.get(pk=assignment.lesson_id).due_at == due
    item = GradeItem.objects.get(kind="assignment", source_id=assignment.pk)
    assert (item.max_points, item.due_at, item.title) == (Decimal("10"), due, "Essay")
    assert _events("assignment.updated").get().details["fields"] == [
        "instructions",
        "late_policy",
    ]
    assert _events("rubric.updated").get().details == {
        "lesson": assignment.lesson.public_id,
        "criteria": 2,
        "total": "10.00",
    }
    assert _events("lesson.updated").count() == 1


def test_update_refuses_bad_settings_and_writes_nothing(assignment, instructor):
    with pytest.raises(ValidationError) as info:
        services.assignment_update(
            actor=instructor,
            assignment=assignment,
            changes={"accept_text": False, "accept_files": False},
        )
    assert "accept_text" in info.value.message_dict
    # a published assignment must stay publishable: a rubric worth 7 on a 10-point task
    with pytest.raises(ValidationError, match="add up to 7"):
        services.assignment_update(
            actor=instructor,
            assignment=assignment,
            changes={},
            rubric=[{"title": "A", "levels": [{"title": "x", "points": "7"}]}],
        )
    with pytest.raises(ValidationError, match="cannot be changed here"):
        services.assignment_update(actor=instructor, assignment=assignment, changes={"course": 1})
    assignment.refresh_from_db()
    assert assignment.accept_text and assignment.rubric == []
    assert not _events("assignment.updated").exists() and not _events("rubric.updated").exists()


def test_only_editors_change_settings(assignment, assistant, student):
    for person in (assistant, student):
        with pytest.raises(PermissionDenied):
            services.assignment_update(
                actor=person, assignment=assignment, changes={"instructions": "x"}
            )


# --- Handing in ----------------------------------------------------------------------------


def test_a_learner_hands_in_text_and_files(assignment, student, stored_files):
    submission = services.submission_create(
        user=student,
        assignment=assignment,
        text="My **essay**",
        files=[pdf("essay.pdf"), pdf("notes.pdf")],
    )
    assert submission.version == 1 and submission.is_latest
    assert submission.text_html == "<p>My <strong>essay</strong></p>\n"
    assert submission.days_late == 0 and submission.penalty_percent == 0
    assert [f.name for f in submission.files.all()] == ["essay.pdf", "notes.pdf"]
    assert len(stored_files()) == 2
    assert LessonProgress.objects.get(user=student, lesson=assignment.lesson).completed_at
    event = _events("assignment.submitted").get()
    assert event.details["version"] == 1 and event.details["files"] == 2


def test_markdown_in_the_answer_is_sanitised(assignment, student):
    submission = services.submission_create(
        user=student,
        assignment=assignment,
        text="<script>alert(1)</script>[x](javascript:alert(1))",
    )
    assert "<script" not in submission.text_html
    assert 'href="javascript' not in submission.text_html


@pytest.mark.parametrize(
    ("files", "code", "status"),
    [
        (lambda: [pdf(size=2 * 1024 * 1024)], "too_large", 413),
        (lambda: [pdf("essay.exe")], "type", 400),
        (lambda: [pdf("essay.png")], "content", 400),
        (lambda: [zip_bomb()], "zip_bomb", 400),
        (lambda: [pdf(f"e{i}.pdf") for i in range(3)], "too_many_files", 400),
        (lambda: [pdf("a.pdf"), pdf("A.pdf")], "duplicate", 400),
        (lambda: [pdf("empty.pdf", size=0)], "empty", 400),
    ],
)
def test_refused_files_store_and_write_nothing(
    assignment, student, stored_files, settings, files, code, status
):
    settings.ASSIGNMENT_MAX_FILE_MB = 1
    settings.ASSIGNMENT_MAX_FILES = 2
    with pytest.raises(services.SubmissionRefused) as info:
        services.submission_create(user=student, assignment=assignment, text="x", files=files())
    assert (info.value.code, info.value.status) == (code, status)
    assert stored_files() == set()
    assert not Submission.objects.exists() and not SubmissionFile.objects.exists()
    assert not _events("assignment.submitted").exists()
    assert not LessonProgress.objects.filter(completed_at__isnull=False).exists()


def test_what_the_assignment_takes(assignment, student):
    with pytest.raises(services.SubmissionRefused, match="Write your answer or attach a file"):
        services.submission_create(user=student, assignment=assignment, text="  ")
    assignment.accept_files = False
    with pytest.raises(services.SubmissionRefused, match="text only"):
        services.submission_create(user=student, assignment=assignment, files=[pdf()])
    assignment.accept_files, assignment.accept_text = True, False
    with pytest.raises(services.SubmissionRefused, match="files only"):
        services.submission_create(user=student, assignment=assignment, text="x")
    assignment.accept_text = True
    with pytest.raises(services.SubmissionRefused, match="limit is"):
        services.submission_create(
            user=student, assignment=assignment, text="x" * (services.TEXT_MAX + 1)
        )
    assert not Submission.objects.exists()


def test_staff_and_outsiders_cannot_hand_in(assignment, instructor, course):
    with pytest.raises(PermissionDenied, match="only learners"):
        services.submission_create(user=instructor, assignment=assignment, text="x")
    with pytest.raises(PermissionDenied, match="Enrol"):
        services.submission_create(user=UserFactory(), assignment=assignment, text="x")


def test_resubmission_keeps_every_version(assignment, student):
    first = services.submission_create(user=student, assignment=assignment, text="one")
    second = services.submission_create(user=student, assignment=assignment, text="two")
    first.refresh_from_db()
    assert (first.is_latest, second.is_latest, second.version) == (False, True, 2)
    assignment.allow_resubmission = False
    assignment.save()
    with pytest.raises(ValidationError, match="takes one submission"):
        services.submission_create(user=student, assignment=assignment, text="three")
    assert Submission.objects.count() == 2


def test_versions_are_capped(assignment, student, settings):
    settings.ASSIGNMENT_MAX_VERSIONS = 2
    for text in ("one", "two"):
        services.submission_create(user=student, assignment=assignment, text=text)
    with pytest.raises(ValidationError, match="the most this site accepts"):
        services.submission_create(user=student, assignment=assignment, text="three")


# --- Late policy, end to end -------------------------------------------------------------


def _due_yesterday(course, **settings):
    return make_assignment(course, due_at=timezone.now() - timedelta(days=1, hours=1), **settings)


def test_penalty_policy_accepts_late_work_and_records_the_penalty(course, student):
    assignment = _due_yesterday(
        course, penalty_percent_per_day=Decimal("10"), penalty_max_percent=Decimal("15")
    )
    submission = services.submission_create(user=student, assignment=assignment, text="late")
    assert submission.days_late == 2
    assert submission.penalty_percent == Decimal("15.00")  # 2 days x 10 %, capped at 15 %
    # but no new version after the due date
    with pytest.raises(ValidationError, match="last submission stands"):
        services.submission_create(user=student, assignment=assignment, text="again")


def test_cutoff_policy_accepts_until_the_cutoff_without_penalty(course, student):
    latecomer = UserFactory()
    enrol(latecomer, course)
    now = timezone.now()
    assignment = _due_yesterday(course, late_policy="cutoff", cutoff_at=now + timedelta(days=1))
    submission = services.submission_create(user=student, assignment=assignment, text="late")
    assert submission.days_late == 2 and submission.penalty_percent == 0
    with (
        time_machine.travel(now + timedelta(days=2)),
        pytest.raises(ValidationError, match="closed on"),
    ):
        services.submission_create(user=latecomer, assignment=assignment, text="too late")


def test_refuse_policy_refuses_late_work_unless_extended(course, student, instructor):
    assignment = _due_yesterday(course, late_policy="refuse")
    with pytest.raises(ValidationError, match="closed on") as info:
        services.submission_create(user=student, assignment=assignment, text="late")
    assert info.value.code == "closed"
    services.extension_grant(
        actor=instructor,
        assignment=assignment,
        user=student,
        due_at=timezone.now() + timedelta(days=1),
        reason="Ill",
    )
    submission = services.submission_create(user=student, assignment=assignment, text="ok")
    assert submission.days_late == 0
    assert submission.due_at is not None and submission.due_at > timezone.now()


# --- Extensions ----------------------------------------------------------------------------


def test_extensions_are_audited_and_checked(assignment, student, assistant, course):
    due = assignment.lesson.due_at
    extension = services.extension_grant(
        actor=assistant, assignment=assignment, user=student, due_at=due + timedelta(days=2)
    )
    again = services.extension_grant(
        actor=assistant, assignment=assignment, user=student, due_at=due + timedelta(days=3)
    )
    assert extension.pk == again.pk and Extension.objects.count() == 1
    grants = list(_events("assignment.extension_granted").order_by("pk"))
    assert grants[1].details["previous"] == (due + timedelta(days=2)).isoformat()
    with pytest.raises(ValidationError, match="after the due date"):
        services.extension_grant(actor=assistant, assignment=assignment, user=student, due_at=due)
    with pytest.raises(ValidationError, match="learners of this course"):
        services.extension_grant(
            actor=assistant, assignment=assignment, user=UserFactory(), due_at=due + timedelta(1)
        )
    with pytest.raises(PermissionDenied):
        services.extension_grant(
            actor=student, assignment=assignment, user=student, due_at=due + timedelta(days=9)
        )
    services.extension_remove(actor=assistant, extension=again)
    assert not Extension.objects.exists()
    assert _events("assignment.extension_removed").count() == 1


# --- Grading -------------------------------------------------------------------------------


def _rubric_assignment(course):
    return make_assignment(
        course,
        due_at=timezone.now() - timedelta(hours=2),
        rubric=clean_rubric(RUBRIC),
        penalty_percent_per_day=Decimal("10"),
    )


def test_grading_with_a_rubric_applies_the_penalty_and_reaches_the_gradebook(
    course, student, assistant
):
    assignment = _rubric_assignment(course)
    submission = services.submission_create(user=student, assignment=assignment, text="late")
    argument, style = assignment.rubric
    graded = services.submission_grade(
        actor=assistant,
        submission=submission,
        levels={argument["id"]: argument["levels"][0]["id"], style["id"]: style["levels"][1]["id"]},
        adjustment="0.5",
        feedback="Good *thesis*.",
    )
    # 6 + 1 + 0.5 = 7.5, one day late at 10 % of 10 points: -1
    assert (graded.points, graded.adjustment, graded.penalty_points, graded.final_points) == (
        Decimal("7"),
        Decimal("0.5"),
        Decimal("1.00"),
        Decimal("6.50"),
    )
    assert graded.feedback_html == "<p>Good <em>thesis</em>.</p>\n"
    assert [s["level"] for s in graded.rubric_scores] == ["Clear", "Rough"]
    grade = Grade.objects.get(item__source_id=assignment.pk, user=student)
    assert grade.points == Decimal("6.50") and grade.graded_by == assistant
    note = Notification.objects.get(recipient=student, kind="assignment.graded")
    assert "6.5 of 10 points" in note.body and "late penalty of 1 points" in note.body
    assert note.url == f"/learn/{assignment.lesson.public_id}/"
    event = _events("assignment.graded").get()
    assert event.details["final"] == "6.50" and event.details["regrade"] is False


def test_regrading_replaces_the_grade(course, student, instructor):
    assignment = make_assignment(course)
    submission = services.submission_create(user=student, assignment=assignment, text="x")
    services.submission_grade(actor=instructor, submission=submission, points="4")
    services.submission_grade(actor=instructor, submission=submission, points="9")
    assert Grade.objects.get(user=student).points == Decimal("9")
    assert _events("assignment.graded").order_by("-pk").first().details["previous"] == "4.00"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"points": None}, "Give the points"),
        ({"points": "11"}, "between 0 and 10"),
        ({"points": "-1"}, "between 0 and 10"),
        ({"points": "abc"}, "Enter a number"),
        ({"points": "1.234"}, "two decimals"),
        ({"points": "9", "adjustment": "2"}, "would be 11"),
        ({"points": "5", "feedback": "x" * 20_001}, "at most"),
        ({"points": "5", "levels": {"a": "b"}}, "has no rubric"),
    ],
)
def test_bad_grades_are_refused_and_write_nothing(course, student, instructor, kwargs, message):
    assignment = make_assignment(course)
    submission = services.submission_create(user=student, assignment=assignment, text="x")
    with pytest.raises(ValidationError) as info:
        services.submission_grade(actor=instructor, submission=submission, **kwargs)
    assert message in " ".join(info.value.messages)
    submission.refresh_from_db()
    assert submission.graded_at is None
    assert not Grade.objects.exists() and not Notification.objects.exists()
    assert not _events("assignment.graded").exists()


def test_rubric_grading_refuses_missing_levels_and_points(course, student, instructor):
    assignment = _rubric_assignment(course)
    submission = services.submission_create(user=student, assignment=assignment, text="x")
    with pytest.raises(ValidationError, match="Choose a level"):
        services.submission_grade(actor=instructor, submission=submission, levels={})
    with pytest.raises(ValidationError, match="choose a level per criterion"):
        services.submission_grade(actor=instructor, submission=submission, points="5")


def test_only_the_latest_version_is_graded_and_only_by_graders(course, student, instructor):
    assignment = make_assignment(course)
    first = services.submission_create(user=student, assignment=assignment, text="1")
    services.submission_create(user=student, assignment=assignment, text="2")
    with pytest.raises(ValidationError, match="newer version"):
        services.submission_grade(actor=instructor, submission=first, points="5")
    manager = UserFactory(site_roles=["manager"])
    with pytest.raises(PermissionDenied):
        services.submission_grade(actor=manager, submission=first, points="5")
    with pytest.raises(PermissionDenied):
        services.submission_grade(actor=student, submission=first, points="5")


def test_a_learner_can_view_only_their_own_work(course, assignment, student, assistant):
    other = UserFactory()
    enrol(other, course)
    submission = services.submission_create(user=student, assignment=assignment, text="x")
    assert services.can_view_submission(student, submission)
    assert services.can_view_submission(assistant, submission)
    assert not services.can_view_submission(other, submission)


def test_grades_released_later_are_hidden_until_then(course, student, instructor):
    assignment = make_assignment(course)
    release = timezone.now() + timedelta(days=3)
    services.assignment_update(
        actor=instructor,
        assignment=assignment,
        changes={"grade_visibility": "after", "grade_visible_from": release},
    )
    item = GradeItem.objects.get(kind="assignment", source_id=assignment.pk)
    assert (item.learner_visibility, item.learner_visible_from) == ("after", release)
    submission = services.submission_create(user=student, assignment=assignment, text="x")
    services.submission_grade(actor=instructor, submission=submission, points="8")
    note = Notification.objects.get(recipient=student)
    assert "has been graded; your grade shows from" in note.body
    assert "of 10 points" not in note.body  # the grade itself is not told yet
    assignment.refresh_from_db()
    assert not assignment.grades_released()
    assert assignment.grades_released(release + timedelta(seconds=1))


def test_a_release_date_is_needed_for_grades_from_a_date(assignment, instructor):
    with pytest.raises(ValidationError) as info:
        services.assignment_update(
            actor=instructor, assignment=assignment, changes={"grade_visibility": "after"}
        )
    assert "grade_visible_from" in info.value.message_dict


def test_deleting_the_lesson_deletes_the_stored_files(
    assignment, student, instructor, stored_files, django_capture_on_commit_callbacks
):
    services.submission_create(user=student, assignment=assignment, files=[pdf()])
    assert len(stored_files()) == 1
    make_assignment(assignment.course, title="Another")  # the course keeps a lesson
    with django_capture_on_commit_callbacks(execute=True):
        course_services.lesson_delete(actor=instructor, lesson=assignment.lesson)
    assert stored_files() == set()
    assert not SubmissionFile.objects.exists()
