"""Every write of the assignments app: settings and rubric, hand-ins, grades and
extensions. Each runs in one transaction with its audit event.

Who may do what:

- settings and rubric: ``course.edit`` in the course (instructors, administrators);
- handing in: an active learner who may open the lesson (``lesson_access``); course staff
  only preview;
- grading and extensions: ``grade.edit`` in the course (instructors, teaching assistants,
  administrators).

A refused hand-in (an oversized or unacceptable file, too many files, the assignment
closed) stores no file and writes no row: every check runs before the first write, and
files stored before a failing database write are deleted again.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from syllabus.assignments import late
from syllabus.assignments.models import Assignment, Extension, Submission, SubmissionFile
from syllabus.assignments.rubric import clean_rubric, rubric_total, score
from syllabus.audit.services import record
from syllabus.communication.services import notify
from syllabus.core.email import in_language_of
from syllabus.core.markdown import render_markdown
from syllabus.courses import uploads
from syllabus.courses.models import CourseMembership, Lesson
from syllabus.courses.permissions import has_course_perm
from syllabus.courses.services import lesson_update
from syllabus.grades.models import GradeItem, LearnerVisibility
from syllabus.grades.services import source_grade_record, source_item_sync
from syllabus.learning.access import LEARNER_ROLE, lesson_access
from syllabus.learning.services import lesson_result_complete

logger = logging.getLogger(__name__)

TEXT_MAX: Final = 100_000
FEEDBACK_MAX: Final = 20_000
REASON_MAX: Final = 300
KIND: Final = GradeItem.Kind.ASSIGNMENT
NOTIFICATION_KIND: Final = "assignment.graded"

SETTING_FIELDS: Final = frozenset(
    {
        "instructions",
        "max_points",
        "accept_text",
        "accept_files",
        "allow_resubmission",
        "late_policy",
        "penalty_percent_per_day",
        "penalty_max_percent",
        "cutoff_at",
        "grade_visibility",
        "grade_visible_from",
    }
)
UNSET: Final = object()


# Refusals about the text or the kinds of work (the other codes are about files).
TEXT_CODES: Final = frozenset({"empty", "text_too_long", "text_not_accepted", "files_not_accepted"})


class SubmissionRefused(ValidationError):
    """A hand-in refused for its content (files, text); ``code`` names the reason and
    ``status`` is the HTTP status the entry points answer with (400, or 413 too large)."""

    def __init__(self, message: str, code: str, status: int = 400) -> None:
        super().__init__(message, code=code)
        self.status = status


# --- Permissions ---------------------------------------------------------------------------


def require_edit(actor: Any, assignment: Assignment) -> None:
    if not has_course_perm(actor, assignment.course, "course.edit"):
        raise PermissionDenied(_("Changing an assignment needs the course.edit permission."))


def require_grader(actor: Any, assignment: Assignment) -> None:
    if not has_course_perm(actor, assignment.course, "grade.edit"):
        raise PermissionDenied(_("Grading needs the grade.edit permission in this course."))


def can_grade(user: Any, assignment: Assignment) -> bool:
    return has_course_perm(user, assignment.course, "grade.edit")


def can_view_submission(user: Any, submission: Submission) -> bool:
    """The learner who handed it in, and the course's graders."""
    if not getattr(user, "is_authenticated", False):
        return False
    return submission.user_id == user.pk or can_grade(user, submission.assignment)


# --- The lesson kind -----------------------------------------------------------------------


def assignment_create_for_lesson(*, lesson: Lesson, actor: Any) -> Assignment:
    """The assignment of a new assignment lesson, with defaults (called by the lesson
    kind handler, inside the lesson's transaction; the lesson's creation is audited)."""
    assignment, _created = Assignment.objects.get_or_create(
        lesson=lesson, defaults={"course_id": lesson.course_id}
    )
    return assignment


