"""Writes to the gradebook. Quizzes and assignments call ``source_item_sync`` and
``source_grade_record``; everything else here is used by the gradebook's own pages and
API."""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from syllabus.audit.services import record
from syllabus.core.jobs import enqueue_on_commit
from syllabus.courses.models import Course, CourseMembership
from syllabus.courses.services_enrolment import active_learner_q
from syllabus.grades.calculation import validate_scale
from syllabus.grades.models import (
    Grade,
    GradebookSettings,
    GradeCategory,
    GradeItem,
    LearnerVisibility,
)

SOURCE_KINDS = (GradeItem.Kind.QUIZ, GradeItem.Kind.ASSIGNMENT)
UNCATEGORISED_NAME = "Uncategorised"
MAX_WEIGHT = Decimal("1000")
MAX_POINTS = Decimal("100000")
MAX_CATEGORIES = 50
MAX_ITEMS = 500
UNCHANGED: Any = object()  # "leave this setting as it is"


@transaction.atomic
def source_item_sync(
    *,
    course: Course,
    kind: str,
    source_id: int,
    title: str,
    max_points: Decimal,
    due_at: datetime | None = None,
    learner_visibility: str = LearnerVisibility.ALWAYS,
    learner_visible_from: datetime | None = None,
    actor: Any = None,
) -> GradeItem:
    """Create or update the gradebook item of a quiz or assignment (its title, maximum,
    due date and when learners see their grade follow the source). Learners' grades are
    kept; the category and whether the item counts are the gradebook's to set."""
    if kind not in SOURCE_KINDS:
        raise ValueError(f"Grade items from a source are quiz or assignment, not {kind!r}.")
    if max_points <= 0:
        raise ValidationError(_("A graded item needs a maximum above zero points."))
    if learner_visibility not in LearnerVisibility.values:
        raise ValueError(f"Unknown learner visibility {learner_visibility!r}.")
    item, created = GradeItem.objects.select_for_update().get_or_create(
        kind=kind,
        source_id=source_id,
        defaults={
            "course": course,
            "title": title[:200],
            "max_points": max_points,
            "due_at": due_at,
            "learner_visibility": learner_visibility,
            "learner_visible_from": learner_visible_from,
            "position": GradeItem.objects.filter(course=course).count(),
        },
    )
    if created:
        record(actor=actor, action="grade.item_created", target=item, details=_item_details(item))
    else:
        changed = []
        for field, value in (
            ("title", title[:200]),
            ("max_points", max_points),
            ("due_at", due_at),
            ("learner_visibility", learner_visibility),
            ("learner_visible_from", learner_visible_from),
        ):
            if getattr(item, field) != value:
                setattr(item, field, value)
                changed.append(field)
        if changed:
            item.save(update_fields=[*changed, "updated_at"])
            record(
                actor=actor,
                action="grade.item_updated",
                target=item,
                details={**_item_details(item), "changed": changed},
            )
            if "max_points" in changed:
                _recount_on_commit(item.course)
    return item


def source_item(kind: str, source_id: int) -> GradeItem | None:
    """The gradebook item of a quiz or assignment (with its course), or None when it has
    none yet."""
    return GradeItem.objects.select_related("course").filter(kind=kind, source_id=source_id).first()


