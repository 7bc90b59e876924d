"""Teach pages: the instructor's journey through the web UI, without and with htmx,
confirmation steps, uploads refused with nothing stored, and bounded query counts."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from syllabus.accounts.models import Role
from syllabus.audit.models import AuditEvent
from syllabus.courses.models import Course, CourseMembership, Lesson, Module
from syllabus.courses.services import (
    lesson_create,
    lesson_set_published,
    module_create,
    module_set_published,
)
from syllabus.courses.tests.authoring_helpers import MP4, PDF, VTT, course_with_instructor
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def instructor():
    return UserFactory(email="ines@example.org")


@pytest.fixture
def course(instructor):
    return course_with_instructor(instructor)


@pytest.fixture
def client(instructor):
    client = Client()
    client.force_login(instructor)
    return client


def test_the_instructor_journey_without_javascript(client, course):
    # Add a module, then a text lesson in it.
    response = client.post(
        reverse("courses:module_new", args=[course.public_id]), {"title": "Week 1"}
    )
    module = Module.objects.get(course=course)
    assert response.status_code == 302
    assert response["Location"] == reverse("courses:lesson_new", args=[module.public_id])
    response = client.post(
        reverse("courses:lesson_new", args=[module.public_id]), {"title": "Hi", "kind": "text"}
    )
    lesson = Lesson.objects.get(module=module)
    assert response["Location"] == reverse("courses:lesson_edit", args=[lesson.public_id])
    page = client.get(response["Location"])
    assert page.status_code == 200 and b"Write the lesson text" in page.content
    response = client.post(
        reverse("courses:lesson_edit", args=[lesson.public_id]),
        {"title": "Hello", "module": module.pk, "body": "**Welcome**", "is_required": "on"},
    )
    assert response.status_code == 302
    lesson.refresh_from_db()
    assert lesson.body_html == "<p><strong>Welcome</strong></p>\n"
    # Publish the lesson and the module from the outline, then the course.
    client.post(reverse("courses:lesson_publish", args=[lesson.public_id]), {"published": "1"})
    client.post(reverse("courses:module_publish", args=[module.public_id]), {"published": "1"})
    response = client.post(reverse("courses:publish", args=[course.public_id]))
    assert response.status_code == 302
    course.refresh_from_db()
    assert course.status == "published"
    outline = client.get(reverse("courses:outline", args=[course.public_id]))
    assert b"Hello" in outline.content and b"Published" in outline.content
    preview = client.get(reverse("courses:lesson_preview", args=[lesson.public_id]))
    assert b"<strong>Welcome</strong>" in preview.content


def test_create_a_course_needs_course_create(client):
    assert client.get(reverse("courses:new")).status_code == 403
    admin = Client()
    admin.force_login(UserFactory(site_roles=["admin"]))
    response = admin.post(reverse("courses:new"), {"title": "Brand new", "summary": "S"})
    created = Course.objects.get(title="Brand new")
    assert response["Location"] == reverse("courses:outline", args=[created.public_id])
    empty = admin.post(reverse("courses:new"), {"title": ""})
    assert empty.status_code == 200 and b"This field is required" in empty.content


def test_teach_lists_my_courses_only(client, course, instructor):
    other = course_with_instructor(UserFactory(), "Not mine")
    module = module_create(actor=instructor, course=course, title="M")
    for title in ("A", "B"):
        lesson_create(actor=instructor, module=module, title=title, kind="text")
    CourseMembership.objects.create(
        course=course, user=UserFactory(), role=Role.objects.get(slug="learner")
    )
    page = client.get(reverse("courses:teach"))
    assert page.status_code == 200
    row = page.content.decode().split(course.title)[1].split("</tr>")[0]
    assert [cell.split("<")[0] for cell in row.split("<td>")[2:5]] == ["1", "2", "1"]
    assert course.title.encode() in page.content
    assert other.title.encode() not in page.content
    assert b"New course" not in page.content  # no course.create


def test_learners_and_outsiders_are_refused(course):
    learner = UserFactory()
    CourseMembership.objects.create(
        course=course, user=learner, role=Role.objects.get(slug="learner")
    )
    client = Client()
    client.force_login(learner)
    assert client.get(reverse("courses:teach")).status_code == 403
    assert client.get(reverse("courses:edit", args=[course.public_id])).status_code == 403
    outsider = Client()
    outsider.force_login(UserFactory())
    assert outsider.get(reverse("courses:edit", args=[course.public_id])).status_code == 404


def test_settings_form_saves_and_shows_errors(client, course):
    url = reverse("courses:edit", args=[course.public_id])
    assert client.get(url).status_code == 200
    data = {
        "title": "Statistics",
        "summary": "Numbers",
        "description": "<script>x</script>Intro",
        "tags": "maths, data",
        "level": "intermediate",
        "enrolment": "key",
        "enrolment_key": "",
        "completion_rule": "all_required",
    }
    refused = client.post(url, data)
    assert refused.status_code == 200
    assert b"Set an enrolment key" in refused.content
    assert Course.objects.get(pk=course.pk).title == "Authoring 101"
    data["enrolment_key"] = "sesame"
    saved = client.post(url, data)
    assert saved.status_code == 302
    course.refresh_from_db()
    assert course.title == "Statistics" and course.enrolment_key == "sesame"
    assert "<script" not in course.description_html
    assert sorted(course.tags.values_list("name", flat=True)) == ["data", "maths"]


def test_image_without_alt_text_is_refused_and_nothing_saved(client, course):
    from syllabus.courses.tests.authoring_helpers import png_bytes

    url = reverse("courses:edit", args=[course.public_id])
    base = {"title": "Changed", "level": "beginner", "enrolment": "open"}
    base["completion_rule"] = "all_required"
    response = client.post(url, {**base, "image": SimpleUploadedFile("a.png", png_bytes())})
    assert response.status_code == 200
    assert b"Describe the image" in response.content
    course.refresh_from_db()
    assert not course.image and course.title == "Authoring 101"
    response = client.post(
        url,
        {**base, "image": SimpleUploadedFile("a.png", png_bytes()), "image_alt": "A graph"},
    )
    assert response.status_code == 302
    course.refresh_from_db()
    assert course.image and course.image_alt == "A graph"


def test_unpublish_archive_and_delete_ask_for_confirmation(client, course, instructor):
    module = module_create(actor=instructor, course=course, title="M")
    url = reverse("courses:module_delete", args=[module.public_id])
    confirm = client.get(url)
    assert confirm.status_code == 200 and b"cannot be undone" in confirm.content
    assert Module.objects.filter(pk=module.pk).exists()
    assert client.post(url).status_code == 302
    assert not Module.objects.filter(pk=module.pk).exists()
    archive = reverse("courses:archive", args=[course.public_id])
    assert b"Archive" in client.get(archive).content
    assert Course.objects.get(pk=course.pk).status == "draft"
    client.post(archive)
    assert Course.objects.get(pk=course.pk).status == "archived"


def test_moving_without_and_with_htmx_keeps_focus(client, course, instructor):
    first = module_create(actor=instructor, course=course, title="First")
    second = module_create(actor=instructor, course=course, title="Second")
    url = reverse("courses:module_move", args=[second.public_id])
    plain = client.post(url, {"direction": "up"})
    assert plain.status_code == 302
    assert f"focus=module-{second.public_id}-up" in plain["Location"]
    assert list(course.modules.values_list("title", flat=True)) == ["Second", "First"]
    page = client.get(plain["Location"])
    assert page.status_code == 200
    # Now at the top: its Up button is disabled, so the Down button takes the focus.
    html = page.content.decode()
    assert "autofocus" in html
    swapped = client.post(
        reverse("courses:module_move", args=[second.public_id]),
        {"direction": "down"},
        HTTP_HX_REQUEST="true",
    )
    assert swapped.status_code == 200
    body = swapped.content.decode()
    assert body.lstrip().startswith('<div id="outline"')
    assert "<html" not in body
    assert body.count("autofocus") == 1
    assert "Module “Second” moved down: 2 of 2." in body  # the live region, out of band
    assert list(course.modules.values_list("title", flat=True)) == ["First", "Second"]
    refused = client.post(
        reverse("courses:module_move", args=[first.public_id]),
        {"direction": "up"},
        HTTP_HX_REQUEST="true",
    )
    assert "already first" in refused.content.decode()


def test_uploads_in_the_ui(client, course, instructor):
    module = module_create(actor=instructor, course=course, title="M")
    lesson = lesson_create(actor=instructor, module=module, title="Film", kind="video")
    edit = client.get(reverse("courses:lesson_edit", args=[lesson.public_id]))
    assert b"MP4, WEBM; at most 500 MB." in edit.content
    upload = reverse("courses:lesson_upload", args=[lesson.public_id, "video"])
    events = AuditEvent.objects.count()
    refused = client.post(upload, {"video-file": SimpleUploadedFile("film.mp4", PDF)})
    assert refused.status_code == 400
    assert b"named .mp4 but its content" in refused.content
    assert AuditEvent.objects.count() == events
    ok = client.post(upload, {"video-file": SimpleUploadedFile("film.mp4", MP4)})
    assert ok.status_code == 302
    captions = reverse("courses:lesson_upload", args=[lesson.public_id, "captions"])
    client.post(captions, {"captions-file": SimpleUploadedFile("c.vtt", VTT)})
    lesson.refresh_from_db()
    assert lesson.video and lesson.captions
    media = client.get(
        reverse("courses:lesson_media", args=[lesson.public_id, "video"]), HTTP_RANGE="bytes=0-3"
    )
    assert media.status_code == 206
    preview = client.get(reverse("courses:lesson_preview", args=[lesson.public_id]))
    assert b"<track" in preview.content
    remove = reverse("courses:lesson_media_remove", args=[lesson.public_id, "captions"])
    assert b"Remove" in client.get(remove).content
    client.post(remove)
    lesson.refresh_from_db()
    assert not lesson.captions


def test_page_queries_do_not_grow_with_rows(client, course, instructor):
    def count(url: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    def grow(n: int) -> None:
        for i in range(n):
            module = module_create(actor=instructor, course=course, title=f"M{i}")
            for j in range(3):
                lesson = lesson_create(
                    actor=instructor,
                    module=module,
                    title=f"L{j}",
                    kind="text",
                    changes={"body": "x"},
                )
                lesson_set_published(actor=instructor, lesson=lesson, published=True)
            module_set_published(actor=instructor, module=module, published=True)
            course_with_instructor(instructor, f"Also mine {n}-{i}")

    grow(2)
    outline = reverse("courses:outline", args=[course.public_id])
    teach = reverse("courses:teach")
    few = count(outline), count(teach)
    grow(8)
    assert (count(outline), count(teach)) == few


def test_the_header_links_to_teach_only_for_people_who_teach(client, course):
    teach = reverse("courses:teach").encode()
    assert teach in client.get(reverse("courses:edit", args=[course.public_id])).content
    learner = Client()
    learner.force_login(UserFactory())
    assert teach not in learner.get(reverse("accounts:profile")).content


def test_deleting_a_course_asks_first(client, course):
    url = reverse("courses:delete", args=[course.public_id])
    assert b"cannot be undone" in client.get(url).content
    assert Course.objects.filter(pk=course.pk).exists()
    response = client.post(url)
    assert response["Location"] == reverse("courses:teach")
    assert not Course.objects.filter(pk=course.pk).exists()


def test_the_image_can_be_removed_from_the_settings_page(client, course, instructor):
    from syllabus.courses.services import course_image_set
    from syllabus.courses.tests.authoring_helpers import png_bytes

    course_image_set(
        actor=instructor,
        course=course,
        upload=SimpleUploadedFile("a.png", png_bytes()),
        alt="A graph",
    )
    url = reverse("courses:edit", args=[course.public_id])
    assert b"Remove the current image" in client.get(url).content
    data = {"title": "T", "level": "beginner", "enrolment": "open"}
    data.update({"completion_rule": "all_required", "remove_image": "on"})
    assert client.post(url, data).status_code == 302
    course.refresh_from_db()
    assert not course.image and course.image_alt == "" and course.title == "T"


def test_drag_and_drop_posts_the_new_order(client, course, instructor):
    module = module_create(actor=instructor, course=course, title="M")
    a = lesson_create(actor=instructor, module=module, title="A", kind="text")
    b = lesson_create(actor=instructor, module=module, title="B", kind="text")
    outline = client.get(reverse("courses:outline", args=[course.public_id])).content.decode()
    assert "authoring.js" in outline and 'data-drag-id="' + a.public_id in outline
    response = client.post(
        reverse("courses:lesson_order", args=[module.public_id]),
        {"order": [b.public_id, a.public_id], "moved": a.public_id},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert response.content.decode().lstrip().startswith('<div id="outline"')
    assert list(module.lessons.values_list("title", flat=True)) == ["B", "A"]
    second = module_create(actor=instructor, course=course, title="N")
    client.post(
        reverse("courses:module_order", args=[course.public_id]),
        {"order": [second.public_id, module.public_id]},
    )
    assert list(course.modules.values_list("title", flat=True)) == ["N", "M"]


def test_prerequisites_offered_are_those_the_editor_can_see(client, course):
    published = course_with_instructor(UserFactory(), "Published basics")
    Course.objects.filter(pk=published.pk).update(status=Course.Status.PUBLISHED)
    hidden = course_with_instructor(UserFactory(), "Someone's draft")
    url = reverse("courses:edit", args=[course.public_id])
    page = client.get(url).content.decode()
    assert "Published basics" in page and "Someone&#x27;s draft" not in page
    data: dict[str, Any] = {"title": "T", "level": "beginner", "enrolment": "open"}
    data.update({"completion_rule": "all_required", "prerequisites": [published.pk]})
    assert client.post(url, data).status_code == 302
    assert list(course.prerequisites.all()) == [published]
    refused = client.post(url, {**data, "prerequisites": [hidden.pk]})
    assert refused.status_code == 200
    assert list(course.prerequisites.all()) == [published]
