from __future__ import annotations

from typing import Any

from django.core.files.storage import FileSystemStorage
from whitenoise.compress import Compressor
from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    """Hashed, gzip-precompressed static files served by whitenoise.

    Brotli is left out on purpose: at whitenoise's maximum quality it took 30 s of CPU
    for our ~15 MB of static files (most of it the API docs bundles) on every start,
    for a few percent over gzip. A CDN or nginx in front can add it.
    """

    def create_compressor(self, **kwargs: Any) -> Compressor:
        return Compressor(use_brotli=False, **kwargs)


# --- Uploaded files: every call to the storage goes through the "storage" breaker ------------

STORAGE_BREAKER = "storage"
# "The storage answered: there is no such file" is not a failure of the storage.
STORAGE_NOT_FAILURES: tuple[type[BaseException], ...] = (FileNotFoundError,)


class GuardedStorageMixin:
    """Calls to the file storage (local disk, or an S3 bucket over the network) go through
    the ``storage`` circuit breaker: while the storage keeps failing, requests that need it
    fail at once with a 503 instead of each waiting for its timeout, and /health, the
    metrics and the ops dashboard show the breaker open. django-storages has no such hook,
    hence this mixin around the Storage methods that reach the backend."""

    def _guard(self, method: Any, *args: Any) -> Any:
        from syllabus.core.breakers import breaker

        return breaker(STORAGE_BREAKER, exclude=STORAGE_NOT_FAILURES).call(method, *args)

    def _open(self, name: str, mode: str = "rb") -> Any:
        return self._guard(super()._open, name, mode)  # type: ignore[misc]

    def _save(self, name: str, content: Any) -> Any:
        return self._guard(super()._save, name, content)  # type: ignore[misc]

    def delete(self, name: str) -> Any:
        return self._guard(super().delete, name)  # type: ignore[misc]

    def exists(self, name: str) -> Any:
        return self._guard(super().exists, name)  # type: ignore[misc]

    def size(self, name: str) -> Any:
        return self._guard(super().size, name)  # type: ignore[misc]

    def listdir(self, path: str) -> Any:
        return self._guard(super().listdir, path)  # type: ignore[misc]

    def get_modified_time(self, name: str) -> Any:
        return self._guard(super().get_modified_time, name)  # type: ignore[misc]


class GuardedFileSystemStorage(GuardedStorageMixin, FileSystemStorage):
    """Local files (the default), through the storage breaker."""
