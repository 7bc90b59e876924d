"""The backups page in Spanish: headings, run labels, localized dates and numbers."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.utils import timezone, translation

from syllabus.accounts.tests.mfa_helpers import mark_recent_mfa
from syllabus.backups.models import BackupRun
from syllabus.backups.selectors import backup_state

pytestmark = pytest.mark.django_db


NOW = timezone.make_aware(timezone.datetime(2026, 11, 26, 9, 0))


@pytest.fixture
def spanish_admin(client, admin_user, backup_settings):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "es"
    client.force_login(admin_user)
    mark_recent_mfa(client, admin_user, method="password")
    return client


@time_machine.travel(NOW, tick=False)
def test_the_page_is_in_spanish_with_localized_dates_and_numbers(spanish_admin):
    BackupRun.objects.create(
        kind=BackupRun.Kind.BACKUP,
        status=BackupRun.Status.SUCCEEDED,
        trigger=BackupRun.Trigger.SCHEDULE,
        archive="syllabus-backup-20261126T021500Z-1a2b3c4d.sbk",
        size_bytes=2048,
        duration_seconds=1.5,
        started_at=NOW - timedelta(hours=1),
        finished_at=NOW - timedelta(hours=1),
        verification=BackupRun.Verification.PASSED,
    )
    text = spanish_admin.get("/backups/").content.decode()
    assert "<h1>Copias de seguridad</h1>" in text
    assert "Hacer una copia ahora" in text and "Copia de seguridad diaria" in text
    assert "Programación diaria" in text and "Superada" in text
    assert "1,5 s" in text  # a decimal comma
    assert "26/11/2026" in text  # the run's start, day first


def test_a_bad_archive_is_refused_in_spanish(spanish_admin, backup_settings):
    Path(backup_settings.BACKUP_DIR).mkdir(parents=True)
    response = spanish_admin.post("/backups/verify/", {"archive": "../../etc/passwd"})
    assert response.status_code == 400
    assert "Este no es un nombre de archivo de copia de seguridad." in response.content.decode()


def test_the_backup_state_speaks_spanish(backup_settings):
    with translation.override("es"):
        state = backup_state()
    assert state.status == "error"
    assert state.message.startswith("todavía no se ha hecho ninguna copia de seguridad")
