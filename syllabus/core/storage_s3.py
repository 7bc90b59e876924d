"""An S3-compatible bucket through the storage circuit breaker (SYLLABUS_STORAGE=s3).

Its own module so that boto3 is imported only by installs that use S3.
"""

from __future__ import annotations

from storages.backends.s3 import S3Storage

from syllabus.core.storage import GuardedStorageMixin


class GuardedS3Storage(GuardedStorageMixin, S3Storage):
    """django-storages' S3 backend, each call through the ``storage`` breaker."""
