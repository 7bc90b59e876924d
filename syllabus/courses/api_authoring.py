"""API: authoring. Courses (create, settings, publish, archive, copy, image), modules and
lessons (create, edit, delete, reorder, publish), and lesson files (upload, preview).

Everything here needs ``course.edit`` in the course (instructors, administrators); a
token needs that scope too. Creating a course needs the ``course.create`` site
permission. Courses a person may not see answer 404 (drafts are never revealed); seen
but not editable, 403. Broken rules answer 422 ``invalid``; a refused upload answers 400
with a code naming the reason (``upload_too_large``, ``upload_type``, ``upload_content``,
``upload_zip_bomb``, ``upload_zip_path``, ``upload_empty``, ``upload_required``) and
stores nothing.

Uploads are ``multipart/form-data`` with the file in the ``file`` part (and, for a course
image, its description in ``alt``).
"""

from __future__ import annotations

import math
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Q
from django.http import Http404, HttpRequest
from django.http.multipartparser import MultiPartParserError
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError
from ninja.responses import Status

from syllabus.accounts.models import User
from syllabus.accounts.permissions import has_site_perm
from syllabus.accounts.tokens import token_allows
from syllabus.core.api_schemas import Error
from syllabus.courses import services
from syllabus.courses.media import lesson_media_response
from syllabus.courses.models import Category, Course, Lesson, Module
from syllabus.courses.permissions import courses_visible_to, has_course_perm
from syllabus.courses.uploads import validate_upload

router = Router(tags=["authoring"])

MAX_PAGE_SIZE = 100
MEDIA_KIND = {"video": "video", "captions": "captions", "file": "file"}


_ERRORS: dict[int, Any] = {401: Error, 403: Error, 404: Error, 429: Error}
_WRITE_ERRORS: dict[int, Any] = {**_ERRORS, 422: Error}
_UPLOAD_ERRORS: dict[int, Any] = {**_WRITE_ERRORS, 400: Error, 413: Error}

MULTIPART = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "alt": {
                            "type": "string",
                            "maxLength": 250,
                            "description": "Course image only: what the image shows.",
                        },
                        "decorative": {
                            "type": "boolean",
                            "description": (
                                "Course image only: true when it only decorates (no alt "
                                "text; screen readers skip it)."
                            ),
                        },
                    },
                }
            }
        },
    }
}


# --- Schemas ----------------------------------------------------------------------------------


class CourseOut(Schema):
    public_id: str
    title: str
    slug: str
    summary: str
    description: str = Field(description="Markdown.")
    description_html: str = Field(description="The description rendered and sanitised.")
    status: str = Field(description="draft, published or archived")
    published_at: datetime | None
    category: str | None = Field(description="Category slug.")
    tags: list[str]
    level: str
    estimated_hours: Decimal | None
    image_url: str | None
    image_alt: str
    image_decorative: bool = Field(description="The image only decorates (its alt is empty).")
    available_from: datetime | None
    available_until: datetime | None
    enrolment: str = Field(description="open, key or manual")
    enrolment_key: str
    capacity: int | None
    default_enrolment_days: int | None
    completion_rule: str = Field(description="all_required or pass_grade")
    pass_grade: Decimal | None
    prerequisites: list[str] = Field(description="public_ids of the courses required first.")
    copied_from: str | None
    publish_blockers: list[str] = Field(description="Why the course cannot be published yet.")


class CourseCreateIn(Schema):
    title: str = Field(..., min_length=1, max_length=200)
    summary: str = Field("", max_length=500)


class CoursePatchIn(Schema):
    """Send only the fields to change."""

    title: str | None = Field(None, min_length=1, max_length=200)
    summary: str | None = Field(None, max_length=500)
    description: str | None = Field(None, max_length=50_000, description="Markdown.")
    category: str | None = Field(None, description="A category slug; null for none.")
    tags: list[str] | None = Field(None, max_length=20, description="Tag names.")
    level: Course.Level | None = None
    estimated_hours: Decimal | None = Field(None, ge=0, le=9999)
    image_alt: str | None = Field(None, max_length=250)
    image_decorative: bool | None = None
    available_from: datetime | None = None
    available_until: datetime | None = None
    enrolment: Course.Enrolment | None = None
    enrolment_key: str | None = Field(None, max_length=64)
    capacity: int | None = Field(None, ge=1, le=1_000_000)
    default_enrolment_days: int | None = Field(None, ge=1, le=36_500)
    completion_rule: Course.CompletionRule | None = None
    pass_grade: Decimal | None = Field(None, ge=0, le=100)
    prerequisites: list[str] | None = Field(None, description="public_ids of courses.")


