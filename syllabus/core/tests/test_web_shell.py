from __future__ import annotations

import io
import json
import logging

import pytest
from django.db import connection
from django.test import override_settings
from django.urls import path
from structlog.testing import capture_logs

from syllabus.core.logging import build_formatter
from syllabus.core.middleware import REQUEST_ID_HEADER
from syllabus.core.request_context import accept_request_id

pytestmark = pytest.mark.django_db


def test_home_page_for_a_visitor_offers_sign_in(client):
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Welcome to Syllabus" in html
    assert 'href="/accounts/login/"' in html
    assert 'class="skip-link" href="#main"' in html
    assert '<main id="main"' in html


def test_home_page_greets_a_signed_in_user(client, learner):
    client.force_login(learner)
    assert "Signed in as <strong>Lena Learner</strong>" in client.get("/").content.decode()


def test_sign_in_page_renders_in_the_shell(client):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="login"' in html
    assert 'name="password"' in html
    assert 'aria-current="page"' in html


def test_every_response_carries_a_generated_request_id(client):
    first = client.get("/")[REQUEST_ID_HEADER]
    second = client.get("/")[REQUEST_ID_HEADER]
    assert len(first) == 32
    assert first != second


def test_a_valid_incoming_request_id_is_kept(client):
    response = client.get("/", HTTP_X_REQUEST_ID="lb-7f3a9c2e-1234")
    assert response[REQUEST_ID_HEADER] == "lb-7f3a9c2e-1234"


@pytest.mark.parametrize("bad", ["", "short", "x" * 200, "has space in it", "<script>alert(1)"])
def test_an_invalid_incoming_request_id_is_replaced(client, bad):
    response = client.get("/", HTTP_X_REQUEST_ID=bad)
    assert response[REQUEST_ID_HEADER] != bad
    assert accept_request_id(response[REQUEST_ID_HEADER]) == response[REQUEST_ID_HEADER]


def test_404_page_shows_the_request_id(client):
    response = client.get("/no/such/page/", HTTP_X_REQUEST_ID="trace-404-abcdef")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Page not found" in html
    assert "trace-404-abcdef" in html


def _boom(request):
    raise RuntimeError("kaboom")


urlpatterns = [path("boom/", _boom)]
handler500 = "syllabus.core.views.server_error"


@override_settings(ROOT_URLCONF=__name__)
def test_500_page_shows_the_request_id_and_no_traceback(client):
    client.raise_request_exception = False
    response = client.get("/boom/", HTTP_X_REQUEST_ID="trace-500-abcdef")
    assert response.status_code == 500
    html = response.content.decode()
    assert "Something went wrong" in html
    assert "trace-500-abcdef" in html
    assert "kaboom" not in html
    assert response[REQUEST_ID_HEADER] == "trace-500-abcdef"


@override_settings(ROOT_URLCONF=__name__)
def test_500_page_is_plain_html_when_the_error_page_itself_fails(client, settings):
    """A deploy that skipped collectstatic: {% static %} raises on every page, the error
    page's too. One plain page comes back (not one more failed render per middleware)."""
    manifest = "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"
    client.raise_request_exception = False
    with (
        override_settings(STORAGES={**settings.STORAGES, "staticfiles": {"BACKEND": manifest}}),
        capture_logs() as logs,
    ):
        response = client.get("/boom/", HTTP_X_REQUEST_ID="trace-plain-abcdef")
    assert response.status_code == 500
    html = response.content.decode()
    assert "Something went wrong" in html
    assert "trace-plain-abcdef" in html
    assert "kaboom" not in html and "manifest" not in html
    assert [log["event"] for log in logs].count("error_page_failed") == 1


def test_csrf_failure_is_a_clear_403_page(client):
    csrf_client = client.__class__(enforce_csrf_checks=True)
    response = csrf_client.post("/accounts/login/", {"login": "a@b.c", "password": "x"})
    assert response.status_code == 403
    assert "Form expired" in response.content.decode()


