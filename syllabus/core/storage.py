from __future__ import annotations

from typing import Any

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
