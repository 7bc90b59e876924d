"""`syllabus serve` prepares the metrics folder and wires gunicorn's hooks for it."""

from __future__ import annotations

import os
import subprocess

from syllabus.core.management.commands import serve


def _dead_pid() -> int:
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def test_files_of_processes_that_no_longer_run_are_removed(tmp_path, monkeypatch):
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    dead, alive = _dead_pid(), os.getpid()
    names = [
        f"counter_{dead}.db", f"histogram_{dead}.db", f"gauge_livemax_{dead}.db",
        f"counter_{alive}.db", f"gauge_livemax_{alive}.db", "notes.txt",
    ]  # fmt: skip
    for name in names:
        (tmp_path / name).write_bytes(b"")
    serve.metrics_dir_tidy()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [f"counter_{alive}.db", f"gauge_livemax_{alive}.db", "notes.txt"]
    )


def test_a_worker_that_exits_loses_its_live_gauges(tmp_path, monkeypatch):
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    (tmp_path / "gauge_livemax_4242.db").write_bytes(b"")
    (tmp_path / "counter_4242.db").write_bytes(b"")

    class Worker:
        pid = 4242

    serve._child_exit(None, Worker())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["counter_4242.db"]