def publish_problems(assignment: Assignment) -> list[str]:
    """Why the lesson cannot be published yet, in sentences an author can act on."""
    problems = []
    if not assignment.instructions.strip():
        problems.append(_("Write the assignment's instructions."))
    if not (assignment.accept_text or assignment.accept_files):
        problems.append(_("Accept text, files or both."))
    if assignment.rubric and rubric_total(assignment.rubric) != assignment.max_points:
        problems.append(
            _(
                "The rubric's levels add up to %(total)s points "
                "but the assignment is worth %(max)s: make them match."
            )
            % {
                "total": _plain(rubric_total(assignment.rubric)),
                "max": _plain(assignment.max_points),
            }
        )
    if assignment.late_policy == Assignment.LatePolicy.CUTOFF:
        due = assignment.lesson.due_at
        if assignment.cutoff_at is None:
            problems.append(_("Set the cut-off date until which late work is accepted."))
        elif due is not None and assignment.cutoff_at <= due:
            problems.append(_("The cut-off date must come after the due date."))
    return problems


def assignment_copy(*, source: Lesson, copy: Lesson, actor: Any) -> Assignment:
    """Settings and rubric of ``source``'s assignment onto ``copy`` (a course copy); never
    submissions or extensions."""
    original = Assignment.objects.filter(lesson=source).first()
    fields: dict[str, Any] = {"course_id": copy.course_id}
    if original is not None:
        fields |= {f: getattr(original, f) for f in SETTING_FIELDS}
        fields |= {"instructions_html": original.instructions_html, "rubric": original.rubric}
    assignment, _created = Assignment.objects.update_or_create(lesson=copy, defaults=fields)
    return assignment


# --- Settings and rubric -------------------------------------------------------------------


@transaction.atomic
def assignment_update(
    *,
    actor: Any,
    assignment: Assignment,
    changes: dict[str, Any],
    rubric: Sequence[dict[str, Any]] | object | None = UNSET,
    due_at: datetime | object | None = UNSET,
) -> Assignment:
    """Change settings (PATCH semantics), the rubric (a list of criteria; ``[]`` or None
    removes it) and the due date (the lesson's, changed through the lesson service). A
    published assignment must stay publishable. Audited as ``assignment.updated`` and
    ``rubric.updated``; the gradebook item follows."""
    require_edit(actor, assignment)
    unknown = set(changes) - SETTING_FIELDS
    if unknown:
        raise ValidationError(
            _("These fields cannot be changed here: %(fields)s.")
            % {"fields": ", ".join(sorted(unknown))}
        )
    assignment = (
        Assignment.objects.select_for_update().select_related("lesson").get(pk=assignment.pk)
    )
    lesson = assignment.lesson
    if due_at is not UNSET and due_at != lesson.due_at:
        lesson = lesson_update(actor=actor, lesson=lesson, changes={"due_at": due_at})
        assignment.lesson = lesson
    changed = []
    for field, value in changes.items():
        if getattr(assignment, field) != value:
            setattr(assignment, field, value)
            changed.append(field)
    errors: dict[str, list[str]] = {}
    if not (assignment.accept_text or assignment.accept_files):
        errors.setdefault("accept_text", []).append(_("Accept text, files or both."))
    if assignment.penalty_max_percent < assignment.penalty_percent_per_day and (
        assignment.late_policy == Assignment.LatePolicy.PENALTY
    ):
        errors.setdefault("penalty_max_percent", []).append(
            _("The largest penalty cannot be below the penalty for one day.")
        )
    if (
        assignment.grade_visibility == LearnerVisibility.AFTER
        and assignment.grade_visible_from is None
    ):
        errors.setdefault("grade_visible_from", []).append(
            _("Give the date from which learners see their grades.")
        )
    try:
        assignment.full_clean(exclude=["lesson", "course", "rubric", "instructions_html"])
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    if "instructions" in changed:
        assignment.instructions_html = render_markdown(assignment.instructions)
        changed.append("instructions_html")
    rubric_changed = False
    if rubric is not UNSET:
        new_rubric = clean_rubric(rubric or [], assignment.rubric)  # type: ignore[arg-type]
        if new_rubric != assignment.rubric:
            assignment.rubric = new_rubric
            changed.append("rubric")
            rubric_changed = True
    if lesson.is_published and (problems := publish_problems(assignment)):
        raise ValidationError(problems)
    if changed:
        assignment.save(update_fields=[*changed, "updated_at"])
        settings_changed = sorted(set(changed) - {"instructions_html", "rubric"})
        if settings_changed:
            record(
                actor=actor,
                action="assignment.updated",
                target=assignment,
                details={"lesson": lesson.public_id, "fields": settings_changed},
            )
        if rubric_changed:
            record(
                actor=actor,
                action="rubric.updated",
                target=assignment,
                details={
                    "lesson": lesson.public_id,
                    "criteria": len(assignment.rubric),
                    "total": str(rubric_total(assignment.rubric)),
                },
            )
    grade_item_sync(assignment, actor=actor)
    return assignment


