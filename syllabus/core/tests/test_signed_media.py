"""Signed media URLs: whoever holds one gets the file until it expires, without a session;
a changed, foreign or expired URL gets 403 and nothing of the file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from syllabus.core import signed_media
from syllabus.core.signed_media import signed_url
from tests.factories import UserFactory

BODY = b"0123456789" * 100


@pytest.fixture
def stored(db):
    name = default_storage.save("courses/test/lesson-video.mp4", ContentFile(BODY))
    yield name
    default_storage.delete(name)


def _path_and_token(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.path, parse_qs(parts.query)["token"][0]


def test_a_signed_url_serves_the_file_to_anyone_holding_it(client, stored):
    url = signed_url(stored, content_type="video/mp4", seconds=300)
    assert url.startswith("/media/courses/test/")
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == BODY
    assert response["Content-Type"] == "video/mp4"
    cache_control = response["Cache-Control"]
    assert "public" in cache_control
    max_age = int(cache_control.split("max-age=")[1].split(",")[0])
    assert 0 < max_age <= 300  # a CDN never keeps it longer than the URL lives
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]


def test_a_signed_url_answers_range_requests(client, stored):
    response = client.get(signed_url(stored, content_type="video/mp4"), HTTP_RANGE="bytes=10-19")
    assert response.status_code == 206
    assert b"".join(response.streaming_content) == BODY[10:20]
    assert response["Content-Range"] == f"bytes 10-19/{len(BODY)}"


def test_a_document_url_downloads_under_its_original_name(client, stored):
    url = signed_url(
        stored, content_type="application/pdf", filename="Week 1 notes.pdf", as_attachment=True
    )
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert "Week 1 notes.pdf" in response["Content-Disposition"]


def test_an_expired_url_is_refused(client, stored):
    start = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        url = signed_url(stored, content_type="video/mp4", seconds=60)
    with time_machine.travel(start + timedelta(seconds=59), tick=False):
        assert client.get(url).status_code == 200
    with time_machine.travel(start + timedelta(seconds=61), tick=False):
        response = client.get(url)
    assert response.status_code == 403
    assert b"expired" in response.content
    assert "no-store" in response["Cache-Control"]


def test_a_token_for_one_file_does_not_open_another(client, stored):
    other = default_storage.save("courses/test/secret.pdf", ContentFile(b"secret"))
    try:
        _, token = _path_and_token(signed_url(stored, content_type="video/mp4"))
        response = client.get(f"/media/{other}?token={token}")
        assert response.status_code == 403
        assert b"secret" not in response.content
    finally:
        default_storage.delete(other)


@pytest.mark.parametrize("query", ["", "?token=", "?token=abc", "?token=a:b:c"])
def test_a_missing_or_malformed_token_is_refused(client, stored, query):
    response = client.get(f"/media/{stored}{query}")
    assert response.status_code == 403
    assert b"not valid" in response.content


@hypothesis_settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(position=st.integers(min_value=0), replacement=st.characters(codec="ascii"))
def test_any_changed_character_of_the_token_is_refused(client, stored, position, replacement):
    path, token = _path_and_token(signed_url(stored, content_type="video/mp4"))
    index = position % len(token)
    if token[index] == replacement:
        return
    changed = token[:index] + replacement + token[index + 1 :]
    response = client.get(path, {"token": changed})
    # A NUL character is refused before any view (RejectNulMiddleware): 400.
    assert response.status_code == (400 if "\x00" in changed else 403)
    assert b"0123456789" not in response.content


def test_a_file_gone_from_storage_is_refused_without_an_error(client, stored):
    url = signed_url(stored, content_type="video/mp4")
    default_storage.delete(stored)
    response = client.get(url)
    assert response.status_code == 403
    assert b"no longer available" in response.content


def test_only_safe_methods_are_allowed(client, stored):
    assert client.post(signed_url(stored, content_type="video/mp4")).status_code == 405


def test_with_a_cdn_the_url_starts_with_the_cdn_base(settings, stored):
    settings.MEDIA_URL = "https://cdn.example.org/media/"
    settings.MEDIA_CDN = True
    url = signed_url(stored, content_type="video/mp4")
    assert url.startswith("https://cdn.example.org/media/courses/test/")
    assert "token=" in url


def test_on_s3_without_a_cdn_the_bucket_signs_the_url(settings, monkeypatch, stored):
    settings.STORAGE_BACKEND = "s3"
    settings.MEDIA_CDN = False
    calls = []

    def fake_url(name, parameters=None, expire=None):
        calls.append((name, parameters, expire))
        return f"https://bucket.example.org/{name}?X-Amz-Signature=x"

    monkeypatch.setattr(signed_media.default_storage, "url", fake_url)
    url = signed_url(stored, content_type="application/pdf", filename="a.pdf", seconds=120)
    assert url.startswith("https://bucket.example.org/")
    name, parameters, expire = calls[0]
    assert (name, expire) == (stored, 120)
    assert parameters["ResponseContentType"] == "application/pdf"
    assert "a.pdf" in parameters["ResponseContentDisposition"]


def test_a_signed_url_needs_no_session(client, stored):
    # Signed in or not, the same bytes: the signature is the permission.
    url = signed_url(stored, content_type="video/mp4")
    anonymous = client.get(url)
    client.force_login(UserFactory())
    signed_in = client.get(url)
    assert anonymous.status_code == signed_in.status_code == 200
    assert b"".join(signed_in.streaming_content) == BODY
