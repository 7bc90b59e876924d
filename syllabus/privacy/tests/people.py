"""A person with data in every model the personal data registry declares.

``MAKERS`` has one function per declared model; ``test_every_declared_model_has_a_maker``
fails when an app declares a model without adding its maker here, so the export and
erasure tests always cover every declaration.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.apps import apps
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.backends.db import SessionStore
from django.utils import timezone

from syllabus.accounts.models import (
    ApiToken,
    Invitation,
    OneTimeCodeMethod,
    Role,
    RoleAssignment,
    UserSession,
)
from syllabus.audit.services import record
from syllabus.communication.models import Notification, NotificationPreference
from syllabus.courses.models import (
    Announcement,
    Course,
    CourseMembership,
    EnrolmentImport,
    Lesson,
    Module,
    WaitlistEntry,
)
from syllabus.learning.models import CourseProgress, LessonProgress
from syllabus.ops.models import FailedJob
from syllabus.privacy.models import Consent, DataRequest, PolicyDocument, RetentionRun
from tests.factories import UserFactory

EMAIL = "sigrid.subject@example.org"
NAME = "Sigrid Quenby-Subject"
PHONE = "+447700900123"


@dataclass
class World:
    subject: Any
    other: Any
    course: Course
    lesson: Lesson
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def pii(self) -> list[str]:
        """Strings that identify the subject and must not survive erasure."""
        return [EMAIL, NAME, PHONE, "Before-Rename", *self.extra.get("pii", [])]


def _course(w: World, title: str) -> Course:
    return Course.objects.create(title=title, slug=title.lower().replace(" ", "-"))


MAKERS: dict[str, Callable[[World], Any]] = {}


def maker(label: str) -> Callable[[Callable[[World], Any]], Callable[[World], Any]]:
    def decorate(fn: Callable[[World], Any]) -> Callable[[World], Any]:
        MAKERS[label.lower()] = fn
        return fn

    return decorate


@maker("accounts.User")
def _user(w: World) -> None:
    w.subject.last_login = timezone.now()
    w.subject.save()


@maker("accounts.HistoricalUser")
def _user_history(w: World) -> None:
    w.subject.full_name = NAME  # a second version in the history table
    w.subject.save()


@maker("accounts.PersonalDetails")
def _details(w: World) -> None:
    model = apps.get_model("accounts", "PersonalDetails")
    model.objects.create(
        user=w.subject,
        date_of_birth=timezone.now().date() - timedelta(days=8000),
        postal_address="12 Quenby Lane, Exampletown",
        id_number="QX-991-204",
        accommodation_notes="Needs extra time",
        medical_notes="Dyslexia",
    )
    w.extra.setdefault("pii", []).extend(["12 Quenby Lane", "QX-991-204"])


@maker("accounts.User_groups")
def _groups(w: World) -> None:
    w.subject.groups.add(Group.objects.create(name="Privacy test group"))


@maker("accounts.User_user_permissions")
def _permissions(w: World) -> None:
    w.subject.user_permissions.add(Permission.objects.first())


@maker("accounts.RoleAssignment")
def _role(w: World) -> None:
    RoleAssignment.objects.create(
        user=w.subject, role=Role.objects.get(slug="auditor"), granted_by=w.other
    )


@maker("accounts.HistoricalRoleAssignment")
def _role_history(w: World) -> None:
    pass  # written by simple-history when the role assignment is created


@maker("accounts.ApiToken")
def _token(w: World) -> None:
    ApiToken.objects.create(
        user=w.subject,
        name="Laptop",
        prefix="syl_abc",
        token_hash="a" * 64,
        expires_at=timezone.now() + timedelta(days=30),
        last_used_ip="203.0.113.7",
    )


@maker("accounts.UserSession")
def _session(w: World) -> None:
    store = SessionStore()
    store["_auth_user_id"] = str(w.subject.pk)
    store.create()
    w.extra["session_key"] = store.session_key
    UserSession.objects.create(
        user=w.subject,
        session_key=store.session_key,
        last_seen_at=timezone.now(),
        ip="203.0.113.8",
        user_agent="Firefox",
        device="Firefox on Linux",
    )


@maker("accounts.Invitation")
def _invitation(w: World) -> None:
    Invitation.objects.create(
        email=EMAIL,
        invited_by=w.other,
        token_hash="b" * 64,
        expires_at=timezone.now() + timedelta(days=3),
        accepted_at=timezone.now(),
        accepted_by=w.subject,
    )


@maker("accounts.OneTimeCodeMethod")
def _code_method(w: World) -> None:
    OneTimeCodeMethod.objects.create(user=w.subject, channel="email", verified_at=timezone.now())


@maker("account.EmailAddress")
def _email(w: World) -> None:
    EmailAddress.objects.update_or_create(
        user=w.subject, email=EMAIL, defaults={"verified": True, "primary": True}
    )


@maker("mfa.Authenticator")
def _authenticator(w: World) -> None:
    Authenticator.objects.create(user=w.subject, type="totp", data={"secret": "encrypted"})


@maker("admin.LogEntry")
def _log_entry(w: World) -> None:
    LogEntry.objects.create(
        user=w.other,
        content_type=ContentType.objects.get_for_model(type(w.subject)),
        object_id=str(w.subject.pk),
        object_repr=EMAIL,
        action_flag=CHANGE,
        change_message=f"Changed name to {NAME}",
    )


@maker("axes.AccessAttempt")
def _attempt(w: World) -> None:
    AccessAttempt.objects.create(
        username=EMAIL, ip_address="203.0.113.9", user_agent="curl", failures_since_start=1
    )


@maker("axes.AccessFailureLog")
def _failure(w: World) -> None:
    AccessFailureLog.objects.create(username=EMAIL, ip_address="203.0.113.9", user_agent="curl")


@maker("axes.AccessLog")
def _access(w: World) -> None:
    AccessLog.objects.create(username=EMAIL, ip_address="203.0.113.9", user_agent="curl")


@maker("audit.AuditEvent")
def _audit(w: World) -> None:
    record(actor=w.subject, action="auth.login")


@maker("communication.Notification")
def _notification(w: World) -> None:
    Notification.objects.create(
        recipient=w.subject, kind="privacy", title=f"Hello {NAME}", body="Welcome"
    )


@maker("communication.NotificationPreference")
def _preference(w: World) -> None:
    NotificationPreference.objects.create(user=w.subject, email_mode="off")


@maker("courses.Course")
def _created_course(w: World) -> None:
    Course.objects.create(title="Subject's own course", slug="subjects-own", created_by=w.subject)


@maker("courses.Announcement")
def _announcement(w: World) -> None:
    Announcement.objects.create(course=w.course, author=w.subject, title="Hi", body="Hello")


@maker("courses.EnrolmentImport")
def _import(w: World) -> None:
    EnrolmentImport.objects.create(
        course=w.course,
        created_by=w.other,
        filename="list.csv",
        content=f"email\n{EMAIL}\nsomeone@example.org\n",
        report={"rows": [{"email": EMAIL, "result": "enrolled"}]},
    )


@maker("courses.CourseMembership")
def _membership(w: World) -> None:
    CourseMembership.objects.create(
        course=w.course, user=w.subject, role=Role.objects.get(slug="learner"), granted_by=w.other
    )


@maker("courses.HistoricalCourseMembership")
def _membership_history(w: World) -> None:
    pass  # written by simple-history


@maker("courses.WaitlistEntry")
def _waitlist(w: World) -> None:
    WaitlistEntry.objects.create(course=_course(w, "Full course"), user=w.subject)


@maker("learning.LessonProgress")
def _lesson_progress(w: World) -> None:
    LessonProgress.objects.create(
        user=w.subject, lesson=w.lesson, course=w.course, completed_at=timezone.now()
    )


@maker("learning.CourseProgress")
def _course_progress(w: World) -> None:
    CourseProgress.objects.create(
        user=w.subject,
        course=w.course,
        completed_lessons=1,
        required_lessons=1,
        percent=100,
        last_activity_at=timezone.now(),
        completed_at=timezone.now(),
    )


def _quiz(w: World) -> Any:
    if "quiz" not in w.extra:
        from syllabus.assessments.models import Question, QuestionBank, Quiz

        quiz_lesson = Lesson.objects.create(
            course=w.course, module=w.lesson.module, title="Quiz", kind="quiz", position=5
        )
        quiz = Quiz(lesson=quiz_lesson, course=w.course)
        quiz._history_user = w.subject
        quiz.save()
        bank = QuestionBank.objects.create(course=w.course, name="Bank")
        question = Question(
            bank=bank, course=w.course, kind="short", title="Q", text="Why?", points=1
        )
        question._history_user = w.subject
        question.save()
        w.extra["quiz"], w.extra["question"] = quiz, question
    return w.extra["quiz"]


@maker("assessments.HistoricalQuiz")
def _quiz_history(w: World) -> None:
    _quiz(w)


@maker("assessments.HistoricalQuestion")
def _question_history(w: World) -> None:
    _quiz(w)


@maker("assessments.Accommodation")
def _accommodation(w: World) -> None:
    from syllabus.assessments.models import Accommodation

    Accommodation.objects.create(
        quiz=_quiz(w), user=w.subject, extra_minutes=15, note="Visual impairment"
    )
    w.extra.setdefault("pii", []).append("Visual impairment")


@maker("assessments.HistoricalAccommodation")
def _accommodation_history(w: World) -> None:
    pass  # written by simple-history


@maker("assessments.Attempt")
def _quiz_attempt(w: World) -> None:
    from syllabus.assessments.models import Attempt

    w.extra["attempt"] = Attempt.objects.create(
        quiz=_quiz(w),
        user=w.subject,
        number=1,
        status="submitted",
        started_at=timezone.now(),
        submitted_at=timezone.now(),
        score=Decimal("1"),
        max_score=Decimal("1"),
        percent=Decimal("100"),
    )


@maker("assessments.AttemptQuestion")
def _attempt_question(w: World) -> None:
    from syllabus.assessments.models import AttemptQuestion

    if "attempt" not in w.extra:
        _quiz_attempt(w)
    AttemptQuestion.objects.create(
        attempt=w.extra["attempt"],
        position=0,
        question=w.extra["question"],
        question_version=1,
        snapshot={},
        points=Decimal("1"),
        response={"text": "Because"},
        points_awarded=Decimal("1"),
        graded_by=w.other,
        feedback="Good",
    )


@maker("grades.Grade")
def _grade(w: World) -> None:
    from syllabus.grades.models import Grade, GradeItem

    item = GradeItem.objects.create(course=w.course, title="Essay", max_points=Decimal("10"))
    Grade.objects.create(
        item=item,
        user=w.subject,
        course=w.course,
        points=Decimal("7"),
        graded_at=timezone.now(),
        graded_by=w.other,
        override_points=Decimal("8"),
        override_reason=f"Illness of {NAME}",
        overridden_by=w.other,
        overridden_at=timezone.now(),
    )


@maker("grades.HistoricalGrade")
def _grade_history(w: World) -> None:
    pass  # written by simple-history


def _assignment(w: World) -> Any:
    if "assignment" not in w.extra:
        from syllabus.assignments.models import Assignment

        lesson = Lesson.objects.create(
            course=w.course, module=w.lesson.module, title="Essay", kind="assignment", position=6
        )
        assignment = Assignment(lesson=lesson, course=w.course, instructions="Write")
        assignment._history_user = w.subject
        assignment.save()
        w.extra["assignment"] = assignment
    return w.extra["assignment"]


@maker("assignments.HistoricalAssignment")
def _assignment_history(w: World) -> None:
    _assignment(w)


@maker("assignments.Submission")
def _submission(w: World) -> None:
    from syllabus.assignments.models import Submission

    Submission.objects.create(
        assignment=_assignment(w),
        course=w.course,
        user=w.subject,
        version=1,
        text="My essay",
        submitted_at=timezone.now(),
        points=Decimal("5"),
        feedback="Fine",
        graded_at=timezone.now(),
        graded_by=w.other,
    )


@maker("assignments.HistoricalSubmission")
def _submission_history(w: World) -> None:
    pass  # written by simple-history


@maker("assignments.Extension")
def _extension(w: World) -> None:
    from syllabus.assignments.models import Extension

    Extension.objects.create(
        assignment=_assignment(w),
        user=w.subject,
        due_at=timezone.now() + timedelta(days=3),
        reason="Hospital stay",
        granted_by=w.other,
    )
    w.extra.setdefault("pii", []).append("Hospital stay")


@maker("certificates.Certificate")
def _certificate(w: World) -> None:
    from django.core.files.base import ContentFile

    from syllabus.certificates.models import Certificate

    certificate = Certificate.objects.create(
        code="PRIV-ACY1-TEST-0001",
        user=w.subject,
        course=w.course,
        learner_name=NAME,
        course_title=w.course.title,
        completed_at=timezone.now(),
        issued_at=timezone.now(),
    )
    certificate.pdf.save("privacy-test.pdf", ContentFile(b"%PDF-1.4 " + NAME.encode()))
    w.extra["certificate_pdf"] = certificate.pdf.name


@maker("certificates.CertificateSettings")
def _certificate_settings(w: World) -> None:
    from syllabus.certificates.models import CertificateSettings

    CertificateSettings.objects.update_or_create(
        course=_course(w, "Certified course"), defaults={"updated_by": w.subject}
    )


@maker("grades.HistoricalGradebookSettings")
def _gradebook_settings(w: World) -> None:
    from syllabus.grades.models import GradebookSettings

    settings = GradebookSettings(course=w.course)
    settings._history_user = w.subject
    settings.save()


@maker("reviews.ReportingLine")
def _reporting_line(w: World) -> None:
    from syllabus.reviews.models import ReportingLine

    ReportingLine.objects.create(user=w.subject, manager=w.other)


def _campaign(w: World) -> Any:
    if "campaign" not in w.extra:
        from syllabus.reviews.models import Campaign

        w.extra["campaign"] = Campaign.objects.create(
            name="Q4 review",
            started_by=w.subject,
            due_at=timezone.now() + timedelta(days=14),
            inactive_days=90,
            quarter="2026-Q4",
        )
    return w.extra["campaign"]


@maker("reviews.Campaign")
def _campaign_maker(w: World) -> None:
    _campaign(w)


@maker("reviews.ReviewItem")
def _review_item(w: World) -> None:
    from syllabus.reviews.models import ReviewItem

    ReviewItem.objects.create(
        campaign=_campaign(w),
        kind="site",
        holder=w.subject,
        holder_email=EMAIL,
        holder_name=NAME,
        role_slug="auditor",
        role_name="Auditor",
        reviewer=w.other,
    )


@maker("backups.BackupRun")
def _backup_run(w: World) -> None:
    from syllabus.backups.models import BackupRun

    BackupRun.objects.create(kind="backup", actor=w.subject)


@maker("learning.DirectoryOptOut")
def _directory_opt_out(w: World) -> None:
    model = apps.get_model("learning", "DirectoryOptOut")
    model.objects.create(user=w.subject)


@maker("ops.FailedJob")
def _failed_job(w: World) -> None:
    FailedJob.objects.create(
        task_name="x", task_id="1", error="boom", rerun_at=timezone.now(), rerun_by=w.subject
    )


@maker("privacy.PolicyDocument")
def _policy(w: World) -> None:
    PolicyDocument.objects.create(
        kind="privacy", version=99, title="Old", body="Text", published_by=w.subject
    )


@maker("privacy.Consent")
def _consent(w: World) -> None:
    document = PolicyDocument.objects.create(kind="terms", version=98, title="T", body="B")
    Consent.objects.create(user=w.subject, document=document, ip="203.0.113.10")


@maker("privacy.DataRequest")
def _request(w: World) -> None:
    DataRequest.objects.create(
        kind="access",
        subject=w.subject,
        requested_by=w.subject,
        status="expired",
        reason=f"I am {NAME}",
    )


@maker("privacy.ErasureRecord")
def _erasure_record(w: World) -> None:
    pass  # only exists once the person is erased (see the export test of an erased person)


@maker("privacy.RetentionRun")
def _retention_run(w: World) -> None:
    RetentionRun.objects.create(now=timezone.now(), triggered_by=w.subject)


def make_world(*, skip: tuple[str, ...] = ()) -> World:
    """The subject with rows in every declared model (``skip``: labels to leave out)."""
    from syllabus.privacy import registry

    other = UserFactory(email="olga.officer@example.org", full_name="Olga Officer")
    subject = UserFactory(email=EMAIL, full_name="Sigrid Before-Rename", phone_number=PHONE)
    course = Course.objects.create(title="Privacy 101", slug="privacy-101", created_by=other)
    module = Module.objects.create(course=course, title="One", is_published=True)
    lesson = Lesson.objects.create(course=course, module=module, title="Intro", is_published=True)
    world = World(subject=subject, other=other, course=course, lesson=lesson)
    for entry in registry.entries():
        label = entry.model_class._meta.label_lower
        if label in {s.lower() for s in skip}:
            continue
        MAKERS[label](world)
    subject.refresh_from_db()
    return world
