"""The environment readers: good values parse, bad ones stop start-up naming the variable."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from hypothesis import given
from hypothesis import strategies as st

from syllabus.config.env import (
    env_bool,
    env_choice,
    env_int,
    env_list,
    env_optional,
    env_str,
    env_url,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1", True),
        ("true", True),
        ("Yes", True),
        ("ON", True),
        ("0", False),
        ("false", False),
        ("no", False),
        ("off", False),
        ("", False),
    ],
)
def test_env_bool_accepts_the_usual_spellings(monkeypatch, raw, expected):
    monkeypatch.setenv("X_FLAG", raw)
    assert env_bool("X_FLAG", default=False) is expected


def test_env_bool_rejects_maybe_naming_the_variable(monkeypatch):
    monkeypatch.setenv("SYLLABUS_DEBUG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="SYLLABUS_DEBUG must be one of"):
        env_bool("SYLLABUS_DEBUG", default=False)


@given(st.text(min_size=1).filter(lambda s: "\x00" not in s))
def test_env_bool_either_parses_or_names_the_variable(value):
    import os

    os.environ["X_PROPERTY_FLAG"] = value
    try:
        result = env_bool("X_PROPERTY_FLAG", default=False)
    except ImproperlyConfigured as exc:
        assert "X_PROPERTY_FLAG" in str(exc)
    else:
        assert value.strip().lower() in {"1", "true", "yes", "on", "0", "false", "no", "off", ""}
        assert isinstance(result, bool)
    finally:
        del os.environ["X_PROPERTY_FLAG"]


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_env_int_round_trips_and_checks_bounds(number):
    import os

    os.environ["X_PROPERTY_INT"] = str(number)
    try:
        if number < 0:
            with pytest.raises(ImproperlyConfigured, match="X_PROPERTY_INT must be at least 0"):
                env_int("X_PROPERTY_INT", 1, minimum=0)
        else:
            assert env_int("X_PROPERTY_INT", 1, minimum=0) == number
    finally:
        del os.environ["X_PROPERTY_INT"]


def test_env_int_rejects_words(monkeypatch):
    monkeypatch.setenv("SYLLABUS_WEB_WORKERS", "four")
    with pytest.raises(ImproperlyConfigured, match="SYLLABUS_WEB_WORKERS must be a whole number"):
        env_int("SYLLABUS_WEB_WORKERS", 2)


def test_env_str_reads_name_file(monkeypatch, tmp_path):
    secret = tmp_path / "key"
    secret.write_text("from-a-file\n")
    monkeypatch.delenv("X_SECRET", raising=False)
    monkeypatch.setenv("X_SECRET_FILE", str(secret))
    assert env_str("X_SECRET") == "from-a-file"


def test_env_str_refuses_both_name_and_file(monkeypatch, tmp_path):
    secret = tmp_path / "key"
    secret.write_text("a")
    monkeypatch.setenv("X_SECRET", "b")
    monkeypatch.setenv("X_SECRET_FILE", str(secret))
    with pytest.raises(ImproperlyConfigured, match="Set only one of X_SECRET and X_SECRET_FILE"):
        env_str("X_SECRET")


def test_unreadable_name_file_names_the_variable(monkeypatch, tmp_path):
    monkeypatch.setenv("X_SECRET_FILE", str(tmp_path / "missing"))
    with pytest.raises(ImproperlyConfigured, match="X_SECRET_FILE names"):
        env_optional("X_SECRET")


def test_missing_required_value(monkeypatch):
    monkeypatch.delenv("X_REQUIRED", raising=False)
    with pytest.raises(ImproperlyConfigured, match="Set X_REQUIRED"):
        env_str("X_REQUIRED")


def test_env_list_and_choice(monkeypatch):
    monkeypatch.setenv("X_LIST", " a.example, b.example ,,")
    assert env_list("X_LIST") == ["a.example", "b.example"]
    monkeypatch.setenv("X_CHOICE", "JSON")
    assert env_choice("X_CHOICE", "console", ("json", "console")) == "json"
    monkeypatch.setenv("X_CHOICE", "xml")
    with pytest.raises(ImproperlyConfigured, match="X_CHOICE must be one of json, console"):
        env_choice("X_CHOICE", "console", ("json", "console"))


@pytest.mark.parametrize(
    "url",
    ["postgresql://u:p@db.internal:5432/lms", "postgres://localhost/lms", "sqlite:///var/x.db"],
)
def test_env_url_accepts_database_urls(monkeypatch, url):
    monkeypatch.setenv("DATABASE_URL", url)
    assert env_url("DATABASE_URL", schemes=("postgres", "postgresql", "sqlite")) == url


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://u@h/db", "DATABASE_URL must start with"),
        ("not a url", "DATABASE_URL must start with"),
        ("postgresql://u:secret@host:port/db", "DATABASE_URL has an invalid port"),
        ("postgresql://", "DATABASE_URL names no host"),
    ],
)
def test_env_url_rejects_malformed_urls_without_echoing_secrets(monkeypatch, url, message):
    monkeypatch.setenv("DATABASE_URL", url)
    with pytest.raises(ImproperlyConfigured, match=message) as excinfo:
        env_url("DATABASE_URL", schemes=("postgres", "postgresql", "sqlite"))
    assert "secret" not in str(excinfo.value)
