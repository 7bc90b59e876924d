"""Archives in an S3 bucket (SYLLABUS_BACKUP_S3_BUCKET), against moto's S3 server on
127.0.0.1 when it is installed (``moto_server``; skipped otherwise, with the reason)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import boto3
import pytest

from syllabus.backups.location import S3Location, backup_location
from syllabus.backups.models import BackupRun
from syllabus.backups.services import backup_create, backup_verify, backups_prune
from tests.factories import UserFactory
from tests.ports import free_port

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def s3_endpoint() -> Iterator[str]:
    program = shutil.which("moto_server")
    if program is None:
        pytest.skip("moto_server is not installed: the S3 location is tested against it")
    port = free_port()
    process = subprocess.Popen(
        [program, "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "moto_server did not start in 30 s"
                time.sleep(0.1)  # waiting for a process to listen
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def bucket(backup_settings, s3_endpoint):
    options = {
        "bucket_name": "lms-backups",
        "endpoint_url": s3_endpoint,
        "region_name": "us-east-1",
        "access_key": "test",
        "secret_key": "test",
    }
    boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    ).create_bucket(Bucket="lms-backups")
    backup_settings.BACKUP_S3_BUCKET = "lms-backups"
    backup_settings.BACKUP_S3_OPTIONS = options
    backup_settings.BACKUP_S3_PREFIX = "syllabus"
    return options


def test_backup_verify_and_prune_in_a_bucket(bucket):
    UserFactory()
    location = backup_location()
    assert isinstance(location, S3Location)
    assert location.description == "s3://lms-backups/syllabus"

    run = backup_create()
    assert run.location == "s3://lms-backups/syllabus"
    archives = location.list()
    assert [a.name for a in archives] == [run.archive]
    assert archives[0].size == run.size_bytes

    verified = backup_verify(name=run.archive)
    assert verified.verification == BackupRun.Verification.PASSED

    # an old archive in the bucket is pruned; the new one stays
    old_name = (datetime.now(UTC) - timedelta(days=40)).strftime(
        "syllabus-backup-%Y%m%dT%H%M%SZ-00000000.sbk"
    )
    scratch = location.scratch_dir() / old_name
    scratch.write_bytes(b"old")
    location.put(old_name, scratch)
    assert len(location.list()) == 2
    pruned = backups_prune()
    assert pruned.details["deleted"] == [old_name]
    assert [a.name for a in location.list()] == [run.archive]
