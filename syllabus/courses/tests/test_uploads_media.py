"""Serving lesson files: HTTP Range (206, suffix ranges, 416 out of bounds), content
types from the stored metadata, attachment for documents, inline for video/captions."""

from __future__ import annotations

import pytest
from django.http import Http404
from django.test import RequestFactory

from syllabus.courses.media import lesson_media_response
from syllabus.courses.services import lesson_create, lesson_upload, module_create
from syllabus.courses.tests.authoring_helpers import MP4, PDF, VTT, course_with_instructor, upload
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def lessons():
    instructor = UserFactory()
    course = course_with_instructor(instructor)
    module = module_create(actor=instructor, course=course, title="M")
    video = lesson_create(actor=instructor, module=module, title="V", kind="video")
    video = lesson_upload(
        actor=instructor, lesson=video, field="video", upload=upload("v.mp4", MP4)
    )
    video = lesson_upload(
        actor=instructor, lesson=video, field="captions", upload=upload("c.vtt", VTT)
    )
    document = lesson_create(actor=instructor, module=module, title="D", kind="file")
    document = lesson_upload(
        actor=instructor, lesson=document, field="file", upload=upload("Week 1 notes.pdf", PDF)
    )
    return video, document


def get(path="/x", **headers):
    return RequestFactory().get(path, headers=headers)


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_whole_video_inline_with_accept_ranges(lessons):
    video, _ = lessons
    response = lesson_media_response(get(), video, "video")
    assert response.status_code == 200
    assert response["Content-Type"] == "video/mp4"
    assert response["Accept-Ranges"] == "bytes"
    assert "Content-Disposition" not in response
    assert response["Cache-Control"].startswith("private")
    assert body(response) == MP4


def test_a_range_gets_206(lessons):
    video, _ = lessons
    response = lesson_media_response(get(Range="bytes=4-11"), video, "video")
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes 4-11/{len(MP4)}"
    assert response["Content-Length"] == "8"
    assert body(response) == MP4[4:12]


def test_a_suffix_range_gets_the_last_bytes(lessons):
    video, _ = lessons
    response = lesson_media_response(get(Range="bytes=-10"), video, "video")
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes {len(MP4) - 10}-{len(MP4) - 1}/{len(MP4)}"
    assert body(response) == MP4[-10:]


@pytest.mark.parametrize(
    "header", [f"bytes={len(MP4)}-", f"bytes={len(MP4) + 100}-{len(MP4) + 200}", "bytes=-0"]
)
def test_out_of_bounds_ranges_get_416(lessons, header):
    video, _ = lessons
    response = lesson_media_response(get(Range=header), video, "video")
    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{len(MP4)}"


def test_captions_are_webvtt_inline(lessons):
    video, _ = lessons
    response = lesson_media_response(get(), video, "captions")
    assert response["Content-Type"] == "text/vtt; charset=utf-8"
    assert body(response) == VTT


def test_documents_download_under_their_name(lessons):
    _, document = lessons
    response = lesson_media_response(get(), document, "file")
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment")
    assert "Week 1 notes.pdf" in response["Content-Disposition"]
    assert "sandbox" in response["Content-Security-Policy"]
    ranged = lesson_media_response(get(Range="bytes=0-3"), document, "file")
    assert ranged.status_code == 206 and body(ranged) == PDF[:4]


def test_missing_files_are_404(lessons):
    video, document = lessons
    with pytest.raises(Http404):
        lesson_media_response(get(), document, "video")
    with pytest.raises(Http404):
        lesson_media_response(get(), video, "body")
    video.video.storage.delete(video.video.name)
    with pytest.raises(Http404):
        lesson_media_response(get(), video, "video")
