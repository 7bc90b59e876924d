"""Serving a lesson's stored files (video, captions, document) with HTTP Range support.

``lesson_media_response`` does no access control: the calling view decides who may
read (learning's lesson views for learners, the authoring preview for editors).
"""

from __future__ import annotations

from django.core.files.storage import default_storage
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase

from syllabus.core.ranged import ranged_file_response
from syllabus.courses.models import Lesson
from syllabus.courses.uploads import CONTENT_TYPES

MEDIA_FIELDS = ("video", "captions", "file")


def lesson_media_content_type(lesson: Lesson, field: str) -> str:
    if field == "captions":
        return CONTENT_TYPES["vtt"]
    if field == "file":
        return lesson.file_content_type or "application/octet-stream"
    extension = lesson.video.name.rpartition(".")[2].lower()
    return CONTENT_TYPES.get(extension, "application/octet-stream")


def lesson_media_response(request: HttpRequest, lesson: Lesson, field: str) -> HttpResponseBase:
    """200/206/304/416 for ``lesson.<field>`` (video, captions or file); 404 when the
    lesson has no such file or storage lost it. Documents are sent as attachments under
    their original name; videos and captions inline (a ``<video>`` element reads them)."""
    if field not in MEDIA_FIELDS:
        raise Http404("No such lesson file.")
    stored = getattr(lesson, field)
    if not stored or not stored.name:
        raise Http404("This lesson has no such file.")
    if not default_storage.exists(stored.name):
        raise Http404("The file is missing from storage.")
    is_document = field == "file"
    response = ranged_file_response(
        request,
        default_storage,
        stored.name,
        lesson_media_content_type(lesson, field),
        filename=(lesson.file_name or None) if is_document else None,
        as_attachment=is_document,
    )
    # Course material is per person: never in shared caches.
    response.headers["Cache-Control"] = "private, max-age=0, must-revalidate"
    # A document opened in the browser must not run as part of our origin.
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