def grade_item_sync(assignment: Assignment, *, actor: Any = None) -> GradeItem:
    """The gradebook item follows the assignment: title, maximum, due date and when
    learners see their grades."""
    lesson = assignment.lesson
    return source_item_sync(
        course=assignment.course,
        kind=KIND,
        source_id=assignment.pk,
        title=lesson.title,
        max_points=assignment.max_points,
        due_at=lesson.due_at,
        learner_visibility=assignment.grade_visibility,
        learner_visible_from=assignment.grade_visible_from,
        actor=actor,
    )


# --- Deadlines -----------------------------------------------------------------------------


def deadline(assignment: Assignment, extension: Extension | None) -> late.Deadline:
    return late.deadline_for(
        policy=assignment.late_policy,
        due_at=assignment.lesson.due_at,
        cutoff_at=assignment.cutoff_at,
        extension_due_at=extension.due_at if extension else None,
    )


def _extension(assignment: Assignment, user: Any) -> Extension | None:
    return Extension.objects.filter(assignment=assignment, user=user).first()


# --- Handing in ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _CheckedFile:
    upload: Any
    info: uploads.UploadInfo


def check_files(files: Sequence[Any]) -> list[_CheckedFile]:
    """Every file checked (count, size, type by content, archives): reads only. Raises
    ``SubmissionRefused`` naming the first problem."""
    limit_files = int(settings.ASSIGNMENT_MAX_FILES)
    if len(files) > limit_files:
        raise SubmissionRefused(
            ngettext(
                "Attach at most %(count)s file.", "Attach at most %(count)s files.", limit_files
            )
            % {"count": limit_files},
            code="too_many_files",
        )
    limit = int(settings.ASSIGNMENT_MAX_FILE_MB) * 1024 * 1024
    checked = []
    names: set[str] = set()
    for upload in files:
        name = uploads.safe_name(getattr(upload, "name", "") or "")
        size = int(getattr(upload, "size", 0) or 0)
        if size > limit:
            raise SubmissionRefused(
                _("%(name)s is %(size)s; each file may be at most %(limit)s MB.")
                % {
                    "name": name,
                    "size": _megabytes(size),
                    "limit": settings.ASSIGNMENT_MAX_FILE_MB,
                },
                code="too_large",
                status=413,
            )
        try:
            info = uploads.validate_upload(upload, uploads.FILE)
        except ValidationError as exc:
            code = exc.error_list[0].code or "refused"
            raise SubmissionRefused(
                " ".join(exc.messages), code=code, status=413 if code == "too_large" else 400
            ) from None
        if info.name.casefold() in names:
            raise SubmissionRefused(
                _("%(name)s is attached twice.") % {"name": info.name}, code="duplicate"
            )
        names.add(info.name.casefold())
        checked.append(_CheckedFile(upload, info))
    return checked


def _learner_refusal(user: Any, assignment: Assignment) -> None:
    access = lesson_access(user, assignment.lesson)
    if access.staff:
        raise PermissionDenied(_("Course staff preview assignments; only learners hand work in."))
    if not access.allowed:
        raise PermissionDenied(access.reason)


