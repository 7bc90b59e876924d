"""Checks for uploaded course files (images, videos, captions, documents) and storing them.

An upload is accepted only when its size is within the limit for its kind
(``settings.UPLOAD_MAX_*``), its extension is in the allowed list for the kind
(``settings.UPLOAD_*_TYPES``), and its CONTENT agrees with that extension: magic bytes
(the ``filetype`` library) for images, videos and PDFs; a look inside the archive for
office documents (zip containers); strict UTF-8 with no NUL for text; and a WebVTT
check for captions. Nothing is written while checking: ``validate_upload`` only reads.

Files are stored through Django's default storage (local folder or S3), under a random
directory (``courses.models._course_upload_to``), so names never collide or leak ids.
"""

from __future__ import annotations

import logging
import posixpath
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from typing import IO, Any, Final

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.utils.functional import lazy
from django.utils.translation import gettext as _

from syllabus.courses.models import _course_upload_to

logger = logging.getLogger(__name__)

IMAGE, VIDEO, CAPTIONS, FILE = "image", "video", "captions", "file"
KINDS: Final = (IMAGE, VIDEO, CAPTIONS, FILE)

# Archives are never extracted, but members' declared sizes still bound what a reader
# (an office suite, an unzip tool) would expand them to.
ZIP_MAX_MEMBERS: Final = 5_000
ZIP_MAX_UNCOMPRESSED: Final = 1024 * 1024 * 1024  # 1 GiB in all
ZIP_MAX_RATIO: Final = 200  # uncompressed / compressed, for members over 1 MiB

CONTENT_TYPES: Final[dict[str, str]] = {
    "png": "image/png",
    "jpg": "image/jpeg",
    "gif": "image/gif",
    "webp": "image/webp",
    "mp4": "video/mp4",
    "webm": "video/webm",
    "vtt": "text/vtt; charset=utf-8",
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "odp": "application/vnd.oasis.opendocument.presentation",
    "txt": "text/plain; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
    "zip": "application/zip",
}
# Other spellings of an extension people use.
ALIASES: Final = {"jpeg": "jpg", "htm": "html", "text": "txt"}
# What the magic-byte sniffer may call a file of each extension.
SNIFFED_AS: Final[dict[str, frozenset[str]]] = {
    "png": frozenset({"png", "apng"}),
    "jpg": frozenset({"jpg"}),
    "gif": frozenset({"gif"}),
    "webp": frozenset({"webp"}),
    "mp4": frozenset({"mp4", "m4v"}),
    "webm": frozenset({"webm", "mkv"}),  # WebM is a Matroska profile
    "pdf": frozenset({"pdf"}),
}
OFFICE_OPEN_XML: Final = {"docx": "word/", "xlsx": "xl/", "pptx": "ppt/"}
OPEN_DOCUMENT: Final = {
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "odp": "application/vnd.oasis.opendocument.presentation",
}
TEXT_TYPES: Final = frozenset({"txt", "csv"})


@dataclass(frozen=True)
class UploadInfo:
    """What the checks learnt about an accepted upload."""

    name: str  # a safe base name, for Content-Disposition and display
    extension: str
    content_type: str
    size: int


def allowed_extensions(kind: str) -> list[str]:
    if kind == IMAGE:
        return [ALIASES.get(e, e) for e in settings.UPLOAD_IMAGE_TYPES]
    if kind == VIDEO:
        return [ALIASES.get(e, e) for e in settings.UPLOAD_VIDEO_TYPES]
    if kind == CAPTIONS:
        return ["vtt"]
    if kind == FILE:
        return [ALIASES.get(e, e) for e in settings.UPLOAD_FILE_TYPES]
    raise ValueError(f"Unknown upload kind {kind!r}.")


