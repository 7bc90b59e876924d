"""Every write to courses, their content and course roles, with its audit event.

Authoring services (course settings, publishing, copies, modules, lessons, uploads) each
run in one transaction: permission check (``course.edit`` in the course; ``actor`` None
is the operator), validation (ValidationError with a message per field, nothing
written), the change, its audit event, then ``invalidate_course`` (on commit) and, when
searched fields change, ``refresh_search_text``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import get_text_list, slugify
from django.utils.translation import gettext as _

from syllabus.accounts.mfa import mfa_requirement_refresh
from syllabus.accounts.models import Role, User
from syllabus.accounts.permissions import has_site_perm
from syllabus.accounts.roles import COURSE
from syllabus.audit.services import record
from syllabus.core.markdown import render_markdown
from syllabus.courses import uploads
from syllabus.courses.cache import invalidate_course
from syllabus.courses.lesson_kinds import handler_for
from syllabus.courses.models import Course, CourseMembership, Lesson, Module, Tag
from syllabus.courses.permissions import (
    can_grant_course_role,
    forget_course_permissions,
    has_course_perm,
)
from syllabus.courses.role_names import role_name
from syllabus.courses.search import refresh_search_text
from syllabus.courses.uploads import (
    UploadInfo,
    copy_stored,
    delete_stored,
    store_upload,
    validate_upload,
)

INSTRUCTOR = "instructor"
LEARNER = "learner"


@transaction.atomic
def course_create(*, actor: User | None, title: str, summary: str = "") -> Course:
    """Create a draft course; a creating person becomes its first instructor."""
    if actor is not None and not has_site_perm(actor, "course.create"):
        raise PermissionDenied(_("Creating courses needs the course.create permission."))
    course = _course_new(actor=actor, title=title, summary=summary)
    record(actor=actor, action="course.created", target=course, details={"title": course.title})
    if actor is not None:  # the creator holds course.create, which covers teaching it
        _role_set(actor=actor, course=course, user=actor, role=Role.objects.get(slug=INSTRUCTOR))
    return course


def _course_new(*, actor: Any, title: str, summary: str) -> Course:
    title = title.strip()
    if not title:
        raise ValidationError({"title": _("Give the course a title.")})
    base = slugify(title)[:180] or "course"
    slug, n = base, 1
    while Course.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    if len(title) > 200:
        raise ValidationError({"title": _("Keep the title under 200 characters.")})
    return Course.objects.create(
        title=title, slug=slug, summary=summary.strip()[:500], created_by=actor
    )


@transaction.atomic
def course_role_set(*, actor: Any, course: Course, user: User, role: Role) -> CourseMembership:
    """Give ``user`` ``role`` in ``course`` (replacing the role they had there); audited.

    ``actor`` None means the operator (CLI, system job, demo data).
    """
    if role.scope != COURSE:
        raise ValidationError(
            _("%(name)s is a site role: grant it on the People page.") % {"name": role_name(role)}
        )
    if not user.is_active:
        raise ValidationError(_("This account is deactivated."))
    if not can_grant_course_role(actor, course, role.permissions):
        raise PermissionDenied(
            _("You cannot make people %(name)s in this course.") % {"name": role_name(role)}
        )
    return _role_set(actor=actor, course=course, user=user, role=role)


def _role_set(*, actor: Any, course: Course, user: User, role: Role) -> CourseMembership:
    membership = (
        CourseMembership.objects.select_for_update().filter(course=course, user=user).first()
    )
    if membership is not None and membership.role_id == role.pk:
        return membership
    if membership is None:
        membership = CourseMembership.objects.create(
            course=course, user=user, role=role, granted_by=actor if actor else None
        )
    else:
        membership.role = role
        membership.granted_by = actor if actor else None
        membership.save(update_fields=["role", "granted_by", "updated_at"])
    action = "enrolment.created" if role.slug == LEARNER else "role.granted"
    record(
        actor=actor,
        action=action,
        target=user,
        details={"course": course.public_id, "role": role.slug},
    )
    forget_course_permissions(user)
    mfa_requirement_refresh(user)
    invalidate_course(course.pk)  # instructors and learner counts are in the cached meta
    return membership


@transaction.atomic
def course_role_remove(*, actor: Any, course: Course, user: User) -> bool:
    membership = (
        CourseMembership.objects.select_related("role").filter(course=course, user=user).first()
    )
    if membership is None:
        return False
    if not can_grant_course_role(actor, course, membership.role.permissions):
        raise PermissionDenied(
            _("You cannot remove %(name)ss from this course.")
            % {"name": role_name(membership.role)}
        )
    slug = membership.role.slug
    membership.delete()
    action = "enrolment.removed" if slug == LEARNER else "role.removed"
    record(
        actor=actor, action=action, target=user, details={"course": course.public_id, "role": slug}
    )
    forget_course_permissions(user)
    mfa_requirement_refresh(user)
    invalidate_course(course.pk)
    return True


# --- Authoring: course settings, publishing, copies ---------------------------------------

COURSE_FIELDS = frozenset(
    {
        "title",
        "summary",
        "description",
        "category",
        "tags",
        "level",
        "estimated_hours",
        "image_alt",
        "image_decorative",
        "available_from",
        "available_until",
        "enrolment",
        "enrolment_key",
        "capacity",
        "default_enrolment_days",
        "completion_rule",
        "pass_grade",
        "prerequisites",
    }
)
SEARCHED_FIELDS = frozenset({"title", "summary", "description", "category", "tags"})
MODULE_FIELDS = frozenset({"title", "summary", "available_from"})
LESSON_FIELDS = frozenset(
    {
        "title",
        "body",
        "is_required",
        "available_from",
        "due_at",
        "estimated_minutes",
        "prerequisite",
        "video_url",
        "video_duration_seconds",
        "captions_language",
        "transcript",
        "module",
    }
)
CREATABLE_KINDS = frozenset({Lesson.Kind.TEXT, Lesson.Kind.VIDEO, Lesson.Kind.FILE})


def creatable_kinds() -> list[str]:
    """Lesson kinds an author may create here: the built-in ones plus the kinds another
    app registered (quiz, assignment), in the order of ``Lesson.Kind``."""
    return [k for k in Lesson.Kind.values if k in CREATABLE_KINDS or handler_for(k) is not None]


UP, DOWN = "up", "down"


def require_course_edit(actor: Any, course: Course) -> None:
    """``actor`` None is the operator (CLI, demo data); anyone else needs course.edit."""
    if actor is not None and not has_course_perm(actor, course, "course.edit"):
        raise PermissionDenied(_("Editing this course needs the course.edit permission."))


def _locked_course(course: Course) -> Course:
    return Course.objects.select_for_update().get(pk=course.pk)


def _full_clean(instance: Any, fields: set[str]) -> None:
    """The model's own field checks (choices, lengths, URL, number bounds) for ``fields``."""
    exclude = [f.name for f in instance._meta.fields if f.name not in fields]
    instance.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)