class CopyIn(Schema):
    title: str = Field("", max_length=200, description="Default: the title with “(copy)”.")


class LessonBrief(Schema):
    public_id: str
    title: str
    kind: str
    position: int
    is_published: bool


class EditorModuleOut(Schema):
    public_id: str
    title: str
    summary: str
    position: int
    is_published: bool
    available_from: datetime | None
    lessons: list[LessonBrief]


class ModulePageOut(Schema):
    items: list[EditorModuleOut]
    count: int
    page: int
    pages: int


class ModuleIn(Schema):
    title: str = Field(..., min_length=1, max_length=200)
    summary: str = Field("", max_length=500)
    available_from: datetime | None = None


class ModulePatchIn(Schema):
    title: str | None = Field(None, min_length=1, max_length=200)
    summary: str | None = Field(None, max_length=500)
    available_from: datetime | None = None


class MoveIn(Schema):
    direction: Literal["up", "down"]


class OrderIn(Schema):
    order: list[str] = Field(
        ..., max_length=1000, description="Every public_id of the list, in the new order."
    )


class OrderOut(Schema):
    order: list[str]


class EditorLessonOut(Schema):
    public_id: str
    course: str
    module: str
    title: str
    kind: str = Field(description="text, video, file, quiz or assignment")
    position: int
    is_published: bool
    is_required: bool
    available_from: datetime | None
    due_at: datetime | None
    estimated_minutes: int | None
    prerequisite: str | None = Field(description="public_id of the lesson to complete first.")
    body: str = Field(description="Markdown.")
    body_html: str = Field(description="The body rendered and sanitised.")
    video_url: str = Field(description="An external video address (or an uploaded file).")
    video_duration_seconds: int | None
    video: str | None = Field(description="Preview address of the uploaded video.")
    captions: str | None = Field(description="Preview address of the WebVTT captions.")
    captions_language: str
    transcript: str
    file: str | None = Field(description="Preview address of the document.")
    file_name: str
    file_content_type: str
    file_size: int | None
    publish_blockers: list[str] = Field(description="What the lesson lacks to be published.")


class LessonPageOut(Schema):
    items: list[EditorLessonOut]
    count: int
    page: int
    pages: int


class LessonFields(Schema):
    body: str | None = Field(None, max_length=200_000, description="Markdown.")
    is_required: bool | None = None
    available_from: datetime | None = None
    due_at: datetime | None = None
    estimated_minutes: int | None = Field(None, ge=0, le=100_000)
    prerequisite: str | None = Field(None, description="A lesson public_id; null for none.")
    video_url: str | None = Field(None, max_length=500)
    video_duration_seconds: int | None = Field(None, ge=0, le=1_000_000)
    captions_language: str | None = Field(None, max_length=16)
    transcript: str | None = Field(None, max_length=500_000)


class LessonIn(LessonFields):
    title: str = Field(..., min_length=1, max_length=200)
    kind: Literal["text", "video", "file", "quiz", "assignment"] = "text"


class LessonPatchIn(LessonFields):
    title: str | None = Field(None, min_length=1, max_length=200)
    module: str | None = Field(None, description="Move to the end of this module.")


class EditorPageQuery(Schema):
    page: int = Field(1, ge=1)
    page_size: int = Field(50, ge=1, le=MAX_PAGE_SIZE)


# --- Lookups and checks -------------------------------------------------------------------


def _require_edit(request: HttpRequest, course: Course) -> None:
    if not (
        token_allows(request, "course.edit")
        and has_course_perm(request.user, course, "course.edit")
    ):
        raise PermissionDenied(_("Editing this course needs the course.edit permission."))