def source_grade_record(
    *,
    kind: str,
    source_id: int,
    user: Any,
    points: Decimal | None,
    actor: Any = None,
    graded_at: datetime | None = None,
    item: GradeItem | None = None,
) -> Grade:
    """Write a learner's result on a quiz or assignment into the gradebook (``points``
    None clears it, for example when the counted attempt is being regraded). An override
    set by staff stays in force. Audited as ``grade.recorded``; a course whose completion
    needs a pass grade is re-checked after commit. ``item``: the source's item with its
    course, when the caller has it already (``source_item``)."""
    if item is None or (item.kind, item.source_id) != (kind, source_id):
        item = GradeItem.objects.select_related("course").get(kind=kind, source_id=source_id)
    if points is not None and (points < 0 or points > item.max_points):
        raise ValidationError(
            _("Points must be between 0 and %(max)s for “%(title)s”.")
            % {"max": item.max_points, "title": item.title}
        )
    result = {
        "points": points,
        "graded_at": (graded_at or timezone.now()) if points is not None else None,
        "graded_by": actor if points is not None else None,
    }
    # Checked above, written below: inside a caller's transaction (a quiz submit, say) the
    # writes add no savepoint of their own (two round trips fewer), and an error in them
    # fails the caller's transaction, which lets it out anyway.
    with transaction.atomic(savepoint=False):
        # The learner's first result on the item is inserted with its points (one row and
        # one history entry, not an empty grade and then its update); a later one updates
        # the row.
        grade = Grade.objects.select_for_update().filter(item=item, user=user).first()
        previous: Decimal | None = None
        inserted = False
        if grade is None:
            try:
                with transaction.atomic():
                    grade = Grade.objects.create(
                        item=item, user=user, course_id=item.course_id, **result
                    )
                inserted = True
            except IntegrityError:  # a concurrent first result won: update that one
                grade = Grade.objects.select_for_update().get(item=item, user=user)
        if not inserted:
            previous = grade.points
            for field, value in result.items():
                setattr(grade, field, value)
            grade.save()
        if previous != points:
            record(
                actor=actor,
                action="grade.recorded",
                target=item,
                details={
                    "learner": user.public_id,
                    "points": None if points is None else str(points),
                    "previous": None if previous is None else str(previous),
                    "max_points": str(item.max_points),
                },
            )
        _refresh_completion_on_commit(user, item.course)
    return grade


def _refresh_completion_on_commit(user: Any, course: Course) -> None:
    if course.completion_rule != Course.CompletionRule.PASS_GRADE:
        return

    def refresh() -> None:
        from syllabus.learning.services import course_completion_refresh

        course_completion_refresh(user=user, course=course)

    transaction.on_commit(refresh)


def _item_details(item: GradeItem) -> dict[str, Any]:
    return {
        "course": item.course.public_id,
        "item": item.public_id,
        "kind": item.kind,
        "title": item.title,
        "max_points": str(item.max_points),
        "category": item.category.public_id if item.category_id and item.category else None,
        "counts": item.counts,
    }


def _recount_on_commit(course: Course) -> None:
    """A change to what counts (weights, items, maximums) can bring learners of a
    pass-grade course to the pass grade: re-apply the completion rule after commit."""
    if course.completion_rule != Course.CompletionRule.PASS_GRADE:
        return
    # A job: a large course's recount reads every learner's grades.
    from syllabus.learning.tasks import course_progress_recount_task

    enqueue_on_commit(course_progress_recount_task, course.pk)


def _points(value: Any, *, field: str = "points") -> Decimal:
    """A number of points as people type it (a comma as decimal mark is accepted)."""
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except (ArithmeticError, ValueError):
        raise ValidationError({field: [_("Enter a number.")]}) from None
    if not number.is_finite():
        raise ValidationError({field: [_("Enter a number.")]})
    if number != number.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP):
        raise ValidationError({field: [_("Use at most two decimals.")]})
    return number.quantize(Decimal("0.01"))


def _weight(value: Any, *, field: str = "weight") -> Decimal:
    weight = _points(value, field=field)
    if weight < 0 or weight > MAX_WEIGHT:
        raise ValidationError(
            {field: [_("A weight is between 0 and %(max)s.") % {"max": MAX_WEIGHT}]}
        )
    return weight


def _in_range(points: Decimal, item: GradeItem, *, field: str = "points") -> None:
    if points < 0 or points > item.max_points:
        raise ValidationError(
            {
                field: [
                    _("Points must be between 0 and %(max)s for “%(title)s”.")
                    % {"max": item.max_points, "title": item.title}
                ]
            }
        )


def _require_learner(course: Course, learner: Any) -> None:
    if not CourseMembership.objects.filter(
        active_learner_q(), course=course, user_id=learner.pk
    ).exists():
        raise ValidationError(
            _("%(email)s is not a learner in this course.") % {"email": learner.email}
        )


def _settings_for_update(course: Course) -> GradebookSettings:
    settings, _created = GradebookSettings.objects.select_for_update().get_or_create(course=course)
    return settings


# --- Scale and categories ----------------------------------------------------------------


