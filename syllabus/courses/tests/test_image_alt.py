"""Course images and WCAG 1.1.1: an image needs its description (alt text) unless it is
marked decorative, and a course cannot be published while its image has neither. A
decorative image has an empty alt, so screen readers skip it."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.urls import reverse

from syllabus.courses import services
from syllabus.courses.models import Course, Lesson
from syllabus.courses.tests.authoring_helpers import course_with_instructor, png_bytes
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def instructor():
    return UserFactory(email="dora@example.org")


@pytest.fixture
def course(instructor):
    return course_with_instructor(instructor)


def _png() -> SimpleUploadedFile:
    return SimpleUploadedFile("cover.png", png_bytes(), content_type="image/png")


def _publishable(instructor, course: Course) -> Course:
    module = services.module_create(actor=instructor, course=course, title="Week 1")
    lesson = services.lesson_create(
        actor=instructor,
        module=module,
        title="Hello",
        kind=Lesson.Kind.TEXT,
        changes={"body": "Hello."},
    )
    services.lesson_set_published(actor=instructor, lesson=lesson, published=True)
    services.module_set_published(actor=instructor, module=module, published=True)
    return Course.objects.get(pk=course.pk)


def test_a_decorative_image_needs_no_description_and_gets_an_empty_alt(instructor, course):
    course = services.course_image_set(
        actor=instructor, course=course, upload=_png(), alt="ignored", decorative=True
    )
    course.refresh_from_db()
    assert course.image
    assert course.image_decorative is True
    assert course.image_alt == ""


def test_an_image_without_description_is_refused_unless_decorative(instructor, course):
    with pytest.raises(ValidationError) as refused:
        services.course_image_set(actor=instructor, course=course, upload=_png(), alt=" ")
    assert "or mark it as decorative" in str(refused.value.message_dict["image_alt"])
    course.refresh_from_db()
    assert not course.image


def test_marking_the_image_decorative_clears_its_description(instructor, course):
    course = services.course_image_set(
        actor=instructor, course=course, upload=_png(), alt="Waves on rocks"
    )
    course = services.course_update(
        actor=instructor, course=course, changes={"image_decorative": True}
    )
    course.refresh_from_db()
    assert (course.image_decorative, course.image_alt) == (True, "")
    # And back: a meaningful image again needs its description.
    with pytest.raises(ValidationError) as refused:
        services.course_update(actor=instructor, course=course, changes={"image_decorative": False})
    assert "image_alt" in refused.value.message_dict
    course.refresh_from_db()
    assert course.image_decorative is True


def test_removing_the_image_forgets_that_it_was_decorative(instructor, course):
    course = services.course_image_set(
        actor=instructor, course=course, upload=_png(), decorative=True
    )
    course = services.course_image_clear(actor=instructor, course=course)
    course.refresh_from_db()
    assert not course.image
    assert course.image_decorative is False


def test_a_course_whose_image_has_no_description_cannot_be_published(instructor, course):
    course = _publishable(instructor, course)
    # An image stored without its description (imported, or from before the rule).
    course.image.save("old.png", ContentFile(png_bytes()), save=False)
    course.image_alt = ""
    course.save(update_fields=["image", "image_alt"])
    blocker = "Describe the course image (its alt text), or mark it as decorative, first."
    assert services.publish_blockers(course) == [blocker]
    with pytest.raises(ValidationError) as refused:
        services.course_publish(actor=instructor, course=course)
    assert refused.value.messages == [blocker]
    assert Course.objects.get(pk=course.pk).status == Course.Status.DRAFT

    course = services.course_update(
        actor=instructor, course=course, changes={"image_decorative": True}
    )
    assert services.publish_blockers(course) == []
    published = services.course_publish(actor=instructor, course=course)
    assert published.status == Course.Status.PUBLISHED


def test_the_settings_page_offers_the_decorative_checkbox(instructor, course):
    client = Client()
    client.force_login(instructor)
    url = reverse("courses:edit", args=[course.public_id])
    page = client.get(url).content.decode()
    assert 'name="image_decorative"' in page
    assert 'aria-describedby="id_image_decorative_helptext"' in page
    assert 'id="id_image_decorative_helptext"' in page
    form = {
        "title": "Authoring 101",
        "level": "beginner",
        "enrolment": "open",
        "completion_rule": "all_required",
        "image": _png(),
        "image_decorative": "on",
    }
    assert client.post(url, form).status_code == 302
    course.refresh_from_db()
    assert course.image and course.image_decorative and course.image_alt == ""
    detail = client.get(reverse("courses:edit", args=[course.public_id])).content.decode()
    assert 'class="teach-image"' in detail and 'alt=""' in detail


def test_the_api_takes_a_decorative_image(instructor, course):
    client = Client()
    client.force_login(instructor)
    path = f"/api/v1/courses/{course.public_id}/image"

    def put(**fields: str):
        body = encode_multipart(BOUNDARY, {"file": _png(), **fields})
        return client.put(path, data=body, content_type=MULTIPART_CONTENT)

    assert put(decorative="maybe").status_code in (400, 422)
    assert not Course.objects.get(pk=course.pk).image
    ok = put(decorative="true")
    assert ok.status_code == 200, ok.content
    assert ok.json()["image_decorative"] is True and ok.json()["image_alt"] == ""
