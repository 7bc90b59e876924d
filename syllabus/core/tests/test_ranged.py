"""Files from storage are served with HTTP Range support: 200 whole and streamed, 206 one
range with Content-Range, 416 out of bounds; malformed and multiple ranges get the whole
file; If-Range, HEAD, conditional requests and empty files behave per RFC 9110."""

from __future__ import annotations

import tempfile
from datetime import datetime

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.http import StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.test import RequestFactory
from django.utils.http import http_date
from hypothesis import given
from hypothesis import strategies as st

from syllabus.core.ranged import (
    CHUNK_SIZE,
    RangeNotSatisfiable,
    parse_range,
    ranged_file_response,
)

DATA = bytes(range(256)) * 4  # 1024 bytes, every offset distinguishable
SIZE = len(DATA)


class NoModifiedTimeStorage(FileSystemStorage):
    """A storage that cannot tell when a file changed (Storage's default)."""

    def get_modified_time(self, name: str) -> datetime:
        raise NotImplementedError


@pytest.fixture
def storage(tmp_path) -> FileSystemStorage:
    storage = FileSystemStorage(location=tmp_path)
    storage.save("lessons/intro.mp4", ContentFile(DATA))
    return storage


def serve(storage, method="get", name="lessons/intro.mp4", **headers) -> HttpResponseBase:
    """Serve `name` for a GET or HEAD with the given headers (If_Range means If-Range)."""
    headers = {key.replace("_", "-"): value for key, value in headers.items()}
    request = getattr(RequestFactory(), method)("/media/intro.mp4", headers=headers)
    return ranged_file_response(request, storage, name, "video/mp4")


def body(response: HttpResponseBase) -> bytes:
    assert isinstance(response, StreamingHttpResponse)
    return b"".join(response.streaming_content)


def test_without_range_the_whole_file_is_streamed_with_validators(storage):
    # when
    response = serve(storage)
    # then
    assert response.status_code == 200
    assert response.streaming
    assert body(response) == DATA
    assert response["Content-Type"] == "video/mp4"
    assert response["Content-Length"] == str(SIZE)
    assert response["Accept-Ranges"] == "bytes"
    assert response["ETag"].startswith('"')
    assert response["ETag"].endswith('"')
    modified = storage.get_modified_time("lessons/intro.mp4")
    assert response["Last-Modified"] == http_date(modified.timestamp())
    assert not response.has_header("Content-Range")