@transaction.atomic
def course_update(*, actor: Any, course: Course, changes: dict[str, Any]) -> Course:
    """Change catalog, availability, enrolment and completion settings of a course.

    ``changes`` holds only the fields to change (PATCH semantics): any of COURSE_FIELDS.
    ``tags`` is a list of tag names (created when new), ``prerequisites`` a list of
    courses, ``category`` a Category or None. Returns the saved course.
    """
    require_course_edit(actor, course)
    unknown = set(changes) - COURSE_FIELDS
    if unknown:
        raise ValidationError(
            _("These fields cannot be changed here: %(fields)s.")
            % {"fields": ", ".join(sorted(unknown))}
        )
    course = _locked_course(course)
    changed: list[str] = []
    for field, value in changes.items():
        if field in ("tags", "prerequisites"):
            continue
        if isinstance(value, str) and field != "description":
            value = value.strip()
        if getattr(course, field) != value:
            setattr(course, field, value)
            changed.append(field)
    if "title" in changes and not course.title:
        raise ValidationError({"title": _("Give the course a title.")})
    errors: dict[str, list[str]] = {}
    if (
        course.available_from
        and course.available_until
        and course.available_from >= course.available_until
    ):
        errors.setdefault("available_until", []).append(_("The course must close after it opens."))
    if course.enrolment == Course.Enrolment.KEY and not course.enrolment_key:
        errors.setdefault("enrolment_key", []).append(
            _("Set an enrolment key, or choose another enrolment mode.")
        )
    if course.completion_rule == Course.CompletionRule.PASS_GRADE and course.pass_grade is None:
        errors.setdefault("pass_grade", []).append(
            _("Set the pass grade, or complete the course on lessons.")
        )
    if course.image_decorative and course.image_alt:
        # Decorative means no description: alt="" is what tells screen readers to skip it.
        course.image_alt = ""
        changed.append("image_alt")
    if course.image and not course.image_alt.strip() and not course.image_decorative:
        errors.setdefault("image_alt", []).append(
            _("Describe the image for people who cannot see it, or mark it as decorative.")
        )
    try:
        _full_clean(course, set(changes) - {"tags", "prerequisites"})
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    tag_objects = None
    if "tags" in changes:
        try:
            tag_objects = _tags_from_names(changes["tags"] or [])
        except ValidationError as exc:
            errors.setdefault("tags", []).extend(exc.messages)
    prerequisites = None
    if "prerequisites" in changes:
        prerequisites = list(changes["prerequisites"] or [])
        try:
            _check_course_prerequisites(course, prerequisites)
        except ValidationError as exc:
            errors.setdefault("prerequisites", []).extend(exc.messages)
    if errors:
        raise ValidationError(errors)
    if "description" in changed:
        course.description_html = render_markdown(course.description)
        changed.append("description_html")
    if changed:
        course.save(update_fields=[*changed, "updated_at"])
    if tag_objects is not None:
        before = set(course.tags.values_list("pk", flat=True))
        if before != {t.pk for t in tag_objects}:
            course.tags.set(tag_objects)
            changed.append("tags")
    if prerequisites is not None:
        before = set(course.prerequisites.values_list("pk", flat=True))
        if before != {c.pk for c in prerequisites}:
            course.prerequisites.set(prerequisites)
            changed.append("prerequisites")
    fields = sorted(set(changed) - {"description_html"})
    if fields:
        record(actor=actor, action="course.updated", target=course, details={"fields": fields})
        if SEARCHED_FIELDS & set(fields):
            refresh_search_text(course)
        invalidate_course(course.pk)
    return course