def _visible(request: HttpRequest, course_id: int) -> bool:
    return Course.objects.filter(courses_visible_to(request.user), pk=course_id).exists()


def _course(request: HttpRequest, public_id: str) -> Course:
    course = (
        Course.objects.filter(courses_visible_to(request.user), public_id=public_id)
        .select_related("category", "copied_from")
        .first()
    )
    if course is None:
        raise Http404
    _require_edit(request, course)
    return course


def _module(request: HttpRequest, public_id: str) -> Module:
    module = Module.objects.select_related("course").filter(public_id=public_id).first()
    if module is None or not _visible(request, module.course_id):
        raise Http404
    _require_edit(request, module.course)
    return module


def _lesson(request: HttpRequest, public_id: str) -> Lesson:
    lesson = (
        Lesson.objects.select_related("course", "module", "prerequisite")
        .filter(public_id=public_id)
        .first()
    )
    if lesson is None or not _visible(request, lesson.course_id):
        raise Http404
    _require_edit(request, lesson.course)
    return lesson


def _actor(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied(_("Sign in first."))
    return user


def _pages(count: int, size: int) -> int:
    return max(1, math.ceil(count / size))


def _course_out(request: HttpRequest, course: Course) -> dict[str, Any]:
    return {
        **{
            field: getattr(course, field)
            for field in [
                "public_id",
                "title",
                "slug",
                "summary",
                "description",
                "description_html",
                "status",
                "published_at",
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
            ]
        },
        "category": course.category.slug if course.category else None,
        "tags": list(course.tags.order_by("name").values_list("name", flat=True)),
        "image_url": (
            request.build_absolute_uri(reverse("courses:image", args=[course.public_id]))
            if course.image
            else None
        ),
        "prerequisites": list(
            course.prerequisites.order_by("title").values_list("public_id", flat=True)
        ),
        "copied_from": course.copied_from.public_id if course.copied_from else None,
        "publish_blockers": services.publish_blockers(course)
        if course.status != Course.Status.PUBLISHED
        else [],
    }


def _media_url(request: HttpRequest, lesson: Lesson, field: str) -> str | None:
    if not getattr(lesson, field):
        return None
    return request.build_absolute_uri(
        reverse("api-v1:lesson_media", kwargs={"public_id": lesson.public_id, "field": field})
    )


def _lesson_out(request: HttpRequest, lesson: Lesson) -> dict[str, Any]:
    return {
        **{
            field: getattr(lesson, field)
            for field in [
                "public_id",
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
            ]
        },
        "course": lesson.course.public_id,
        "module": lesson.module.public_id,
        "prerequisite": lesson.prerequisite.public_id if lesson.prerequisite else None,
        "video": _media_url(request, lesson, "video"),
        "captions": _media_url(request, lesson, "captions"),
        "file": _media_url(request, lesson, "file"),
        "publish_blockers": services.lesson_publish_blockers(lesson),
    }


def _module_out(module: Module) -> dict[str, Any]:
    return {
        "public_id": module.public_id,
        "title": module.title,
        "summary": module.summary,
        "position": module.position,
        "is_published": module.is_published,
        "available_from": module.available_from,
        "lessons": [
            {
                "public_id": lesson.public_id,
                "title": lesson.title,
                "kind": lesson.kind,
                "position": lesson.position,
                "is_published": lesson.is_published,
            }
            for lesson in sorted(module.lessons.all(), key=lambda x: (x.position, x.pk))
        ],
    }


def _reload_lesson(lesson: Lesson) -> Lesson:
    return Lesson.objects.select_related("course", "module", "prerequisite").get(pk=lesson.pk)


def _lesson_changes(course: Course, changes: dict[str, Any]) -> dict[str, Any]:
    """API fields -> service changes: public_ids become objects, null text becomes ""."""
    if "prerequisite" in changes:
        ref = changes["prerequisite"]
        if ref is None:
            changes["prerequisite"] = None
        else:
            found = Lesson.objects.filter(course=course, public_id=ref).first()
            if found is None:
                raise ValidationError({"prerequisite": _("Choose a lesson of this course.")})
            changes["prerequisite"] = found
    if "module" in changes:
        found_module = Module.objects.filter(course=course, public_id=changes["module"]).first()
        if found_module is None:
            raise ValidationError({"module": _("Choose a module of this course.")})
        changes["module"] = found_module
    for key in ("body", "video_url", "captions_language", "transcript"):
        if key in changes and changes[key] is None:
            changes[key] = ""
    if "is_required" in changes and changes["is_required"] is None:
        changes.pop("is_required")
    return changes


def _upload(request: HttpRequest, kind: str) -> UploadedFile:
    """The ``file`` part of a multipart body (PUT bodies too), checked for ``kind``;
    a refusal is a 400 that names the reason."""
    if request.method != "POST" and request.content_type == "multipart/form-data":
        # Django parses multipart bodies for POST only; parse this one the same way.
        method = request.method
        request.method = request.META["REQUEST_METHOD"] = "POST"
        try:
            request._load_post_and_files()
        except MultiPartParserError:
            raise HttpError(400, _("The multipart body could not be read.")) from None
        finally:
            request.method = request.META["REQUEST_METHOD"] = method
    uploaded = request.FILES.get("file")
    try:
        validate_upload(uploaded, kind)
    except ValidationError as exc:
        error = HttpError(400, " ".join(exc.messages))
        error.code = f"upload_{exc.error_list[0].code or 'refused'}"  # type: ignore[attr-defined]
        raise error from None
    assert uploaded is not None
    return uploaded


# --- Courses -------------------------------------------------------------------------------


@router.post(
    "/courses",
    response={201: CourseOut, **_WRITE_ERRORS},
    summary="Create a draft course (you become its instructor)",
)
def create_course(request: HttpRequest, payload: CourseCreateIn) -> Any:
    if not (
        token_allows(request, "course.create") and has_site_perm(request.user, "course.create")
    ):
        raise PermissionDenied(_("Creating courses needs the course.create permission."))
    course = services.course_create(
        actor=_actor(request), title=payload.title, summary=payload.summary
    )
    return Status(201, _course_out(request, course))


@router.get(
    "/courses/{public_id}",
    response={200: CourseOut, **_ERRORS},
    summary="A course's settings, for its editors (drafts included)",
)
def get_course(request: HttpRequest, public_id: str) -> Any:
    return _course_out(request, _course(request, public_id))


@router.patch(
    "/courses/{public_id}",
    response={200: CourseOut, **_WRITE_ERRORS},
    summary="Change a course's catalog, availability, enrolment and completion settings",
)
def update_course(request: HttpRequest, public_id: str, payload: CoursePatchIn) -> Any:
    course = _course(request, public_id)
    changes: dict[str, Any] = payload.dict(exclude_unset=True)
    for key in ("title", "summary", "description", "image_alt", "enrolment_key"):
        if key in changes and changes[key] is None:
            changes[key] = ""
    for key in ("level", "enrolment", "completion_rule"):
        if key in changes:
            if changes[key] is None:
                raise ValidationError({key: _("%(key)s cannot be empty.") % {"key": key}})
            changes[key] = str(getattr(changes[key], "value", changes[key]))
    if "category" in changes and changes["category"] is not None:
        category = Category.objects.filter(slug=changes["category"]).first()
        if category is None:
            raise ValidationError({"category": _("No category has that slug.")})
        changes["category"] = category
    if "tags" in changes:
        changes["tags"] = changes["tags"] or []
    if "prerequisites" in changes:
        wanted = set(changes["prerequisites"] or [])
        visible = courses_visible_to(request.user) | Q(pk__in=course.prerequisites.values("pk"))
        found = list(Course.objects.filter(visible, public_id__in=wanted))
        if len(found) != len(wanted):
            raise ValidationError({"prerequisites": _("Some prerequisite courses do not exist.")})
        changes["prerequisites"] = found
    course = services.course_update(actor=_actor(request), course=course, changes=changes)
    return _course_out(request, course)


@router.delete(
    "/courses/{public_id}",
    response={204: None, **_WRITE_ERRORS},
    summary="Delete a draft course that has no learners (others: archive instead)",
)
def delete_course(request: HttpRequest, public_id: str) -> Any:
    services.course_delete(actor=_actor(request), course=_course(request, public_id))
    return Status(204, None)


def _course_action(request: HttpRequest, public_id: str, action: Any) -> dict[str, Any]:
    course = _course(request, public_id)
    return _course_out(request, action(actor=_actor(request), course=course))


@router.post(
    "/courses/{public_id}/publish",
    response={200: CourseOut, **_WRITE_ERRORS},
    summary="Publish a course (needs a published lesson in a published module)",
)
def publish_course(request: HttpRequest, public_id: str) -> Any:
    return _course_action(request, public_id, services.course_publish)


@router.post(
    "/courses/{public_id}/unpublish",
    response={200: CourseOut, **_WRITE_ERRORS},
    summary="Take a course out of the catalog (back to draft)",
)
def unpublish_course(request: HttpRequest, public_id: str) -> Any:
    return _course_action(request, public_id, services.course_unpublish)


@router.post(
    "/courses/{public_id}/archive",
    response={200: CourseOut, **_WRITE_ERRORS},
    summary="Archive a course (it leaves the catalog; records stay)",
)
def archive_course(request: HttpRequest, public_id: str) -> Any:
    return _course_action(request, public_id, services.course_archive)


@router.post(
    "/courses/{public_id}/copy",
    response={201: CourseOut, **_WRITE_ERRORS},
    summary="Copy a course: a new draft with its settings, modules, lessons and files",
)
def copy_course(request: HttpRequest, public_id: str, payload: CopyIn) -> Any:
    course = _course(request, public_id)
    copy = services.course_copy(actor=_actor(request), course=course, title=payload.title)
    return Status(201, _course_out(request, copy))


@router.put(
    "/courses/{public_id}/image",
    response={200: CourseOut, **_UPLOAD_ERRORS},
    summary="Upload the course image (multipart: file, alt)",
    openapi_extra=MULTIPART,
)
def put_course_image(request: HttpRequest, public_id: str) -> Any:
    course = _course(request, public_id)
    uploaded = _upload(request, "image")
    alt = request.POST.get("alt")
    decorative = request.POST.get("decorative")
    if decorative not in (None, "", "true", "false", "1", "0"):
        raise ValidationError({"decorative": _("Use true or false.")})
    course = services.course_image_set(
        actor=_actor(request),
        course=course,
        upload=uploaded,
        alt=alt,
        decorative=None if decorative in (None, "") else decorative in ("true", "1"),
    )
    return _course_out(request, course)


@router.delete(
    "/courses/{public_id}/image",
    response={204: None, **_ERRORS},
    summary="Remove the course image",
)
def delete_course_image(request: HttpRequest, public_id: str) -> Any:
    services.course_image_clear(actor=_actor(request), course=_course(request, public_id))
    return Status(204, None)


# --- Modules -------------------------------------------------------------------------------


@router.get(
    "/courses/{public_id}/modules",
    response={200: ModulePageOut, **_ERRORS},
    summary="A course's modules with their lessons, drafts included, in order",
)
def list_modules(request: HttpRequest, public_id: str, query: Query[EditorPageQuery]) -> Any:
    course = _course(request, public_id)
    modules = course.modules.order_by("position", "pk")
    count = modules.count()
    start = (query.page - 1) * query.page_size
    page = modules.prefetch_related("lessons")[start : start + query.page_size]
    return {
        "items": [_module_out(m) for m in page],
        "count": count,
        "page": query.page,
        "pages": _pages(count, query.page_size),
    }


@router.post(
    "/courses/{public_id}/modules",
    response={201: EditorModuleOut, **_WRITE_ERRORS},
    summary="Add a draft module at the end of the course",
)
def create_module(request: HttpRequest, public_id: str, payload: ModuleIn) -> Any:
    course = _course(request, public_id)
    module = services.module_create(
        actor=_actor(request),
        course=course,
        title=payload.title,
        summary=payload.summary,
        available_from=payload.available_from,
    )
    return Status(201, _module_out(module))


@router.put(
    "/courses/{public_id}/modules/order",
    response={200: OrderOut, **_WRITE_ERRORS},
    summary="Reorder all the modules of a course at once (as drag and drop does)",
)
def order_modules(request: HttpRequest, public_id: str, payload: OrderIn) -> Any:
    modules = services.module_reorder(
        actor=_actor(request), course=_course(request, public_id), order=payload.order
    )
    return {"order": [m.public_id for m in modules]}


@router.patch(
    "/modules/{public_id}",
    response={200: EditorModuleOut, **_WRITE_ERRORS},
    summary="Change a module's title, summary or opening date",
)
def update_module(request: HttpRequest, public_id: str, payload: ModulePatchIn) -> Any:
    module = _module(request, public_id)
    changes = payload.dict(exclude_unset=True)
    if "summary" in changes and changes["summary"] is None:
        changes["summary"] = ""
    module = services.module_update(actor=_actor(request), module=module, changes=changes)
    return _module_out(module)


@router.delete(
    "/modules/{public_id}",
    response={204: None, **_WRITE_ERRORS},
    summary="Delete a module and its lessons",
)
def delete_module(request: HttpRequest, public_id: str) -> Any:
    services.module_delete(actor=_actor(request), module=_module(request, public_id))
    return Status(204, None)


@router.post(
    "/modules/{public_id}/move",
    response={200: EditorModuleOut, **_WRITE_ERRORS},
    summary="Move a module one place up or down",
)
def move_module(request: HttpRequest, public_id: str, payload: MoveIn) -> Any:
    module = services.module_move(
        actor=_actor(request), module=_module(request, public_id), direction=payload.direction
    )
    return _module_out(module)


@router.post(
    "/modules/{public_id}/publish",
    response={200: EditorModuleOut, **_WRITE_ERRORS},
    summary="Show a module (and its published lessons) to learners",
)
def publish_module(request: HttpRequest, public_id: str) -> Any:
    module = services.module_set_published(
        actor=_actor(request), module=_module(request, public_id), published=True
    )
    return _module_out(module)


@router.post(
    "/modules/{public_id}/unpublish",
    response={200: EditorModuleOut, **_WRITE_ERRORS},
    summary="Hide a module from learners",
)
def unpublish_module(request: HttpRequest, public_id: str) -> Any:
    module = services.module_set_published(
        actor=_actor(request), module=_module(request, public_id), published=False
    )
    return _module_out(module)


# --- Lessons -------------------------------------------------------------------------------


@router.get(
    "/modules/{public_id}/lessons",
    response={200: LessonPageOut, **_ERRORS},
    summary="A module's lessons, drafts included, in order",
)
def list_lessons(request: HttpRequest, public_id: str, query: Query[EditorPageQuery]) -> Any:
    module = _module(request, public_id)
    lessons = Lesson.objects.filter(module=module).select_related(
        "course", "module", "prerequisite"
    )
    count = lessons.count()
    start = (query.page - 1) * query.page_size
    page = lessons.order_by("position", "pk")[start : start + query.page_size]
    return {
        "items": [_lesson_out(request, lesson) for lesson in page],
        "count": count,
        "page": query.page,
        "pages": _pages(count, query.page_size),
    }


@router.post(
    "/modules/{public_id}/lessons",
    response={201: EditorLessonOut, **_WRITE_ERRORS},
    summary="Add a draft lesson (text, video or file) at the end of the module",
)
def create_lesson(request: HttpRequest, public_id: str, payload: LessonIn) -> Any:
    module = _module(request, public_id)
    lesson = services.lesson_create(
        actor=_actor(request),
        module=module,
        title=payload.title,
        kind=payload.kind,
        changes=_lesson_changes(
            module.course, payload.dict(exclude_unset=True, exclude={"title", "kind"})
        ),
    )
    return Status(201, _lesson_out(request, _reload_lesson(lesson)))


@router.put(
    "/modules/{public_id}/lessons/order",
    response={200: OrderOut, **_WRITE_ERRORS},
    summary="Reorder all the lessons of a module at once (as drag and drop does)",
)
def order_lessons(request: HttpRequest, public_id: str, payload: OrderIn) -> Any:
    lessons = services.lesson_reorder(
        actor=_actor(request), module=_module(request, public_id), order=payload.order
    )
    return {"order": [lesson.public_id for lesson in lessons]}


@router.get(
    "/lessons/{public_id}",
    response={200: EditorLessonOut, **_ERRORS},
    summary="A lesson with its content, for its editors",
)
def get_lesson(request: HttpRequest, public_id: str) -> Any:
    return _lesson_out(request, _lesson(request, public_id))


@router.patch(
    "/lessons/{public_id}",
    response={200: EditorLessonOut, **_WRITE_ERRORS},
    summary="Change a lesson (send only the fields to change)",
)
def update_lesson(request: HttpRequest, public_id: str, payload: LessonPatchIn) -> Any:
    lesson = _lesson(request, public_id)
    changes = _lesson_changes(lesson.course, payload.dict(exclude_unset=True))
    if "title" in changes and changes["title"] is None:
        raise ValidationError({"title": _("Give the lesson a title.")})
    lesson = services.lesson_update(actor=_actor(request), lesson=lesson, changes=changes)
    return _lesson_out(request, _reload_lesson(lesson))


@router.delete(
    "/lessons/{public_id}",
    response={204: None, **_WRITE_ERRORS},
    summary="Delete a lesson",
)
def delete_lesson(request: HttpRequest, public_id: str) -> Any:
    services.lesson_delete(actor=_actor(request), lesson=_lesson(request, public_id))
    return Status(204, None)


@router.post(
    "/lessons/{public_id}/move",
    response={200: EditorLessonOut, **_WRITE_ERRORS},
    summary="Move a lesson one place up or down within its module",
)
def move_lesson(request: HttpRequest, public_id: str, payload: MoveIn) -> Any:
    lesson = services.lesson_move(
        actor=_actor(request), lesson=_lesson(request, public_id), direction=payload.direction
    )
    return _lesson_out(request, _reload_lesson(lesson))


@router.post(
    "/lessons/{public_id}/publish",
    response={200: EditorLessonOut, **_WRITE_ERRORS},
    summary="Publish a lesson (a video needs captions and a transcript)",
)
def publish_lesson(request: HttpRequest, public_id: str) -> Any:
    lesson = services.lesson_set_published(
        actor=_actor(request), lesson=_lesson(request, public_id), published=True
    )
    return _lesson_out(request, _reload_lesson(lesson))


@router.post(
    "/lessons/{public_id}/unpublish",
    response={200: EditorLessonOut, **_WRITE_ERRORS},
    summary="Hide a lesson from learners",
)
def unpublish_lesson(request: HttpRequest, public_id: str) -> Any:
    lesson = services.lesson_set_published(
        actor=_actor(request), lesson=_lesson(request, public_id), published=False
    )
    return _lesson_out(request, _reload_lesson(lesson))


@router.put(
    "/lessons/{public_id}/media/{field}",
    response={200: EditorLessonOut, **_UPLOAD_ERRORS},
    summary="Upload a lesson's video, WebVTT captions or document (multipart: file)",
    openapi_extra=MULTIPART,
)
def put_lesson_media(
    request: HttpRequest, public_id: str, field: Literal["video", "captions", "file"]
) -> Any:
    lesson = _lesson(request, public_id)
    uploaded = _upload(request, MEDIA_KIND[field])
    lesson = services.lesson_upload(
        actor=_actor(request), lesson=lesson, field=field, upload=uploaded
    )
    return _lesson_out(request, _reload_lesson(lesson))


@router.get(
    "/lessons/{public_id}/media/{field}",
    response={200: None, 206: None, 416: None, **_ERRORS},
    url_name="lesson_media",
    summary="Preview a lesson's video, captions or document (HTTP Range supported)",
)
def get_lesson_media(
    request: HttpRequest, public_id: str, field: Literal["video", "captions", "file"]
) -> Any:
    return lesson_media_response(request, _lesson(request, public_id), field)


@router.delete(
    "/lessons/{public_id}/media/{field}",
    response={200: EditorLessonOut, **_WRITE_ERRORS},
    summary="Remove a lesson's video, captions or document",
)
def delete_lesson_media(
    request: HttpRequest, public_id: str, field: Literal["video", "captions", "file"]
) -> Any:
    lesson = services.lesson_media_clear(
        actor=_actor(request), lesson=_lesson(request, public_id), field=field
    )
    return _lesson_out(request, _reload_lesson(lesson))
