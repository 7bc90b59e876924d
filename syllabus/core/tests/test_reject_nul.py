"""Requests carrying NUL characters get a 400 before any view or database sees them."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import given, settings
from hypothesis import strategies as st

from syllabus.core.middleware import RejectNulMiddleware, _json_has_nul

pytestmark = pytest.mark.django_db


def test_a_nul_in_the_query_string_is_refused_on_pages_and_the_api(client):
    page = client.get("/courses/", {"q": "abc\x00def"})
    assert page.status_code == 400
    assert b"Bad request" in page.content
    api = client.get("/api/v1/catalog", {"q": "\x00"})
    assert api.status_code == 400
    assert api.json()["code"] == "invalid_characters"


def test_a_nul_in_the_path_is_refused(client):
    assert client.get("/courses/crs_abc%00/").status_code == 400


def test_a_nul_in_a_json_body_is_refused(client, admin_user):
    client.force_login(admin_user)
    response = client.post(
        "/api/v1/categories",
        data=json.dumps({"name": "Ma\x00ths"}),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_characters"


def test_a_nul_in_an_urlencoded_form_is_refused_and_the_body_stays_readable(rf):
    request = rf.post(
        "/api/v1/auth/token",
        "email=a%00b&password=x",
        content_type="application/x-www-form-urlencoded",
    )
    assert RejectNulMiddleware._carries_nul(request) is True
    clean = rf.post(
        "/api/v1/auth/token",
        "email=ab&password=x",
        content_type="application/x-www-form-urlencoded",
    )
    assert RejectNulMiddleware._carries_nul(clean) is False
    assert clean.body == b"email=ab&password=x"  # the view can still read it
    assert clean.POST["email"] == "ab"


def test_a_nul_in_a_multipart_form_field_gets_the_form_error(client, admin_user):
    client.force_login(admin_user)
    response = client.post("/courses/categories/", {"name": "Ma\x00ths", "file": b""})
    assert response.status_code in (200, 400)  # the form is shown again with the error
    from syllabus.courses.models import Category

    assert not Category.objects.exists()


def test_uploaded_files_are_not_read_by_the_check(rf):
    request = rf.post(
        "/courses/x/",
        {"title": "ok", "file": SimpleUploadedFile("a.bin", b"\x00\x01\x00")},
    )
    assert RejectNulMiddleware._carries_nul(request) is False


def test_an_oversized_json_body_is_left_to_the_view(client):
    from django.test import override_settings

    with override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1024):
        response = client.post(
            "/api/v1/auth/token",
            data=json.dumps({"email": "x" * 5000, "password": "x"}),
            content_type="application/json",
        )
    assert response.status_code == 413


def test_an_escaped_backslash_before_u0000_is_plain_text():
    assert _json_has_nul(json.dumps({"a": "\\u0000"}).encode()) is False
    assert _json_has_nul(json.dumps({"a": "\x00"}).encode()) is True
    assert _json_has_nul(b'{"a": "\\U0000"}') is False  # not a JSON escape: JSON is case-sensitive
    assert _json_has_nul(b"{not json \\u0000") is False


@settings(max_examples=200, deadline=None)
@given(st.recursive(st.text(), lambda c: st.lists(c) | st.dictionaries(st.text(), c), max_leaves=8))
def test_json_bodies_are_flagged_exactly_when_a_string_holds_nul(value):
    def holds(v):
        if isinstance(v, str):
            return "\x00" in v
        if isinstance(v, list):
            return any(holds(x) for x in v)
        if isinstance(v, dict):
            return any(holds(k) or holds(x) for k, x in v.items())
        return False

    assert _json_has_nul(json.dumps(value).encode()) is holds(value)
