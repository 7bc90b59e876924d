"""Upload checks: size, extension and content must agree; archives are inspected for
bombs and unsafe paths; captions must be WebVTT; random bytes never crash a check."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from syllabus.courses.tests.authoring_helpers import (
    MP4,
    PDF,
    VTT,
    WEBM,
    docx_bytes,
    odt_bytes,
    png_bytes,
    upload,
    zip_bytes,
)
from syllabus.courses.uploads import (
    KINDS,
    describe_limit,
    safe_name,
    validate_upload,
    validate_webvtt,
)


def code_of(name: str, data: bytes, kind: str) -> str:
    with pytest.raises(ValidationError) as caught:
        validate_upload(upload(name, data), kind)
    return caught.value.error_list[0].code or ""


@pytest.mark.parametrize(
    ("name", "data", "kind", "content_type"),
    [
        ("photo.png", png_bytes(), "image", "image/png"),
        ("clip.mp4", MP4, "video", "video/mp4"),
        ("clip.WEBM", WEBM, "video", "video/webm"),
        ("subs.vtt", VTT, "captions", "text/vtt; charset=utf-8"),
        ("notes.pdf", PDF, "file", "application/pdf"),
        (
            "report.docx",
            docx_bytes(),
            "file",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        ("essay.odt", odt_bytes(), "file", "application/vnd.oasis.opendocument.text"),
        ("data.csv", "name,score\nZoë,3\n".encode(), "file", "text/csv; charset=utf-8"),
        ("readme.txt", b"\xef\xbb\xbfplain text", "file", "text/plain; charset=utf-8"),
        ("bundle.zip", zip_bytes({"a/b.txt": b"x"}), "file", "application/zip"),
    ],
)
def test_accepted_files(name, data, kind, content_type):
    info = validate_upload(upload(name, data), kind)
    assert info.content_type == content_type
    assert info.size == len(data)
    assert info.name == name


@pytest.mark.parametrize(
    ("name", "data", "kind", "code"),
    [
        ("photo.png", PDF, "image", "content"),  # renamed PDF
        ("photo.jpg", png_bytes(), "image", "content"),  # PNG named .jpg
        ("photo.svg", b"<svg/>", "image", "type"),  # not in the allowed list
        ("clip.mp4", b"\x00" * 64, "video", "content"),
        ("clip.avi", MP4, "video", "type"),
        ("subs.srt", VTT, "captions", "type"),
        ("malware.exe", b"MZ\x90\x00", "file", "type"),
        ("notes.pdf", b"MZ\x90\x00" + b"\x00" * 100, "file", "content"),
        ("report.docx", zip_bytes({"a.txt": b"x"}), "file", "content"),  # no OOXML parts
        ("report.docx", PDF, "file", "content"),  # not a zip at all
        ("essay.odt", zip_bytes({"mimetype": b"text/plain"}), "file", "content"),
        ("data.csv", b"\xff\xfe\x00bad", "file", "content"),  # not UTF-8
        ("data.txt", b"text\x00with nul", "file", "content"),
        ("noextension", PDF, "file", "type"),
        (".pdf", PDF, "file", "type"),
        ("empty.pdf", b"", "file", "empty"),
    ],
)
def test_refused_files(name, data, kind, code):
    assert code_of(name, data, kind) == code


def test_size_limits_come_from_settings_and_are_checked_before_reading():
    class Huge:
        name = "big.mp4"
        size = 501 * 1024 * 1024

        def read(self, *args):  # pragma: no cover - must never be called
            raise AssertionError("read a file that is too large")

        seek = read

    with pytest.raises(ValidationError, match="the limit is 500 MB") as caught:
        validate_upload(Huge(), "video")
    assert caught.value.error_list[0].code == "too_large"
    with override_settings(UPLOAD_MAX_IMAGE_MB=1):
        assert code_of("big.png", png_bytes() + b"\x00" * (1024 * 1024), "image") == "too_large"
    with override_settings(UPLOAD_MAX_CAPTIONS_KB=1):
        assert code_of("subs.vtt", VTT + b"\n" * 2000, "captions") == "too_large"


@override_settings(UPLOAD_FILE_TYPES=["pdf"])
def test_allowed_types_come_from_settings():
    assert code_of("report.docx", docx_bytes(), "file") == "type"
    assert describe_limit("file") == "PDF; at most 50 MB."


def test_zip_bombs_and_traversal_are_refused():
    # 20 MB of zeros compresses to about 20 KB: a ratio far above the limit.
    bomb = zip_bytes({"zeros.bin": b"\x00" * (20 * 1024 * 1024)})
    assert code_of("bomb.zip", bomb, "file") == "zip_bomb"
    many = zip_bytes({f"f{i}.txt": b"" for i in range(5001)}, compression=zipfile.ZIP_STORED)
    assert code_of("many.zip", many, "file") == "zip_bomb"
    for bad in ("../evil.txt", "/etc/passwd", "a/../../b", "C:/windows/x", "a\\..\\b"):
        data = _zip_with_raw_name(bad)
        assert code_of("t.zip", data, "file") == "zip_path", bad


def test_declared_sizes_are_summed_for_the_total():
    # Members that each look harmless but add up past the limit.
    from syllabus.courses import uploads

    data = zip_bytes({f"f{i}.txt": b"abc" for i in range(3)})
    original = uploads.ZIP_MAX_UNCOMPRESSED
    uploads.ZIP_MAX_UNCOMPRESSED = 5
    try:
        assert code_of("sum.zip", data, "file") == "zip_bomb"
    finally:
        uploads.ZIP_MAX_UNCOMPRESSED = original


def _zip_with_raw_name(name: str) -> bytes:
    # ZipInfo keeps the name as given on POSIX (only os.sep is translated).
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo(name), b"x")
    return buffer.getvalue()


def test_webvtt_validator():
    assert validate_webvtt(VTT) == 2
    assert (
        validate_webvtt(b"\xef\xbb\xbfWEBVTT - title\r\n\r\n01:00:00.000 --> 01:00:01.000\r\nx")
        == 1
    )
    for bad, message in [
        (b"WEBVTTX\n\n00:00.000 --> 00:01.000\nx", "first line"),
        (b"1\n00:00:01,000 --> 00:00:02,000\nSRT", "first line"),
        (b"WEBVTT\n\n00:00:01,000 --> 00:00:02,000\nx", "line 3"),
        (b"WEBVTT\n\n00:00:05.000 --> 00:00:02.000\nx", "ends before"),
        (b"WEBVTT\n\n00:61.000 --> 00:62.000\nx", "cue timing"),
        (b"WEBVTT\n\nno cues here", "no cues"),
        (b"\xff\xfeW\x00E\x00", "UTF-8"),
    ]:
        with pytest.raises(ValidationError, match=message):
            validate_webvtt(bad)


def test_safe_name_strips_paths_and_control_characters():
    assert safe_name("../../etc/passwd") == "passwd"
    assert safe_name("C:\\Users\\me\\notes.pdf") == "notes.pdf"
    assert safe_name("a\x00b\nc.pdf") == "abc.pdf"
    assert safe_name("...") == "upload"
    assert len(safe_name("x" * 500 + ".pdf")) == 120


NAMES = st.sampled_from(
    [
        "a.png",
        "a.jpg",
        "a.mp4",
        "a.webm",
        "a.vtt",
        "a.pdf",
        "a.docx",
        "a.odt",
        "a.csv",
        "a.txt",
        "a.zip",
        "a.xlsx",
        "a",
        "a.exe",
    ]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=NAMES, data=st.binary(max_size=2048), kind=st.sampled_from(KINDS))
def test_random_bytes_never_crash_a_check(name, data, kind):
    try:
        info = validate_upload(upload(name, data), kind)
    except ValidationError as exc:
        assert exc.messages and all(m.strip() for m in exc.messages)
    else:
        assert info.size == len(data) > 0


@settings(max_examples=200, deadline=None)
@given(prefix=st.sampled_from([b"PK\x03\x04", b"PK\x05\x06", b""]), data=st.binary(max_size=600))
def test_random_archives_never_crash(prefix, data):
    for name in ("x.zip", "x.docx", "x.odt"):
        try:
            validate_upload(upload(name, prefix + data), "file")
        except ValidationError as exc:
            assert exc.messages


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.sampled_from(["WEBVTT", "", "00:00.000 --> 00:01.000", "-->", "NOTE x"]),
            st.text(max_size=40),
        ),
        max_size=8,
    )
)
def test_random_captions_never_crash(lines):
    try:
        assert validate_webvtt("\n".join(lines).encode("utf-8", "surrogatepass")) >= 1
    except ValidationError as exc:
        assert exc.messages
