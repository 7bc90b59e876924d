"""What the backup commands share: how a run is printed."""

from __future__ import annotations

from syllabus.backups.models import BackupRun


def size_text(size: int | None) -> str:
    if size is None:
        return "-"
    value = float(size)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1024 or unit == "TB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"


def describe(run: BackupRun) -> str:
    parts = [f"{run.get_kind_display()} {run.status}"]
    if run.archive:
        parts.append(run.archive)
    if run.size_bytes is not None:
        parts.append(size_text(run.size_bytes))
    if run.tables is not None:
        parts.append(f"{run.tables} tables, {run.rows} rows")
    if run.files is not None:
        parts.append(f"{run.files} files")
    if run.duration_seconds is not None:
        parts.append(f"{run.duration_seconds:.2f} s")
    return ", ".join(parts)