def max_bytes(kind: str) -> int:
    if kind == IMAGE:
        return int(settings.UPLOAD_MAX_IMAGE_MB) * 1024 * 1024
    if kind == VIDEO:
        return int(settings.UPLOAD_MAX_VIDEO_MB) * 1024 * 1024
    if kind == CAPTIONS:
        return int(settings.UPLOAD_MAX_CAPTIONS_KB) * 1024
    if kind == FILE:
        return int(settings.UPLOAD_MAX_FILE_MB) * 1024 * 1024
    raise ValueError(f"Unknown upload kind {kind!r}.")


def describe_limit(kind: str) -> str:
    """ "MP4 or WebM, at most 500 MB": what a form shows beside the file input."""
    size = max_bytes(kind)
    amount = f"{size // (1024 * 1024)} MB" if size >= 1024 * 1024 else f"{size // 1024} KB"
    types = ", ".join(e.upper() for e in allowed_extensions(kind))
    return _("%(types)s; at most %(amount)s.") % {"types": types, "amount": amount}


# For form fields declared at import time: worded in the language of each request.
describe_limit_lazy = lazy(describe_limit, str)


def accept_attribute(kind: str) -> str:
    """The ``accept`` attribute of a file input for ``kind`` (a hint; the server checks)."""
    return ",".join(f".{e}" for e in allowed_extensions(kind))


def safe_name(name: str) -> str:
    """The last part of a client's file name without control characters or separators."""
    base = posixpath.basename(str(name).replace("\\", "/"))
    base = "".join(c for c in base if unicodedata.category(c)[0] != "C").strip(" .")
    return base[-120:] or "upload"


def validate_upload(uploaded: Any, kind: str) -> UploadInfo:
    """Check an uploaded file (Django ``UploadedFile`` or any object with ``name``,
    ``size`` and a seekable file interface) for ``kind``: image, video, captions or file.

    Raises ``ValidationError`` with a message saying what is wrong; reads only.
    """
    if kind not in KINDS:
        raise ValueError(f"Unknown upload kind {kind!r}.")
    if uploaded is None:
        raise ValidationError(_("Choose a file to upload."), code="required")
    name = safe_name(getattr(uploaded, "name", "") or "")
    size = int(getattr(uploaded, "size", 0) or 0)
    limit = max_bytes(kind)
    if size > limit:
        raise ValidationError(
            _("%(name)s is %(size)s; the limit is %(limit)s.")
            % {"name": name, "size": _human(size), "limit": _human(limit)},
            code="too_large",
        )
    if size == 0:
        raise ValidationError(_("%(name)s is empty.") % {"name": name}, code="empty")
    stem, dot, extension = name.rpartition(".")
    extension = ALIASES.get(extension.lower(), extension.lower()) if dot and stem else ""
    allowed = allowed_extensions(kind)
    if extension not in allowed:
        raise ValidationError(
            _("%(name)s: this kind of file is not accepted here. Allowed: %(allowed)s.")
            % {"name": name, "allowed": ", ".join(e.upper() for e in allowed)},
            code="type",
        )
    _check_content(uploaded, extension, name)
    content_type = CONTENT_TYPES.get(extension, "application/octet-stream")
    return UploadInfo(name=name, extension=extension, content_type=content_type, size=size)


def _check_content(uploaded: Any, extension: str, name: str) -> None:
    if extension == "vtt":
        validate_webvtt(_read_all(uploaded))
    elif extension in TEXT_TYPES:
        _check_text(_read_all(uploaded), name)
    elif extension in OFFICE_OPEN_XML or extension in OPEN_DOCUMENT or extension == "zip":
        _check_zip(uploaded, extension, name)
    elif extension in SNIFFED_AS:
        head = _read_head(uploaded)
        guessed = filetype.guess_extension(head)
        if guessed not in SNIFFED_AS[extension]:
            message = (
                _("%(name)s is named .%(extension)s but its content looks like %(guessed)s.")
                if guessed
                else _("%(name)s is named .%(extension)s but its content is not recognised.")
            )
            raise ValidationError(
                message
                % {"name": name, "extension": extension, "guessed": (guessed or "").upper()},
                code="content",
            )
    else:
        # An extension an operator allowed that we have no content check for.
        raise ValidationError(
            _("%(name)s: .%(extension)s files cannot be checked.")
            % {"name": name, "extension": extension},
            code="type",
        )