def submission_create(
    *,
    user: Any,
    assignment: Assignment,
    text: str = "",
    files: Sequence[Any] = (),
    now: datetime | None = None,
) -> Submission:
    """Hand in a new version (text and/or files). Checks everything before storing a
    file; the rows, the audit event and the lesson's completion are one transaction."""
    _learner_refusal(user, assignment)
    text = (text or "").replace("\r\n", "\n").strip()
    if len(text) > TEXT_MAX:
        raise SubmissionRefused(
            _("Your text is %(length)s characters long; the limit is %(max)s.")
            % {
                "length": number_format(len(text), force_grouping=True),
                "max": number_format(TEXT_MAX, force_grouping=True),
            },
            code="text_too_long",
        )
    if text and not assignment.accept_text:
        raise SubmissionRefused(_("This assignment takes files only."), code="text_not_accepted")
    if files and not assignment.accept_files:
        raise SubmissionRefused(_("This assignment takes text only."), code="files_not_accepted")
    if not text and not files:
        what = (
            _("Write your answer or attach a file.")
            if assignment.accept_text and assignment.accept_files
            else _("Write your answer.")
            if assignment.accept_text
            else _("Attach a file.")
        )
        raise SubmissionRefused(what, code="empty")
    checked = check_files(files)
    now = now or timezone.now()
    _refusal_now(user, assignment, now)  # before storing anything
    stored: list[str] = []
    try:
        for item in checked:
            item.upload.seek(0)
            stored.append(
                default_storage.save(
                    SubmissionFile.file.field.generate_filename(None, item.info.name), item.upload
                )
            )
        submission = _submission_write(
            user=user, assignment=assignment, text=text, checked=checked, stored=stored, now=now
        )
    except BaseException:
        for name in stored:
            uploads.delete_stored(name)
        raise
    return submission


def _refusal_now(user: Any, assignment: Assignment, now: datetime) -> late.Deadline:
    versions = Submission.objects.filter(assignment=assignment, user=user).count()
    if versions >= int(settings.ASSIGNMENT_MAX_VERSIONS):
        raise ValidationError(
            _("You have handed in %(count)s versions, the most this site accepts.")
            % {"count": versions},
            code="too_many_versions",
        )
    dates = deadline(assignment, _extension(assignment, user))
    reason = late.submission_refusal(
        deadline=dates,
        now=now,
        has_previous=versions > 0,
        allow_resubmission=assignment.allow_resubmission,
    )
    if reason:
        raise ValidationError(reason, code="closed")
    return dates


@transaction.atomic
def _submission_write(
    *,
    user: Any,
    assignment: Assignment,
    text: str,
    checked: list[_CheckedFile],
    stored: list[str],
    now: datetime,
) -> Submission:
    # One hand-in at a time per assignment and learner: lock the assignment row, then
    # check again (a second tab may have handed in meanwhile).
    assignment = (
        Assignment.objects.select_for_update()
        .select_related("lesson", "lesson__course", "lesson__module", "course")
        .get(pk=assignment.pk)
    )
    dates = _refusal_now(user, assignment, now)
    previous = (
        Submission.objects.filter(assignment=assignment, user=user)
        .order_by("-version")
        .values_list("version", flat=True)
        .first()
    )
    Submission.objects.filter(assignment=assignment, user=user, is_latest=True).update(
        is_latest=False
    )
    days = late.days_late(submitted_at=now, due_at=dates.due_at)
    percent = (
        late.penalty_percent(
            days=days,
            per_day=assignment.penalty_percent_per_day,
            cap=assignment.penalty_max_percent,
        )
        if assignment.late_policy == Assignment.LatePolicy.PENALTY
        else Decimal("0")
    )
    submission = Submission.objects.create(
        assignment=assignment,
        course_id=assignment.course_id,
        user=user,
        version=(previous or 0) + 1,
        text=text,
        text_html=render_markdown(text) if text else "",
        submitted_at=now,
        due_at=dates.due_at,
        days_late=days,
        penalty_percent=percent,
    )
    SubmissionFile.objects.bulk_create(
        [
            SubmissionFile(
                submission=submission,
                file=name,
                name=item.info.name,
                content_type=item.info.content_type,
                size=item.info.size,
            )
            for item, name in zip(checked, stored, strict=True)
        ]
    )
    record(
        actor=user,
        action="assignment.submitted",
        target=submission,
        details={
            "assignment": assignment.public_id,
            "lesson": assignment.lesson.public_id,
            "version": submission.version,
            "files": len(checked),
            "days_late": days,
            "penalty_percent": str(percent),
        },
    )
    lesson_result_complete(user=user, lesson=assignment.lesson, now=now)
    return submission


