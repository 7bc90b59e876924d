"""Security headers on every kind of response, and CORS for the API."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client, override_settings

pytestmark = pytest.mark.django_db

CSP_REQUIRED = (
    "default-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "style-src 'self'",
)
DENIED_FEATURES = ("camera", "microphone", "geolocation", "payment", "usb")


def directives(csp: str) -> dict[str, str]:
    return {part.strip().split(" ", 1)[0]: part.strip() for part in csp.split(";") if part.strip()}


def assert_security_headers(response) -> None:
    csp = response["Content-Security-Policy"]
    parsed = directives(csp)
    for directive in CSP_REQUIRED:
        assert parsed[directive.split(" ")[0]] == directive, csp
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    policy = response["Permissions-Policy"]
    for feature in DENIED_FEATURES:
        assert f"{feature}=()" in policy
    assert "publickey-credentials-get=(self)" in policy
    assert "publickey-credentials-create=(self)" in policy
    assert "Strict-Transport-Security" not in response  # plain HTTP: no HSTS


def test_an_html_page_has_every_header_and_a_nonce_on_its_scripts(client):
    response = client.get("/")
    assert response.status_code == 200
    assert_security_headers(response)
    assert response["X-Frame-Options"] == "DENY"
    nonce = re.search(
        r"'nonce-([^']+)'", directives(response["Content-Security-Policy"])["script-src"]
    )
    assert nonce is not None
    html = response.content.decode()
    scripts = re.findall(r"<script\b[^>]*>", html)
    assert scripts
    for tag in scripts:
        assert f'nonce="{nonce.group(1)}"' in tag, tag
    assert " style=" not in html
    # a new nonce per response
    again = client.get("/")["Content-Security-Policy"]
    assert f"'nonce-{nonce.group(1)}'" not in again


def test_an_api_response_has_every_header(client):
    response = client.get("/api/v1/version")
    assert response.status_code == 200
    assert_security_headers(response)
    assert response["X-Frame-Options"] == "DENY"


def test_an_api_error_has_every_header(client):
    response = client.get("/api/v1/auth/me")
    assert response.status_code == 401
    assert_security_headers(response)


def test_a_404_page_has_every_header(client):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert_security_headers(response)
    assert response["X-Frame-Options"] == "DENY"


def test_a_static_file_has_every_header():
    # given: a file in STATIC_ROOT, served by WhiteNoise (which reads the folder at start)
    folder = Path(settings.STATIC_ROOT) / "headers-test"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "probe.css").write_text("body { color: black; }\n")
    try:
        response = Client().get("/static/headers-test/probe.css")
        # then
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/css")
        assert_security_headers(response)
    finally:
        (folder / "probe.css").unlink()
        folder.rmdir()


def test_the_api_docs_page_works_under_the_policy(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    assert_security_headers(response)
    html = response.content.decode()
    # Swagger UI's scripts are files from our origin, its settings a JSON data block.
    assert re.findall(r"<script src=\"/static/ninja/[^\"]+\"></script>", html)
    assert '<script type="application/json" id="swagger-settings">' in html


def test_settings_from_the_environment(tmp_path):
    """TLS turns on HSTS (one year, subdomains); CORS origins are a comma-separated list."""
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update(
        SYLLABUS_DATA_DIR=str(tmp_path),
        SYLLABUS_TLS="true",
        SYLLABUS_CORS_ORIGINS="https://app.example.org, https://admin.example.org",
        SYLLABUS_RATE_LIMIT_API="250/hour",
        SYLLABUS_RATE_LIMIT_AUTH="5 / minutes",
        SYLLABUS_API_TOKEN_MAX_DAYS="30",
        SYLLABUS_API_TOKEN_DEFAULT_DAYS="14",
    )
    env.pop("DATABASE_URL", None)
    code = (
        "import json; from django.conf import settings; from django.test import Client; "
        "r = Client().get('/api/v1/version', secure=True, HTTP_HOST='localhost'); "
        "print(json.dumps({'status': r.status_code, "
        "'hsts': r.headers.get('Strict-Transport-Security'), "
        "'cors': settings.CORS_ALLOWED_ORIGINS, 'api': settings.RATE_LIMIT_API, "
        "'auth': settings.RATE_LIMIT_AUTH, 'max_days': settings.API_TOKEN_MAX_DAYS, "
        "'default_days': settings.API_TOKEN_DEFAULT_DAYS}))"
    )
    result = subprocess.run(
        [sys.executable, "-m", "syllabus", "shell", "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values == {
        "status": 200,
        "hsts": "max-age=31536000; includeSubDomains",
        "cors": ["https://app.example.org", "https://admin.example.org"],
        "api": "250/hour",
        "auth": "5/minute",
        "max_days": 30,
        "default_days": 14,
    }


# --- CORS -----------------------------------------------------------------------------------

ALLOWED = "https://app.example.org"


def preflight(client, origin: str, path: str = "/api/v1/auth/tokens"):
    return client.options(
        path,
        HTTP_ORIGIN=origin,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, content-type",
    )


def test_cors_is_off_by_default(client):
    assert settings.CORS_ALLOWED_ORIGINS == []
    response = preflight(client, ALLOWED)
    assert "Access-Control-Allow-Origin" not in response


@override_settings(CORS_ALLOWED_ORIGINS=[ALLOWED])
def test_a_preflight_from_an_allowed_origin_is_answered_with_the_seed_s_settings(client):
    response = preflight(client, ALLOWED)
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == ALLOWED
    assert response["Access-Control-Allow-Credentials"] == "true"
    methods = {m.strip() for m in response["Access-Control-Allow-Methods"].split(",")}
    assert methods == {"GET", "POST", "PUT", "DELETE", "OPTIONS"}
    headers = {h.strip() for h in response["Access-Control-Allow-Headers"].split(",")}
    assert headers == {"authorization", "content-type"}


@override_settings(CORS_ALLOWED_ORIGINS=[ALLOWED])
def test_a_preflight_from_another_origin_is_refused(client):
    response = preflight(client, "https://evil.example.com")
    assert "Access-Control-Allow-Origin" not in response
    assert "Access-Control-Allow-Credentials" not in response


@override_settings(CORS_ALLOWED_ORIGINS=[ALLOWED])
def test_cors_applies_to_the_api_only(client):
    assert "Access-Control-Allow-Origin" not in preflight(client, ALLOWED, path="/accounts/login/")
    assert "Access-Control-Allow-Origin" not in client.get("/", HTTP_ORIGIN=ALLOWED)


@override_settings(CORS_ALLOWED_ORIGINS=[ALLOWED])
def test_a_cross_origin_api_response_exposes_the_rate_limit_headers(client):
    response = client.get("/api/v1/version", HTTP_ORIGIN=ALLOWED)
    assert response["Access-Control-Allow-Origin"] == ALLOWED
    exposed = {h.strip().lower() for h in response["Access-Control-Expose-Headers"].split(",")}
    assert {"ratelimit-limit", "ratelimit-remaining", "ratelimit-reset", "retry-after"} <= exposed
