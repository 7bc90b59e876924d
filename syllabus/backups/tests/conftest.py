from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from syllabus.backups.crypto import generate_key_text


@pytest.fixture
def backup_settings(settings: Any, tmp_path: Path) -> Any:
    """Backups into a folder of this test, with a fresh key and uploaded files of its own."""
    settings.BACKUP_KEYS = [generate_key_text()]
    settings.BACKUP_DIR = tmp_path / "backups"
    settings.DATA_DIR = tmp_path / "data"
    settings.MEDIA_ROOT = tmp_path / "site" / "media"
    settings.BACKUP_MEDIA = True
    return settings
