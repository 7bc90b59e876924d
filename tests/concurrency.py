"""Running work in threads that start at the same moment, for the race tests (PostgreSQL,
``transaction=True``): each thread has its own database connection and closes it."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import TypeVar

from django.db import connections

T = TypeVar("T")


def together(works: Sequence[Callable[[], T]], *, timeout: float = 30) -> list[T | Exception]:
    """Run each of ``works`` in its own thread, all released at once by a barrier. Returns
    what each returned, or the exception it raised, in the order given."""
    barrier = threading.Barrier(len(works))
    results: list[T | Exception] = [RuntimeError("did not finish")] * len(works)

    def run(index: int) -> None:
        try:
            barrier.wait()
            results[index] = works[index]()
        except Exception as exc:  # the caller asserts on it
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(works))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    return results
