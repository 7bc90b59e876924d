"""The sign-in settings come from the environment, and bad values stop start-up."""

from __future__ import annotations

import os
import subprocess
import sys

PRINT = (
    "from django.conf import settings as s; "
    "print(s.SIGNUP, s.PASSWORD_MIN_LENGTH, s.PASSWORD_CLASSES, s.LOCKOUT_ATTEMPTS, "
    "s.AXES_FAILURE_LIMIT, int(s.AXES_COOLOFF_TIME.total_seconds()), s.INVITATION_DAYS, "
    "s.PASSWORD_RESET_TIMEOUT, s.ACCOUNT_EMAIL_VERIFICATION, "
    "s.AUTH_PASSWORD_VALIDATORS[0]['OPTIONS'])"
)


def run_shell(tmp_path, **env: str) -> subprocess.CompletedProcess[str]:
    base = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SYLLABUS_", "DATABASE_URL", "REDIS_URL"))
    }
    base.update({"SYLLABUS_DEBUG": "true", "SYLLABUS_DATA_DIR": str(tmp_path), **env})
    return subprocess.run(
        [sys.executable, "-m", "syllabus", "shell", "--no-imports", "-c", PRINT],
        env=base,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_defaults_follow_the_seed(tmp_path):
    result = run_shell(tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split(" ", 9)[:9] == [
        "invite",
        "12",
        "3",
        "5",
        "5",
        "900",
        "7",
        "3600",
        "mandatory",
    ]


def test_every_sign_in_setting_is_read_from_the_environment(tmp_path):
    result = run_shell(
        tmp_path,
        SYLLABUS_SIGNUP="Open",
        SYLLABUS_PASSWORD_MIN_LENGTH="16",
        SYLLABUS_PASSWORD_CLASSES="4",
        SYLLABUS_LOCKOUT_ATTEMPTS="3",
        SYLLABUS_LOCKOUT_MINUTES="30",
        SYLLABUS_INVITATION_DAYS="14",
        SYLLABUS_PASSWORD_RESET_MINUTES="20",
        SYLLABUS_EMAIL_VERIFICATION="optional",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "open 16 4 3 3 1800 14 1200 optional {'min_length': 16, 'min_classes': 4}"
    )


def test_bad_values_stop_start_up_naming_the_variable(tmp_path):
    for name, value in (
        ("SYLLABUS_SIGNUP", "sometimes"),
        ("SYLLABUS_PASSWORD_MIN_LENGTH", "6"),
        ("SYLLABUS_PASSWORD_CLASSES", "5"),
        ("SYLLABUS_LOCKOUT_ATTEMPTS", "0"),
        ("SYLLABUS_LOCKOUT_MINUTES", "many"),
    ):
        result = run_shell(tmp_path, **{name: value})
        assert result.returncode == 1, (name, result.stdout)
        assert f"configuration error: {name}" in result.stderr
