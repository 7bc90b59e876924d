"""Shared builders for the authoring and upload tests: a course with an instructor,
and small files of every accepted kind (made in memory, so the tests need no data)."""

from __future__ import annotations

import io
import zipfile
from html.parser import HTMLParser

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from syllabus.accounts.models import Role
from syllabus.courses.models import Course, CourseMembership
from syllabus.courses.services import course_create

# An MP4 starts with an "ftyp" box naming its brand.
MP4 = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + b"\x00" * 4000
# A WebM starts with an EBML header whose DocType is "webm".
WEBM = bytes.fromhex("1a45dfa3") + b"\x9f\x42\x86\x81\x01\x42\x82\x84webm" + b"\x00" * 4000
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
VTT = b"WEBVTT\n\n00:00:00.000 --> 00:00:02.000\nHello\n\n00:02.000 --> 00:04.500\nWorld\n"


def png_bytes(size: tuple[int, int] = (4, 4)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "teal").save(buffer, format="PNG")
    return buffer.getvalue()


def zip_bytes(members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def docx_bytes() -> bytes:
    return zip_bytes({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})


def odt_bytes() -> bytes:
    return zip_bytes(
        {"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<x/>"},
        compression=zipfile.ZIP_STORED,
    )


def upload(name: str, data: bytes, content_type: str = "application/octet-stream"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def course_with_instructor(instructor, title: str = "Authoring 101") -> Course:
    course = course_create(actor=None, title=title)
    CourseMembership.objects.create(
        course=course, user=instructor, role=Role.objects.get(slug="instructor")
    )
    return course


class _Elements(HTMLParser):
    """Every element and attribute in an HTML fragment (text content is not markup)."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes.extend((name, value or "") for name, value in attrs)


def assert_safe_html(html: str) -> None:
    parser = _Elements()
    parser.feed(html)
    assert not {"script", "iframe", "style", "svg", "object", "embed"} & set(parser.tags), html
    for name, value in parser.attributes:
        assert not name.startswith("on"), html
        assert name != "style", html
        if name in ("href", "src"):
            assert not value.strip().lower().startswith(("javascript:", "data:", "vbscript:")), html
