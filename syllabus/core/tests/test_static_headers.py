"""Static files as the application serves them (WhiteNoise, after collectstatic): hashed
names cached for a year as immutable, compressed copies, and the unhashed name revalidated."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from django.templatetags.static import static
from django.test import Client


@pytest.fixture
def collected(settings, tmp_path):
    settings.STATIC_ROOT = tmp_path / "static"
    # Production's storage (the test settings use the plain one, for speed).
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "syllabus.core.storage.StaticFilesStorage"},
    }
    settings.DEBUG = False
    settings.WHITENOISE_AUTOREFRESH = False
    settings.WHITENOISE_USE_FINDERS = False
    call_command("collectstatic", interactive=False, verbosity=0)
    return settings.STATIC_ROOT


def test_hashed_static_files_are_immutable_for_a_year(collected):
    url = static("syllabus/css/syllabus.css")
    assert re.search(r"syllabus\.[0-9a-f]{12}\.css$", url), url
    response = Client().get(url)
    assert response.status_code == 200
    cache_control = response["Cache-Control"]
    assert "immutable" in cache_control and "public" in cache_control
    max_age = re.search(r"max-age=(\d+)", cache_control)
    assert max_age and int(max_age.group(1)) >= 31536000


def test_static_files_are_sent_compressed(collected):
    url = static("syllabus/css/syllabus.css")
    response = Client().get(url, HTTP_ACCEPT_ENCODING="gzip")
    assert response.status_code == 200
    assert response["Content-Encoding"] in {"gzip", "br"}
    assert "Accept-Encoding" in response["Vary"]


def test_pages_link_the_hashed_names(client, collected):
    html = client.get("/").content.decode()
    assert re.search(r'href="/static/syllabus/css/syllabus\.[0-9a-f]{12}\.css"', html), html[:500]


def test_the_site_icon_is_served_at_the_root_and_linked_from_pages(client, collected):
    # Pages without our layout (the Django admin, the API docs) link no icon: browsers
    # then ask /favicon.ico, which must not be a 404 counted in the 4xx error rate.
    response = Client().get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] in {"image/x-icon", "image/vnd.microsoft.icon"}
    assert b"".join(response.streaming_content)[:4] == b"\x00\x00\x01\x00"  # an ICO file
    assert "Set-Cookie" not in response  # served before sessions: nothing else runs
    html = client.get("/").content.decode()
    assert re.search(
        r'<link rel="icon" href="/static/syllabus/img/favicon\.[0-9a-f]{12}\.svg" '
        r'type="image/svg\+xml">',
        html,
    )
