"""Fault tests: real processes on 127.0.0.1, each bounded in time (marker ``faults``).

Select them with ``-m faults``; they run in ``make test`` with the rest.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.faults.procs import migrated_template


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "faults: fault-injection tests with real processes on 127.0.0.1 (slow)"
    )


@pytest.fixture(scope="session")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite data folder with one user; each test copies it."""
    return migrated_template(tmp_path_factory.mktemp("faults-template"))
