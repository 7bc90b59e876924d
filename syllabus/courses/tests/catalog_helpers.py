"""Building catalog data for the catalog tests (straight through the models: the
authoring services are tested on their own)."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from itertools import count
from typing import Any

from django.utils.text import slugify

from syllabus.accounts.models import Role, User
from syllabus.core.markdown import render_markdown
from syllabus.courses.models import Category, Course, CourseMembership, Lesson, Module, Tag
from syllabus.courses.search import refresh_search_text
from tests.factories import UserFactory

_numbers = count(1)


def category(name: str) -> Category:
    return Category.objects.get_or_create(name=name, defaults={"slug": slugify(name)})[0]


def tag(name: str) -> Tag:
    return Tag.objects.get_or_create(name=name, defaults={"slug": slugify(name)})[0]


def member(course: Course, user: User, role: str) -> CourseMembership:
    return CourseMembership.objects.create(
        course=course, user=user, role=Role.objects.get(slug=role)
    )


def make_course(
    title: str,
    *,
    status: str = Course.Status.PUBLISHED,
    summary: str = "",
    description: str = "",
    category_name: str | None = None,
    tags: Iterable[str] = (),
    level: str = Course.Level.BEGINNER,
    hours: str | None = None,
    capacity: int | None = None,
    instructors: int = 0,
    learners: int = 0,
    modules: int = 0,
    lessons: int = 0,
    **fields: Any,
) -> Course:
    """A course with its search text filled, and optionally people and content: each of
    ``modules`` modules (published) gets ``lessons`` published text lessons."""
    n = next(_numbers)
    course = Course.objects.create(
        title=title,
        slug=f"{slugify(title)[:150]}-{n}",
        status=status,
        summary=summary,
        description=description,
        description_html=render_markdown(description) if description else "",
        category=category(category_name) if category_name else None,
        level=level,
        estimated_hours=Decimal(hours) if hours else None,
        capacity=capacity,
        **fields,
    )
    course.tags.set([tag(name) for name in tags])
    refresh_search_text(course)
    for i in range(instructors):
        member(course, UserFactory(full_name=f"Teacher {n}-{i}"), "instructor")
    for _ in range(learners):
        member(course, UserFactory(), "learner")
    for m in range(modules):
        module = Module.objects.create(
            course=course, title=f"Module {m + 1}", position=m, is_published=True
        )
        for i in range(lessons):
            Lesson.objects.create(
                course=course,
                module=module,
                title=f"Lesson {m + 1}.{i + 1}",
                position=i,
                is_published=True,
                estimated_minutes=10,
            )
    return course
