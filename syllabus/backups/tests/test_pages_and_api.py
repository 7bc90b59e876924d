"""The backups page and API: who may use them, what they queue, and bad input."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from syllabus.accounts.tests.mfa_helpers import mark_recent_mfa
from syllabus.backups.models import BackupRun

pytestmark = pytest.mark.django_db

ARCHIVE = "syllabus-backup-20260301T021500Z-1a2b3c4d.sbk"


@pytest.fixture
def queued(monkeypatch):
    """The jobs the page and API queue, recorded instead of run."""
    calls: list[tuple[str, tuple]] = []
    for module in ("views", "api"):
        monkeypatch.setattr(
            f"syllabus.backups.{module}.backup_now_task",
            lambda *args: calls.append(("backup", args)),
        )
        monkeypatch.setattr(
            f"syllabus.backups.{module}.backup_verify_task",
            lambda *args: calls.append(("verify", args)),
        )
    return calls


@pytest.fixture
def admin_client(client, admin_user, backup_settings):
    client.force_login(admin_user)
    mark_recent_mfa(client, admin_user, method="password")
    return client


def _runs(count: int) -> None:
    now = timezone.now()
    BackupRun.objects.bulk_create(
        BackupRun(
            kind=BackupRun.Kind.BACKUP,
            status=BackupRun.Status.SUCCEEDED,
            trigger=BackupRun.Trigger.SCHEDULE,
            archive=f"syllabus-backup-20260301T0215{n % 60:02d}Z-{n:08x}.sbk",
            size_bytes=1000 + n,
            duration_seconds=1.5,
            started_at=now - timedelta(days=n),
            finished_at=now - timedelta(days=n),
            public_id=f"bkr_test{n:012d}",
        )
        for n in range(count)
    )


def test_the_page_lists_runs_with_size_duration_and_verification(admin_client):
    _runs(1)
    BackupRun.objects.update(verification=BackupRun.Verification.PASSED)
    response = admin_client.get("/backups/")
    assert response.status_code == 200
    text = response.content.decode()
    assert "<h1>Backups</h1>" in text
    assert "1000\xa0bytes" in text and "1.5 s" in text and "Passed" in text
    assert "syllabus restore" in text  # why restore is not a button


def test_the_page_says_what_to_do_when_there_is_nothing_yet(admin_client):
    text = admin_client.get("/backups/").content.decode()
    assert "No backup has been taken yet" in text
    assert "There is no archive in the backup location yet" in text


def test_the_page_costs_the_same_queries_for_3_or_30_runs(
    admin_client, django_assert_max_num_queries
):
    _runs(3)
    with django_assert_max_num_queries(30) as few:
        admin_client.get("/backups/")
    BackupRun.objects.all().delete()
    _runs(30)
    with django_assert_max_num_queries(len(few.captured_queries)):
        admin_client.get("/backups/")


def test_back_up_now_queues_a_job(
    admin_client, admin_user, queued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post("/backups/run/")
    assert response.status_code == 302
    assert queued == [("backup", (admin_user.pk,))]


def test_back_up_now_asks_to_confirm_identity_first(client, admin_user, backup_settings, queued):
    client.force_login(admin_user)
    response = client.post("/backups/run/")
    assert response.status_code == 302
    assert "reauthenticate" in response["Location"]
    assert queued == []


def test_verify_queues_an_archive_from_the_location(
    admin_client, admin_user, backup_settings, queued, django_capture_on_commit_callbacks
):
    folder = Path(backup_settings.BACKUP_DIR)
    folder.mkdir(parents=True)
    (folder / ARCHIVE).write_bytes(b"")
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post("/backups/verify/", {"archive": ARCHIVE})
    assert response.status_code == 302
    assert queued == [("verify", (ARCHIVE, admin_user.pk))]


@pytest.mark.parametrize(
    ("archive", "message"),
    [
        ("../../etc/passwd", "not a backup archive name"),
        ("", "This field is required"),
        (ARCHIVE, "no archive with this name"),
    ],
)
def test_verify_refuses_bad_names_with_a_400(admin_client, queued, archive, message):
    response = admin_client.post("/backups/verify/", {"archive": archive})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert 'id="archive-error"' in response.content.decode()
    assert queued == []
    assert not BackupRun.objects.exists()


def test_people_without_backup_run_get_403(client, learner, queued):
    client.force_login(learner)
    assert client.get("/backups/").status_code == 403
    assert client.post("/backups/run/").status_code == 403
    assert queued == []


# --- API ------------------------------------------------------------------------------------


def test_api_lists_runs_and_the_backup_state(admin_client):
    _runs(2)
    body = admin_client.get("/api/v1/backups?kind=backup").json()
    assert body["count"] == 2 and body["pages"] == 1
    assert body["status"] == "ok"
    assert body["results"][0]["size_bytes"] == 1000
    assert set(body["results"][0]) >= {"duration_seconds", "verification", "archive"}


def test_api_refuses_an_unknown_kind(admin_client):
    response = admin_client.get("/api/v1/backups?kind=everything")
    assert response.status_code == 422
    assert response.json()["code"] == "invalid"


def test_api_queues_a_backup_after_a_recent_check(
    admin_client, admin_user, queued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post("/api/v1/backups")
    assert response.status_code == 202
    assert queued == [("backup", (admin_user.pk,))]


def test_api_backup_without_a_recent_check_is_refused(client, admin_user, backup_settings, queued):
    client.force_login(admin_user)
    response = client.post("/api/v1/backups")
    assert response.status_code == 403
    assert response.json()["code"] == "mfa_reauthentication_required"
    assert queued == []


def test_api_verify_validates_the_archive(admin_client, backup_settings, queued):
    def post(name: str):
        return admin_client.post(
            "/api/v1/backups/verify",
            data=json.dumps({"archive": name}),
            content_type="application/json",
        )

    assert post("not-an-archive").json()["code"] == "invalid_archive"
    assert post(ARCHIVE).status_code == 404
    assert queued == []
    folder = Path(backup_settings.BACKUP_DIR)
    folder.mkdir(parents=True)
    (folder / ARCHIVE).write_bytes(b"")
    assert post(ARCHIVE).status_code == 202


def test_api_refuses_people_without_backup_run(client, learner):
    client.force_login(learner)
    response = client.get("/api/v1/backups")
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
