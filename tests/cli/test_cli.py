"""The `syllabus` command, run as an operator runs it: a real process."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import syllabus


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    return subprocess.run(
        [sys.executable, "-m", "syllabus", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_version():
    result = run("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"syllabus {syllabus.__version__}"


def test_overview_lists_the_operator_commands():
    result = run("--help")
    assert result.returncode == 0
    for command in (
        "serve", "worker", "migrate", "createadmin", "demo", "check", "audit",
        "roles", "tokens", "lockouts", "mfa",
    ):  # fmt: skip
        assert f"  {command}" in result.stdout


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("serve", "--bind"),
        ("worker", "--workers"),
        ("migrate", "--plan"),
        ("createadmin", "--email"),
        ("demo", "--remove"),
        ("check", "--deploy"),
        ("audit", "verify"),
    ],
)
def test_each_command_has_help(command, expected):
    result = run(command, "--help")
    assert result.returncode == 0, result.stderr
    assert "usage: syllabus " + command in result.stdout
    assert expected in result.stdout


def test_unknown_command_prints_usage_and_exits_2():
    result = run("frobnicate")
    assert result.returncode == 2
    assert "unknown command 'frobnicate'" in result.stderr
    assert "usage: syllabus" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["serve", "--bind", "localhost"], "expected HOST:PORT"),
        (["serve", "--bind", "127.0.0.1:99999"], "port must be 1-65535"),
        (["serve", "--workers", "0"], "must be at least 1"),
        (["serve", "--no-such-flag"], "unrecognized arguments"),
        (["audit"], "required"),
        (["createadmin"], "--email"),
    ],
)
def test_wrong_arguments_print_usage_and_exit_2(args, message):
    result = run(*args)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "usage: syllabus" in result.stderr
    assert message in result.stderr


def test_django_commands_are_underneath():
    result = run("showmigrations", "--help")
    assert result.returncode == 0
    assert "usage: syllabus showmigrations" in result.stdout
