"""The data the route accessibility suite visits: the demo set (``syllabus demo``: people
of every site role, courses with text, video, file, quiz and assignment lessons, progress,
submissions, grades, certificates, announcements, notifications, a published privacy
policy) plus what the demo leaves out: a quiz attempt in progress and a submitted one, an
enrolment import waiting for its preview, a data request, an access review, an
invitation, an API token, an extension and an accommodation, and a course with nothing in
it yet (for empty states). Everything is written through the services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from syllabus.accounts.models import Role, User
from syllabus.courses.models import Cohort, Course, Lesson

DEMO_COURSE = "spreadsheets-to-dashboards"

# Who signs in for each role of the registry (demo accounts, one password).
ROLE_EMAILS: dict[str, str] = {
    "admin": "admin@example.com",
    "manager": "manager@example.com",
    "auditor": "auditor@example.com",
    "compliance": "compliance@example.com",
    "security": "security@example.com",
    "instructor": "priya.natarajan@example.com",
    "ta": "ta@example.com",
    "learner": "learner@example.com",
    "newcomer": "newcomer@example.com",
    "mfa": "mfa@example.com",
}
ANONYMOUS = "anonymous"


@dataclass
class World:
    course: Course
    empty_course: Course
    module_id: str
    empty_module_id: str
    text_lesson: str
    video_lesson: str
    file_lesson: str
    quiz_lesson: str
    assignment_lesson: str
    empty_lesson: str
    quiz: str
    empty_quiz: str
    attempt_open: str
    attempt_done: str
    essay_position: int
    bank: str
    empty_bank: str
    question: str
    category_slug: str
    cohort: str
    announcement: str
    enrolment_import: str
    learner_id: str
    classmate_id: str
    learner_person: str
    submission: str
    grade_category: str
    grade_item: str
    certificate: str
    certificate_code: str
    notification: str
    data_request: str
    campaign: str
    review_item: str
    mfa_user_id: str
    recovery_codes: list[str]
    invitation_token: str
    role_slug: str
    # Set by the browser test once it has registered a passkey (a virtual authenticator).
    webauthn_key: int = 0

    @property
    def course_id(self) -> str:
        return self.course.public_id

    @property
    def empty_course_id(self) -> str:
        return self.empty_course.public_id


def build_world() -> World:
    from syllabus.accounts.invitations import invitation_create
    from syllabus.accounts.services import role_create, user_create
    from syllabus.accounts.tokens import token_create
    from syllabus.assessments.models import Attempt, Question, QuestionBank, Quiz
    from syllabus.assessments.services_attempts import save_answer, start_attempt, submit_attempt
    from syllabus.assessments.services_authoring import accommodation_set, bank_create
    from syllabus.assignments.models import Assignment, Submission
    from syllabus.assignments.services import extension_grant
    from syllabus.certificates.models import Certificate
    from syllabus.communication.models import Notification
    from syllabus.courses import services as course_services
    from syllabus.courses.models import Announcement
    from syllabus.courses.services_announcements import announcement_post
    from syllabus.courses.services_enrolment import cohort_create, import_preview
    from syllabus.grades.models import GradeCategory, GradeItem
    from syllabus.grades.services import manual_item_create
    from syllabus.ops.demo.content import DEMO_PASSWORD
    from syllabus.ops.demo.loader import load_demo
    from syllabus.privacy.models import DataRequest
    from syllabus.reviews.models import ReviewItem
    from syllabus.reviews.services import campaign_start

    load_demo()
    people = {role: User.objects.filter(email=email).first() for role, email in ROLE_EMAILS.items()}
    admin, instructor, learner = people["admin"], people["instructor"], people["learner"]
    assert admin is not None and instructor is not None and learner is not None
    # Someone with no course, grade, certificate or notification yet: the empty states.
    newcomer = user_create(
        actor=None, email=ROLE_EMAILS["newcomer"], password=DEMO_PASSWORD, full_name="Nadia New"
    )
    _accept_policies(newcomer)

    course = Course.objects.get(slug=DEMO_COURSE)
    lessons = {lesson.kind: lesson for lesson in Lesson.objects.filter(course=course)}
    text = Lesson.objects.filter(course=course, kind=Lesson.Kind.TEXT).order_by("pk").first()
    assert text is not None
    quiz = Quiz.objects.get(lesson=lessons[Lesson.Kind.QUIZ])
    assignment = Assignment.objects.get(lesson=lessons[Lesson.Kind.ASSIGNMENT])

    # A course with nothing in it yet: a module with one empty quiz lesson, no learners.
    empty = course_services.course_create(actor=None, title="Empty course", summary="Nothing yet.")
    course_services.course_role_set(
        actor=None, course=empty, user=instructor, role=Role.objects.get(slug="instructor")
    )
    empty_module = course_services.module_create(actor=instructor, course=empty, title="Week 1")
    empty_lesson = course_services.lesson_create(
        actor=instructor, module=empty_module, title="First quiz", kind=Lesson.Kind.QUIZ
    )
    empty_quiz = Quiz.objects.get(lesson=empty_lesson)
    empty_bank = bank_create(actor=instructor, course=empty, name="Unused bank", description="")

    # The learner's first attempt, submitted with an essay to grade, and a second in progress.
    attempt_done = start_attempt(user=learner, quiz=quiz)
    essay_position = 1
    for row in attempt_done.questions.order_by("position"):
        if row.snapshot.get("kind") == "essay":
            essay_position = row.position
            save_answer(
                user=learner,
                attempt=attempt_done,
                position=row.position,
                response={"text": "Tidy tables and honest charts."},
            )
    submit_attempt(user=learner, attempt=Attempt.objects.get(pk=attempt_done.pk))
    attempt_open = start_attempt(user=learner, quiz=quiz)
    classmate = User.objects.get(email="amara.okafor@example.com")
    accommodation_set(
        actor=instructor, quiz=quiz, user=classmate, extra_minutes=10, extra_attempts=0
    )
    extension_grant(
        actor=instructor,
        assignment=assignment,
        user=classmate,
        due_at=timezone.now() + timedelta(days=30),
        reason="Away for a week.",
    )

    # A manual grade item (quiz and assignment items take their grades from those).
    grade_item = GradeItem.objects.filter(course=course, kind=GradeItem.Kind.MANUAL).first() or (
        manual_item_create(
            actor=instructor, course=course, title="Participation", max_points=Decimal("10")
        )
    )
    cohort = Cohort.objects.filter(course=course).order_by("pk").first() or cohort_create(
        actor=instructor, course=course, name="Evening group"
    )
    announcement = Announcement.objects.filter(course=course).order_by("pk").first() or (
        announcement_post(
            actor=instructor, course=course, title="Welcome", body="Start with module one."
        )
    )
    imp, _report = import_preview(
        actor=instructor,
        course=course,
        data=b"email,role\nsofia.ferreira@example.com,learner\n",
        filename="people.csv",
    )
    assert imp is not None, _report
    data_request = DataRequest.objects.order_by("pk").first()  # the demo's erasure request
    assert data_request is not None
    campaign = campaign_start(
        actor=people["compliance"], name="Quarterly access review", default_reviewer=admin
    )
    review_item = ReviewItem.objects.filter(campaign=campaign, reviewer=admin).first()
    assert review_item is not None
    mfa_user, recovery_codes = _mfa_user()
    # Built-in roles are fixed; an administrator's own role has an edit page.
    custom_role = role_create(actor=None, name="Course author", permissions=["course.create"])
    invitation, token = invitation_create(
        actor=admin,
        email="invited@example.com",
        role=Role.objects.get(slug="auditor"),
        base_url="http://127.0.0.1",
    )
    del invitation
    token_create(actor=admin, user=admin, name="Reporting script", scopes=["grade.view"], days=30)

    certificate = Certificate.objects.filter(user=learner).order_by("pk").first() or (
        Certificate.objects.order_by("pk").first()
    )
    assert certificate is not None
    notification = Notification.objects.filter(recipient=learner).order_by("-pk").first()
    assert notification is not None
    submission = Submission.objects.filter(assignment=assignment).order_by("pk").first()
    assert submission is not None
    return World(
        course=course,
        empty_course=empty,
        module_id=text.module.public_id,
        empty_module_id=empty_module.public_id,
        text_lesson=text.public_id,
        video_lesson=lessons[Lesson.Kind.VIDEO].public_id,
        file_lesson=lessons[Lesson.Kind.FILE].public_id,
        quiz_lesson=lessons[Lesson.Kind.QUIZ].public_id,
        assignment_lesson=lessons[Lesson.Kind.ASSIGNMENT].public_id,
        empty_lesson=empty_lesson.public_id,
        quiz=quiz.public_id,
        empty_quiz=empty_quiz.public_id,
        attempt_open=attempt_open.public_id,
        attempt_done=attempt_done.public_id,
        essay_position=essay_position,
        bank=QuestionBank.objects.filter(course=course).order_by("pk").first().public_id,  # type: ignore[union-attr]
        empty_bank=empty_bank.public_id,
        question=Question.objects.filter(bank__course=course).order_by("pk").first().public_id,  # type: ignore[union-attr]
        category_slug=course.category.slug if course.category else "",
        cohort=cohort.public_id,
        announcement=announcement.public_id,
        enrolment_import=imp.public_id,
        learner_id=learner.public_id,
        classmate_id=classmate.public_id,
        learner_person=learner.public_id,
        submission=submission.public_id,
        grade_category=GradeCategory.objects.filter(course=course).order_by("pk").first().public_id,  # type: ignore[union-attr]
        grade_item=grade_item.public_id,
        certificate=certificate.public_id,
        certificate_code=certificate.code,
        notification=notification.public_id,
        data_request=data_request.public_id,
        campaign=campaign.public_id,
        review_item=review_item.public_id,
        mfa_user_id=mfa_user.public_id,
        recovery_codes=recovery_codes,
        invitation_token=token,
        role_slug=custom_role.slug,
    )


def _accept_policies(user: User) -> None:
    from syllabus.privacy.selectors import current_policy_ids
    from syllabus.privacy.services import consent_accept

    current = list(current_policy_ids())
    if current:
        consent_accept(user=user, document_ids=current)


def _mfa_user() -> tuple[User, list[str]]:
    """Someone with an authenticator app and recovery codes: signing in asks for a code
    (one of the recovery codes, so no clock is involved)."""
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    from syllabus.accounts.services import user_create
    from syllabus.ops.demo.content import DEMO_PASSWORD

    user = user_create(
        actor=None, email=ROLE_EMAILS["mfa"], password=DEMO_PASSWORD, full_name="Mo Factor"
    )
    _accept_policies(user)
    TOTP.activate(user, generate_totp_secret())
    codes = RecoveryCodes.activate(user).get_unused_codes()
    return user, codes
