"""Authoring services: course settings, publishing rules, copies, modules, lessons,
prerequisites, reordering, sanitised Markdown, uploads and cache invalidation."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from syllabus.accounts.models import Role
from syllabus.audit.models import AuditEvent
from syllabus.courses import selectors
from syllabus.courses.cache import VERSION, course_key
from syllabus.courses.models import Course, CourseMembership, Lesson, Module, Tag
from syllabus.courses.services import (
    course_archive,
    course_copy,
    course_delete,
    course_image_set,
    course_publish,
    course_unpublish,
    course_update,
    lesson_create,
    lesson_delete,
    lesson_media_clear,
    lesson_move,
    lesson_set_published,
    lesson_update,
    lesson_upload,
    module_create,
    module_delete,
    module_move,
    module_set_published,
    module_update,
)
from syllabus.courses.tests.authoring_helpers import (
    MP4,
    PDF,
    VTT,
    assert_safe_html,
    course_with_instructor,
    png_bytes,
    upload,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def instructor():
    return UserFactory(email="ines@example.org")


@pytest.fixture
def course(instructor):
    return course_with_instructor(instructor)


@pytest.fixture
def module(course, instructor):
    return module_create(actor=instructor, course=course, title="Week 1")


def text_lesson(module, actor, title="Intro", body="Hello **world**", publish=False):
    lesson = lesson_create(
        actor=actor, module=module, title=title, kind="text", changes={"body": body}
    )
    if publish:
        lesson = lesson_set_published(actor=actor, lesson=lesson, published=True)
    return lesson


def publishable(course, module, actor):
    module_set_published(actor=actor, module=module, published=True)
    return text_lesson(module, actor, publish=True)


def actions() -> list[str]:
    return list(AuditEvent.objects.order_by("pk").values_list("action", flat=True))


# --- Permissions ------------------------------------------------------------------------


def test_every_authoring_service_needs_course_edit(course, module):
    learner = UserFactory()
    CourseMembership.objects.create(
        course=course, user=learner, role=Role.objects.get(slug="learner")
    )
    outsider = UserFactory()
    for person in (learner, outsider):
        with pytest.raises(PermissionDenied):
            course_update(actor=person, course=course, changes={"title": "Mine"})
        with pytest.raises(PermissionDenied):
            module_create(actor=person, course=course, title="X")
        with pytest.raises(PermissionDenied):
            lesson_create(actor=person, module=module, title="X", kind="text")
        with pytest.raises(PermissionDenied):
            course_publish(actor=person, course=course)
        with pytest.raises(PermissionDenied):
            course_copy(actor=person, course=course)
    assert Course.objects.get(pk=course.pk).title == "Authoring 101"
    assert Module.objects.filter(course=course).count() == 1


def test_an_admin_edits_any_course(course):
    admin = UserFactory(site_roles=["admin"])
    updated = course_update(actor=admin, course=course, changes={"title": "Renamed"})
    assert updated.title == "Renamed"


# --- Course settings --------------------------------------------------------------------


def test_course_update_changes_catalog_fields_renders_markdown_and_audits(course, instructor):
    updated = course_update(
        actor=instructor,
        course=course,
        changes={
            "title": "  Data 101 ",
            "summary": "Numbers",
            "description": "# Hi\n\n<script>alert(1)</script>[x](javascript:alert(1))",
            "tags": ["Python", "python ", "Data Science"],
            "level": "advanced",
            "estimated_hours": Decimal("4.5"),
        },
    )
    assert updated.title == "Data 101"
    assert "<h2>Hi</h2>" in updated.description_html
    assert_safe_html(updated.description_html)
    assert sorted(updated.tags.values_list("slug", flat=True)) == ["data-science", "python"]
    assert "Data 101" in Course.objects.get(pk=course.pk).search_text
    assert "Data Science" in Course.objects.get(pk=course.pk).search_text
    event = AuditEvent.objects.filter(action="course.updated").get()
    assert set(event.details["fields"]) >= {"title", "tags", "description", "level"}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": "   "}, "title"),
        ({"enrolment": "key", "enrolment_key": ""}, "enrolment_key"),
        ({"completion_rule": "pass_grade"}, "pass_grade"),
        ({"level": "expert"}, "level"),
        ({"estimated_hours": Decimal("-1")}, "estimated_hours"),
        ({"pass_grade": Decimal("101")}, "pass_grade"),
        ({"tags": ["x" * 51]}, "tags"),
        ({"tags": ["!!!"]}, "tags"),
    ],
)
def test_course_update_refuses_bad_input_and_writes_nothing(course, instructor, changes, field):
    before = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as caught:
        course_update(actor=instructor, course=course, changes=changes)
    assert field in caught.value.message_dict
    fresh = Course.objects.get(pk=course.pk)
    assert fresh.title == "Authoring 101" and fresh.enrolment == "open"
    assert AuditEvent.objects.count() == before
    assert not Tag.objects.exists()


def test_course_must_close_after_it_opens(course, instructor):
    now = timezone.now()
    with pytest.raises(ValidationError) as caught:
        course_update(
            actor=instructor,
            course=course,
            changes={"available_from": now, "available_until": now - timedelta(days=1)},
        )
    assert "available_until" in caught.value.message_dict
    ok = course_update(
        actor=instructor,
        course=course,
        changes={"available_from": now, "available_until": now + timedelta(days=1)},
    )
    assert (ok.available_from, ok.available_until) == (now, now + timedelta(days=1))


def test_unknown_fields_are_refused(course, instructor):
    with pytest.raises(ValidationError, match="status"):
        course_update(actor=instructor, course=course, changes={"status": "published"})


def test_course_prerequisites_no_self_no_cycle(instructor):
    a = course_with_instructor(instructor, "A")
    b = course_with_instructor(instructor, "B")
    c = course_with_instructor(instructor, "C")
    with pytest.raises(ValidationError, match="own prerequisite"):
        course_update(actor=instructor, course=a, changes={"prerequisites": [a]})
    course_update(actor=instructor, course=b, changes={"prerequisites": [a]})
    course_update(actor=instructor, course=c, changes={"prerequisites": [b]})
    with pytest.raises(ValidationError, match="cycle"):
        course_update(actor=instructor, course=a, changes={"prerequisites": [c]})
    assert list(a.prerequisites.all()) == []
    assert list(c.prerequisites.all()) == [b]


def test_image_needs_alt_text_and_a_real_image(course, instructor):
    with pytest.raises(ValidationError, match="Describe the image"):
        course_image_set(actor=instructor, course=course, upload=upload("a.png", png_bytes()))
    with pytest.raises(ValidationError, match="content"):
        course_image_set(
            actor=instructor, course=course, upload=upload("a.png", PDF), alt="A chart"
        )
    assert not Course.objects.get(pk=course.pk).image
    done = course_image_set(
        actor=instructor, course=course, upload=upload("a.png", png_bytes()), alt="A chart"
    )
    assert default_storage.exists(done.image.name)
    assert done.image_alt == "A chart"
    with pytest.raises(ValidationError) as caught:
        course_update(actor=instructor, course=done, changes={"image_alt": ""})
    assert "image_alt" in caught.value.message_dict


# --- Publishing -------------------------------------------------------------------------


def test_publishing_a_course_needs_a_published_lesson(course, module, instructor):
    with pytest.raises(ValidationError, match="at least one lesson"):
        course_publish(actor=instructor, course=course)
    text_lesson(module, instructor, publish=True)  # module still a draft
    with pytest.raises(ValidationError, match="at least one lesson"):
        course_publish(actor=instructor, course=course)
    module_set_published(actor=instructor, module=module, published=True)
    published = course_publish(actor=instructor, course=course)
    assert published.status == "published"
    assert published.published_at is not None
    with pytest.raises(ValidationError, match="already published"):
        course_publish(actor=instructor, course=published)
    assert course_unpublish(actor=instructor, course=published).status == "draft"
    assert course_archive(actor=instructor, course=published).status == "archived"
    assert {"course.published", "course.unpublished", "course.archived"} <= set(actions())


def test_module_publishing_has_its_own_audit_actions(course, module, instructor):
    module_set_published(actor=instructor, module=module, published=True)
    module_set_published(actor=instructor, module=module, published=True)  # no change
    module_set_published(actor=instructor, module=module, published=False)
    assert [a for a in actions() if a.startswith("module.")][-2:] == [
        "module.published",
        "module.unpublished",
    ]
    assert actions().count("module.published") == 1


def test_the_last_visible_lesson_of_a_published_course_stays(course, module, instructor):
    lesson = publishable(course, module, instructor)
    course_publish(actor=instructor, course=course)
    with pytest.raises(ValidationError, match="no lesson"):
        lesson_set_published(actor=instructor, lesson=lesson, published=False)
    with pytest.raises(ValidationError, match="no lesson"):
        module_set_published(actor=instructor, module=module, published=False)
    with pytest.raises(ValidationError, match="no lesson"):
        lesson_delete(actor=instructor, lesson=lesson)
    assert Lesson.objects.get(pk=lesson.pk).is_published


def test_a_text_lesson_needs_text_before_publishing(module, instructor):
    lesson = lesson_create(actor=instructor, module=module, title="Empty", kind="text")
    with pytest.raises(ValidationError, match="Write the lesson text"):
        lesson_set_published(actor=instructor, lesson=lesson, published=True)


def test_a_video_lesson_needs_captions_and_a_transcript(module, instructor):
    lesson = lesson_create(actor=instructor, module=module, title="Film", kind="video")
    with pytest.raises(ValidationError) as caught:
        lesson_set_published(actor=instructor, lesson=lesson, published=True)
    message = caught.value.messages[0]
    assert "a video" in message and "captions" in message and "transcript" in message

    lesson = lesson_update(
        actor=instructor, lesson=lesson, changes={"video_url": "https://video.example.org/a"}
    )
    with pytest.raises(ValidationError) as caught:
        lesson_set_published(actor=instructor, lesson=lesson, published=True)
    assert "a video" not in caught.value.messages[0]
    assert "captions" in caught.value.messages[0]

    lesson = lesson_upload(
        actor=instructor, lesson=lesson, field="captions", upload=upload("c.vtt", VTT)
    )
    with pytest.raises(ValidationError, match="transcript") as caught:
        lesson_set_published(actor=instructor, lesson=lesson, published=True)
    assert "captions" not in caught.value.messages[0]

    lesson = lesson_update(actor=instructor, lesson=lesson, changes={"transcript": "Words."})
    lesson = lesson_set_published(actor=instructor, lesson=lesson, published=True)
    assert lesson.is_published
    # A published video lesson cannot lose what publishing required.
    with pytest.raises(ValidationError, match="transcript"):
        lesson_update(actor=instructor, lesson=lesson, changes={"transcript": " "})
    with pytest.raises(ValidationError, match="captions"):
        lesson_media_clear(actor=instructor, lesson=lesson, field="captions")
    assert Lesson.objects.get(pk=lesson.pk).captions


def test_video_url_must_be_http(module, instructor):
    lesson = lesson_create(actor=instructor, module=module, title="Film", kind="video")
    for bad in ("javascript:alert(1)", "ftp://x.example.org/a.mp4", "notaurl"):
        with pytest.raises(ValidationError) as caught:
            lesson_update(actor=instructor, lesson=lesson, changes={"video_url": bad})
        assert "video_url" in caught.value.message_dict
    assert Lesson.objects.get(pk=lesson.pk).video_url == ""


def test_unknown_lesson_kinds_are_refused(module, instructor):
    with pytest.raises(ValidationError, match="Choose text, video"):
        lesson_create(actor=instructor, module=module, title="Q", kind="podcast")
    assert not Lesson.objects.exists()


def test_file_lessons_keep_the_document_metadata(module, instructor):
    lesson = lesson_create(actor=instructor, module=module, title="Slides", kind="file")
    lesson = lesson_upload(
        actor=instructor, lesson=lesson, field="file", upload=upload("Notes 1.pdf", PDF)
    )
    assert lesson.file_name == "Notes 1.pdf"
    assert lesson.file_content_type == "application/pdf"
    assert lesson.file_size == len(PDF)
    assert default_storage.exists(lesson.file.name)
    # A video upload on a file lesson is refused.
    with pytest.raises(ValidationError):
        lesson_upload(actor=instructor, lesson=lesson, field="video", upload=upload("a.mp4", MP4))


def test_replacing_a_file_removes_the_old_one_and_refusals_store_nothing(
    module, instructor, django_capture_on_commit_callbacks
):
    lesson = lesson_create(actor=instructor, module=module, title="Slides", kind="file")
    with django_capture_on_commit_callbacks(execute=True):
        first = lesson_upload(
            actor=instructor, lesson=lesson, field="file", upload=upload("a.pdf", PDF)
        ).file.name
    with django_capture_on_commit_callbacks(execute=True):
        second = lesson_upload(
            actor=instructor, lesson=lesson, field="file", upload=upload("b.pdf", PDF)
        ).file.name
    assert not default_storage.exists(first)
    assert default_storage.exists(second)
    listing_before = _stored_files()
    events = AuditEvent.objects.count()
    with pytest.raises(ValidationError):
        lesson_upload(actor=instructor, lesson=lesson, field="file", upload=upload("c.pdf", b"MZ"))
    assert _stored_files() == listing_before
    assert AuditEvent.objects.count() == events
    assert Lesson.objects.get(pk=lesson.pk).file.name == second


def _stored_files() -> set[str]:
    found: set[str] = set()

    def walk(path: str) -> None:
        if not default_storage.exists(path or "."):
            return
        dirs, files = default_storage.listdir(path)
        found.update(f"{path}/{f}" for f in files)
        for d in dirs:
            walk(f"{path}/{d}")

    walk("courses")
    return found


# --- Markdown is sanitised ----------------------------------------------------------------

MALICIOUS = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "[click](javascript:alert(1))",
    '<a href="javascript:alert(1)">x</a>',
    '<svg onload="alert(1)"></svg>',
    "<iframe src=https://evil.example.org></iframe>",
    "[x](data:text/html;base64,PHNjcmlwdD4=)",
    "![x](javascript:alert(1))",
    "<https://ok.example.org> <javascript:alert(1)>",
    "[x](JaVaScRiPt:alert(1))",
    '<div style="background:url(javascript:alert(1))">x</div>',
]


@pytest.mark.parametrize("payload", MALICIOUS)
def test_malicious_markdown_never_reaches_body_html(module, instructor, payload):
    lesson = text_lesson(module, instructor, body=payload)
    assert_safe_html(Lesson.objects.get(pk=lesson.pk).body_html)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    body=st.text(
        alphabet=st.sampled_from(list("<>\"'=/ :;()[]!*#`ajvscriptonerlgdhf")), max_size=80
    )
)
def test_any_body_is_saved_sanitised(module, instructor, body):
    lesson = lesson_create(
        actor=instructor, module=module, title="Fuzz", kind="text", changes={"body": body}
    )
    assert_safe_html(lesson.body_html)


# --- Modules and lessons: order ----------------------------------------------------------


def test_module_positions_stay_dense(course, instructor):
    modules = [module_create(actor=instructor, course=course, title=f"M{i}") for i in range(4)]
    assert [m.position for m in modules] == [0, 1, 2, 3]
    module_move(actor=instructor, module=modules[3], direction="up")
    assert list(course.modules.values_list("title", flat=True)) == ["M0", "M1", "M3", "M2"]
    with pytest.raises(ValidationError, match="already first"):
        module_move(actor=instructor, module=modules[0], direction="up")
    with pytest.raises(ValidationError, match="up or down"):
        module_move(actor=instructor, module=modules[0], direction="sideways")
    module_delete(actor=instructor, module=modules[1])
    assert list(course.modules.values_list("title", "position")) == [
        ("M0", 0),
        ("M3", 1),
        ("M2", 2),
    ]
    assert actions().count("module.reordered") == 1
    assert "module.deleted" in actions()


def test_lesson_positions_stay_dense_within_their_module(course, module, instructor):
    lessons = [text_lesson(module, instructor, title=f"L{i}") for i in range(3)]
    other = module_create(actor=instructor, course=course, title="Week 2")
    lesson_move(actor=instructor, lesson=lessons[0], direction="down")
    assert list(module.lessons.values_list("title", "position")) == [
        ("L1", 0),
        ("L0", 1),
        ("L2", 2),
    ]
    with pytest.raises(ValidationError, match="already last"):
        lesson_move(actor=instructor, lesson=lessons[2], direction="down")
    lesson_update(actor=instructor, lesson=lessons[1], changes={"module": other})
    assert list(module.lessons.values_list("title", "position")) == [("L0", 0), ("L2", 1)]
    assert list(other.lessons.values_list("title", "position")) == [("L1", 0)]
    lesson_delete(actor=instructor, lesson=lessons[0])
    assert list(module.lessons.values_list("title", "position")) == [("L2", 0)]


def test_a_lesson_cannot_move_to_another_course(course, module, instructor):
    lesson = text_lesson(module, instructor)
    elsewhere = course_with_instructor(instructor, "Elsewhere")
    foreign = module_create(actor=instructor, course=elsewhere, title="Their module")
    with pytest.raises(ValidationError) as caught:
        lesson_update(actor=instructor, lesson=lesson, changes={"module": foreign})
    assert "module" in caught.value.message_dict
    assert Lesson.objects.get(pk=lesson.pk).module_id == module.pk


def test_module_update_and_validation(module, instructor):
    module_update(actor=instructor, module=module, changes={"title": "Week one", "summary": "S"})
    assert Module.objects.get(pk=module.pk).title == "Week one"
    with pytest.raises(ValidationError):
        module_update(actor=instructor, module=module, changes={"title": ""})
    with pytest.raises(ValidationError):
        module_update(actor=instructor, module=module, changes={"position": 5})


# --- Lesson prerequisites ----------------------------------------------------------------


def test_lesson_prerequisites_same_course_no_cycle(course, module, instructor):
    a, b, c = (text_lesson(module, instructor, title=t) for t in "ABC")
    with pytest.raises(ValidationError, match="own prerequisite"):
        lesson_update(actor=instructor, lesson=a, changes={"prerequisite": a})
    lesson_update(actor=instructor, lesson=b, changes={"prerequisite": a})
    lesson_update(actor=instructor, lesson=c, changes={"prerequisite": b})
    with pytest.raises(ValidationError, match="cycle"):
        lesson_update(actor=instructor, lesson=a, changes={"prerequisite": c})
    other = course_with_instructor(instructor, "Other")
    foreign = text_lesson(module_create(actor=instructor, course=other, title="M"), instructor)
    with pytest.raises(ValidationError, match="same course"):
        lesson_update(actor=instructor, lesson=a, changes={"prerequisite": foreign})
    assert Lesson.objects.get(pk=a.pk).prerequisite is None
    lesson_update(actor=instructor, lesson=c, changes={"prerequisite": None})
    assert Lesson.objects.get(pk=c.pk).prerequisite is None


# --- Copy ------------------------------------------------------------------------------------


def test_copy_is_deep_and_leaves_people_behind(course, module, instructor):
    course_update(
        actor=instructor, course=course, changes={"tags": ["Maths"], "description": "*Hi*"}
    )
    required = course_with_instructor(instructor, "Basics")
    course_update(actor=instructor, course=course, changes={"prerequisites": [required]})
    a = publishable(course, module, instructor)
    b = lesson_create(actor=instructor, module=module, title="Doc", kind="file")
    b = lesson_upload(actor=instructor, lesson=b, field="file", upload=upload("d.pdf", PDF))
    lesson_update(actor=instructor, lesson=b, changes={"prerequisite": a})
    course_publish(actor=instructor, course=course)
    learner = UserFactory()
    CourseMembership.objects.create(
        course=course,
        user=learner,
        role=Role.objects.get(slug="learner"),
    )
    copier = UserFactory()
    CourseMembership.objects.create(
        course=course,
        user=copier,
        role=Role.objects.get(slug="instructor"),
    )

    copy = course_copy(actor=copier, course=course)

    assert copy.title == "Authoring 101 (copy)"
    assert copy.status == "draft" and copy.copied_from == course
    assert copy.description_html == course.description_html
    assert list(copy.tags.values_list("name", flat=True)) == ["Maths"]
    assert list(copy.prerequisites.all()) == [required]
    assert list(copy.memberships.values_list("user__email", "role__slug")) == [
        (copier.email, "instructor")
    ]
    new_lessons = list(Lesson.objects.filter(course=copy).order_by("position"))
    assert [lesson.title for lesson in new_lessons] == ["Intro", "Doc"]
    assert all(lesson.module.course_id == copy.pk for lesson in new_lessons)
    new_doc = new_lessons[1]
    assert new_doc.prerequisite == new_lessons[0]  # points inside the copy
    assert new_doc.file.name != b.file.name
    assert default_storage.open(new_doc.file.name).read() == PDF
    assert new_doc.file_name == "d.pdf" and new_doc.copied_from_id == b.pk
    assert "course.copied" in actions()


# --- Cache ---------------------------------------------------------------------------------


def test_changes_invalidate_the_course_cache(
    course, instructor, django_capture_on_commit_callbacks
):
    for part in ("meta", "outline"):
        cache.set(course_key(course.pk, part), {"stale": True}, version=VERSION)
    with django_capture_on_commit_callbacks(execute=True):
        module_create(actor=instructor, course=course, title="New")
    assert cache.get(course_key(course.pk), version=VERSION) is None
    assert cache.get(course_key(course.pk, "outline"), version=VERSION) is None


def test_outline_changes_are_visible_on_the_next_read(
    course, module, instructor, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        text_lesson(module, instructor, title="First")
    assert [m["title"] for m in selectors.course_outline(course)] == ["Week 1"]
    with django_capture_on_commit_callbacks(execute=True):
        module_update(actor=instructor, module=module, changes={"title": "Renamed"})
    assert [m["title"] for m in selectors.course_outline(course)] == ["Renamed"]


def test_only_drafts_without_learners_can_be_deleted(
    course, module, instructor, django_capture_on_commit_callbacks
):
    lesson = lesson_create(actor=instructor, module=module, title="Doc", kind="file")
    lesson = lesson_upload(
        actor=instructor, lesson=lesson, field="file", upload=upload("d.pdf", PDF)
    )
    publishable(course, module, instructor)
    course_publish(actor=instructor, course=course)
    with pytest.raises(ValidationError, match="Unpublish"):
        course_delete(actor=instructor, course=course)
    course_unpublish(actor=instructor, course=course)
    learner = UserFactory()
    membership = CourseMembership.objects.create(
        course=course, user=learner, role=Role.objects.get(slug="learner")
    )
    with pytest.raises(ValidationError, match="archive it instead"):
        course_delete(actor=instructor, course=course)
    membership.delete()
    with pytest.raises(PermissionDenied):
        course_delete(actor=learner, course=course)
    with django_capture_on_commit_callbacks(execute=True):
        course_delete(actor=instructor, course=course)
    assert not Course.objects.filter(pk=course.pk).exists()
    assert not default_storage.exists(lesson.file.name)
    event = AuditEvent.objects.get(action="course.deleted")
    assert event.details["title"] == "Authoring 101"


def test_a_lesson_is_not_due_before_it_opens(module, instructor):
    now = timezone.now()
    with pytest.raises(ValidationError) as caught:
        lesson_create(
            actor=instructor,
            module=module,
            title="Late",
            kind="text",
            changes={"available_from": now, "due_at": now - timedelta(hours=1)},
        )
    assert "due_at" in caught.value.message_dict
    assert not Lesson.objects.exists()


def test_reorder_takes_a_whole_order_and_keeps_positions_dense(course, module, instructor):
    from syllabus.courses.services import lesson_reorder, module_reorder

    lessons = [text_lesson(module, instructor, title=t) for t in "ABC"]
    ids = [lesson.public_id for lesson in lessons]
    lesson_reorder(actor=instructor, module=module, order=[ids[2], ids[0], ids[1]])
    assert list(module.lessons.values_list("title", "position")) == [
        ("C", 0),
        ("A", 1),
        ("B", 2),
    ]
    for bad in ([ids[0], ids[1]], [ids[0], ids[0], ids[1]], [*ids, "les_other"]):
        with pytest.raises(ValidationError, match="exactly once"):
            lesson_reorder(actor=instructor, module=module, order=bad)
    other = module_create(actor=instructor, course=course, title="Week 2")
    module_reorder(actor=instructor, course=course, order=[other.public_id, module.public_id])
    assert list(course.modules.values_list("title", flat=True)) == ["Week 2", "Week 1"]
    with pytest.raises(PermissionDenied):
        module_reorder(actor=UserFactory(), course=course, order=[module.public_id])
    assert actions().count("lesson.reordered") == 1
    assert actions().count("module.reordered") == 1
