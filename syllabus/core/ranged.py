"""Serve a file from any Django storage with HTTP Range support (RFC 9110 §14), so a
browser can seek in a lesson video and a download manager can resume.

Written by hand because no maintained library does it for arbitrary storage: Django's
``FileResponse`` always sends the whole file, and whitenoise serves ranges only for the
static files it indexed at start-up, not for uploads in ``default_storage`` (local
folder or S3 through django-storages). The parsing follows the RFC's grammar
(``bytes=first-last``, ``bytes=first-``, ``bytes=-suffix``); the conditional requests
(``If-None-Match``, ``If-Modified-Since``, ``If-Match``, ``If-Unmodified-Since``) are
Django's own ``get_conditional_response``.

Choices, each allowed by RFC 9110:

- A malformed or unknown-unit ``Range`` is ignored: 200 with the whole file (§14.2).
- A ``Range`` with several ranges is ignored too: 200 with the whole file (a server MAY
  ignore Range, §14.2). Browsers and media players ask for one range at a time;
  multipart/byteranges would add code for no reader, and lets a client make the server
  do many small reads with one request.
- A single range that starts at or after the end of the file, or a zero-length suffix
  (``bytes=-0``), is answered 416 with ``Content-Range: bytes */<size>`` (§15.5.17).
- An empty file has no byte to select: any Range is ignored (200, empty body), rather
  than a 416 that would break a ``bytes=0-`` request from a video element.
- Only GET honours Range (§14.2: GET is the only method with range handling); HEAD
  answers the headers a full GET would get. Use this from a ``require_safe`` view.
- ``If-Range`` (§13.1.5) with an ETag uses strong comparison; with a date it must equal
  ``Last-Modified``. Anything else sends the whole file, so a client never splices bytes
  from two versions of a file.
- ``ETag``: strong, a hash of name, size and modified time. A storage that cannot tell
  the modified time gets a weak ETag of name and size, which never satisfies ``If-Range``
  (a same-size replacement would otherwise look unchanged), and no ``Last-Modified``.

Every answer carries ``Accept-Ranges: bytes`` and ``Content-Length``. Bodies are
streamed in 64 KiB chunks; the file is opened only when the body is first read, and
closed when it is done or the client goes away. Access control and ``Cache-Control``
are the calling view's job.
"""

from __future__ import annotations

import hashlib
import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from django.core.files.storage import Storage
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.utils.cache import get_conditional_response
from django.utils.http import content_disposition_header, http_date, parse_http_date_safe

CHUNK_SIZE: Final = 64 * 1024

_INT_RANGE: Final = re.compile(r"([0-9]+)-([0-9]*)", re.ASCII)
_SUFFIX_RANGE: Final = re.compile(r"-([0-9]+)", re.ASCII)


@dataclass(frozen=True)
class RangeNotSatisfiable:
    """A well-formed single range that selects no byte of the file: answer 416."""


def parse_range(header: str, size: int) -> tuple[int, int] | RangeNotSatisfiable | None:
    """The inclusive byte bounds ``(start, end)`` a ``Range`` header asks for in a file of
    ``size`` bytes; ``None`` to ignore the header and send the whole file (malformed,
    another unit, several ranges, empty file); ``RangeNotSatisfiable()`` for 416."""
    unit, equals, range_set = header.strip().partition("=")
    if not equals or unit.lower() != "bytes":
        return None
    # The list rule (RFC 9110 §5.6.1) allows empty elements and whitespace around commas.
    specs = [spec.strip(" \t") for spec in range_set.split(",")]
    specs = [spec for spec in specs if spec]
    if len(specs) != 1:
        return None
    spec = specs[0]
    if match := _INT_RANGE.fullmatch(spec):
        first, last = match.group(1), match.group(2)
        if last and _digits_key(last) < _digits_key(first):
            return None  # first > last makes the whole header invalid (§14.1.1)
        if size == 0:
            return None
        start = _bounded(first, size)
        if start >= size:
            return RangeNotSatisfiable()
        end = min(_bounded(last, size), size - 1) if last else size - 1
        return start, end
    if match := _SUFFIX_RANGE.fullmatch(spec):
        if size == 0:
            return None
        length = _bounded(match.group(1), size)
        if length == 0:
            return RangeNotSatisfiable()
        return size - length, size - 1
    return None