@transaction.atomic
def scheme_update(
    *,
    actor: Any,
    course: Course,
    scale: list[tuple[str, Any]] | None = None,
    uncategorised_weight: Any = UNCHANGED,
) -> GradebookSettings:
    """Change the letter scale and/or the weight of uncategorised items (None: an equal
    share). Audited as ``grade.scale_updated`` with the values before and after."""
    settings = _settings_for_update(course)
    before = {
        "scale": settings.letter_scale,
        "uncategorised_weight": _text(settings.uncategorised_weight),
    }
    if scale is not None:
        try:
            validated = validate_scale(scale)
        except ValueError as exc:
            raise ValidationError({"scale": [str(exc)]}) from None
        settings.letter_scale = [[letter, str(value)] for letter, value in validated]
    if uncategorised_weight is not UNCHANGED:
        settings.uncategorised_weight = (
            None
            if uncategorised_weight in (None, "")
            else _weight(uncategorised_weight, field="uncategorised_weight")
        )
    after = {
        "scale": settings.letter_scale,
        "uncategorised_weight": _text(settings.uncategorised_weight),
    }
    if after != before:
        settings.save()
        record(
            actor=actor,
            action="grade.scale_updated",
            target=course,
            details={"course": course.public_id, "before": before, "after": after},
        )
        _recount_on_commit(course)
    return settings


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _unique_category_name(course: Course, name: str, exclude: int | None = None) -> str:
    name = name.strip()
    if not name or len(name) > 100:
        raise ValidationError({"name": [_("A category needs a name of 1 to 100 characters.")]})
    if name.casefold() == UNCATEGORISED_NAME.casefold():
        raise ValidationError(
            {"name": [_("“%(name)s” is kept for items with none.") % {"name": UNCATEGORISED_NAME}]}
        )
    clash = GradeCategory.objects.filter(course=course, name__iexact=name)
    if exclude is not None:
        clash = clash.exclude(pk=exclude)
    if clash.exists():
        raise ValidationError({"name": [_("This course already has a category of that name.")]})
    return name


@transaction.atomic
def category_create(*, actor: Any, course: Course, name: str, weight: Any) -> GradeCategory:
    if GradeCategory.objects.filter(course=course).count() >= MAX_CATEGORIES:
        raise ValidationError(
            _("A course has at most %(max)s grade categories.") % {"max": MAX_CATEGORIES}
        )
    category = GradeCategory.objects.create(
        course=course,
        name=_unique_category_name(course, name),
        weight=_weight(weight),
        position=GradeCategory.objects.filter(course=course).count(),
    )
    record(
        actor=actor,
        action="grade.category_created",
        target=category,
        details={"course": course.public_id, "name": category.name, "weight": str(category.weight)},
    )
    _recount_on_commit(course)
    return category


@transaction.atomic
def category_update(
    *, actor: Any, category: GradeCategory, name: str | None = None, weight: Any = None
) -> GradeCategory:
    category = (
        GradeCategory.objects.select_for_update().select_related("course").get(pk=category.pk)
    )
    before = {"name": category.name, "weight": str(category.weight)}
    if name is not None:
        category.name = _unique_category_name(category.course, name, exclude=category.pk)
    if weight is not None:
        category.weight = _weight(weight)
    after = {"name": category.name, "weight": str(category.weight)}
    if after != before:
        category.save()
        record(
            actor=actor,
            action="grade.category_updated",
            target=category,
            details={"course": category.course.public_id, "before": before, "after": after},
        )
        _recount_on_commit(category.course)
    return category


@transaction.atomic
def category_delete(*, actor: Any, category: GradeCategory) -> int:
    """Delete a category; its items stay, uncategorised. Returns how many items moved."""
    course = category.course
    moved = GradeItem.objects.filter(category=category).update(
        category=None, updated_at=timezone.now()
    )
    record(
        actor=actor,
        action="grade.category_deleted",
        target=category,
        details={
            "course": course.public_id,
            "name": category.name,
            "weight": str(category.weight),
            "items_moved": moved,
        },
    )
    category.delete()
    _recount_on_commit(course)
    return moved


# --- Items ----------------------------------------------------------------------------------


def _category_of(course: Course, category: GradeCategory | None) -> GradeCategory | None:
    if category is not None and category.course_id != course.pk:
        raise ValidationError({"category": [_("This category belongs to another course.")]})
    return category


def _visibility(visibility: str, visible_from: datetime | None) -> None:
    if visibility not in LearnerVisibility.values:
        raise ValidationError({"learner_visibility": [_("Choose always, from a date, or never.")]})
    if visibility == LearnerVisibility.AFTER and visible_from is None:
        raise ValidationError(
            {"learner_visible_from": [_("Say from when learners see their grade.")]}
        )


def _title(title: str) -> str:
    title = (title or "").strip()
    if not title or len(title) > 200:
        raise ValidationError({"title": [_("An item needs a title of 1 to 200 characters.")]})
    return title


