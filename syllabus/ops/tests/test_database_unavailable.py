"""A request that fails because the database cannot be reached gets a 503 page (or the
API's JSON error) with Retry-After, never the 500 page or a stack trace."""

from __future__ import annotations

import pytest
from django.db import OperationalError
from django.test import Client

from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def database_down(monkeypatch):
    """Every authentication (and token lookup) fails as an unreachable database does."""

    def refuse(*args, **kwargs):
        raise OperationalError('connection to server at "db.internal" failed: password=hunter2')

    monkeypatch.setattr("django.contrib.auth.backends.ModelBackend.authenticate", refuse)
    return refuse


def test_a_page_answers_503_with_a_clear_message(database_down):
    user = UserFactory()
    client = Client(raise_request_exception=False)
    response = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert response.status_code == 503
    page = response.content.decode()
    assert "Temporarily unavailable" in page
    assert "cannot reach its database" in page
    assert "hunter2" not in page and "Traceback" not in page and "db.internal" not in page
    assert response["Retry-After"] == "5"
    assert response["X-Request-ID"]


def test_other_server_errors_stay_500(monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr("django.contrib.auth.backends.ModelBackend.authenticate", broken)
    user = UserFactory()
    client = Client(raise_request_exception=False)
    response = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert response.status_code == 500


def test_the_api_answers_503_json(monkeypatch):
    def down(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr("syllabus.accounts.api.token_authenticate", down)
    client = Client(raise_request_exception=False)
    response = client.get("/api/v1/auth/me", HTTP_AUTHORIZATION="Bearer syl_abcdefgh_xyz")
    assert response.status_code == 503
    assert response.json()["code"] == "service_unavailable"
    assert response["Retry-After"] == "5"
