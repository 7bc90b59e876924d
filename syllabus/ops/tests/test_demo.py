"""``syllabus demo``: the demo set is complete, consistent, idempotent and removable."""

from __future__ import annotations

import io
from collections import Counter

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.utils import timezone

from syllabus.accounts.models import User
from syllabus.audit.models import AuditEvent
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
from syllabus.courses.services import course_create
from syllabus.learning.models import CourseProgress, LessonProgress
from syllabus.ops.demo import content
from syllabus.ops.demo.files import VIDEO_SECONDS, asset
from syllabus.ops.demo.loader import ASSESSED_COURSE
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

MODELS = (
    User, Category, Tag, Course, Module, Lesson, CourseMembership, Cohort, Announcement,
    LessonProgress, CourseProgress, AuditEvent,
)  # fmt: skip


def demo(*args: str) -> str:
    out = io.StringIO()
    call_command("demo", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def test_running_twice_changes_nothing():
    demo()
    first = counts()
    stamps = dict(Course.objects.values_list("slug", "updated_at"))
    output = demo()
    assert counts() == first
    assert dict(Course.objects.values_list("slug", "updated_at")) == stamps
    assert "0 new accounts, 0 new courses" in output
    assert AuditEvent.objects.filter(action="demo.loaded").count() == 1


def test_the_set_has_twelve_published_courses_in_three_categories():
    output = demo()
    courses = Course.objects.filter(slug__in=[d.slug for d in content.COURSES])
    assert Category.objects.count() == 3
    assert courses.count() == 12
    assert set(courses.values_list("status", flat=True)) == {Course.Status.PUBLISHED}
    assert set(courses.values_list("level", flat=True)) == {"beginner", "intermediate", "advanced"}
    for course in courses.prefetch_related("tags", "modules__lessons"):
        assert course.category_id and course.tags.exists() and course.estimated_hours
        assert "<h3>" in course.description_html and "<p>" in course.description_html
        assert course.category is not None and course.category.name in course.search_text
        assert course.title in course.search_text
        assert course.image and default_storage.exists(course.image.name) and course.image_alt
        # The assessed course also has a "Project" module with its assignment.
        modules = [m for m in course.modules.all() if m.title != "Project"]
        assert 2 <= len(modules) <= 4
        for module in modules:
            assert module.is_published
            assert 2 <= len(module.lessons.all()) <= 6
        assert 1 <= course.announcements.count() <= 3
    kinds = Counter(Lesson.objects.values_list("kind", flat=True))
    assert set(kinds) == {"text", "video", "file", "quiz", "assignment"}
    assessed = Course.objects.get(slug=ASSESSED_COURSE)
    assert kinds["quiz"] == kinds["assignment"] == 1
    assert set(
        assessed.lessons.filter(kind__in=["quiz", "assignment"]).values_list(
            "is_published", "is_required"
        )
    ) == {(True, False)}
    assert "Demo logins (password for all: Learn-with-Syllabus-2026)" in output


def test_text_lessons_are_rendered_markdown_with_headings_lists_code_and_links():
    demo()
    texts = Lesson.objects.filter(kind=Lesson.Kind.TEXT)
    assert all("<ul>" in lesson.body_html and "<h" in lesson.body_html for lesson in texts)
    assert texts.filter(body_html__contains="<pre><code").exists()
    assert texts.filter(body_html__contains='href="https://').exists()
    assert not texts.filter(body_html__icontains="<script").exists()


def test_every_video_lesson_has_the_video_captions_and_a_transcript():
    demo()
    videos = Lesson.objects.filter(kind=Lesson.Kind.VIDEO)
    assert videos.count() == 12
    mp4 = asset("welcome.mp4")
    assert len(mp4) <= 300 * 1024 and mp4[4:8] == b"ftyp"
    for lesson in videos:
        with default_storage.open(lesson.video.name) as stored:
            assert stored.read() == mp4
        with default_storage.open(lesson.captions.name) as captions:
            vtt = captions.read().decode()
        assert vtt.startswith("WEBVTT") and lesson.captions_language == "en"
        cue_text = [line for line in vtt.splitlines()[1:] if line and "-->" not in line]
        assert (
            lesson.transcript.split()
            == " ".join(line for line in cue_text if not line.isdigit()).split()
        )
        assert lesson.video_duration_seconds == 20


def test_caption_cues_fit_the_video():
    vtt = asset("captions.vtt").decode()
    ends = [line.split(" --> ")[1] for line in vtt.splitlines() if "-->" in line]
    minutes, seconds = ends[-1].split(":")
    assert abs(int(minutes) * 60 + float(seconds) - VIDEO_SECONDS) < 0.05
    assert len(asset("welcome.webm")) <= 300 * 1024


def test_file_lessons_are_pdfs_with_their_size_and_type():
    demo()
    files = Lesson.objects.filter(kind=Lesson.Kind.FILE)
    assert files.count() == 12
    for lesson in files:
        with default_storage.open(lesson.file.name) as stored:
            data = stored.read()
        assert data.startswith(b"%PDF")
        assert lesson.file_size == len(data) and lesson.file_content_type == "application/pdf"
        assert lesson.file_name.endswith(".pdf") and not lesson.is_required


def test_prerequisites_due_dates_cohorts_and_enrolment_rules():
    demo()
    now = timezone.now()
    with_prerequisites = Course.objects.filter(prerequisites__isnull=False).distinct()
    assert with_prerequisites.count() == 4
    breach = Course.objects.get(slug="handling-a-data-breach")
    assert set(breach.prerequisites.values_list("slug", flat=True)) == {
        "introduction-to-data-protection",
        "information-security-essentials",
    }
    assert breach.enrolment == "manual" and breach.capacity == 20
    chained = Lesson.objects.filter(prerequisite__isnull=False)
    assert chained.exists()
    for lesson in chained:
        assert lesson.prerequisite is not None and lesson.prerequisite.is_required
        assert lesson.prerequisite.course_id == lesson.course_id
    due = Lesson.objects.filter(due_at__isnull=False).exclude(kind="assignment")
    assert due.count() >= 6
    for lesson in due:
        assert lesson.due_at is not None
        assert now < lesson.due_at < now + timezone.timedelta(days=12)
    assert Cohort.objects.count() == 4
    assert CourseMembership.objects.filter(cohort__isnull=False).count() >= 8


def test_course_roles_of_the_demo_people():
    demo()
    ines = User.objects.get(email="instructor@example.com")
    roles = dict(
        CourseMembership.objects.filter(user=ines).values_list("course__slug", "role__slug")
    )
    assert roles["introduction-to-data-protection"] == "instructor"
    assert roles["teaching-online"] == "learner"
    every_course_has_an_instructor = (
        CourseMembership.objects.filter(role__slug="instructor").values("course").distinct()
    )
    assert every_course_has_an_instructor.count() == 12
    assert CourseMembership.objects.filter(role__slug="teaching_assistant").count() == 3


def test_progress_rows_are_consistent_with_lessons_and_each_other():
    demo()
    completed = set(
        LessonProgress.objects.filter(completed_at__isnull=False).values_list(
            "user_id", "lesson_id"
        )
    )
    learners = CourseMembership.objects.filter(role__slug="learner")
    summaries = {(p.user_id, p.course_id): p for p in CourseProgress.objects.all()}
    assert set(summaries) == set(learners.values_list("user_id", "course_id"))
    for (user_id, course_id), summary in summaries.items():
        required = Lesson.objects.filter(
            course_id=course_id, is_required=True, is_published=True, module__is_published=True
        )
        done = sum((user_id, pk) in completed for pk in required.values_list("pk", flat=True))
        assert summary.required_lessons == required.count()
        assert summary.completed_lessons == done
        assert summary.percent == done * 100 // required.count()
        assert (summary.completed_at is not None) == (done == required.count())
        if summary.last_lesson_id:
            assert LessonProgress.objects.filter(
                user_id=user_id, lesson_id=summary.last_lesson_id
            ).exists()
    first_opened: dict[tuple[int, int], object] = {}
    for user_id, course_id, opened in LessonProgress.objects.order_by(
        "-first_opened_at"
    ).values_list("user_id", "course_id", "first_opened_at"):
        first_opened[(user_id, course_id)] = opened
    for membership in learners:
        opened = first_opened.get((membership.user_id, membership.course_id))
        if opened is not None:  # enrolled before they opened anything
            assert membership.created_at < opened
    percents = [s.percent for s in summaries.values()]
    assert percents.count(100) >= 2 and percents.count(0) >= 2 and len(set(percents)) >= 8
    for row in LessonProgress.objects.select_related("lesson"):
        assert row.course_id == row.lesson.course_id
        if row.completed_at and row.lesson.kind == "assignment":
            # Completed by the hand-in itself, in the same moment as the row's first opening.
            assert row.first_opened_at <= row.completed_at <= row.last_opened_at
        elif row.completed_at:
            assert row.first_opened_at < row.completed_at <= row.last_opened_at
        if row.lesson.prerequisite_id and row.completed_at:
            assert (row.user_id, row.lesson.prerequisite_id) in completed
        if row.lesson.kind == "video" and row.completed_at:
            assert row.video_watched_seconds == row.lesson.video_duration_seconds
            assert row.video_watched_ranges == [[0.0, row.video_watched_seconds]]


def test_learners_have_completed_the_prerequisites_of_their_courses():
    demo()
    done = set(
        CourseProgress.objects.filter(completed_at__isnull=False).values_list(
            "user_id", "course_id"
        )
    )
    for membership in CourseMembership.objects.filter(role__slug="learner"):
        for needed in membership.course.prerequisites.all():
            assert (membership.user_id, needed.pk) in done, (membership, needed)


def test_remove_deletes_the_demo_courses_and_files_and_deactivates_the_accounts(
    django_capture_on_commit_callbacks,
):
    demo()
    stored = [lesson.video.name for lesson in Lesson.objects.filter(kind="video")]
    mine = course_create(actor=None, title="My own course")
    with django_capture_on_commit_callbacks(execute=True):
        output = demo("--remove")
    assert "deleted 12 demo courses" in output
    assert list(Course.objects.all()) == [mine]
    assert not Lesson.objects.exists() and not LessonProgress.objects.exists()
    assert not CourseProgress.objects.exists() and not Announcement.objects.exists()
    assert not Category.objects.exists() and not Tag.objects.exists()
    assert not User.objects.filter(is_active=True).exists()
    assert AuditEvent.objects.filter(action="course.deleted").count() == 12
    assert not any(default_storage.exists(name) for name in stored)
    demo()  # and it comes back
    assert Course.objects.count() == 13
    assert User.objects.filter(is_active=True).count() == len(content.DEMO_USERS) + len(
        content.DEMO_PEOPLE
    )


def test_remove_keeps_categories_and_tags_that_other_courses_use():
    demo()
    mine = course_create(actor=None, title="Spreadsheet tips")
    mine.category = Category.objects.get(slug="data-and-analytics")
    mine.save()
    mine.tags.add(Tag.objects.get(slug="spreadsheets"))
    demo("--remove")
    assert list(Category.objects.values_list("slug", flat=True)) == ["data-and-analytics"]
    assert list(Tag.objects.values_list("slug", flat=True)) == ["spreadsheets"]


def test_an_older_empty_demo_course_is_filled_and_someone_elses_course_is_left_alone():
    old = course_create(actor=None, title="Teaching Online")  # as the first demo made it
    owner = UserFactory()
    theirs = Course.objects.create(
        title="SQL Fundamentals", slug="sql-fundamentals", created_by=owner
    )
    error = io.StringIO()
    call_command("demo", stdout=io.StringIO(), stderr=error)
    old.refresh_from_db()
    assert old.status == "published" and old.modules.count() == 2
    assert not theirs.modules.exists() and theirs.status == "draft"
    assert "Skipped demo course 'sql-fundamentals'" in error.getvalue()
    # Python for Data Analysis needs SQL Fundamentals, which the demo could not make.
    python = Course.objects.get(slug="python-for-data-analysis")
    assert not python.prerequisites.exists()
    demo("--remove")
    assert list(Course.objects.all()) == [theirs]
