"""Matrix rows of the assignments area.

Settings and rubric need ``course.edit`` (the course's instructor, administrators);
grading, the queue, submissions and extensions need ``grade.edit`` (instructors, teaching
assistants, administrators); handing in is for the course's learners; a submission and
its files are for the learner who handed it in and the graders. The world has a
published assignment lesson, a submission by the learner persona with one file (a row
whose file is missing from storage), and an extension made afresh for the rows that
remove it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from syllabus.assignments.models import Assignment, Extension, Submission, SubmissionFile
from syllabus.courses.models import Lesson, Module
from tests.permissions.matrix import Row, only

EDITORS = only("instructor", "admin")
GRADERS = only("instructor", "admin")
LEARNER = only("learner")
OWNER_OR_GRADERS = only("learner", "instructor", "admin")
# Learners of the course open the lesson; its staff (course.edit or course.view_learners:
# the instructor, managers, administrators) preview it.
OPENERS = only("learner", "instructor", "manager", "admin")


def world(base: dict[str, Any]) -> dict[str, Any]:
    course = base["course_obj"]
    learner = base["people"]["learner"]
    module = Module.objects.create(course=course, title="Assignments", is_published=True)
    lesson = Lesson.objects.create(
        course=course,
        module=module,
        title="Matrix essay",
        kind=Lesson.Kind.ASSIGNMENT,
        is_published=True,
        due_at=timezone.now() + timedelta(days=7),
    )
    assignment = Assignment.objects.create(
        lesson=lesson, course=course, instructions="Write.", instructions_html="<p>Write.</p>"
    )
    submission = Submission.objects.create(
        assignment=assignment,
        course=course,
        user=learner,
        version=1,
        text="Mine",
        submitted_at=timezone.now(),
    )
    # The row only: its file is not in storage, so those allowed get 404 (the matrix reads
    # response.content, which a streamed file has not), the others 403.
    stored = SubmissionFile.objects.create(
        submission=submission,
        file="assignments/matrix/essay.txt",
        name="essay.txt",
        content_type="text/plain",
        size=5,
    )
    return {
        "assignment_lesson": lesson.public_id,
        "assignment_submission": submission.public_id,
        "assignment_file": stored.public_id,
        "assignment_learner": learner.public_id,
    }


def _lesson(c: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": c["assignment_lesson"]}


def _course(c: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": c["course"]}


def _submission(c: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": c["assignment_submission"]}


def _extension(c: dict[str, Any]) -> dict[str, Any]:
    """An extension for the learner persona, made again for every call."""
    assignment = Assignment.objects.get(lesson__public_id=c["assignment_lesson"])
    Extension.objects.get_or_create(
        assignment=assignment,
        user=c["people"]["learner"],
        defaults={"due_at": timezone.now() + timedelta(days=30)},
    )
    return {"public_id": c["assignment_lesson"], "user_id": c["assignment_learner"]}


UI: dict[str, Row] = {
    "assignments:edit": Row(EDITORS, kwargs=_lesson),
    "assignments:submit": Row(LEARNER, kwargs=_lesson),
    "assignments:submissions": Row(GRADERS, kwargs=_lesson),
    "assignments:extensions": Row(GRADERS, kwargs=_lesson),
    "assignments:extension_remove": Row(GRADERS, kwargs=_extension),
    "assignments:queue": Row(GRADERS, kwargs=_course),
    "assignments:grade": Row(GRADERS, kwargs=_submission),
    "assignments:file": Row(OWNER_OR_GRADERS, kwargs=lambda c: {"public_id": c["assignment_file"]}),
}

API: dict[tuple[str, str], Row] = {
    ("GET", "/api/v1/lessons/{public_id}/assignment"): Row(OPENERS, kwargs=_lesson),
    ("PATCH", "/api/v1/lessons/{public_id}/assignment"): Row(
        EDITORS, kwargs=_lesson, data={"instructions": "Write more."}
    ),
    # A JSON body is refused with 400 (multipart needed) for the learner: not a refusal.
    ("POST", "/api/v1/lessons/{public_id}/assignment/submissions"): Row(LEARNER, kwargs=_lesson),
    ("GET", "/api/v1/lessons/{public_id}/assignment/submissions"): Row(GRADERS, kwargs=_lesson),
    ("GET", "/api/v1/courses/{public_id}/grading-queue"): Row(GRADERS, kwargs=_course),
    ("GET", "/api/v1/submissions/{public_id}"): Row(OWNER_OR_GRADERS, kwargs=_submission),
    ("POST", "/api/v1/submissions/{public_id}/grade"): Row(
        GRADERS, kwargs=_submission, data={"points": "5", "feedback": "Fine."}
    ),
    ("GET", "/api/v1/submissions/{public_id}/files/{file_id}"): Row(
        OWNER_OR_GRADERS,
        kwargs=lambda c: {
            "public_id": c["assignment_submission"],
            "file_id": c["assignment_file"],
        },
    ),
    ("PUT", "/api/v1/lessons/{public_id}/assignment/extensions/{user_id}"): Row(
        GRADERS,
        kwargs=lambda c: {"public_id": c["assignment_lesson"], "user_id": c["assignment_learner"]},
        data={"due_at": "2100-01-01T00:00:00Z", "reason": "Matrix"},
    ),
    ("DELETE", "/api/v1/lessons/{public_id}/assignment/extensions/{user_id}"): Row(
        GRADERS, kwargs=_extension
    ),
}
