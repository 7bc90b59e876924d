"""Setup step of the benchmark scenarios (bench/locustfile.py): reads which people,
courses, lessons and quizzes exist in the database the server uses, and writes them as
JSON for the Locust users. Nothing is hard-coded in the locustfile: load the data first
(``syllabus demo``, with ``--scale N`` for many learners), then run this with the same
environment as the server (DATABASE_URL, SYLLABUS_* variables):

    python bench/scenario_data.py --out var/bench/scenarios.json [--learners 2000]

Everyone listed signs in with the demo password (``syllabus demo`` gives it to all of its
people, load-test learners included). Read-only: it writes nothing to the database.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def _setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "syllabus.config.settings")
    import django

    django.setup()


def collect(*, learners_limit: int) -> dict[str, Any]:
    """People and content of published courses, as the scenarios need them."""
    from django.db.models import Count, Q
    from django.utils import timezone

    from syllabus.assessments.models import Attempt, Quiz
    from syllabus.courses.models import Course, CourseMembership, Lesson
    from syllabus.ops.demo.content import DEMO_PASSWORD

    now = timezone.now()
    published = Course.objects.filter(status=Course.Status.PUBLISHED)
    current = Q(ends_at__isnull=True) | Q(ends_at__gt=now)
    courses: dict[int, dict[str, Any]] = {}
    for course in published.order_by("pk"):
        lessons = Lesson.objects.filter(
            course=course,
            is_published=True,
            module__is_published=True,
            prerequisite__isnull=True,
        ).filter(Q(available_from__isnull=True) | Q(available_from__lte=now))
        quizzes = (
            Quiz.objects.filter(lesson__in=lessons)
            .filter(Q(opens_at__isnull=True) | Q(opens_at__lte=now))
            .filter(Q(closes_at__isnull=True) | Q(closes_at__gt=now))
        )
        courses[course.pk] = {
            "id": course.public_id,
            "title": course.title,
            # Lessons a learner marks complete themselves (quizzes and assignments
            # complete by their result).
            "lessons": list(
                lessons.filter(kind__in=[Lesson.Kind.TEXT, Lesson.Kind.FILE])
                .order_by("module__position", "position")
                .values_list("public_id", flat=True)
            ),
            # Video lessons with an uploaded file: the "video start" and "video seek"
            # requests (time to the first byte of the file and of a Range request).
            "videos": list(
                lessons.filter(kind=Lesson.Kind.VIDEO)
                .exclude(video="")
                .order_by("module__position", "position")
                .values_list("public_id", flat=True)
            ),
            "quizzes": {quiz.pk: (quiz.public_id, quiz.attempts_allowed) for quiz in quizzes},
        }

    memberships = (
        CourseMembership.objects.filter(current, course_id__in=courses, user__is_active=True)
        .select_related("user", "role")
        .order_by("user__email", "course_id")
    )
    learners: dict[str, list[dict[str, Any]]] = {}
    staff: dict[str, list[str]] = {}
    for membership in memberships:
        entry = courses[membership.course_id]
        if membership.role.slug in ("instructor", "teaching_assistant"):
            staff.setdefault(membership.user.email, []).append(entry["id"])
        elif membership.role.slug == "learner":
            if membership.user.email not in learners and len(learners) >= learners_limit:
                continue
            learners.setdefault(membership.user.email, []).append(
                {
                    "course": entry["id"],
                    "lessons": entry["lessons"],
                    "videos": entry["videos"],
                    "quizzes": [],
                }
            )

    # Quizzes each listed learner may still start (attempts_allowed 0 is unlimited).
    used = (
        Attempt.objects.filter(user__email__in=learners)
        .values("user__email", "quiz_id")
        .annotate(n=Count("id"))
    )
    taken = {(row["user__email"], row["quiz_id"]): row["n"] for row in used}
    by_id = {course["id"]: course for course in courses.values()}
    for email, enrolments in learners.items():
        for enrolment in enrolments:
            for quiz_pk, (quiz_id, allowed) in by_id[enrolment["course"]]["quizzes"].items():
                if allowed == 0 or taken.get((email, quiz_pk), 0) < allowed:
                    enrolment["quizzes"].append(quiz_id)

    words = sorted(
        {
            word.lower()
            for course in courses.values()
            for word in course["title"].split()
            if len(word) > 4 and word.isalpha()
        }
    )
    return {
        "password": DEMO_PASSWORD,
        "learners": [{"email": email, "courses": e} for email, e in learners.items()],
        "staff": [{"email": email, "courses": c} for email, c in staff.items()],
        "catalog": {"courses": [c["id"] for c in courses.values()], "search": words[:50]},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("var/bench/scenarios.json"))
    parser.add_argument(
        "--learners", type=int, default=10_000, help="list at most this many learners"
    )
    args = parser.parse_args()
    _setup_django()
    data = collect(learners_limit=args.learners)
    if not data["learners"] or not data["catalog"]["courses"]:
        sys.stderr.write("No published courses or learners: run `syllabus demo` first.\n")
        return 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(data, indent=1))
    sys.stdout.write(
        f"{args.out}: {len(data['learners'])} learners, {len(data['staff'])} staff, "
        f"{len(data['catalog']['courses'])} published courses\n"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