def _tags_from_names(names: list[str]) -> list[Tag]:
    wanted: dict[str, str] = {}
    for raw in names:
        name = " ".join(str(raw).split())
        if not name:
            continue
        if len(name) > 50:
            raise ValidationError(
                _("Tag “%(start)s…” is longer than 50 characters.") % {"start": name[:20]}
            )
        slug = slugify(name)[:50]
        if not slug:
            raise ValidationError(_("Tag “%(name)s” needs letters or digits.") % {"name": name})
        wanted.setdefault(slug, name)
    if len(wanted) > 20:
        raise ValidationError(_("A course can have at most 20 tags."))
    existing = {t.slug: t for t in Tag.objects.filter(slug__in=wanted)}
    tags = []
    for slug, name in wanted.items():
        tag = existing.get(slug)
        if tag is None:
            tag, _created = Tag.objects.get_or_create(slug=slug, defaults={"name": name})
        tags.append(tag)
    return tags


def _check_course_prerequisites(course: Course, prerequisites: list[Course]) -> None:
    """No self-reference, no cycle: ``course`` may not be reachable from a prerequisite."""
    if any(p.pk == course.pk for p in prerequisites):
        raise ValidationError(_("A course cannot be its own prerequisite."))
    edges = Course.prerequisites.through.objects
    seen: set[int] = set()
    frontier = {p.pk for p in prerequisites}
    while frontier:
        if course.pk in frontier:
            raise ValidationError(
                _("That would make a cycle: a prerequisite already requires this course.")
            )
        seen |= frontier
        frontier = (
            set(edges.filter(from_course_id__in=frontier).values_list("to_course_id", flat=True))
            - seen
        )


@transaction.atomic
def course_image_set(
    *,
    actor: Any,
    course: Course,
    upload: Any,
    alt: str | None = None,
    decorative: bool | None = None,
) -> Course:
    """Replace the course image with a checked upload. It needs its alt text unless it
    is marked decorative (then its alt text is empty, so screen readers skip it).
    ``alt``/``decorative`` left as None keep the course's current ones."""
    require_course_edit(actor, course)
    info = validate_upload(upload, uploads.IMAGE)
    is_decorative = course.image_decorative if decorative is None else bool(decorative)
    alt_text = "" if is_decorative else (alt if alt is not None else course.image_alt).strip()
    if not alt_text and not is_decorative:
        raise ValidationError(
            {
                "image_alt": _(
                    "Describe the image for people who cannot see it, or mark it as decorative."
                )
            }
        )
    if len(alt_text) > 250:
        raise ValidationError({"image_alt": _("Keep the description under 250 characters.")})
    course = _locked_course(course)
    old = course.image.name
    with _stored(upload, info) as name:
        course.image.name = name
        course.image_alt = alt_text
        course.image_decorative = is_decorative
        course.save(update_fields=["image", "image_alt", "image_decorative", "updated_at"])
        record(
            actor=actor,
            action="course.updated",
            target=course,
            details={
                "fields": ["image", "image_alt", "image_decorative"],
                "file": info.name,
                "size": info.size,
            },
        )
    _delete_on_commit(old)
    invalidate_course(course.pk)
    return course


@transaction.atomic
def course_image_clear(*, actor: Any, course: Course) -> Course:
    require_course_edit(actor, course)
    course = _locked_course(course)
    old = course.image.name
    if not old:
        return course
    course.image.name = ""
    course.image_alt = ""
    course.image_decorative = False
    course.save(update_fields=["image", "image_alt", "image_decorative", "updated_at"])
    record(actor=actor, action="course.updated", target=course, details={"fields": ["image"]})
    _delete_on_commit(old)
    invalidate_course(course.pk)
    return course


def publish_blockers(course: Course) -> list[str]:
    """Why ``course`` cannot be published now (empty when it can)."""
    problems = []
    if course.image and not course.image_alt.strip() and not course.image_decorative:
        problems.append(
            _("Describe the course image (its alt text), or mark it as decorative, first.")
        )
    if not Lesson.objects.filter(
        course=course, is_published=True, module__is_published=True
    ).exists():
        problems.append(_("Publish at least one lesson in a published module first."))
    return problems


@transaction.atomic
def course_publish(*, actor: Any, course: Course) -> Course:
    require_course_edit(actor, course)
    course = _locked_course(course)
    if course.status == Course.Status.PUBLISHED:
        raise ValidationError(_("The course is already published."))
    if problems := publish_blockers(course):
        raise ValidationError(problems)
    course.status = Course.Status.PUBLISHED
    course.published_at = timezone.now()
    course.save(update_fields=["status", "published_at", "updated_at"])
    record(actor=actor, action="course.published", target=course)
    invalidate_course(course.pk)
    return course