def ranged_file_response(
    request: HttpRequest,
    storage: Storage,
    name: str,
    content_type: str,
    *,
    filename: str | None = None,
    as_attachment: bool = False,
) -> HttpResponseBase:
    """200 with the whole file, 206 with the requested range, 304/412 for conditional
    requests, or 416; streamed from ``storage`` (see the module docstring for the rules).
    ``filename`` (default: the stored name's last part when ``as_attachment``) goes into
    ``Content-Disposition``."""
    size = storage.size(name)
    modified = _modified_time(storage, name)
    etag = _etag(name, size, modified)
    headers: dict[str, str] = {"Accept-Ranges": "bytes", "ETag": etag}
    if modified is not None:
        headers["Last-Modified"] = http_date(modified.timestamp())
    if filename or as_attachment:
        disposition = content_disposition_header(
            as_attachment, filename or posixpath.basename(name)
        )
        if disposition:
            headers["Content-Disposition"] = disposition

    validators = HttpResponse(headers=headers)
    conditional = get_conditional_response(
        request,
        etag=etag,
        last_modified=int(modified.timestamp()) if modified is not None else None,
        response=validators,
    )
    if conditional is not None and conditional is not validators:
        return conditional  # 304 Not Modified or 412 Precondition Failed

    selected: tuple[int, int] | RangeNotSatisfiable | None = None
    range_header = request.headers.get("Range")
    if (
        range_header
        and request.method == "GET"
        and _if_range_passes(request.headers.get("If-Range"), etag, modified)
    ):
        selected = parse_range(range_header, size)

    if isinstance(selected, RangeNotSatisfiable):
        response = HttpResponse(status=416, content_type="text/plain", headers=headers)
        response.headers["Content-Range"] = f"bytes */{size}"
        response.headers["Content-Length"] = "0"
        return response

    start, end = selected if selected is not None else (0, size - 1)
    length = end - start + 1
    status = 206 if selected is not None else 200
    if selected is not None:
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    headers["Content-Length"] = str(length)
    if request.method == "HEAD":
        return HttpResponse(status=status, content_type=content_type, headers=headers)
    return StreamingHttpResponse(
        _read(storage, name, start, length),
        status=status,
        content_type=content_type,
        headers=headers,
    )


def _read(storage: Storage, name: str, start: int, length: int) -> Iterator[bytes]:
    # A generator: the file opens on the first chunk, and Django closes the generator
    # (running the `with`) when the response is closed, finished or not.
    with storage.open(name, "rb") as file:
        file.seek(start)
        remaining = length
        while remaining > 0:
            chunk = file.read(min(CHUNK_SIZE, remaining))
            if not chunk:  # the file shrank since its size was read
                return
            remaining -= len(chunk)
            yield chunk


def _modified_time(storage: Storage, name: str) -> datetime | None:
    try:
        return storage.get_modified_time(name)
    except NotImplementedError:
        return None


def _etag(name: str, size: int, modified: datetime | None) -> str:
    if modified is None:
        digest = hashlib.sha256(f"{name}\0{size}".encode()).hexdigest()[:32]
        return f'W/"{digest}"'
    stamp = modified.timestamp()
    digest = hashlib.sha256(f"{name}\0{size}\0{stamp!r}".encode()).hexdigest()[:32]
    return f'"{digest}"'


def _if_range_passes(if_range: str | None, etag: str, modified: datetime | None) -> bool:
    """RFC 9110 §13.1.5: the range applies only when the client's validator still
    matches; a weak ETag never does."""
    if if_range is None:
        return True
    if_range = if_range.strip()
    if if_range.startswith(('"', "W/")):
        return not etag.startswith("W/") and if_range == etag
    since = parse_http_date_safe(if_range)
    return since is not None and modified is not None and since == int(modified.timestamp())


def _digits_key(digits: str) -> tuple[int, str]:
    """Order two digit strings by value without int(), which refuses over 4300 digits."""
    significant = digits.lstrip("0") or "0"
    return len(significant), significant


def _bounded(digits: str, size: int) -> int:
    """The number, or ``size`` when it is larger: every use compares it with ``size``,
    and a header full of digits must not cost a huge int() conversion."""
    significant = digits.lstrip("0") or "0"
    if len(significant) > len(str(size)):
        return size
    return min(int(significant), size)