class RecordingStorage(FileSystemStorage):
    """Remembers the files it opened."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.opened: list = []

    def _open(self, name, mode="rb"):
        file = super()._open(name, mode)
        self.opened.append(file)
        return file


# Closing a response sends request_finished, whose receiver checks the DB connection.
@pytest.mark.django_db
def test_the_file_opens_on_the_first_chunk_and_closes_when_the_client_goes_away(tmp_path):
    # given
    storage = RecordingStorage(location=tmp_path)
    storage.save("big.bin", ContentFile(b"x" * CHUNK_SIZE * 3))
    response = serve(storage, name="big.bin")
    assert isinstance(response, StreamingHttpResponse)
    assert storage.opened == []
    # when: one chunk is sent, then the connection drops
    next(iter(response.streaming_content))
    assert not storage.opened[0].closed
    response.close()
    # then
    assert storage.opened[0].closed


def test_a_large_file_is_sent_in_chunks_not_read_whole(tmp_path):
    # given: a file of two and a half chunks
    storage = FileSystemStorage(location=tmp_path)
    storage.save("big.bin", ContentFile(b"x" * (CHUNK_SIZE * 5 // 2)))
    # when
    response = serve(storage, name="big.bin")
    # then
    assert isinstance(response, StreamingHttpResponse)
    chunks = list(response.streaming_content)
    assert [len(chunk) for chunk in chunks] == [CHUNK_SIZE, CHUNK_SIZE, CHUNK_SIZE // 2]


@pytest.mark.parametrize(
    ("header", "start", "end"),
    [
        ("bytes=10-19", 10, 19),  # first-last
        ("bytes=0-0", 0, 0),
        ("bytes=1000-", 1000, 1023),  # open-ended
        ("bytes=1000-99999", 1000, 1023),  # last past the end is clamped
        ("bytes=-24", 1000, 1023),  # suffix
        ("bytes=-5000", 0, 1023),  # suffix longer than the file: the whole file
        ("bytes=  ,5-6, ", 5, 6),  # empty list elements are allowed
    ],
)
def test_a_single_range_is_answered_206_with_that_slice(storage, header, start, end):
    # when
    response = serve(storage, Range=header)
    # then
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes {start}-{end}/{SIZE}"
    assert response["Content-Length"] == str(end - start + 1)
    assert response["Accept-Ranges"] == "bytes"
    assert body(response) == DATA[start : end + 1]


@pytest.mark.parametrize("header", ["bytes=1024-", "bytes=5000-6000", "bytes=-0"])
def test_a_range_outside_the_file_is_answered_416_with_the_size(storage, header):
    # when
    response = serve(storage, Range=header)
    # then
    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{SIZE}"
    assert response["Content-Length"] == "0"
    assert response["Accept-Ranges"] == "bytes"
    assert response.content == b""


@pytest.mark.parametrize(
    "header",
    [
        "bytes=abc",
        "bytes=5-2",
        "BYTES = 5-6",  # whitespace around "=" is not in the grammar
        "items=0-5",
        "bytes 0-5",
        "bytes=--1",
        "bytes=-",
        "bytes=",
        "=0-1",
    ],
)
def test_a_malformed_range_is_ignored_and_the_whole_file_sent(storage, header):
    # when
    response = serve(storage, Range=header)
    # then
    assert response.status_code == 200
    assert response["Content-Length"] == str(SIZE)
    assert body(response) == DATA


def test_several_ranges_are_ignored_and_the_whole_file_sent(storage):
    # when
    response = serve(storage, Range="bytes=0-1, 5-6")
    # then
    assert response.status_code == 200
    assert not response.has_header("Content-Range")
    assert body(response) == DATA


def test_if_range_with_the_current_etag_or_date_gets_the_range(storage):
    # given
    validators = serve(storage)
    # when
    by_etag = serve(storage, Range="bytes=0-9", If_Range=validators["ETag"])
    by_date = serve(storage, Range="bytes=0-9", If_Range=validators["Last-Modified"])
    # then
    assert by_etag.status_code == 206
    assert body(by_etag) == DATA[:10]
    assert by_date.status_code == 206
    assert body(by_date) == DATA[:10]


@pytest.mark.parametrize(
    "if_range",
    ['"an-older-version"', "Mon, 02 Mar 2026 09:00:00 GMT", "not a validator"],
)
def test_if_range_that_no_longer_matches_gets_the_whole_file(storage, if_range):
    # when
    response = serve(storage, Range="bytes=0-9", If_Range=if_range)
    # then
    assert response.status_code == 200
    assert body(response) == DATA


def test_if_range_with_a_weak_etag_gets_the_whole_file(storage):
    # given: the current ETag, weakened
    weak = "W/" + serve(storage)["ETag"]
    # when
    response = serve(storage, Range="bytes=0-9", If_Range=weak)
    # then
    assert response.status_code == 200


def test_head_answers_the_headers_of_a_full_get_without_a_body(storage):
    # when
    plain = serve(storage, method="head")
    with_range = serve(storage, method="head", Range="bytes=0-9")
    # then: Range is defined for GET only
    for response in (plain, with_range):
        assert response.status_code == 200
        assert not response.streaming
        assert response.content == b""
        assert response["Content-Length"] == str(SIZE)
        assert response["Accept-Ranges"] == "bytes"
        assert response["ETag"] == serve(storage)["ETag"]


def test_an_empty_file_is_sent_whole_even_when_a_range_is_asked(tmp_path):
    # given
    storage = FileSystemStorage(location=tmp_path)
    storage.save("empty.vtt", ContentFile(b""))
    for headers in ({}, {"Range": "bytes=0-"}, {"Range": "bytes=-10"}):
        # when
        response = serve(storage, name="empty.vtt", **headers)
        # then
        assert response.status_code == 200
        assert response["Content-Length"] == "0"
        assert body(response) == b""


def test_a_matching_if_none_match_is_answered_304(storage):
    # given
    etag = serve(storage)["ETag"]
    # when
    response = serve(storage, If_None_Match=etag)
    # then
    assert response.status_code == 304
    assert response["ETag"] == etag


def test_a_changed_file_gets_a_new_etag(storage):
    # given
    before = serve(storage)["ETag"]
    # when: replaced by a file of another size
    storage.delete("lessons/intro.mp4")
    storage.save("lessons/intro.mp4", ContentFile(DATA[:100]))
    # then
    assert serve(storage)["ETag"] != before


def test_without_a_modified_time_the_etag_is_weak_and_if_range_never_matches(tmp_path):
    # given
    storage = NoModifiedTimeStorage(location=tmp_path)
    storage.save("notes.pdf", ContentFile(DATA))
    etag = serve(storage, name="notes.pdf")["ETag"]
    # when
    response = serve(storage, name="notes.pdf", Range="bytes=0-9", If_Range=etag)
    # then
    assert etag.startswith('W/"')
    assert not response.has_header("Last-Modified")
    assert response.status_code == 200
    assert serve(storage, name="notes.pdf", Range="bytes=0-9").status_code == 206


def test_downloads_carry_a_content_disposition(storage):
    # given
    request = RequestFactory().get("/")
    # when
    attachment = ranged_file_response(
        request, storage, "lessons/intro.mp4", "video/mp4", as_attachment=True
    )
    named = ranged_file_response(
        request, storage, "lessons/intro.mp4", "video/mp4", filename="Leçon 1.mp4"
    )
    inline = ranged_file_response(request, storage, "lessons/intro.mp4", "video/mp4")
    # then
    assert attachment["Content-Disposition"] == 'attachment; filename="intro.mp4"'
    assert named["Content-Disposition"] == "inline; filename*=utf-8''Le%C3%A7on%201.mp4"
    assert not inline.has_header("Content-Disposition")


@pytest.mark.parametrize(
    ("header", "size", "expected"),
    [
        ("bytes=0-499", 1000, (0, 499)),
        ("bytes=500-", 1000, (500, 999)),
        ("bytes=-500", 1000, (500, 999)),
        ("bytes=0-" + "9" * 5000, 1000, (0, 999)),  # past int()'s 4300-digit limit
        ("bytes=" + "9" * 5000 + "-", 1000, RangeNotSatisfiable()),
        ("bytes=" + "9" * 5000 + "-1", 1000, None),  # first > last: invalid
        ("bytes=0-499", 0, None),  # an empty file has nothing to select
        ("bytes=\u0661-\u0662", 1000, None),  # only ASCII digits, not Arabic-Indic ones
        ("bytes=0-1\n", 1000, (0, 1)),
        ("bytes=0-1\nx", 1000, None),
    ],
)
def test_parse_range_examples(header, size, expected):
    assert parse_range(header, size) == expected


def is_outcome(result, size) -> bool:
    if result is None or result == RangeNotSatisfiable():
        return True
    start, end = result
    return 0 <= start <= end <= size - 1


SIZES = st.integers(min_value=1, max_value=10**12)


@given(size=SIZES, first=st.integers(min_value=0, max_value=10**13), extra=st.integers(0, 10**13))
def test_any_valid_first_last_range_is_within_the_file_or_416(size, first, extra):
    last = first + extra
    # when
    result = parse_range(f"bytes={first}-{last}", size)
    # then
    if first >= size:
        assert result == RangeNotSatisfiable()
    else:
        assert result == (first, min(last, size - 1))
        assert is_outcome(result, size)


@given(size=SIZES, first=st.integers(min_value=0, max_value=10**13))
def test_any_valid_open_ended_range_is_within_the_file_or_416(size, first):
    result = parse_range(f"bytes={first}-", size)
    assert is_outcome(result, size)
    assert result == ((first, size - 1) if first < size else RangeNotSatisfiable())


@given(size=SIZES, suffix=st.integers(min_value=1, max_value=10**13))
def test_any_valid_suffix_range_is_within_the_file(size, suffix):
    result = parse_range(f"bytes=-{suffix}", size)
    assert is_outcome(result, size)
    assert result == (max(size - suffix, 0), size - 1)


@given(
    header=st.one_of(
        st.text(),
        st.text(alphabet="bytesBYTES=0123456789-, \t\n").map(str),
        st.text(alphabet="0123456789-, ").map(lambda rest: "bytes=" + rest),
    ),
    size=st.integers(min_value=0, max_value=10**12),
)
def test_any_header_gives_one_of_the_three_outcomes(header, size):
    assert is_outcome(parse_range(header, size), size)


@given(
    data=st.binary(min_size=1, max_size=3000),
    first=st.integers(min_value=0, max_value=3500),
    extra=st.integers(min_value=0, max_value=3500),
)
def test_the_body_of_a_206_is_the_same_slice_of_the_file(data, first, extra):
    with tempfile.TemporaryDirectory() as folder:
        # given
        storage = FileSystemStorage(location=folder)
        storage.save("f.bin", ContentFile(data))
        # when
        response = serve(storage, name="f.bin", Range=f"bytes={first}-{first + extra}")
        # then
        if first >= len(data):
            assert response.status_code == 416
        else:
            assert response.status_code == 206
            expected = data[first : first + extra + 1]
            assert body(response) == expected
            assert response["Content-Length"] == str(len(expected))
            last = min(first + extra, len(data) - 1)
            assert response["Content-Range"] == f"bytes {first}-{last}/{len(data)}"
