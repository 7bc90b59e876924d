"""Shared pieces of the course browser journeys: people and courses made through the
services (so the data, audit trail, search index and caches are what the product makes),
signing in through the real form, and small readers of what the page shows."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import expect

from syllabus.accounts.models import Role, User
from syllabus.accounts.services import role_create, role_grant
from syllabus.courses import services
from syllabus.courses.models import Course, Lesson, Module
from syllabus.ops.demo import files as demo_files
from tests.factories import PASSWORD, UserFactory

LOGIN_PATH = "/accounts/login/"


def sign_in(page: Any, email: str, password: str = PASSWORD) -> None:
    """Sign in with the form, as a person would, and wait until the site has let us in."""
    page.goto(LOGIN_PATH)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=False).fill(password)
    page.get_by_role("main").get_by_role("button", name=re.compile("sign in", re.I)).click()
    expect(
        page.get_by_role("navigation", name="Main").get_by_role(
            "button", name=re.compile("^Sign out")
        )
    ).to_be_visible()


def sign_out(page: Any) -> None:
    page.get_by_role("navigation", name="Main").get_by_role(
        "button", name=re.compile("^Sign out")
    ).click()
    expect(
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Sign in")
    ).to_be_visible()


def course_author(email: str, full_name: str) -> User:
    """A person allowed to create courses: a custom site role carrying only course.create,
    as an administrator would set it up (the built-in instructor role is a course role)."""
    role = Role.objects.filter(slug="course_author").first() or role_create(
        actor=None, name="Course author", permissions=["course.create"]
    )
    user: User = UserFactory(email=email, full_name=full_name)
    role_grant(actor=None, user=user, role=role)
    return user


def _asset_upload(name: str, content_type: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, demo_files.asset(name), content_type=content_type)


@dataclass
class LearnerCourse:
    course: Course
    module: Module
    text: Lesson
    video: Lesson
    wrap_up: Lesson


def published_course_with_video(
    *,
    title: str,
    description: str,
    summary: str = "A first look at the tides.",
    video_name: str = "welcome.mp4",
) -> LearnerCourse:
    """A published open course built by its instructor through the authoring services: one
    module with a text lesson, a video lesson (the committed demo video with its WebVTT
    captions and transcript, uploaded and checked like any upload) and a short text
    wrap-up, all required."""
    teacher = UserFactory(full_name="Tomás Teacher")
    course = services.course_create(actor=None, title=title, summary=summary)
    services.course_role_set(
        actor=None, course=course, user=teacher, role=Role.objects.get(slug="instructor")
    )
    course = services.course_update(
        actor=teacher,
        course=course,
        changes={"description": description, "level": Course.Level.BEGINNER},
    )
    module = services.module_create(actor=teacher, course=course, title="Sea basics")
    text = services.lesson_create(
        actor=teacher,
        module=module,
        title="What makes a tide",
        kind=Lesson.Kind.TEXT,
        changes={
            "body": "The **Moon** pulls the sea towards it.\n\nTwice a day the water rises.",
            "estimated_minutes": 5,
        },
    )
    video = services.lesson_create(
        actor=teacher,
        module=module,
        title="Watch the tide come in",
        kind=Lesson.Kind.VIDEO,
        changes={
            "transcript": demo_files.transcript(),
            "video_duration_seconds": demo_files.video_duration_seconds(),
            "captions_language": "en",
        },
    )
    content_type = "video/webm" if video_name.endswith(".webm") else "video/mp4"
    video = services.lesson_upload(
        actor=teacher, lesson=video, field="video", upload=_asset_upload(video_name, content_type)
    )
    video = services.lesson_upload(
        actor=teacher,
        lesson=video,
        field="captions",
        upload=_asset_upload(demo_files.CAPTIONS_NAME, "text/vtt"),
    )
    wrap_up = services.lesson_create(
        actor=teacher,
        module=module,
        title="Tide tables",
        kind=Lesson.Kind.TEXT,
        changes={"body": "Read a tide table before you walk on the sand."},
    )
    for lesson in (text, video, wrap_up):
        services.lesson_set_published(actor=teacher, lesson=lesson, published=True)
    services.module_set_published(actor=teacher, module=module, published=True)
    course = services.course_publish(actor=teacher, course=course)
    return LearnerCourse(course=course, module=module, text=text, video=video, wrap_up=wrap_up)


def progress_bar_value(locator: Any) -> int:
    """The value of a <progress> element as the browser has it."""
    return int(locator.evaluate("bar => bar.value"))


def unexpected_problems(browser_problems: Any, *allow: str) -> list[str]:
    """What went wrong in the browser, less the favicon (there is none). Requests the
    browser cancelled (net::ERR_ABORTED) are never reported: see the `page` fixture."""
    return browser_problems.unexpected(allow=("favicon.ico", *allow))
