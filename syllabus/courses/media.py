"""Serving a lesson's stored files (video, captions, document) with HTTP Range support.

``lesson_media_response`` does no access control: the calling view decides who may
read (learning's lesson views for learners, the authoring preview for editors).
"""

from __future__ import annotations

from django.conf import settings
from django.core.files.storage import default_storage
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.utils.translation import gettext as _

from syllabus.core.ranged import ranged_file_response
from syllabus.core.signed_media import signed_url
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


def lesson_media_url(lesson: Lesson, field: str, *, checked_url: str) -> str:
    """Where the browser fetches ``lesson.<field>`` once the page has checked access.

    With files on S3 or behind a CDN (``SYLLABUS_MEDIA_URL``) a signed URL, so the bytes
    (every Range request of a video) come from the bucket or the CDN without touching the
    database; otherwise ``checked_url``, the view that checks access on each request (a
    signed URL would then only add an expiry to a paused video)."""
    stored = getattr(lesson, field)
    if not (settings.MEDIA_CDN or settings.STORAGE_BACKEND == "s3") or not stored:
        return checked_url
    is_document = field == "file"
    return signed_url(
        stored.name,
        content_type=lesson_media_content_type(lesson, field),
        filename=(lesson.file_name or None) if is_document else None,
        as_attachment=is_document,
    )


def lesson_media_response(request: HttpRequest, lesson: Lesson, field: str) -> HttpResponseBase:
    """200/206/304/416 for ``lesson.<field>`` (video, captions or file); 404 when the
    lesson has no such file or storage lost it. Documents are sent as attachments under
    their original name; videos and captions inline (a ``<video>`` element reads them)."""
    if field not in MEDIA_FIELDS:
        raise Http404(_("No such lesson file."))
    stored = getattr(lesson, field)
    if not stored or not stored.name:
        raise Http404(_("This lesson has no such file."))
    if not default_storage.exists(stored.name):
        raise Http404(_("The file is missing from storage."))
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