@transaction.atomic
def course_unpublish(*, actor: Any, course: Course) -> Course:
    require_course_edit(actor, course)
    course = _locked_course(course)
    if course.status != Course.Status.PUBLISHED:
        raise ValidationError(_("The course is not published."))
    course.status = Course.Status.DRAFT
    course.save(update_fields=["status", "updated_at"])
    record(actor=actor, action="course.unpublished", target=course)
    invalidate_course(course.pk)
    return course


@transaction.atomic
def course_archive(*, actor: Any, course: Course) -> Course:
    """Retire a course: it leaves the catalog, its records stay; it can be published again."""
    require_course_edit(actor, course)
    course = _locked_course(course)
    if course.status == Course.Status.ARCHIVED:
        raise ValidationError(_("The course is already archived."))
    previous = course.status
    course.status = Course.Status.ARCHIVED
    course.save(update_fields=["status", "updated_at"])
    record(actor=actor, action="course.archived", target=course, details={"was": previous})
    invalidate_course(course.pk)
    return course


@transaction.atomic
def course_copy(*, actor: Any, course: Course, title: str | None = None) -> Course:
    """A new draft with the same settings, tags, prerequisites, modules and lessons (files
    copied in storage under new names). People, progress and announcements stay behind;
    the copier becomes the copy's instructor."""
    require_course_edit(actor, course)
    copy = _course_new(
        actor=actor,
        title=(title or "").strip() or f"{course.title[:193]} (copy)",
        summary=course.summary,
    )
    if actor is not None:  # whoever may edit the original teaches the copy
        _role_set(actor=actor, course=copy, user=actor, role=Role.objects.get(slug=INSTRUCTOR))
    copied_files: list[str] = []
    try:
        for field in COURSE_FIELDS - {"title", "summary", "tags", "prerequisites"}:
            setattr(copy, field, getattr(course, field))
        copy.description_html = course.description_html
        copy.copied_from = course
        if course.image:
            copy.image.name = copy_stored(course.image.name)
            copied_files.append(copy.image.name)
        copy.save()
        copy.tags.set(course.tags.all())
        copy.prerequisites.set(course.prerequisites.all())
        lesson_map: dict[int, Lesson] = {}
        prerequisite_of: dict[int, int] = {}
        for module in course.modules.order_by("position", "pk").prefetch_related("lessons"):
            new_module = Module.objects.create(
                course=copy,
                title=module.title,
                summary=module.summary,
                position=module.position,
                is_published=module.is_published,
                available_from=module.available_from,
            )
            for lesson in sorted(module.lessons.all(), key=lambda x: (x.position, x.pk)):
                new = Lesson(course=copy, module=new_module, copied_from=lesson)
                for field in LESSON_COPY_FIELDS:
                    setattr(new, field, getattr(lesson, field))
                for field in ("video", "captions", "file"):
                    stored = getattr(lesson, field)
                    if stored and stored.name:
                        getattr(new, field).name = copy_stored(stored.name)
                        copied_files.append(getattr(new, field).name)
                new.save()
                if (handler := handler_for(lesson.kind)) is not None:
                    handler.copied(source=lesson, copy=new, actor=actor)
                lesson_map[lesson.pk] = new
                if lesson.prerequisite_id:
                    prerequisite_of[lesson.pk] = lesson.prerequisite_id
        for old_pk, prerequisite_pk in prerequisite_of.items():
            new = lesson_map[old_pk]
            new.prerequisite = lesson_map.get(prerequisite_pk)
            new.save(update_fields=["prerequisite"])
    except BaseException:
        for name in copied_files:
            delete_stored(name)
        raise
    refresh_search_text(copy)
    record(
        actor=actor,
        action="course.copied",
        target=copy,
        details={"from": course.public_id, "lessons": len(lesson_map)},
    )
    invalidate_course(copy.pk)
    return copy


@transaction.atomic
def course_delete(*, actor: Any, course: Course) -> None:
    """Delete a course that never reached learners (a draft without learners), with its
    modules, lessons and files. Anything else is archived instead, which keeps records."""
    require_course_edit(actor, course)
    course = _locked_course(course)
    if course.status == Course.Status.PUBLISHED:
        raise ValidationError(_("Unpublish the course before deleting it."))
    if CourseMembership.objects.filter(course=course, role__slug=LEARNER).exists():
        raise ValidationError(
            _("This course has learners: archive it instead, which keeps their records.")
        )
    files = [course.image.name] + [
        name
        for lesson in Lesson.objects.filter(course=course)
        for name in (lesson.video.name, lesson.captions.name, lesson.file.name)
    ]
    record(
        actor=actor,
        action="course.deleted",
        target=course,
        details={"title": course.title, "status": course.status},
    )
    course_id = course.pk
    teachers = list(CourseMembership.objects.filter(course=course).select_related("user"))
    course.delete()
    for membership in teachers:
        forget_course_permissions(membership.user)
        mfa_requirement_refresh(membership.user)
    for name in files:
        _delete_on_commit(name)
    invalidate_course(course_id)