# --- Grading -------------------------------------------------------------------------------


def _decimal(value: Any, field: str) -> Decimal:
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError({field: _("Enter a number.")}) from None
    if not number.is_finite():
        raise ValidationError({field: _("Enter a number.")})
    if number != number.quantize(Decimal("0.01")):
        raise ValidationError({field: _("Use at most two decimals.")})
    return number.quantize(Decimal("0.01"))


@transaction.atomic
def submission_grade(
    *,
    actor: Any,
    submission: Submission,
    levels: dict[str, str] | None = None,
    points: Any = None,
    adjustment: Any = 0,
    feedback: str = "",
    now: datetime | None = None,
) -> Submission:
    """Grade the latest version of a learner's work: one rubric level per criterion (or
    points directly when the assignment has no rubric), an optional adjustment, free
    feedback. The late penalty is taken off; the result goes to the gradebook and the
    learner is notified. Grading again replaces the grade (audited both times)."""
    require_grader(actor, submission.assignment)
    submission = (
        Submission.objects.select_for_update()
        .select_related("assignment", "assignment__lesson", "assignment__course", "user")
        .get(pk=submission.pk)
    )
    assignment = submission.assignment
    if not submission.is_latest:
        raise ValidationError(
            _("The learner has handed in a newer version since: grade that one."), code="stale"
        )
    maximum = assignment.max_points
    if assignment.rubric:
        if points not in (None, ""):
            raise ValidationError(
                {"points": _("This assignment has a rubric: choose a level per criterion.")}
            )
        raw, snapshot = score(assignment.rubric, levels or {})
    else:
        if levels:
            raise ValidationError({"rubric": _("This assignment has no rubric.")})
        if points in (None, ""):
            raise ValidationError({"points": _("Give the points.")})
        raw = _decimal(points, "points")
        snapshot = []
        if raw < 0 or raw > maximum:
            raise ValidationError(
                {"points": _("Give between 0 and %(max)s points.") % {"max": _plain(maximum)}}
            )
    adjust = _decimal(adjustment if adjustment not in (None, "") else 0, "adjustment")
    earned = raw + adjust
    if earned < 0 or earned > maximum:
        raise ValidationError(
            {
                "adjustment": (
                    _(
                        "With this adjustment the grade would be %(earned)s; it must stay "
                        "between 0 and %(max)s."
                    )
                    % {"earned": _plain(earned), "max": _plain(maximum)}
                )
            }
        )
    feedback = (feedback or "").replace("\r\n", "\n").strip()
    if len(feedback) > FEEDBACK_MAX:
        raise ValidationError(
            {
                "feedback": _("Feedback is at most %(max)s characters.")
                % {"max": number_format(FEEDBACK_MAX, force_grouping=True)}
            }
        )
    penalty = late.apply_penalty(
        points=earned, max_points=maximum, percent=submission.penalty_percent
    )
    regrade = submission.graded_at is not None
    previous = submission.final_points
    now = now or timezone.now()
    submission.rubric_scores = snapshot
    submission.points = raw
    submission.adjustment = adjust
    submission.penalty_points = penalty
    submission.final_points = earned - penalty
    submission.feedback = feedback
    submission.feedback_html = render_markdown(feedback) if feedback else ""
    submission.graded_at = now
    submission.graded_by = actor
    submission.save()
    learner = submission.user
    record(
        actor=actor,
        action="assignment.graded",
        target=submission,
        details={
            "assignment": assignment.public_id,
            "learner": learner.public_id,
            "version": submission.version,
            "points": str(raw),
            "adjustment": str(adjust),
            "penalty": str(penalty),
            "final": str(submission.final_points),
            "previous": None if previous is None else str(previous),
            "regrade": regrade,
        },
    )
    grade_item_sync(assignment, actor=actor)
    source_grade_record(
        kind=KIND,
        source_id=assignment.pk,
        user=learner,
        points=submission.final_points,
        actor=actor,
        graded_at=now,
    )
    lesson = assignment.lesson
    # Written in the learner's language (their choice, else the site's), not the grader's.
    with in_language_of(learner):
        title = _("%(title)s: graded") % {"title": lesson.title}
        body = _graded_message(submission, now)
    notify(
        [learner],
        kind=NOTIFICATION_KIND,
        title=title,
        body=body,
        url=reverse("learning:lesson", args=[lesson.public_id]),
    )
    return submission


