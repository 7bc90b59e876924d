"""Running ``syllabus`` in a process of its own, for tests of start-up behaviour (settings
load once per process)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def run_syllabus(data_dir: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """``syllabus ARGS`` in a fresh process with ``env``, and none of the test run's own
    settings (SYLLABUS_*, DATABASE_URL, REDIS_URL, DJANGO_SETTINGS_MODULE)."""
    base = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SYLLABUS_", "DATABASE_URL", "REDIS_URL"))
        and key != "DJANGO_SETTINGS_MODULE"
    }
    base.update({"SYLLABUS_DATA_DIR": str(data_dir), **env})
    return subprocess.run(
        [sys.executable, "-m", "syllabus", *args],
        env=base,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def syllabus_check(data_dir: Path, **settings: str) -> subprocess.CompletedProcess[str]:
    """``syllabus check`` with development defaults plus ``settings``, to see a bad
    setting stop start-up with its message."""
    return run_syllabus(data_dir, "check", SYLLABUS_DEBUG="true", **settings)