LESSON_COPY_FIELDS = (
    "title",
    "kind",
    "position",
    "is_published",
    "is_required",
    "available_from",
    "due_at",
    "estimated_minutes",
    "body",
    "body_html",
    "video_url",
    "video_duration_seconds",
    "captions_language",
    "transcript",
    "file_name",
    "file_content_type",
    "file_size",
)


# --- Authoring: modules ------------------------------------------------------------------


@transaction.atomic
def module_create(
    *,
    actor: Any,
    course: Course,
    title: str,
    summary: str = "",
    available_from: datetime | None = None,
) -> Module:
    """A new draft module at the end of the course's outline."""
    require_course_edit(actor, course)
    course = _locked_course(course)  # serialises position numbering
    module = Module(
        course=course,
        title=title.strip(),
        summary=summary.strip(),
        available_from=available_from,
        position=course.modules.count(),
    )
    if not module.title:
        raise ValidationError({"title": _("Give the module a title.")})
    _full_clean(module, {"title", "summary", "available_from"})
    module.save()
    record(actor=actor, action="module.created", target=module, details=_where(module))
    invalidate_course(course.pk)
    return module


@transaction.atomic
def module_update(*, actor: Any, module: Module, changes: dict[str, Any]) -> Module:
    require_course_edit(actor, module.course)
    unknown = set(changes) - MODULE_FIELDS
    if unknown:
        raise ValidationError(
            _("These fields cannot be changed here: %(fields)s.")
            % {"fields": ", ".join(sorted(unknown))}
        )
    module = Module.objects.select_for_update().get(pk=module.pk)
    changed = _apply(module, changes)
    if not module.title:
        raise ValidationError({"title": _("Give the module a title.")})
    _full_clean(module, set(changes))
    if changed:
        module.save(update_fields=[*changed, "updated_at"])
        record(
            actor=actor,
            action="module.updated",
            target=module,
            details={**_where(module), "fields": changed},
        )
        invalidate_course(module.course_id)
    return module


@transaction.atomic
def module_set_published(*, actor: Any, module: Module, published: bool) -> Module:
    """Show (or hide) a module and its published lessons to learners."""
    require_course_edit(actor, module.course)
    module = Module.objects.select_for_update().get(pk=module.pk)
    if module.is_published == published:
        return module
    if not published and module.course.status == Course.Status.PUBLISHED:
        _refuse_emptying_published_course(module.course, exclude_module=module)
    module.is_published = published
    module.save(update_fields=["is_published", "updated_at"])
    record(
        actor=actor,
        action="module.published" if published else "module.unpublished",
        target=module,
        details=_where(module),
    )
    invalidate_course(module.course_id)
    return module


@transaction.atomic
def module_delete(*, actor: Any, module: Module) -> None:
    """Delete a module with its lessons (and their files, once committed)."""
    course = module.course
    require_course_edit(actor, course)
    course = _locked_course(course)
    if course.status == Course.Status.PUBLISHED and module.is_published:
        _refuse_emptying_published_course(course, exclude_module=module)
    files = [
        name
        for lesson in module.lessons.all()
        for name in (lesson.video.name, lesson.captions.name, lesson.file.name)
        if name
    ]
    details = {**_where(module), "title": module.title, "lessons": module.lessons.count()}
    record(actor=actor, action="module.deleted", target=module, details=details)
    module.delete()
    _renumber(list(course.modules.order_by("position", "pk")))
    for name in files:
        _delete_on_commit(name)
    invalidate_course(course.pk)


@transaction.atomic
def module_move(*, actor: Any, module: Module, direction: str) -> Module:
    """Swap a module with its neighbour above or below; positions stay 0..n-1."""
    course = module.course
    require_course_edit(actor, course)
    course = _locked_course(course)
    siblings = list(course.modules.order_by("position", "pk"))
    index = _move_in(siblings, module.pk, direction)
    _renumber(siblings)
    record(
        actor=actor,
        action="module.reordered",
        target=module,
        details={**_where(module), "direction": direction, "position": index},
    )
    invalidate_course(course.pk)
    return siblings[index]


def _reorder(items: list[Any], order: list[str], noun: str) -> list[Any]:
    """``items`` in the order of the public ids in ``order``, which must name each once."""
    by_id = {item.public_id: item for item in items}
    if len(order) != len(items) or set(order) != set(by_id):
        raise ValidationError(
            _("Give every module of the list exactly once (the list may have changed: reload).")
            if noun == "module"
            else _(
                "Give every lesson of the list exactly once (the list may have changed: reload)."
            )
        )
    return [by_id[public_id] for public_id in order]


@transaction.atomic
def module_reorder(*, actor: Any, course: Course, order: list[str]) -> list[Module]:
    """Put a course's modules in the order of ``order`` (their public ids), as drag and
    drop does; positions stay 0..n-1."""
    require_course_edit(actor, course)
    course = _locked_course(course)
    modules = _reorder(list(course.modules.order_by("position", "pk")), order, "module")
    if [m.position for m in modules] != list(range(len(modules))):
        _renumber(modules)
        record(
            actor=actor,
            action="module.reordered",
            target=course,
            details={"course": course.public_id, "order": order},
        )
        invalidate_course(course.pk)
    return modules


