"""Course prerequisites need to know which courses a person has completed, which the
learning app (a higher layer) records. Learning registers a source here at start-up, so
courses never imports learning (the same pattern accounts uses for MFA role sources)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from syllabus.courses.models import Course

CompletionSource = Callable[[Any, Iterable[int]], set[int]]
_sources: list[CompletionSource] = []


def register_completion_source(source: CompletionSource) -> None:
    """``source(user, course_ids)`` returns the ids among ``course_ids`` the user completed."""
    if source not in _sources:
        _sources.append(source)


def completed_course_ids(user: Any, course_ids: Iterable[int]) -> set[int]:
    wanted = set(course_ids)
    done: set[int] = set()
    for source in _sources:
        done |= source(user, wanted)
    return done & wanted


def missing_prerequisites(user: Any, course: Course) -> list[Course]:
    """The prerequisite courses ``user`` has not completed yet, in title order."""
    required = list(course.prerequisites.order_by("title"))
    if not required:
        return []
    done = completed_course_ids(user, [c.pk for c in required])
    return [c for c in required if c.pk not in done]
