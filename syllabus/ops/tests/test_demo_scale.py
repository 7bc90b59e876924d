"""``syllabus demo --scale N``: bulk load-test learners, idempotent, removable."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest
from allauth.account.models import EmailAddress
from django.core.management import call_command
from django.db.models import Count

from syllabus.accounts.models import User
from syllabus.audit.models import AuditEvent
from syllabus.courses.models import Course, CourseMembership, Lesson
from syllabus.learning.models import CourseProgress, LessonProgress
from syllabus.ops.demo import scale
from syllabus.ops.demo.content import DEMO_PASSWORD

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def demo(*args: str) -> str:
    out = io.StringIO()
    call_command("demo", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def scale_rows() -> tuple[int, int, int, int]:
    users = scale.scale_users()
    return (
        users.count(),
        CourseMembership.objects.filter(user__in=users).count(),
        LessonProgress.objects.filter(user__in=users).count(),
        CourseProgress.objects.filter(user__in=users).count(),
    )


def test_scale_creates_learners_with_enrolments_and_progress():
    output = demo("--scale", "200", "--batch-size", "150")
    learners = scale.scale_users()
    assert learners.count() == 200
    assert learners.filter(email="learner000199@scale.example.org").exists()
    assert "200 learners created" in output and "rows/s" in output
    per_learner = learners.annotate(n=Count("course_memberships")).values_list("n", flat=True)
    assert min(per_learner) >= 1 and max(per_learner) <= 5 and len(set(per_learner)) >= 3
    memberships = CourseMembership.objects.filter(user__in=learners)
    assert set(memberships.values_list("role__slug", flat=True)) == {"learner"}
    assert set(memberships.values_list("course__status", flat=True)) == {"published"}
    # One summary per enrolment, consistent with the lesson rows.
    assert CourseProgress.objects.filter(user__in=learners).count() == memberships.count()
    completed = set(
        LessonProgress.objects.filter(user__in=learners, completed_at__isnull=False).values_list(
            "user_id", "lesson_id"
        )
    )
    required: dict[int, list[int]] = {}
    for pk, course_id in Lesson.objects.filter(is_required=True, is_published=True).values_list(
        "pk", "course_id"
    ):
        required.setdefault(course_id, []).append(pk)
    percents = set()
    for summary in CourseProgress.objects.filter(user__in=learners):
        lessons = required[summary.course_id]
        done = sum((summary.user_id, pk) in completed for pk in lessons)
        assert summary.completed_lessons == done and summary.required_lessons == len(lessons)
        assert summary.percent == done * 100 // len(lessons)
        assert (summary.completed_at is not None) == (done == len(lessons))
        percents.add(summary.percent)
    assert {0, 100} <= percents and len(percents) >= 10


def test_the_load_refreshes_the_planner_statistics():
    """After writing rows in bulk, ANALYZE: the planner must not keep choosing plans for
    the tables as they were before the load (syllabus.core.planner)."""
    from django.db import connection

    scale.generate(5, batch_size=2)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # reltuples is what ANALYZE counted; -1 means never analysed.
            cursor.execute(
                "SELECT reltuples FROM pg_class WHERE relname = %s", ["courses_coursemembership"]
            )
            assert cursor.fetchone()[0] >= CourseMembership.objects.count() > 0
        else:
            cursor.execute("SELECT count(*) FROM sqlite_stat1 WHERE tbl = %s", ["accounts_user"])
            assert cursor.fetchone()[0] > 0


def test_scale_learners_can_sign_in_with_the_demo_password():
    demo("--scale", "5")
    learner = User.objects.get(email="learner000003@scale.example.org")
    assert learner.is_active and learner.check_password(DEMO_PASSWORD)
    assert learner.full_name and learner.public_id.startswith("usr_")
    assert EmailAddress.objects.filter(user=learner, verified=True, primary=True).exists()
    # One hash for all: creating them costs one password hashing, not N.
    passwords = set(scale.scale_users().values_list("password", flat=True))
    assert len(passwords) == 1


def test_running_again_does_not_duplicate_and_a_larger_n_adds_the_rest():
    demo("--scale", "120")
    first = scale_rows()
    events = AuditEvent.objects.count()
    output = demo("--scale", "120")
    assert scale_rows() == first
    assert AuditEvent.objects.count() == events  # nothing created, nothing audited
    assert "0 learners created (120 already there)" in output
    demo("--scale", "150")
    assert scale.scale_users().count() == 150
    assert scale_rows()[1] > first[1]


def test_one_audit_event_per_run_with_the_counts():
    demo("--scale", "60")
    event = AuditEvent.objects.filter(action="demo.loaded").order_by("-pk").first()
    assert event is not None
    details = event.details["scale"]
    assert details["learners_created"] == 60 and details["requested"] == 60
    assert (
        details["enrolments"]
        == CourseMembership.objects.filter(user__in=scale.scale_users()).count()
    )
    # The bulk rows themselves are not audited one by one.
    assert not AuditEvent.objects.filter(
        action="enrolment.created", target_label__endswith="@scale.example.org"
    ).exists()


def test_courses_option_spreads_learners_over_generated_courses_too():
    output = demo("--scale", "80", "--courses", "15")
    generated = Course.objects.filter(slug__startswith=scale.COURSE_SLUG_PREFIX)
    assert generated.count() == 3 and "(3 generated)" in output
    assert all(c.status == "published" and c.lessons.count() == 6 for c in generated)
    used = set(
        CourseMembership.objects.filter(user__in=scale.scale_users()).values_list(
            "course_id", flat=True
        )
    )
    assert len(used) <= 15
    demo("--scale", "80", "--courses", "15")
    assert generated.count() == 3


def test_courses_option_can_narrow_the_pool():
    demo("--scale", "40", "--courses", "2")
    used = set(
        CourseMembership.objects.filter(user__in=scale.scale_users()).values_list(
            "course_id", flat=True
        )
    )
    assert len(used) <= 2


def test_remove_deletes_scale_data_and_generated_courses():
    demo("--scale", "70", "--courses", "13")
    demo_learner = User.objects.get(email="learner@example.com")
    output = demo("--remove")
    assert scale_rows() == (0, 0, 0, 0)
    assert not Course.objects.exists()
    assert "70 scale learners and 1 generated courses" in output
    assert not LessonProgress.objects.exists() and not CourseProgress.objects.exists()
    demo_learner.refresh_from_db()
    assert not demo_learner.is_active
    event = AuditEvent.objects.filter(action="demo.removed").order_by("-pk").first()
    assert event is not None and event.details["scale_learners"] == 70


def test_generate_refuses_bad_numbers():
    with pytest.raises(ValueError, match="between 1 and"):
        scale.generate(0)
    with pytest.raises(ValueError, match="at least 1"):
        scale.generate(5, courses=0)
    assert not scale.scale_users().exists()


def run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    return subprocess.run(
        [sys.executable, "-m", "syllabus", "demo", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--scale", "-5"], "--scale (learners) must be at least 1, not -5"),
        (["--scale", "abc"], "--scale (learners) must be a whole number, not 'abc'"),
        (["--scale", "0"], "must be at least 1, not 0"),
        (["--scale", "99999999999"], "must be at most 10,000,000"),
        (["--scale", "10", "--courses", "0"], "--courses must be at least 1"),
        (["--scale", "10", "--batch-size", "5"], "--batch-size must be at least 100"),
        (["--courses", "3"], "--courses only applies with --scale N"),
    ],
)
def test_bad_arguments_exit_2_with_a_message(args, message):
    result = run(*args)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_help_documents_scale_and_the_shared_password():
    result = run("--help")
    assert result.returncode == 0
    text = " ".join(result.stdout.split())
    assert "--scale N" in text and "share the demo password" in text and "--courses M" in text