@transaction.atomic
def lesson_reorder(*, actor: Any, module: Module, order: list[str]) -> list[Lesson]:
    """Put a module's lessons in the order of ``order`` (their public ids)."""
    course = module.course
    require_course_edit(actor, course)
    course = _locked_course(course)
    lessons = _reorder(
        list(Lesson.objects.filter(module=module).order_by("position", "pk")), order, "lesson"
    )
    if [lesson.position for lesson in lessons] != list(range(len(lessons))):
        _renumber(lessons)
        record(
            actor=actor,
            action="lesson.reordered",
            target=module,
            details={"course": course.public_id, "module": module.public_id, "order": order},
        )
        invalidate_course(course.pk)
    return lessons


# --- Authoring: lessons ------------------------------------------------------------------


@transaction.atomic
def lesson_create(
    *, actor: Any, module: Module, title: str, kind: str, changes: dict[str, Any] | None = None
) -> Lesson:
    """A new draft lesson at the end of ``module``; ``changes`` may set LESSON_FIELDS."""
    course = module.course
    require_course_edit(actor, course)
    handler = handler_for(kind)
    if kind not in CREATABLE_KINDS and handler is None:
        raise ValidationError(
            {"kind": _("Choose %(kinds)s.") % {"kinds": get_text_list(creatable_kinds(), _("or"))}}
        )
    course = _locked_course(course)
    lesson = Lesson(
        course=course,
        module=module,
        kind=kind,
        title=title.strip(),
        position=module.lessons.count(),
    )
    _lesson_apply(lesson, dict(changes or {}))
    lesson.save()
    if handler is not None:
        handler.created(lesson=lesson, actor=actor)
    record(actor=actor, action="lesson.created", target=lesson, details=_where(lesson))
    invalidate_course(course.pk)
    return lesson


@transaction.atomic
def lesson_update(*, actor: Any, lesson: Lesson, changes: dict[str, Any]) -> Lesson:
    """Change a lesson's fields (PATCH semantics); ``module`` moves it to the end of
    another module of the same course. A published lesson must stay publishable."""
    course = lesson.course
    require_course_edit(actor, course)
    course = _locked_course(course)
    lesson = Lesson.objects.select_for_update().get(pk=lesson.pk)
    old_module_id = lesson.module_id
    changed = _lesson_apply(lesson, dict(changes))
    if lesson.is_published and (problems := lesson_publish_blockers(lesson)):
        raise ValidationError(problems)
    if "module" in changed:
        lesson.position = Lesson.objects.filter(module_id=lesson.module_id).count()
        changed.append("position")
    if changed:
        lesson.save(update_fields=[*changed, "updated_at"])
        if "module" in changed:
            _renumber(
                list(Lesson.objects.filter(module_id=old_module_id).order_by("position", "pk"))
            )
        record(
            actor=actor,
            action="lesson.updated",
            target=lesson,
            details={**_where(lesson), "fields": sorted(set(changed) - {"body_html", "position"})},
        )
        invalidate_course(course.pk)
    return lesson


def _lesson_apply(lesson: Lesson, changes: dict[str, Any]) -> list[str]:
    unknown = set(changes) - LESSON_FIELDS
    if unknown:
        raise ValidationError(
            _("These fields cannot be changed here: %(fields)s.")
            % {"fields": ", ".join(sorted(unknown))}
        )
    errors: dict[str, list[str]] = {}
    module = changes.get("module")
    if module is not None and module.course_id != lesson.course_id:
        errors.setdefault("module", []).append(_("Choose a module of the same course."))
    prerequisite = changes.get("prerequisite")
    if prerequisite is not None:
        try:
            _check_lesson_prerequisite(lesson, prerequisite)
        except ValidationError as exc:
            errors.setdefault("prerequisite", []).extend(exc.messages)
    if errors:
        raise ValidationError(errors)
    changed = _apply(lesson, changes)
    if not lesson.title:
        errors.setdefault("title", []).append(_("Give the lesson a title."))
    if lesson.available_from and lesson.due_at and lesson.due_at < lesson.available_from:
        errors.setdefault("due_at", []).append(_("The lesson cannot be due before it opens."))
    if lesson.video_url and lesson.kind != Lesson.Kind.VIDEO:
        errors.setdefault("video_url", []).append(_("Only video lessons have a video address."))
    if lesson.video_url and not lesson.video_url.lower().startswith(("https://", "http://")):
        errors.setdefault("video_url", []).append(_("Use an http or https address."))
    try:
        _full_clean(lesson, {"title", *changes} - {"module", "prerequisite"})
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    if "body" in changed or (lesson.body and not lesson.body_html):
        lesson.body_html = render_markdown(lesson.body)
        changed.append("body_html")
    return changed


