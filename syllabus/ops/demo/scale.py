"""Load-test data for ``syllabus demo --scale N``: N learners with enrolments and progress.

Learners are ``learner000000@scale.example.org`` … and all share the demo password
(one hash computed once, so creating 100,000 accounts costs no password hashing). Rows
are written with ``bulk_create`` in batches, one transaction per batch, so the work is
fast on SQLite and PostgreSQL and an interrupted run keeps the batches it finished.
Running again creates only the learners that are missing: learner ``i`` gets the same
courses and progress whenever it is created (its random generator is seeded with ``i``).

Bulk inserts skip model signals and simple-history: scale accounts and enrolments have
no history rows (they are load-test data); their email addresses are marked verified,
as for any account an operator creates, so they can sign in.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.test.utils import override_settings
from django.utils import timezone

from syllabus.accounts.models import Role, User
from syllabus.audit.services import record
from syllabus.core.markdown import render_markdown
from syllabus.core.planner import analyze
from syllabus.courses.cache import invalidate_course
from syllabus.courses.models import Category, Course, CourseMembership, Lesson, Module
from syllabus.courses.search import refresh_search_text
from syllabus.learning.models import CourseProgress, LessonProgress
from syllabus.ops.demo.content import DEMO_PASSWORD
from syllabus.ops.demo.loader import demo_courses
from syllabus.ops.demo.progress import Step, backdate_completed, course_plans, progress_rows

DOMAIN = "scale.example.org"
COURSE_SLUG_PREFIX = "scale-course-"
DEFAULT_BATCH = 2000
MAX_LEARNERS = 10_000_000

FIRST = (  # noqa: SIM905
    "Aisha Ana Ben Carla Chen Dara Elif Emma Felix Grace Hana Ivan Jade Jonas Kai Lara Leo "
    "Lina Luca Maya Mia Nadia Noah Omar Pia Quinn Rafael Rosa Sami Sara Tariq Tom Uma Vera "
    "Wei Yara Yusuf Zoe"
).split()
LAST = (  # noqa: SIM905
    "Adams Ahmed Bauer Costa Dubois Evans Fischer Garcia Haddad Ito Jensen Kaur Kowalski "
    "Larsen Lopez Martin Mensah Moreau Nguyen Novak Okafor Olsen Patel Rossi Santos Silva "
    "Smith Suzuki Tanaka Tran Varga Wagner Weber Wilson Yamamoto Zhang"
).split()
# How many courses a learner takes (1 to 5), and how far they got in each.
COURSES_PER_LEARNER = ((1, 30), (2, 30), (3, 20), (4, 12), (5, 8))
SOURCES: tuple[tuple[str, int], ...] = (
    (CourseMembership.Source.SELF, 70),
    (CourseMembership.Source.CSV, 20),
    (CourseMembership.Source.KEY, 10),
)


def scale_email(index: int) -> str:
    return f"learner{index:06d}@{DOMAIN}"


def scale_users() -> Any:
    return User.objects.filter(email__endswith=f"@{DOMAIN}")


@dataclass
class ScaleReport:
    requested: int = 0
    learners_created: int = 0
    learners_existing: int = 0
    courses_used: int = 0
    courses_created: int = 0
    enrolments: int = 0
    lesson_progress: int = 0
    course_progress: int = 0
    seconds: float = 0.0
    per_table: dict[str, int] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        # Accounts count twice: the user and its verified email address.
        return (
            2 * self.learners_created
            + self.enrolments
            + self.lesson_progress
            + (self.course_progress)
        )

    def details(self) -> dict[str, Any]:
        return {
            "scale": {
                "requested": self.requested,
                "learners_created": self.learners_created,
                "learners_existing": self.learners_existing,
                "courses_used": self.courses_used,
                "courses_created": self.courses_created,
                "enrolments": self.enrolments,
                "lesson_progress": self.lesson_progress,
                "course_progress": self.course_progress,
                "seconds": round(self.seconds, 1),
            }
        }


def generate(
    learners: int,
    *,
    courses: int | None = None,
    batch_size: int = DEFAULT_BATCH,
    on_start: Callable[[int], None] | None = None,
    on_batch: Callable[[int], None] | None = None,
) -> ScaleReport:
    """Make sure learners 0 … ``learners``-1 exist, spread over ``courses`` published
    courses (the demo courses, plus generated ones when more are asked for)."""
    if learners < 1 or learners > MAX_LEARNERS:
        raise ValueError(f"The number of learners must be between 1 and {MAX_LEARNERS:,}.")
    if courses is not None and courses < 1:
        raise ValueError("The number of courses must be at least 1.")
    started = time.monotonic()
    report = ScaleReport(requested=learners)
    pool, report.courses_created = _course_pool(courses)
    report.courses_used = len(pool)
    plans = course_plans(course.pk for course in pool)
    # Popularity: a few courses are taken by many, most by fewer (a Zipf-like curve).
    order = list(pool)
    random.Random(7).shuffle(order)  # noqa: S311 - reproducible, not secret  # nosec B311
    weights = [1 / (rank + 1) ** 0.8 for rank in range(len(order))]
    learner_role = Role.objects.get(slug="learner")
    existing = set(scale_users().values_list("email", flat=True))
    missing = [i for i in range(learners) if scale_email(i) not in existing]
    report.learners_existing = learners - len(missing)
    if on_start:
        on_start(len(missing))
    password = make_password(DEMO_PASSWORD)  # once: every scale account shares it
    now = timezone.now()
    for batch in _chunks(missing, batch_size):
        with transaction.atomic():
            _write_batch(batch, order, weights, plans, learner_role, password, now, report)
        if on_batch:
            on_batch(len(batch))
    for course in pool:
        invalidate_course(course.pk)
    if report.learners_created or report.courses_created:
        analyze()  # the planner's statistics still describe the tables before the load
    report.seconds = time.monotonic() - started
    if report.learners_created or report.courses_created:
        record(actor=None, action="demo.loaded", details=report.details())
    return report


def _chunks(items: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _write_batch(
    batch: list[int],
    courses: list[Course],
    weights: list[float],
    plans: dict[int, list[Step]],
    learner_role: Role,
    password: str,
    now: Any,
    report: ScaleReport,
) -> None:
    users = [
        User(
            email=scale_email(i),
            full_name=f"{FIRST[i % len(FIRST)]} {LAST[(i // len(FIRST)) % len(LAST)]}",
            password=password,
            date_joined=now - timedelta(days=1 + i % 365),
        )
        for i in batch
    ]
    User.objects.bulk_create(users, batch_size=len(users))
    if any(user.pk is None for user in users):  # databases that do not return keys
        ids = dict(
            User.objects.filter(email__in=[u.email for u in users]).values_list("email", "pk")
        )
        for user in users:
            user.pk = ids[user.email]
    EmailAddress.objects.bulk_create(
        [EmailAddress(user=u, email=u.email, verified=True, primary=True) for u in users],
        batch_size=len(users),
        ignore_conflicts=True,
    )
    memberships: list[CourseMembership] = []
    lesson_rows: list[LessonProgress] = []
    summaries: list[CourseProgress] = []
    counts = [n for n, _ in COURSES_PER_LEARNER]
    count_weights = [weight for _, weight in COURSES_PER_LEARNER]
    sources = [source for source, _ in SOURCES]
    source_weights = [weight for _, weight in SOURCES]
    for index, user in zip(batch, users, strict=True):
        rng = random.Random(index)  # noqa: S311 - learner i is the same on every run  # nosec B311
        wanted = min(rng.choices(counts, count_weights)[0], len(courses))
        chosen: dict[int, Course] = {}
        while len(chosen) < wanted:
            course = rng.choices(courses, weights)[0]
            chosen[course.pk] = course
        for course in chosen.values():
            memberships.append(
                CourseMembership(
                    course_id=course.pk,
                    user_id=user.pk,
                    role=learner_role,
                    source=rng.choices(sources, source_weights)[0],
                )
            )
            plan = plans[course.pk]
            state = rng.random()
            if state < 0.2 or not plan:  # enrolled, not started
                completed, opened = 0, False
            elif state < 0.35:  # completed
                completed, opened = len(plan), False
            else:  # somewhere in between, with the next lesson open
                completed, opened = rng.randint(0, len(plan) - 1), True
            rows, summary = progress_rows(
                user_id=user.pk,
                course_id=course.pk,
                plan=plan,
                completed=completed,
                opened_next=opened,
                now=now,
                rng=rng,
            )
            lesson_rows.extend(rows)
            summaries.append(summary)
    size = 5000
    CourseMembership.objects.bulk_create(memberships, batch_size=size, ignore_conflicts=True)
    LessonProgress.objects.bulk_create(lesson_rows, batch_size=size, ignore_conflicts=True)
    CourseProgress.objects.bulk_create(summaries, batch_size=size, ignore_conflicts=True)
    backdate_completed(u.pk for u in users)
    report.learners_created += len(users)
    report.enrolments += len(memberships)
    report.lesson_progress += len(lesson_rows)
    report.course_progress += len(summaries)


def _course_pool(wanted: int | None) -> tuple[list[Course], int]:
    """The published demo courses (first ``wanted`` of them), topped up with generated
    courses when ``wanted`` is larger."""
    demo = list(demo_courses().filter(status=Course.Status.PUBLISHED).order_by("slug"))
    generated = list(
        Course.objects.filter(
            slug__startswith=COURSE_SLUG_PREFIX, created_by__isnull=True
        ).order_by("slug")
    )
    pool = demo + generated
    if wanted is None:
        return (pool or _make_courses(1, 0)), (0 if pool else 1)
    if wanted <= len(pool):
        return pool[:wanted], 0
    extra = _make_courses(wanted - len(pool), len(generated))
    return pool + extra, len(extra)


@transaction.atomic
def _make_courses(count: int, start: int) -> list[Course]:
    """Published courses of two modules with three text lessons each, for catalogs of
    any size. Titles vary so search has something to rank."""
    subjects = (
        "Budgeting", "Negotiation", "Project Planning", "Statistics", "Customer Care",
        "Spanish", "Public Speaking", "Web Accessibility", "Cloud Basics", "First Aid",
    )  # fmt: skip
    categories = list(Category.objects.order_by("position", "pk")) or [
        Category.objects.get_or_create(slug="load-testing", defaults={"name": "Load testing"})[0]
    ]
    now = timezone.now()
    made: list[Course] = []
    for n in range(start, start + count):
        subject = subjects[n % len(subjects)]
        title = f"{subject} {n // len(subjects) + 1}: load-test course {n + 1:04d}"
        description = (
            f"A generated course about **{subject.lower()}** for load tests. "
            "It has two modules of three text lessons."
        )
        course = Course.objects.create(
            slug=f"{COURSE_SLUG_PREFIX}{n + 1:04d}",
            title=title,
            summary=f"Generated course {n + 1} about {subject.lower()}.",
            description=description,
            description_html=render_markdown(description),
            status=Course.Status.PUBLISHED,
            published_at=now,
            category=categories[n % len(categories)],
            level=list(Course.Level)[n % 3],
            estimated_hours=Decimal(1 + n % 8),
        )
        refresh_search_text(course)
        for m in range(2):
            module = Module.objects.create(
                course=course, title=f"Part {m + 1}", position=m, is_published=True
            )
            body = f"## {subject}, part {m + 1}\n\n- one idea\n- another idea\n"
            Lesson.objects.bulk_create(
                Lesson(
                    course=course,
                    module=module,
                    title=f"{subject}: lesson {m * 3 + k + 1}",
                    kind=Lesson.Kind.TEXT,
                    position=k,
                    is_published=True,
                    body=body,
                    body_html=render_markdown(body),
                    estimated_minutes=10,
                )
                for k in range(3)
            )
        made.append(course)
    return made


@dataclass
class ScaleRemoval:
    learners: int = 0
    courses: int = 0
    rows: dict[str, int] = field(default_factory=dict)


def remove() -> ScaleRemoval:
    """Delete every scale learner (with enrolments and progress) and generated course."""
    result = ScaleRemoval()
    users = scale_users()
    with transaction.atomic():
        # The big tables go with one statement each; the accounts (few other rows refer
        # to them) then go through the ORM, which follows every relation.
        subquery, params = users.values("pk").query.sql_with_params()
        for model in (LessonProgress, CourseProgress, CourseMembership):
            table = connection.ops.quote_name(model._meta.db_table)
            with connection.cursor() as cursor:
                cursor.execute(f"DELETE FROM {table} WHERE user_id IN ({subquery})", params)  # noqa: S608  # nosec B608  # our tables
                result.rows[model._meta.label] = cursor.rowcount
        ids = list(users.values_list("pk", flat=True))
        # They were created without history rows; deleting them writes none either
        # (simple-history's per-row "deleted" record would be most of the work).
        with override_settings(SIMPLE_HISTORY_ENABLED=False):
            for start in range(0, len(ids), DEFAULT_BATCH):
                User.objects.filter(pk__in=ids[start : start + DEFAULT_BATCH]).delete()
        result.learners = len(ids)
        for course in Course.objects.filter(
            slug__startswith=COURSE_SLUG_PREFIX, created_by__isnull=True
        ):
            record(
                actor=None,
                action="course.deleted",
                target=course,
                details={"title": course.title, "demo": True},
            )
            course_id = course.pk
            course.delete()
            invalidate_course(course_id)
            result.courses += 1
    return result
