"""Uploaded files on S3 are written with server-side encryption when SYLLABUS_S3_SSE is set."""

from __future__ import annotations

import os
import subprocess
import sys
from unittest import mock

import pytest
from django.core.files.base import ContentFile

CODE = (
    "import django, json; django.setup(); from django.conf import settings; "
    "print(json.dumps(settings.STORAGES['default']['OPTIONS'].get('object_parameters')))"
)


def settings_in_subprocess(tmp_path, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("SYLLABUS_")}
    base.update(
        SYLLABUS_DEBUG="true",
        SYLLABUS_DATA_DIR=str(tmp_path),
        SYLLABUS_STORAGE="s3",
        SYLLABUS_S3_BUCKET="lessons",
        DJANGO_SETTINGS_MODULE="syllabus.config.settings",
        **env,
    )
    return subprocess.run(
        [sys.executable, "-c", CODE], env=base, capture_output=True, text=True, check=False
    )


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "null"),
        ({"SYLLABUS_S3_SSE": "AES256"}, '{"ServerSideEncryption": "AES256"}'),
        ({"SYLLABUS_S3_SSE": "aws:kms"}, '{"ServerSideEncryption": "aws:kms"}'),
        (
            {"SYLLABUS_S3_SSE": "aws:kms", "SYLLABUS_S3_KMS_KEY_ID": "alias/syllabus"},
            '{"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": "alias/syllabus"}',
        ),
    ],
    ids=["off", "aes256", "kms-default-key", "kms-key-id"],
)
def test_the_sse_setting_becomes_the_buckets_object_parameters(tmp_path, env, expected):
    result = settings_in_subprocess(tmp_path, **env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SYLLABUS_S3_SSE": "rot13"}, "SYLLABUS_S3_SSE must be one of none, aes256, aws:kms"),
        ({"SYLLABUS_S3_KMS_KEY_ID": "alias/x"}, "SYLLABUS_S3_KMS_KEY_ID needs SYLLABUS_S3_SSE"),
    ],
    ids=["unknown", "key-without-kms"],
)
def test_bad_sse_settings_stop_startup_naming_the_variable(tmp_path, env, message):
    result = settings_in_subprocess(tmp_path, **env)
    assert result.returncode != 0
    assert message in result.stderr


def test_the_parameters_reach_every_upload():
    from syllabus.core.storage_s3 import GuardedS3Storage

    storage = GuardedS3Storage(
        bucket_name="lessons",
        region_name="eu-west-1",
        access_key="test",
        secret_key="test",
        object_parameters={"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": "alias/syllabus"},
    )
    bucket = mock.MagicMock()
    with (
        mock.patch.object(type(storage), "bucket", new_callable=mock.PropertyMock) as prop,
        mock.patch.object(type(storage), "exists", return_value=False),
    ):
        prop.return_value = bucket
        storage.save("captions/intro.vtt", ContentFile(b"WEBVTT\n"))
    upload = bucket.Object.return_value.upload_fileobj
    extra = upload.call_args.kwargs["ExtraArgs"]
    assert extra["ServerSideEncryption"] == "aws:kms"
    assert extra["SSEKMSKeyId"] == "alias/syllabus"
