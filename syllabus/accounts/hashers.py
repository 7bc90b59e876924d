"""Argon2id with its cost from settings.

Django's ``Argon2PasswordHasher`` fixes its cost in class attributes (100 MiB of memory,
2 passes, 8 lanes): on a 2-core server every sign-in then held 100 MiB and both cores for
about 190 ms, so a morning's sign-ins (or the benchmark's) queued every other request
behind them (bench/RESULTS.md). The default here is OWASP's recommended Argon2id
configuration (Password Storage Cheat Sheet: 19 MiB, 2 passes, 1 lane; about 45 ms on
that machine); operators with more cores raise it with ``SYLLABUS_ARGON2_MEMORY_KIB``,
``SYLLABUS_ARGON2_TIME_COST`` and ``SYLLABUS_ARGON2_PARALLELISM``. A stored hash made with
other parameters is re-made with the current ones at its owner's next sign-in (Django's
``must_update``), so raising the cost reaches everyone who signs in.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import Argon2PasswordHasher


class ConfiguredArgon2PasswordHasher(Argon2PasswordHasher):
    # The algorithm name stays "argon2": hashes of either class verify with the other.

    def params(self) -> Any:
        """Django's Argon2id parameters with the cost from settings (read on each use, so
        a changed setting applies without a new hasher)."""
        return dataclasses.replace(
            super().params(),  # type: ignore[misc]  # not in django-stubs
            time_cost=int(settings.ARGON2_TIME_COST),
            memory_cost=int(settings.ARGON2_MEMORY_KIB),
            parallelism=int(settings.ARGON2_PARALLELISM),
        )
