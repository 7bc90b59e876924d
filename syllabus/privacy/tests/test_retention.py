"""Retention (seed 6.2 and 6.1) with time-machine: what is due, what a run does, archives
with checksums, audit, and a run interrupted mid-way that resumes without doing anything
twice."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine
from axes.models import AccessAttempt
from django.core.management import call_command

from syllabus.accounts.models import Role
from syllabus.audit.models import AuditEvent
from syllabus.audit.services import record, verify_all
from syllabus.communication.models import Notification
from syllabus.courses.models import Course, CourseMembership, Lesson, Module
from syllabus.grades.models import Grade, GradeItem
from syllabus.learning.models import CourseProgress, LessonProgress
from syllabus.privacy import retention
from syllabus.privacy.models import AnonymisedCourseStat, ErasureRecord, RetentionRun
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2035, 6, 1, 12, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _archive_dir(settings, tmp_path):
    settings.RETENTION_ARCHIVE_DIR = tmp_path / "archives"


def _learner_active_at(when: datetime, email: str, course: Course, lesson: Lesson) -> object:
    with time_machine.travel(when, tick=False):
        user = UserFactory(email=email)
        user.last_login = when
        user.save()
        CourseMembership.objects.create(
            course=course, user=user, role=Role.objects.get(slug="learner")
        )
        LessonProgress.objects.create(user=user, lesson=lesson, course=course, completed_at=when)
        CourseProgress.objects.create(
            user=user,
            course=course,
            percent=100,
            completed_lessons=1,
            required_lessons=1,
            last_activity_at=when,
            completed_at=when,
        )
        item = GradeItem.objects.create(course=course, title=f"Essay {email}", max_points=10)
        Grade.objects.create(item=item, user=user, course=course, points=Decimal("7"))
    return user


@pytest.fixture
def people():
    with time_machine.travel(NOW - timedelta(days=9 * 365), tick=False):
        course = Course.objects.create(title="Old course", slug="old-course")
        module = Module.objects.create(course=course, title="M", is_published=True)
        lesson = Lesson.objects.create(course=course, module=module, title="L")
    ancient = _learner_active_at(
        NOW - timedelta(days=8 * 365), "ancient@example.org", course, lesson
    )
    lapsed = _learner_active_at(NOW - timedelta(days=4 * 365), "lapsed@example.org", course, lesson)
    active = _learner_active_at(NOW - timedelta(days=30), "active@example.org", course, lesson)
    with time_machine.travel(NOW - timedelta(days=400), tick=False):
        Notification.objects.create(recipient=active, kind="x", title="Old, unread")
        AccessAttempt.objects.create(username="active@example.org", failures_since_start=1)
        record(actor=active, action="course.viewed")  # course access: 1 year
    with time_machine.travel(NOW - timedelta(days=200), tick=False):
        Notification.objects.create(
            recipient=active, kind="x", title="Read", read_at=NOW - timedelta(days=190)
        )
    with time_machine.travel(NOW - timedelta(days=10), tick=False):
        Notification.objects.create(recipient=active, kind="x", title="New")
        record(actor=active, action="course.viewed")
    return {"ancient": ancient, "lapsed": lapsed, "active": active, "course": course}


def test_plan_counts_what_is_due_per_category_and_changes_nothing(people):
    with time_machine.travel(NOW, tick=False):
        plan = retention.plan()
    # Profiles: inactive for 3 years (ancient and lapsed); progress and results: 7 years.
    assert plan["user_profiles"]["people"] == 2
    assert plan["course_progress"]["people"] == 1
    assert plan["course_progress"]["rows"]["learning.CourseProgress"] == 1
    assert plan["assessment_results"]["rows"]["grades.Grade"] == 1
    assert plan["system_logs"]["rows"]["communication.Notification"] == 2  # old + read
    assert plan["system_logs"]["rows"]["axes.AccessAttempt"] == 1
    assert plan["audit_logs"]["rows"]["audit.AuditEvent[course_access]"] == 1
    assert plan["user_profiles"]["disposal"] == "secure deletion"
    assert plan["course_progress"]["disposal"] == "anonymisation"
    assert not ErasureRecord.objects.exists() and Notification.objects.count() == 3


def test_a_run_applies_every_category(people, settings):
    with time_machine.travel(NOW, tick=False):
        run = retention.retention_run()
    assert run.status == RetentionRun.Status.COMPLETED
    # Profiles: erased (tombstones), the active learner untouched.
    erased = set(ErasureRecord.objects.values_list("user__public_id", flat=True))
    assert erased == {people["ancient"].public_id, people["lapsed"].public_id}
    people["active"].refresh_from_db()
    assert people["active"].email == "active@example.org"
    # Course progress of the 8-year-old learner: only counts remain.
    assert not CourseProgress.objects.filter(user=people["ancient"]).exists()
    assert not LessonProgress.objects.filter(user=people["ancient"]).exists()
    stat = AnonymisedCourseStat.objects.get(course=people["course"])
    assert (stat.learners, stat.completions, stat.percent_total) == (1, 1, 100)
    assert CourseProgress.objects.filter(user=people["lapsed"]).exists()  # 4 years: kept
    # Assessment results: archived, then removed.
    assert not Grade.objects.filter(user=people["ancient"]).exists()
    assert Grade.objects.filter(user=people["lapsed"]).exists()
    folder = Path(run.archive_dir)
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["run"] == run.public_id
    for name, info in manifest["files"].items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == info["sha256"]
    graded = [json.loads(line) for line in (folder / "assessment_results-00001-1.jsonl").open()]
    assert {line["model"] for line in graded} >= {"grades.Grade"}
    # System logs: the old and the long-read notifications and the old sign-in attempt.
    assert list(Notification.objects.values_list("title", flat=True)) == ["New"]
    assert not AccessAttempt.objects.exists()
    # Audit (6.1): the 400-day-old course access event archived and purged, chain intact.
    assert AuditEvent.objects.filter(action="course.viewed").count() == 1
    assert any(n.startswith("audit-course_access") for n in manifest["files"])
    assert all(report.ok for report in verify_all())
    event = AuditEvent.objects.filter(action="retention.run").get()
    assert event.details["status"] == "completed"
    assert event.details["results"]["user_profiles"]["people"] == 2


def test_a_second_run_the_same_day_finds_nothing_left(people):
    with time_machine.travel(NOW, tick=False):
        retention.retention_run()
        second = retention.retention_run()
    assert {c: r["rows"] for c, r in second.results.items() if r["rows"]} == {}
    assert ErasureRecord.objects.count() == 2


def test_an_interrupted_run_resumes_where_it_stopped(people, settings, monkeypatch):
    settings.RETENTION_BATCH_SIZE = 1
    calls = []

    def crash_on_second_batch(run, category):
        calls.append(category)
        if len(calls) == 2:
            raise RuntimeError("worker killed")

    monkeypatch.setattr(retention, "after_batch", crash_on_second_batch)
    with time_machine.travel(NOW, tick=False), pytest.raises(RuntimeError):
        retention.retention_run()
    run = RetentionRun.objects.get()
    assert run.status == RetentionRun.Status.FAILED and "worker killed" in run.error
    assert run.checkpoint["user_profiles"]["batches"] == 2
    assert ErasureRecord.objects.count() == 2  # both batches had committed
    assert AuditEvent.objects.filter(action="retention.run").get().details["status"] == "failed"

    monkeypatch.setattr(retention, "after_batch", lambda run, category: None)
    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        resumed = retention.retention_run()
    assert resumed.pk == run.pk and resumed.attempts == 2
    assert resumed.status == RetentionRun.Status.COMPLETED
    assert resumed.now == NOW  # the cut-offs of the first attempt
    assert resumed.results["user_profiles"]["people"] == 2  # not counted twice
    assert AnonymisedCourseStat.objects.get(course=people["course"]).learners == 1
    assert resumed.results["assessment_results"]["rows"]["grades.Grade"] == 1


def test_only_one_run_at_a_time(people):
    from django.core.cache import cache

    cache.add(retention.LOCK_KEY, "1", 60)
    with pytest.raises(retention.RetentionBusy):
        retention.retention_run()
    assert not RetentionRun.objects.exists()


def test_superusers_are_never_erased_unattended():
    with time_machine.travel(NOW - timedelta(days=5 * 365), tick=False):
        admin = UserFactory(is_superuser=True)
    with time_machine.travel(NOW, tick=False):
        retention.retention_run()
    assert not ErasureRecord.objects.filter(user=admin).exists()


def test_the_command_prints_a_table_per_category(people, capsys):
    with time_machine.travel(NOW, tick=False):
        call_command("retention", "--dry-run")
    out = capsys.readouterr().out
    assert "user_profiles" in out and "secure deletion" in out
    assert "course_progress" in out and "anonymisation" in out
    assert "would secure deletion: accounts.User 2" in out
    assert "Dry run: nothing was changed." in out
    assert not RetentionRun.objects.exists()
    assert AuditEvent.objects.filter(action="retention.previewed").count() == 1
    with time_machine.travel(NOW, tick=False):
        call_command("retention")
    out = capsys.readouterr().out
    assert "completed" in out and "sha256" in out