def test_access_log_is_one_json_line_with_the_request_id(client, learner):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(build_formatter("json"))
    logger = logging.getLogger("syllabus.access")
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    client.force_login(learner)
    try:
        client.get("/", HTTP_X_REQUEST_ID="trace-log-abcdef", HTTP_USER_AGENT="Probe/1.0")
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1
    entry = json.loads(lines[0])
    assert entry["event"] == "request"
    assert entry["request_id"] == "trace-log-abcdef"
    assert (entry["method"], entry["path"], entry["status"]) == ("GET", "/", 200)
    assert entry["user_id"] == learner.public_id
    assert entry["user_agent"] == "Probe/1.0"
    assert entry["ip"] == "127.0.0.1"
    assert entry["level"] == "info"
    assert isinstance(entry["duration_ms"], float)
    assert entry["timestamp"].endswith("Z")


def test_collectstatic_writes_hashed_names_for_whitenoise(tmp_path, settings):
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "syllabus.core.storage.StaticFilesStorage"},
    }
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)
    hashed = list((tmp_path / "syllabus" / "css").glob("syllabus.*.css"))
    assert hashed, "no hashed stylesheet"
    assert (tmp_path / "staticfiles.json").exists()
    assert (hashed[0].parent / (hashed[0].name + ".gz")).exists()


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite only")
def test_sqlite_runs_in_wal_mode():
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        mode = cursor.fetchone()[0]
    # The test database may be in memory, where SQLite reports "memory" instead.
    assert mode in {"wal", "memory"}


@pytest.mark.parametrize(
    ("proxies", "remote", "forwarded", "expected"),
    [
        (0, "198.51.100.7", "203.0.113.1", "198.51.100.7"),  # no proxy trusted: header ignored
        (1, "10.0.0.2", "203.0.113.1", "203.0.113.1"),
        (1, "10.0.0.2", "6.6.6.6, 203.0.113.1", "203.0.113.1"),  # forged left entry ignored
        (2, "10.0.0.2", "203.0.113.1, 10.0.0.9", "203.0.113.1"),
        (1, "10.0.0.2", "not-an-ip", None),
        (2, "10.0.0.2", "203.0.113.1", "10.0.0.2"),  # too few entries: fall back
    ],
)
def test_client_ip_trusts_only_the_configured_proxies(
    rf, settings, proxies, remote, forwarded, expected
):
    from syllabus.core.middleware import client_ip

    settings.TRUSTED_PROXY_COUNT = proxies
    request = rf.get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


def test_the_shell_links_are_the_reversed_urls(client, learner):
    from django.urls import reverse

    from syllabus.core.context_processors import SHELL_URLS

    client.force_login(learner)
    html = client.get("/dashboard/").content.decode()
    for name in ("learning:dashboard", "grades:mine", "accounts:profile", "help"):
        assert f'href="{reverse(name)}"' in html
    assert f'action="{reverse("account_logout")}"' in html
    assert f'data-keepalive-url="{reverse("accounts:session_keepalive")}"' in html
    # Every name of the shell still exists (a renamed URL fails here, not in production).
    assert all(reverse(name) for name in SHELL_URLS.values())


def test_the_shell_urls_follow_the_script_prefix_and_the_urlconf(settings):
    from django.urls import clear_script_prefix, get_script_prefix, set_script_prefix

    from syllabus.core.context_processors import shell_urls

    assert shell_urls(get_script_prefix())["help"] == "/help/"
    set_script_prefix("/lms/")
    try:
        assert shell_urls(get_script_prefix())["help"] == "/lms/help/"
    finally:
        clear_script_prefix()
    assert shell_urls(get_script_prefix())["help"] == "/help/"
    # A test that swaps the URL configuration drops the remembered URLs.
    shell_urls("/")
    settings.ROOT_URLCONF = "syllabus.config.urls"
    assert shell_urls.cache_info().currsize == 0
