"""The test suite's own scheduling: files marked ``slow`` are handed out first."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

import pytest

from syllabus.config.pytest_plugin import pytest_collection_modifyitems


@dataclass
class FakeItem:
    nodeid: str
    slow: bool

    def get_closest_marker(self, name: str) -> object | None:
        return object() if self.slow and name == "slow" else None


def test_slow_tests_come_first_and_everything_else_keeps_its_order():
    items = [
        FakeItem("a.py::one", slow=False),
        FakeItem("b.py::one", slow=True),
        FakeItem("c.py::one", slow=False),
        FakeItem("d.py::one", slow=True),
        FakeItem("d.py::two", slow=True),
        FakeItem("e.py::one", slow=False),
    ]
    pytest_collection_modifyitems(cast(pytest.Config, None), cast(Any, items))
    assert [item.nodeid for item in items] == [
        "b.py::one",
        "d.py::one",
        "d.py::two",
        "a.py::one",
        "c.py::one",
        "e.py::one",
    ]


def test_the_makefile_keeps_the_collection_order_for_xdist():
    """xdist would otherwise reorder files by how many tests they hold, which puts the
    few-but-long ones last."""
    from pathlib import Path

    makefile = (Path(__file__).resolve().parents[3] / "Makefile").read_text()
    assert "--dist loadfile --no-loadscope-reorder" in makefile
