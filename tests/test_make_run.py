"""`make run`, with the real Makefile and a stand-in `syllabus` that reports what it was
given: the keys it generates and the address the worker's emails link to."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")

STAND_IN = """#!/bin/sh
# Reports what `make run` hands to each command instead of running it.
if [ "$1" = serve ]; then
  echo "serve $2 $3 site=$SYLLABUS_SITE_URL data=$SYLLABUS_DATA_DIR"
  echo "keys=$SYLLABUS_SECRET_KEY_FILE $SYLLABUS_FIELD_KEYS_FILE $SYLLABUS_BACKUP_KEY_FILE"
  exit "${SERVE_STATUS:-0}"
fi
exit 0
"""


def _make_run(tmp_path: Path, *args: str, status: int = 0, **env: str) -> str:
    venv = tmp_path / "venv"
    bin_dir = venv / "bin"
    if not bin_dir.exists():
        bin_dir.mkdir(parents=True)
        (bin_dir / "python").symlink_to(sys.executable)
        (venv / ".installed").touch()  # newer than pyproject.toml: nothing to install
        syllabus = bin_dir / "syllabus"
        syllabus.write_text(STAND_IN)
        syllabus.chmod(0o755)
    where = [f"VENV={venv}", f"BIN={bin_dir}", f"DATA_DIR={tmp_path / 'var'}"]
    result = subprocess.run(
        ["make", "-s", "run", *where, *args],
        cwd=ROOT,
        env={"PATH": os.environ["PATH"], "HOME": str(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == status, result.stdout + result.stderr
    return result.stdout


def test_links_in_emails_lead_to_the_server_make_run_starts(tmp_path):
    out = _make_run(tmp_path)
    assert f"serve --bind 127.0.0.1:8000 site=http://127.0.0.1:8000/ data={tmp_path / 'var'}" in out
    # Listening on every address: links name this machine, which browsers can open.
    assert "site=http://localhost:8080/" in _make_run(tmp_path, "BIND=0.0.0.0:8080")
    # A configured address is kept.
    kept = _make_run(tmp_path, SYLLABUS_SITE_URL="https://lms.example.org/")
    assert "site=https://lms.example.org/" in kept


def test_keys_are_generated_once_readable_only_by_their_owner(tmp_path):
    first = _make_run(tmp_path)
    data = tmp_path / "var"
    keys = [data / "secret_key", data / "field_keys", data / "backup.key"]
    assert f"keys={keys[0]} {keys[1]} {keys[2]}" in first
    assert "Generated a secret key" in first
    contents = [key.read_text() for key in keys]
    assert all(key.stat().st_mode & 0o777 == 0o600 for key in keys)
    second = _make_run(tmp_path)
    assert "Generated" not in second
    assert [key.read_text() for key in keys] == contents


def test_make_run_ends_as_the_server_ends(tmp_path):
    # The worker it started in the background has stopped already: stopping it again in
    # the exit trap must not turn a clean end into a failure, nor hide a server's failure.
    _make_run(tmp_path)
    _make_run(tmp_path, status=2, SERVE_STATUS="3")  # make reports a failed recipe as 2