def _graded_message(submission: Submission, now: datetime) -> str:
    """What the learner is told: the grade when grades are released, else only when."""
    assignment = submission.assignment
    title = assignment.lesson.title
    if assignment.grades_released(now):
        assert submission.final_points is not None
        text = _("Your work on “%(title)s” got %(points)s of %(max)s points.") % {
            "title": title,
            "points": _plain(submission.final_points),
            "max": _plain(assignment.max_points),
        }
        if submission.penalty_points:
            text += " " + _("A late penalty of %(points)s points was taken off.") % {
                "points": _plain(submission.penalty_points)
            }
        return text
    if assignment.grade_visibility == LearnerVisibility.AFTER and assignment.grade_visible_from:
        when = date_format(timezone.localtime(assignment.grade_visible_from), "DATETIME_FORMAT")
        return _("Your work on “%(title)s” has been graded; your grade shows from %(when)s.") % {
            "title": title,
            "when": when,
        }
    return _("Your work on “%(title)s” has been graded.") % {"title": title}


# --- Extensions ----------------------------------------------------------------------------


@transaction.atomic
def extension_grant(
    *, actor: Any, assignment: Assignment, user: Any, due_at: datetime, reason: str = ""
) -> Extension:
    """Give one learner their own due date (replacing an earlier extension)."""
    require_grader(actor, assignment)
    if not CourseMembership.objects.filter(
        course_id=assignment.course_id, user=user, role__slug=LEARNER_ROLE
    ).exists():
        raise ValidationError({"user": _("Extensions are for learners of this course.")})
    if due_at is None:
        raise ValidationError({"due_at": _("Give the new due date.")})
    due = assignment.lesson.due_at
    if due is not None and due_at <= due:
        raise ValidationError({"due_at": _("An extension must end after the due date.")})
    reason = " ".join((reason or "").split())
    if len(reason) > REASON_MAX:
        raise ValidationError(
            {"reason": _("The reason is at most %(max)s characters.") % {"max": REASON_MAX}}
        )
    extension = (
        Extension.objects.select_for_update().filter(assignment=assignment, user=user).first()
    )
    previous = extension.due_at if extension else None
    if extension is None:
        extension = Extension(assignment=assignment, user=user)
    extension.due_at = due_at
    extension.reason = reason
    extension.granted_by = actor
    extension.save()
    record(
        actor=actor,
        action="assignment.extension_granted",
        target=assignment,
        details={
            "learner": user.public_id,
            "due_at": due_at.isoformat(),
            "previous": previous.isoformat() if previous else None,
            "reason": reason,
        },
    )
    return extension


@transaction.atomic
def extension_remove(*, actor: Any, extension: Extension) -> None:
    assignment = extension.assignment
    require_grader(actor, assignment)
    record(
        actor=actor,
        action="assignment.extension_removed",
        target=assignment,
        details={"learner": extension.user.public_id, "due_at": extension.due_at.isoformat()},
    )
    extension.delete()


# --- Helpers -------------------------------------------------------------------------------


def _plain(value: Decimal) -> str:
    # In the reader's number format (12,5 in Spanish), without trailing zeros.
    return number_format(Decimal(f"{value.normalize():f}"))


def _megabytes(size: int) -> str:
    return _("%(size)s MB") % {"size": number_format(size / (1024 * 1024), decimal_pos=1)}
