"""Load and remove the demo set described in ``content``.

Loading is idempotent: people are matched by email, categories and tags by slug, courses
by slug (only courses the demo created, i.e. without a creator, are ever filled or
removed). A course that already has modules is left exactly as it is, so running the
command again changes nothing, and an administrator's edits to demo courses survive.
Accounts and enrolments go through the account and course services (audited one by one,
as an operator's changes are); the content is summarised in one ``demo.loaded`` event.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from syllabus.accounts.models import Role, User
from syllabus.accounts.services import role_grant, user_create, user_set_active
from syllabus.audit.services import record
from syllabus.core.markdown import render_markdown
from syllabus.courses.cache import invalidate_course
from syllabus.courses.models import (
    Announcement,
    Category,
    Cohort,
    Course,
    CourseMembership,
    Lesson,
    Module,
    Tag,
)
from syllabus.courses.search import refresh_search_text
from syllabus.courses.services import course_role_set
from syllabus.learning.models import CourseProgress, LessonProgress
from syllabus.ops.demo import content as c
from syllabus.ops.demo import files
from syllabus.ops.demo.progress import backdate_completed, course_plans, progress_rows

TAG_NAMES = {"gdpr": "GDPR", "sql": "SQL"}
SOURCE_BY_ENROLMENT = {
    Course.Enrolment.OPEN: CourseMembership.Source.SELF,
    Course.Enrolment.KEY: CourseMembership.Source.KEY,
    Course.Enrolment.MANUAL: CourseMembership.Source.MANUAL,
}


def demo_emails() -> list[str]:
    return [u[0] for u in c.DEMO_USERS] + [p[0] for p in c.DEMO_PEOPLE]


def demo_courses() -> Any:
    """The demo courses that exist: by slug, and only those the demo created."""
    return Course.objects.filter(slug__in=[d.slug for d in c.COURSES], created_by__isnull=True)


@dataclass
class LoadReport:
    accounts_created: int = 0
    courses_created: int = 0
    modules_created: int = 0
    lessons_created: int = 0
    enrolments_created: int = 0
    progress_rows_created: int = 0
    announcements_created: int = 0
    skipped: list[str] = field(default_factory=list)

    def changed(self) -> bool:
        counts = (
            self.accounts_created,
            self.courses_created,
            self.enrolments_created,
            self.progress_rows_created,
        )
        return any(counts)

    def details(self) -> dict[str, int]:
        return {
            "accounts_created": self.accounts_created,
            "courses_created": self.courses_created,
            "modules_created": self.modules_created,
            "lessons_created": self.lessons_created,
            "enrolments_created": self.enrolments_created,
            "progress_rows_created": self.progress_rows_created,
            "announcements_created": self.announcements_created,
        }


@transaction.atomic
def load_demo() -> LoadReport:
    report = LoadReport()
    users = _load_people(report)
    categories = {
        slug: Category.objects.get_or_create(
            slug=slug, defaults={"name": name, "description": text, "position": i}
        )[0]
        for i, (slug, name, text) in enumerate(c.CATEGORIES)
    }
    roles = {r.slug: r for r in Role.objects.filter(scope=Role.Scope.COURSE)}
    now = timezone.now()
    filled: list[tuple[c.Course, Course]] = []
    courses: dict[str, Course] = {}
    for index, definition in enumerate(c.COURSES):
        course = Course.objects.filter(slug=definition.slug).first()
        if course is not None and course.created_by_id is not None:
            report.skipped.append(definition.slug)  # someone's own course has this slug
            continue
        if course is None or not course.modules.exists():
            course = _fill_course(
                definition, course, categories[definition.category], now, age=index
            )
            report.courses_created += 1
            report.modules_created += len(definition.modules)
            report.lessons_created += sum(len(m.lessons) for m in definition.modules)
            report.announcements_created += len(definition.announcements)
            filled.append((definition, course))
        courses[definition.slug] = course
    for definition, course in filled:
        course.prerequisites.set(
            [courses[slug] for slug in definition.prerequisites if slug in courses]
        )
    for definition in c.COURSES:
        if definition.slug in courses:
            _enrol(definition, courses[definition.slug], users, roles, report, now)
    if filled:
        plans = course_plans(course.pk for _, course in filled)
        rng = random.Random(2026)  # noqa: S311 - the same demo on every machine  # nosec B311
        for definition, course in filled:
            report.progress_rows_created += _progress(
                definition, course, plans[course.pk], users, now, rng
            )
            invalidate_course(course.pk)
    _load_other_areas(courses, users)
    if report.changed():
        record(actor=None, action="demo.loaded", details=report.details())
    return report


# The demo course that shows assessments: a quiz, an assignment with a rubric, a weighted
# gradebook. Each area's loader is idempotent and writes through that area's services.
ASSESSED_COURSE = "spreadsheets-to-dashboards"


def _load_other_areas(courses: dict[str, Course], users: dict[str, User]) -> None:
    from syllabus.accounts import demo as accounts_demo
    from syllabus.assessments import demo as quizzes_demo
    from syllabus.assignments import demo as assignments_demo
    from syllabus.certificates import demo as certificates_demo
    from syllabus.grades import demo as grades_demo
    from syllabus.learning.services import course_progress_recount
    from syllabus.privacy import demo as privacy_demo

    accounts_demo.load_demo()  # encrypted personal details of a few learners
    course = courses.get(ASSESSED_COURSE)
    definition = next((d for d in c.COURSES if d.slug == ASSESSED_COURSE), None)
    if course is not None and definition is not None:
        instructor = users[definition.instructor]
        learners = [users[email] for email, _ in definition.learners if email in users]
        quizzes_demo.load_demo(course, instructor)
        assignments_demo.load_demo(course, instructor, learners)
        grades_demo.load_demo(course)  # after the quiz and assignment: files their items
        # Optional practice in the demo: the learners' progress above was generated for
        # the lessons they had, and completion already earned stays consistent.
        Lesson.objects.filter(
            course=course, kind__in=(Lesson.Kind.QUIZ, Lesson.Kind.ASSIGNMENT)
        ).update(is_required=False)
        course_progress_recount(course_id=course.pk)
    certificates_demo.load_demo()  # for the demo learners who completed a course
    privacy_demo.load_demo()  # a published policy that the demo people accepted


def _load_people(report: LoadReport) -> dict[str, User]:
    people: list[tuple[str, str, str | None, bool]] = [
        *c.DEMO_USERS,
        *((email, name, None, False) for email, name in c.DEMO_PEOPLE),
    ]
    users: dict[str, User] = {}
    for email, name, role_slug, superuser in people:
        user = User.objects.filter(email=email).first()
        if user is not None and not user.is_active:
            user_set_active(actor=None, user=user, active=True)
        if user is None:
            user = user_create(
                actor=None,
                email=email,
                password=c.DEMO_PASSWORD,
                full_name=name,
                is_superuser=superuser,
            )
            report.accounts_created += 1
        if role_slug:
            role_grant(actor=None, user=user, role=Role.objects.get(slug=role_slug))
        users[email] = user
    return users


def _fill_course(
    definition: c.Course, course: Course | None, category: Category, now: Any, age: int
) -> Course:
    if course is None:
        course = Course(slug=definition.slug)
    course.title = definition.title
    course.summary = definition.summary
    course.description = definition.description
    course.description_html = render_markdown(definition.description)
    course.status = Course.Status.PUBLISHED
    course.published_at = course.published_at or now - timedelta(days=30)
    course.category = category
    course.level = definition.level
    course.estimated_hours = Decimal(definition.hours)
    course.enrolment = definition.enrolment
    course.enrolment_key = definition.enrolment_key
    course.capacity = definition.capacity
    course.image_alt = (
        f"Cover of the course {definition.title}: its title on a plain coloured background"
    )
    if not course.image:
        course.image.save(
            "cover.png",
            ContentFile(files.cover_png(definition.title, category.slug, category.name)),
            save=False,
        )
    course.save()
    course.tags.set(
        [
            Tag.objects.get_or_create(
                slug=slug, defaults={"name": TAG_NAMES.get(slug, slug.replace("-", " "))}
            )[0]
            for slug in definition.tags
        ]
    )
    refresh_search_text(course)
    _fill_outline(definition, course, now)
    author = User.objects.filter(email=definition.instructor).first()
    # Announcements a few days apart, newest last in the definition; courses differ.
    for days_ago, (title, body) in zip(
        range(1 + age % 5, 60, 9), reversed(definition.announcements), strict=False
    ):
        announcement = Announcement.objects.create(
            course=course, author=author, title=title, body=body, body_html=render_markdown(body)
        )
        Announcement.objects.filter(pk=announcement.pk).update(
            created_at=now - timedelta(days=days_ago, hours=3)
        )
    for name in definition.cohorts:
        Cohort.objects.get_or_create(course=course, name=name)
    return course


def _fill_outline(definition: c.Course, course: Course, now: Any) -> None:
    video = files.asset(files.VIDEO_NAME)
    captions = files.asset(files.CAPTIONS_NAME)
    previous_required: Lesson | None = None
    required_index = 0
    for m_index, module_def in enumerate(definition.modules):
        module = Module.objects.create(
            course=course,
            title=module_def.title,
            summary=module_def.summary,
            position=m_index,
            is_published=True,
        )
        for l_index, lesson_def in enumerate(module_def.lessons):
            lesson = Lesson(
                course=course,
                module=module,
                title=lesson_def.title,
                kind=lesson_def.kind,
                position=l_index,
                is_published=True,
                estimated_minutes=lesson_def.minutes,
            )
            if isinstance(lesson_def, c.Text):
                lesson.body = c.text_lesson_markdown(lesson_def)
            elif isinstance(lesson_def, c.Video):
                lesson.body = lesson_def.intro
                lesson.video.save(files.VIDEO_NAME, ContentFile(video), save=False)
                lesson.video_duration_seconds = files.video_duration_seconds()
                lesson.captions.save("welcome.en.vtt", ContentFile(captions), save=False)
                lesson.captions_language = "en"
                lesson.transcript = files.transcript()
            else:
                # Module summaries are optional reading: they do not count for completion.
                lesson.is_required = False
                lesson.body = lesson_def.intro
                sections = tuple(
                    (other.title, other.points)
                    for other in module_def.lessons
                    if isinstance(other, c.Text)
                )
                pdf = files.summary_pdf(definition.title, module_def.title, sections)
                name = f"{module_def.title.lower().replace(' ', '-')}-summary.pdf"
                lesson.file.save(name, ContentFile(pdf), save=False)
                lesson.file_name = name
                lesson.file_content_type = "application/pdf"
                lesson.file_size = len(pdf)
            lesson.body_html = render_markdown(lesson.body)
            if lesson.is_required:
                if definition.chained_lessons and previous_required is not None:
                    lesson.prerequisite = previous_required
                # The first required lessons after the welcome video get the due dates.
                due = required_index - 1
                if 0 <= due < len(definition.due_in_days) * 2 and due % 2 == 0:
                    days = definition.due_in_days[due // 2]
                    lesson.due_at = (now + timedelta(days=days)).replace(
                        hour=17, minute=0, second=0, microsecond=0
                    )
                required_index += 1
            lesson.save()
            if lesson.is_required:
                previous_required = lesson


def _enrol(
    definition: c.Course,
    course: Course,
    users: dict[str, User],
    roles: dict[str, Role],
    report: LoadReport,
    now: Any,
) -> None:
    staff = [(definition.instructor, "instructor")]
    if definition.teaching_assistant:
        staff.append((definition.teaching_assistant, "teaching_assistant"))
    members = staff + [(email, "learner") for email, _ in definition.learners]
    existing = set(CourseMembership.objects.filter(course=course).values_list("user_id", flat=True))
    cohorts = list(course.cohorts.order_by("name"))
    source = SOURCE_BY_ENROLMENT[Course.Enrolment(definition.enrolment)]
    learner_index = 0
    for email, role_slug in members:
        user = users[email]
        if user.pk in existing:
            continue  # already a member: leave their role, cohort and dates alone
        membership = course_role_set(actor=None, course=course, user=user, role=roles[role_slug])
        report.enrolments_created += 1
        if role_slug == "learner":
            membership.source = source
            if cohorts:
                membership.cohort = cohorts[learner_index % len(cohorts)]
            if definition.enrolment == Course.Enrolment.MANUAL:
                membership.ends_at = (now + timedelta(days=90)).replace(microsecond=0)
            membership.save(update_fields=["source", "cohort", "ends_at", "updated_at"])
            learner_index += 1


def _progress(
    definition: c.Course,
    course: Course,
    plan: list[Any],
    users: dict[str, User],
    now: Any,
    rng: random.Random,
) -> int:
    lesson_rows: list[LessonProgress] = []
    summaries: list[CourseProgress] = []
    have = set(CourseProgress.objects.filter(course=course).values_list("user_id", flat=True))
    for email, share in definition.learners:
        user = users[email]
        if user.pk in have:
            continue
        completed = round(share * len(plan))
        rows, summary = progress_rows(
            user_id=user.pk,
            course_id=course.pk,
            plan=plan,
            completed=completed,
            opened_next=share > 0,
            now=now,
            rng=rng,
        )
        lesson_rows.extend(rows)
        summaries.append(summary)
    LessonProgress.objects.bulk_create(lesson_rows, ignore_conflicts=True)
    CourseProgress.objects.bulk_create(summaries, ignore_conflicts=True)
    backdate_completed(users[email].pk for email, _ in definition.learners)
    return len(lesson_rows) + len(summaries)


@dataclass
class RemoveReport:
    accounts_deactivated: int = 0
    courses_deleted: int = 0
    files_deleted: int = 0


def remove_demo() -> RemoveReport:
    """Delete the demo courses (with their content, enrolments and progress), the demo
    categories and tags nothing else uses, and deactivate the demo accounts; audited."""
    report = RemoveReport()
    names: list[str] = []
    with transaction.atomic():
        for course in demo_courses().prefetch_related("lessons"):
            names.extend(_stored_files(course))
            record(
                actor=None,
                action="course.deleted",
                target=course,
                details={"title": course.title, "demo": True},
            )
            course_id = course.pk
            course.delete()
            invalidate_course(course_id)
            report.courses_deleted += 1
        Category.objects.filter(
            slug__in=[slug for slug, _, _ in c.CATEGORIES], courses__isnull=True
        ).delete()
        demo_tags = {t for d in c.COURSES for t in d.tags}
        Tag.objects.filter(slug__in=demo_tags, courses__isnull=True).delete()
        for user in User.objects.filter(email__in=demo_emails(), is_active=True):
            user_set_active(actor=None, user=user, active=False)
            report.accounts_deactivated += 1

        def forget_files() -> None:
            for name in names:
                default_storage.delete(name)

        transaction.on_commit(forget_files)
    report.files_deleted = len(names)
    return report


def _stored_files(course: Course) -> list[str]:
    names = [course.image.name] if course.image else []
    for lesson in course.lessons.all():
        names.extend(f.name for f in (lesson.video, lesson.captions, lesson.file) if f)
    return names