def _rewind(uploaded: Any) -> None:
    if hasattr(uploaded, "seek"):
        uploaded.seek(0)


def _read_head(uploaded: Any, size: int = 8192) -> bytes:
    _rewind(uploaded)
    head = uploaded.read(size)
    _rewind(uploaded)
    return bytes(head)


def _read_all(uploaded: Any) -> bytes:
    # Only for kinds with small limits (captions, text files within the file limit).
    _rewind(uploaded)
    data = uploaded.read()
    _rewind(uploaded)
    return bytes(data)


def _check_text(data: bytes, name: str) -> None:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ValidationError(
            _("%(name)s is not UTF-8 text.") % {"name": name}, code="content"
        ) from None
    if "\x00" in text:
        raise ValidationError(
            _("%(name)s contains NUL bytes: it is not a text file.") % {"name": name},
            code="content",
        )


def _check_zip(uploaded: Any, extension: str, name: str) -> None:
    _rewind(uploaded)
    file: IO[bytes] = uploaded.file if hasattr(uploaded, "file") else uploaded
    try:
        with zipfile.ZipFile(file) as archive:
            members = archive.infolist()
            _check_members(members, name)
            names = {m.filename for m in members}
            if extension in OFFICE_OPEN_XML:
                prefix = OFFICE_OPEN_XML[extension]
                if "[Content_Types].xml" not in names or not any(
                    n.startswith(prefix) for n in names
                ):
                    raise ValidationError(
                        _(
                            "%(name)s is not a .%(extension)s document "
                            "(an archive without its parts)."
                        )
                        % {"name": name, "extension": extension},
                        code="content",
                    )
            elif extension in OPEN_DOCUMENT:
                if "mimetype" not in names or archive.getinfo("mimetype").file_size > 200:
                    raise ValidationError(
                        _("%(name)s is not a .%(extension)s document.")
                        % {"name": name, "extension": extension},
                        code="content",
                    )
                mimetype = archive.read("mimetype").decode("ascii", "replace").strip()
                if mimetype != OPEN_DOCUMENT[extension]:
                    raise ValidationError(
                        _("%(name)s is not a .%(extension)s document.")
                        % {"name": name, "extension": extension},
                        code="content",
                    )
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, KeyError):
        raise ValidationError(
            _("%(name)s is not a valid .%(extension)s file.")
            % {"name": name, "extension": extension},
            code="content",
        ) from None
    except (NotImplementedError, RuntimeError):  # unknown compression, encrypted member
        raise ValidationError(
            _("%(name)s uses a compression or encryption that cannot be checked.") % {"name": name},
            code="content",
        ) from None
    finally:
        _rewind(uploaded)


def _check_members(members: list[zipfile.ZipInfo], name: str) -> None:
    if len(members) > ZIP_MAX_MEMBERS:
        raise ValidationError(
            _("%(name)s holds more than %(count)s files.")
            % {"name": name, "count": ZIP_MAX_MEMBERS},
            code="zip_bomb",
        )
    total = 0
    for member in members:
        if _unsafe_member_name(member.filename):
            raise ValidationError(
                _("%(name)s contains an unsafe path (%(path)s).")
                % {"name": name, "path": repr(member.filename[:80])},
                code="zip_path",
            )
        if member.flag_bits & 0x1:
            raise ValidationError(
                _("%(name)s contains encrypted files.") % {"name": name}, code="content"
            )
        total += member.file_size
        if total > ZIP_MAX_UNCOMPRESSED:
            raise ValidationError(
                _("%(name)s would expand to more than %(size)s.")
                % {"name": name, "size": _human(ZIP_MAX_UNCOMPRESSED)},
                code="zip_bomb",
            )
        if member.file_size > 1024 * 1024 and member.file_size > ZIP_MAX_RATIO * max(
            member.compress_size, 1
        ):
            raise ValidationError(
                _("%(name)s contains a file compressed more than %(ratio)s to 1 (a zip bomb?).")
                % {"name": name, "ratio": ZIP_MAX_RATIO},
                code="zip_bomb",
            )


