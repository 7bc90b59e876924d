"""Short-lived signed URLs for private files, optionally served through a CDN.

A page that has already decided who may read a file (a lesson's video for its learners)
hands the browser a URL that carries that decision: the stored name, how to send it and
an expiry, signed with the secret key (Django's ``signing``: HMAC-SHA256, salted for this
use). Whoever holds the URL may fetch the file until it expires
(``SYLLABUS_SIGNED_URL_SECONDS``, five minutes by default); a changed character or an
expired URL gets 403 and nothing else. No session is read, so the response is the same for
everyone holding the URL and a CDN in front of ``SYLLABUS_MEDIA_URL`` may cache it (never
for longer than the URL lives).

With files on S3 and no CDN base, the URL is the bucket's own pre-signed URL (the bytes
never pass through Syllabus); elsewhere it points at ``signed_media`` below, under
``SYLLABUS_MEDIA_URL`` (``/media/`` on this server by default, or the CDN's base whose
origin is this server's ``/media/``).
"""

from __future__ import annotations

import posixpath
import time
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.core import signing
from django.core.files.storage import default_storage
from django.http import HttpRequest, HttpResponseForbidden
from django.http.response import HttpResponseBase
from django.utils.cache import patch_cache_control
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from syllabus.core.ranged import ranged_file_response

SALT = "syllabus.core.signed_media"


def signed_url(
    name: str,
    *,
    content_type: str,
    filename: str | None = None,
    as_attachment: bool = False,
    seconds: int | None = None,
) -> str:
    """A URL that serves the stored file ``name`` to whoever holds it, for ``seconds``."""
    lifetime = settings.SIGNED_URL_SECONDS if seconds is None else seconds
    if settings.STORAGE_BACKEND == "s3" and not settings.MEDIA_CDN:
        parameters = {"ResponseContentType": content_type}
        if filename or as_attachment:
            disposition = content_disposition_header(
                as_attachment, filename or posixpath.basename(name)
            )
            if disposition:
                parameters["ResponseContentDisposition"] = disposition
        # django-storages' S3 backend takes the response headers and the lifetime.
        s3: Any = default_storage
        url: str = s3.url(name, parameters=parameters, expire=lifetime)
        return url
    token = signing.dumps(
        {
            "n": name,
            "t": content_type,
            "f": filename,
            "a": as_attachment,
            "e": int(time.time()) + lifetime,
        },
        salt=SALT,
        compress=True,
    )
    return f"{settings.MEDIA_URL}{quote(name)}?token={token}"


def _refused(message: str) -> HttpResponseForbidden:
    response = HttpResponseForbidden(message, content_type="text/plain; charset=utf-8")
    patch_cache_control(response, no_store=True)
    return response


@require_safe
def signed_media(request: HttpRequest, name: str) -> HttpResponseBase:
    """The file a signed URL names: 200/206/304/416 while the URL is valid, else 403."""
    try:
        payload: dict[str, Any] = signing.loads(request.GET.get("token", ""), salt=SALT)
    except signing.BadSignature:
        return _refused(_("This link is not valid. Open the page that gave it to you again."))
    remaining = int(payload.get("e", 0)) - int(time.time())
    if payload.get("n") != name:
        return _refused(_("This link is not valid. Open the page that gave it to you again."))
    if remaining <= 0:
        return _refused(_("This link has expired. Reload the page that gave it to you."))
    try:
        response = ranged_file_response(
            request,
            default_storage,
            name,
            str(payload.get("t") or "application/octet-stream"),
            filename=payload.get("f") or None,
            as_attachment=bool(payload.get("a")),
        )
    except FileNotFoundError:
        return _refused(_("This file is no longer available."))
    # The same bytes for everyone holding the URL: a CDN may keep them while it lives.
    patch_cache_control(response, public=True, max_age=remaining)
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
