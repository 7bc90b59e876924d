"""Running ``syllabus`` in a process of its own, for tests of start-up behaviour."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def syllabus_check(data_dir: Path, **settings: str) -> subprocess.CompletedProcess[str]:
    """``syllabus check`` in a fresh process with development defaults plus ``settings``
    (SYLLABUS_* variables of the test run itself left out), to see a bad setting stop
    start-up with its message."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("SYLLABUS_") and k != "DJANGO_SETTINGS_MODULE"
    }
    env.update(SYLLABUS_DATA_DIR=str(data_dir), SYLLABUS_DEBUG="true", **settings)
    return subprocess.run(
        [sys.executable, "-m", "syllabus", "check"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