def _check_lesson_prerequisite(lesson: Lesson, prerequisite: Lesson) -> None:
    if prerequisite.pk is not None and prerequisite.pk == lesson.pk:
        raise ValidationError(_("A lesson cannot be its own prerequisite."))
    if prerequisite.course_id != lesson.course_id:
        raise ValidationError(_("Choose a lesson of the same course."))
    # Follow the chain in the database (objects in memory may be stale).
    seen: set[int] = set()
    current: int | None = prerequisite.pk
    while current is not None and current not in seen:
        if lesson.pk is not None and current == lesson.pk:
            raise ValidationError(
                _("That would make a cycle: “%(title)s” already waits for this lesson.")
                % {"title": prerequisite.title}
            )
        seen.add(current)
        current = (
            Lesson.objects.filter(pk=current).values_list("prerequisite_id", flat=True).first()
        )


def lesson_publish_blockers(lesson: Lesson) -> list[str]:
    """What a lesson lacks before learners may see it (empty when it can be published)."""
    if lesson.kind == Lesson.Kind.TEXT and not lesson.body.strip():
        return [_("Write the lesson text before publishing it.")]
    if lesson.kind == Lesson.Kind.VIDEO:
        missing = []
        if not lesson.video and not lesson.video_url:
            missing.append(_("a video (upload a file or give its address)"))
        if not lesson.captions:
            missing.append(_("a WebVTT captions file"))
        if not lesson.transcript.strip():
            missing.append(_("a transcript"))
        if missing:
            return [
                _("A video lesson needs %(missing)s before it can be published.")
                % {"missing": get_text_list(missing, _("and"))}
            ]
    if lesson.kind == Lesson.Kind.FILE and not lesson.file:
        return [_("Upload the document before publishing the lesson.")]
    if lesson.kind not in CREATABLE_KINDS:
        handler = handler_for(lesson.kind)
        if handler is None:
            return [
                _("%(kind)s lessons cannot be published on this site.")
                % {"kind": lesson.get_kind_display()}
            ]
        return handler.publish_problems(lesson=lesson)
    return []


@transaction.atomic
def lesson_set_published(*, actor: Any, lesson: Lesson, published: bool) -> Lesson:
    course = lesson.course
    require_course_edit(actor, course)
    course = _locked_course(course)
    lesson = Lesson.objects.select_for_update().get(pk=lesson.pk)
    if lesson.is_published == published:
        return lesson
    if published and (problems := lesson_publish_blockers(lesson)):
        raise ValidationError(problems)
    if not published and course.status == Course.Status.PUBLISHED:
        _refuse_emptying_published_course(course, exclude_lesson=lesson)
    lesson.is_published = published
    lesson.save(update_fields=["is_published", "updated_at"])
    action = "lesson.published" if published else "lesson.unpublished"
    record(actor=actor, action=action, target=lesson, details=_where(lesson))
    invalidate_course(course.pk)
    return lesson


@transaction.atomic
def lesson_delete(*, actor: Any, lesson: Lesson) -> None:
    course = lesson.course
    require_course_edit(actor, course)
    course = _locked_course(course)
    if course.status == Course.Status.PUBLISHED and lesson.is_published:
        _refuse_emptying_published_course(course, exclude_lesson=lesson)
    files = [n for n in (lesson.video.name, lesson.captions.name, lesson.file.name) if n]
    module_id = lesson.module_id
    record(
        actor=actor,
        action="lesson.deleted",
        target=lesson,
        details={**_where(lesson), "title": lesson.title},
    )
    lesson.delete()
    _renumber(list(Lesson.objects.filter(module_id=module_id).order_by("position", "pk")))
    for name in files:
        _delete_on_commit(name)
    invalidate_course(course.pk)


@transaction.atomic
def lesson_move(*, actor: Any, lesson: Lesson, direction: str) -> Lesson:
    """Swap a lesson with its neighbour within its module; positions stay 0..n-1."""
    course = lesson.course
    require_course_edit(actor, course)
    course = _locked_course(course)
    siblings = list(Lesson.objects.filter(module_id=lesson.module_id).order_by("position", "pk"))
    index = _move_in(siblings, lesson.pk, direction)
    _renumber(siblings)
    record(
        actor=actor,
        action="lesson.reordered",
        target=lesson,
        details={**_where(lesson), "direction": direction, "position": index},
    )
    invalidate_course(course.pk)
    return siblings[index]


MEDIA_UPLOAD_KIND = {"video": uploads.VIDEO, "captions": uploads.CAPTIONS, "file": uploads.FILE}
MEDIA_LESSON_KIND = {
    "video": Lesson.Kind.VIDEO,
    "captions": Lesson.Kind.VIDEO,
    "file": Lesson.Kind.FILE,
}