def _max_points(value: Any) -> Decimal:
    points = _points(value, field="max_points")
    if points <= 0 or points > MAX_POINTS:
        raise ValidationError(
            {"max_points": [_("The maximum is above 0 and at most %(max)s.") % {"max": MAX_POINTS}]}
        )
    return points


@transaction.atomic
def manual_item_create(
    *,
    actor: Any,
    course: Course,
    title: str,
    max_points: Any,
    category: GradeCategory | None = None,
    due_at: datetime | None = None,
    counts: bool = True,
    learner_visibility: str = LearnerVisibility.ALWAYS,
    learner_visible_from: datetime | None = None,
) -> GradeItem:
    """A gradebook column graded by hand (a presentation, participation, an offline exam)."""
    if GradeItem.objects.filter(course=course).count() >= MAX_ITEMS:
        raise ValidationError(_("A course has at most %(max)s grade items.") % {"max": MAX_ITEMS})
    _visibility(learner_visibility, learner_visible_from)
    item = GradeItem.objects.create(
        course=course,
        kind=GradeItem.Kind.MANUAL,
        title=_title(title),
        max_points=_max_points(max_points),
        category=_category_of(course, category),
        due_at=due_at,
        counts=counts,
        learner_visibility=learner_visibility,
        learner_visible_from=(
            learner_visible_from if learner_visibility == LearnerVisibility.AFTER else None
        ),
        position=GradeItem.objects.filter(course=course).count(),
    )
    record(actor=actor, action="grade.item_created", target=item, details=_item_details(item))
    _recount_on_commit(course)
    return item


# Fields the gradebook may change on items of quizzes and assignments (the rest follows
# the quiz or assignment).
SOURCE_ITEM_FIELDS = frozenset({"category", "counts"})
ITEM_FIELDS = frozenset(
    {
        "title",
        "max_points",
        "category",
        "due_at",
        "counts",
        "learner_visibility",
        "learner_visible_from",
    }
)


@transaction.atomic
def item_update(*, actor: Any, item: GradeItem, **changes: Any) -> GradeItem:
    """Change an item. Manual items: every field; quiz and assignment items: only their
    category and whether they count. A new maximum must stay above every grade given."""
    item = (
        GradeItem.objects.select_for_update(of=("self",))
        .select_related("course", "category")
        .get(pk=item.pk)
    )
    allowed = ITEM_FIELDS if item.kind == GradeItem.Kind.MANUAL else SOURCE_ITEM_FIELDS
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationError(
            (
                _("These cannot be changed here: %(fields)s (they follow the quiz or assignment).")
                if item.kind != "manual"
                else _("These cannot be changed here: %(fields)s.")
            )
            % {"fields": ", ".join(sorted(unknown))}
        )
    values = dict(changes)
    if "title" in values:
        values["title"] = _title(values["title"])
    if "max_points" in values:
        values["max_points"] = _max_points(values["max_points"])
        above = Grade.objects.filter(item=item).filter(
            Q(points__gt=values["max_points"]) | Q(override_points__gt=values["max_points"])
        )
        if above.exists():
            raise ValidationError(
                {"max_points": [_("Some grades are above this maximum: change them first.")]}
            )
    if "category" in values:
        values["category"] = _category_of(item.course, values["category"])
    visibility = values.get("learner_visibility", item.learner_visibility)
    visible_from = values.get("learner_visible_from", item.learner_visible_from)
    _visibility(visibility, visible_from)
    if visibility != LearnerVisibility.AFTER and item.kind == GradeItem.Kind.MANUAL:
        values["learner_visible_from"] = None
    changed = [field for field, value in values.items() if getattr(item, field) != value]
    for field in changed:
        setattr(item, field, values[field])
    if changed:
        item.save(update_fields=[*changed, "updated_at"])
        record(
            actor=actor,
            action="grade.item_updated",
            target=item,
            details={**_item_details(item), "changed": sorted(changed)},
        )
        _recount_on_commit(item.course)
    return item


class GradesExist(ValidationError):
    """Deleting an item with grades needs a confirmation."""

    code = "grades_exist"