_DRIVE: Final = re.compile(r"^[A-Za-z]:")


def _unsafe_member_name(member: str) -> bool:
    if not member or "\x00" in member or "\\" in member:
        return True
    if member.startswith("/") or _DRIVE.match(member):
        return True
    return ".." in member.split("/")


# --- WebVTT -------------------------------------------------------------------------------
# A minimal validator written by hand (no maintained Python library validates WebVTT
# without pulling a parser for every caption format): the file must be UTF-8, start with
# "WEBVTT" (after an optional BOM) followed by a space, tab or line end, and every cue
# timing line must be "start --> end" with well-formed timestamps and start <= end. At
# least one cue is required: captions with no cue caption nothing.

_TIMESTAMP: Final = re.compile(r"(?:(\d{2,}):)?([0-5]\d):([0-5]\d)\.(\d{3})", re.ASCII)
_TIMING: Final = re.compile(r"^(\S+)[ \t]+-->[ \t]+(\S+)(?:[ \t]+.*)?$", re.ASCII)


def _seconds(stamp: str) -> float | None:
    match = _TIMESTAMP.fullmatch(stamp)
    if match is None:
        return None
    hours, minutes, seconds, millis = match.groups()
    return int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds) + int(millis) / 1000


def validate_webvtt(data: bytes) -> int:
    """Check a WebVTT captions file; returns the number of cues. Raises ValidationError."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ValidationError(_("The captions file is not UTF-8 text."), code="content") from None
    text = text.removeprefix("\ufeff")
    if "\x00" in text:
        raise ValidationError(_("The captions file contains NUL bytes."), code="content")
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    first = lines[0]
    if not (first == "WEBVTT" or (first.startswith("WEBVTT") and first[6] in " \t")):
        raise ValidationError(
            _("The captions file must be WebVTT: its first line must be WEBVTT."), code="content"
        )
    cues = 0
    for number, line in enumerate(lines[1:], start=2):
        if "-->" not in line:
            continue
        match = _TIMING.match(line.strip())
        start = _seconds(match.group(1)) if match else None
        end = _seconds(match.group(2)) if match else None
        if start is None or end is None:
            raise ValidationError(
                _(
                    "Captions line %(number)s: the cue timing must look like "
                    "00:00:01.000 --> 00:00:04.000."
                )
                % {"number": number},
                code="content",
            )
        if end < start:
            raise ValidationError(
                _("Captions line %(number)s: the cue ends before it starts.") % {"number": number},
                code="content",
            )
        cues += 1
    if cues == 0:
        raise ValidationError(_("The captions file has no cues."), code="content")
    return cues


def _human(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB".replace(".0 MB", " MB")
    if size >= 1024:
        return f"{size / 1024:.1f} KB".replace(".0 KB", " KB")
    return f"{size} bytes"


# --- Storage --------------------------------------------------------------------------------


def store_upload(uploaded: Any, info: UploadInfo) -> str:
    """Save an accepted upload to default storage; returns the stored name."""
    _rewind(uploaded)
    return default_storage.save(_course_upload_to(None, info.name), uploaded)


def copy_stored(name: str) -> str:
    """Copy a stored file to a new random name (for course copies); returns that name."""
    with default_storage.open(name, "rb") as source:
        return default_storage.save(_course_upload_to(None, posixpath.basename(name)), source)


def delete_stored(name: str) -> None:
    """Remove a stored file; a missing file or a storage error is not fatal."""
    if not name:
        return
    try:
        default_storage.delete(name)
    except Exception:  # S3 errors are not OSError; an orphan file is not worth a 500
        logger.warning("upload.delete_failed", exc_info=True, extra={"file": name})