@transaction.atomic
def lesson_upload(*, actor: Any, lesson: Lesson, field: str, upload: Any) -> Lesson:
    """Attach a checked file to a lesson: ``video`` or ``captions`` (video lessons) or
    ``file`` (file lessons). The old file is removed once the change commits; a refused
    upload changes nothing and stores nothing."""
    course = lesson.course
    require_course_edit(actor, course)
    if field not in MEDIA_UPLOAD_KIND:
        raise ValidationError(_("Unknown lesson file %(field)s.") % {"field": repr(field)})
    if lesson.kind != MEDIA_LESSON_KIND[field]:
        raise ValidationError(
            {
                field: _("Only %(kind)s lessons take a %(field)s upload.")
                % {"kind": MEDIA_LESSON_KIND[field], "field": field}
            }
        )
    info = validate_upload(upload, MEDIA_UPLOAD_KIND[field])
    lesson = Lesson.objects.select_for_update().get(pk=lesson.pk)
    old = getattr(lesson, field).name
    with _stored(upload, info) as name:
        getattr(lesson, field).name = name
        fields = [field]
        if field == "file":
            lesson.file_name = info.name
            lesson.file_content_type = info.content_type
            lesson.file_size = info.size
            fields += ["file_name", "file_content_type", "file_size"]
        lesson.save(update_fields=[*fields, "updated_at"])
        record(
            actor=actor,
            action="lesson.updated",
            target=lesson,
            details={**_where(lesson), "fields": [field], "file": info.name, "size": info.size},
        )
    _delete_on_commit(old)
    invalidate_course(course.pk)
    return lesson


@transaction.atomic
def lesson_media_clear(*, actor: Any, lesson: Lesson, field: str) -> Lesson:
    """Remove a lesson's video, captions or document (refused while it is published and
    would then lack it)."""
    course = lesson.course
    require_course_edit(actor, course)
    if field not in MEDIA_UPLOAD_KIND:
        raise ValidationError(_("Unknown lesson file %(field)s.") % {"field": repr(field)})
    lesson = Lesson.objects.select_for_update().get(pk=lesson.pk)
    old = getattr(lesson, field).name
    if not old:
        return lesson
    getattr(lesson, field).name = ""
    fields = [field]
    if field == "file":
        lesson.file_name, lesson.file_content_type, lesson.file_size = "", "", None
        fields += ["file_name", "file_content_type", "file_size"]
    if lesson.is_published and (problems := lesson_publish_blockers(lesson)):
        raise ValidationError(problems)
    lesson.save(update_fields=[*fields, "updated_at"])
    record(
        actor=actor,
        action="lesson.updated",
        target=lesson,
        details={**_where(lesson), "fields": [field], "removed": True},
    )
    _delete_on_commit(old)
    invalidate_course(course.pk)
    return lesson


# --- Authoring helpers -------------------------------------------------------------------


def _apply(instance: Any, changes: dict[str, Any]) -> list[str]:
    changed = []
    for field, value in changes.items():
        if isinstance(value, str) and field not in ("body", "transcript"):
            value = value.strip()
        current = getattr(instance, field)
        if current != value:
            setattr(instance, field, value)
            changed.append(field)
    return changed


def _where(obj: Module | Lesson) -> dict[str, Any]:
    details: dict[str, Any] = {"course": obj.course.public_id}
    if isinstance(obj, Lesson):
        details["module"] = obj.module.public_id
        details["kind"] = obj.kind
    return details


def _move_in(items: list[Any], pk: int, direction: str) -> int:
    """Swap the item ``pk`` with its neighbour in ``items`` (in place); its new index."""
    if direction not in (UP, DOWN):
        raise ValidationError(_("Move up or down."))
    index = next(i for i, item in enumerate(items) if item.pk == pk)
    target = index - 1 if direction == UP else index + 1
    if not 0 <= target < len(items):
        message = (
            _("“%(item)s” is already first.")
            if direction == UP
            else _("“%(item)s” is already last.")
        )
        raise ValidationError(message % {"item": items[index]})
    items[index], items[target] = items[target], items[index]
    return target


def _renumber(items: list[Any]) -> None:
    """Positions 0..n-1 in list order, written only where they changed."""
    stale = []
    for position, item in enumerate(items):
        if item.position != position:
            item.position = position
            stale.append(item)
    if stale:
        type(stale[0]).objects.bulk_update(stale, ["position"])


def _refuse_emptying_published_course(
    course: Course, *, exclude_module: Module | None = None, exclude_lesson: Lesson | None = None
) -> None:
    visible = Lesson.objects.filter(course=course, is_published=True, module__is_published=True)
    if exclude_module is not None:
        visible = visible.exclude(module=exclude_module)
    if exclude_lesson is not None:
        visible = visible.exclude(pk=exclude_lesson.pk)
    if not visible.exists():
        raise ValidationError(
            _(
                "Learners would be left with no lesson: unpublish the course first, or publish "
                "another lesson."
            )
        )


class _stored:
    """Store an upload for the duration of a write; remove it again if the write fails,
    so a refused change leaves no file behind. (Django has no rollback hook: the
    services store files last, right before they return, to keep that window small.)"""

    def __init__(self, upload: Any, info: UploadInfo) -> None:
        self.upload, self.info, self.name = upload, info, ""

    def __enter__(self) -> str:
        self.name = store_upload(self.upload, self.info)
        return self.name

    def __exit__(self, kind: Any, value: Any, traceback: Any) -> None:
        if kind is not None:
            delete_stored(self.name)


def _delete_on_commit(name: str) -> None:
    if name:
        transaction.on_commit(lambda: delete_stored(name))