@transaction.atomic
def item_delete(*, actor: Any, item: GradeItem, confirm: bool = False) -> int:
    """Delete a manual item. When learners have grades on it, only with ``confirm``
    (their grades go with it; the audit event keeps the count). Returns grades deleted."""
    if item.kind != GradeItem.Kind.MANUAL:
        raise ValidationError(
            _("This item belongs to a quiz or an assignment: it goes when they are deleted.")
        )
    graded = Grade.objects.filter(item=item).count()
    if graded and not confirm:
        raise GradesExist(
            ngettext(
                "%(count)s learner has a grade on “%(title)s”: "
                "confirm to delete the item and these grades.",
                "%(count)s learners have a grade on “%(title)s”: "
                "confirm to delete the item and these grades.",
                graded,
            )
            % {"count": graded, "title": item.title}
        )
    record(
        actor=actor,
        action="grade.item_deleted",
        target=item,
        details={**_item_details(item), "grades_deleted": graded},
    )
    course = item.course
    item.delete()
    _recount_on_commit(course)
    return graded


# --- Grades ---------------------------------------------------------------------------------


def _grade_for_update(item: GradeItem, learner: Any) -> Grade:
    grade, _created = Grade.objects.select_for_update().get_or_create(
        item=item, user=learner, defaults={"course_id": item.course_id}
    )
    return grade


@transaction.atomic
def grade_enter(*, actor: Any, item: GradeItem, learner: Any, points: Any) -> Grade:
    """Enter (or clear, with None or "") a learner's points on a manual item."""
    if item.kind != GradeItem.Kind.MANUAL:
        raise ValidationError(
            _("Points of quizzes and assignments come from them: override the grade instead.")
        )
    _require_learner(item.course, learner)
    value = None if points is None or str(points).strip() == "" else _points(points)
    if value is not None:
        _in_range(value, item)
    grade = _grade_for_update(item, learner)
    previous = grade.points
    if previous != value:
        grade.points = value
        grade.graded_at = timezone.now() if value is not None else None
        grade.graded_by = actor if value is not None else None
        grade.save()
        record(
            actor=actor,
            action="grade.recorded",
            target=item,
            details={
                "learner": learner.public_id,
                "points": _text(value),
                "previous": _text(previous),
                "max_points": str(item.max_points),
            },
        )
        _refresh_completion_on_commit(learner, item.course)
    return grade


@transaction.atomic
def grade_override(*, actor: Any, item: GradeItem, learner: Any, points: Any, reason: str) -> Grade:
    """Replace what counts for one learner on any item, with a reason (kept in the
    grade's history and the audit trail, ``grade.overridden``)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why the grade is overridden.")]})
    if len(reason) > 500:
        raise ValidationError({"reason": [_("Keep the reason under 500 characters.")]})
    if points is None or str(points).strip() == "":
        raise ValidationError({"points": [_("Enter the points that should count.")]})
    value = _points(points)
    _in_range(value, item)
    _require_learner(item.course, learner)
    grade = _grade_for_update(item, learner)
    previous = grade.override_points
    if previous == value and grade.override_reason == reason:
        return grade
    grade.override_points = value
    grade.override_reason = reason
    grade.overridden_by = actor
    grade.overridden_at = timezone.now()
    grade._change_reason = reason[:100]  # type: ignore[attr-defined]  # simple-history
    grade.save()
    record(
        actor=actor,
        action="grade.overridden",
        target=item,
        details={
            "learner": learner.public_id,
            "points": str(value),
            "previous_override": _text(previous),
            "given_points": _text(grade.points),
            "reason": reason,
        },
    )
    _refresh_completion_on_commit(learner, item.course)
    return grade


@transaction.atomic
def grade_override_remove(
    *, actor: Any, item: GradeItem, learner: Any, reason: str = ""
) -> Grade | None:
    """Remove an override: the given points count again (``grade.override_removed``).
    Returns None when there was no override (nothing is written)."""
    grade = Grade.objects.select_for_update().filter(item=item, user=learner).first()
    if grade is None or grade.override_points is None:
        return None
    reason = (reason or "").strip()[:500]
    previous, previous_reason = grade.override_points, grade.override_reason
    grade.override_points = None
    grade.override_reason = ""
    grade.overridden_by = None
    grade.overridden_at = None
    grade._change_reason = (reason or "Override removed")[:100]  # type: ignore[attr-defined]
    grade.save()
    record(
        actor=actor,
        action="grade.override_removed",
        target=item,
        details={
            "learner": learner.public_id,
            "removed_points": str(previous),
            "removed_reason": previous_reason,
            "reason": reason,
            "given_points": _text(grade.points),
        },
    )
    _refresh_completion_on_commit(learner, item.course)
    return grade
