"""Redis loss makes Syllabus slower, never broken: every cache call degrades to a miss."""

from __future__ import annotations

import socket

from syllabus.core.cache import ResilientRedisCache


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_every_operation_survives_an_unreachable_redis():
    cache = ResilientRedisCache(
        f"redis://127.0.0.1:{_closed_port()}/0",
        {"OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2}},
    )
    assert cache.get("k", "fallback") == "fallback"
    assert cache.get_many(["a", "b"]) == {}
    assert cache.has_key("k") is False
    cache.set("k", "v", 30)
    assert cache.add("k", "v") is True  # fails open: callers use add() as a lock
    assert cache.set_many({"a": 1}) == ["a"]
    assert cache.touch("k") is False
    assert cache.delete("k") is False
    cache.delete_many(["a"])
    cache.clear()
    assert cache.get_or_set("k", "computed") == "computed"
