"""File storage goes through the ``storage`` circuit breaker; an open breaker is a 503."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, default_storage
from django.test import Client
from pybreaker import CircuitBreakerError

from syllabus.core.breakers import breaker_states
from syllabus.core.storage import STORAGE_BREAKER, GuardedFileSystemStorage
from syllabus.courses.models import Course

pytestmark = pytest.mark.django_db


@pytest.fixture
def failing_disk(monkeypatch):
    def broken(*args, **kwargs):
        raise OSError("disk unavailable")

    for method in ("_open", "_save", "size", "exists", "delete", "get_modified_time"):
        monkeypatch.setattr(FileSystemStorage, method, broken)


def test_the_default_storage_is_guarded():
    assert isinstance(default_storage, GuardedFileSystemStorage)


def test_failures_open_the_breaker_then_calls_fail_fast(settings, failing_disk):
    for _ in range(settings.BREAKER_FAILURES - 1):
        with pytest.raises(OSError, match="disk unavailable"):
            default_storage.open("anything.txt")
    with pytest.raises(CircuitBreakerError):  # the failure that opens it
        default_storage.open("anything.txt")
    with pytest.raises(CircuitBreakerError):  # then no call reaches the disk
        default_storage.open("anything.txt")
    assert breaker_states()[STORAGE_BREAKER] == "open"


def test_a_missing_file_is_not_a_storage_failure(settings, tmp_path):
    storage = GuardedFileSystemStorage(location=tmp_path)
    for _ in range(settings.BREAKER_FAILURES + 1):
        with pytest.raises(FileNotFoundError):
            storage.open("missing.txt")
    assert breaker_states()[STORAGE_BREAKER] == "closed"
    assert storage.open(storage.save("x.txt", ContentFile(b"ok"))).read() == b"ok"


def test_pages_and_the_api_answer_503_while_the_breaker_is_open(settings, failing_disk):
    client = Client(raise_request_exception=False)  # as a real server: the error page
    course = Course.objects.create(
        title="Maps", slug="maps", status=Course.Status.PUBLISHED, image="courses/x/map.png"
    )
    for _ in range(settings.BREAKER_FAILURES - 1):
        with pytest.raises(OSError, match="disk unavailable"):
            default_storage.size("anything")
    with pytest.raises(CircuitBreakerError):
        default_storage.size("anything")

    page = client.get(f"/courses/{course.public_id}/image")

    assert page.status_code == 503
    assert page["Retry-After"]
    assert b"file storage" in page.content
    health = client.get("/health")  # (each test starts with no cached health report)
    assert health.status_code == 503
    assert health.json()["services"]["storage"]["status"] == "error"


def test_the_s3_backend_is_guarded_too():
    from storages.backends.s3 import S3Storage

    from syllabus.core.storage_s3 import GuardedS3Storage

    storage = GuardedS3Storage(bucket_name="syllabus-test", region_name="eu-west-1")
    assert isinstance(storage, S3Storage)
    assert type(storage)._open is not S3Storage._open  # the guard comes first in the MRO


def test_s3_settings_need_a_bucket(tmp_path):
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("SYLLABUS_")}
    env.update(SYLLABUS_DEBUG="true", SYLLABUS_DATA_DIR=str(tmp_path), SYLLABUS_STORAGE="s3")
    code = "import django; django.setup(); from django.conf import settings; "
    code += "d = settings.STORAGES['default']; c = d['OPTIONS']['client_config']; "
    code += "print(d['BACKEND'], c.connect_timeout, c.read_timeout)"
    env["DJANGO_SETTINGS_MODULE"] = "syllabus.config.settings"
    missing = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert missing.returncode != 0
    assert "SYLLABUS_S3_BUCKET" in missing.stderr
    env["SYLLABUS_S3_BUCKET"] = "lessons"
    ok = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert ok.stdout.split() == ["syllabus.core.storage_s3.GuardedS3Storage", "5", "30"], ok.stderr
