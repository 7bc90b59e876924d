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


def test_one_redis_client_per_pool_is_reused_across_operations_and_threads():
    """Django's client made a new redis.Redis for every operation; ours keeps one per
    connection pool (a redis.Redis over a pool is thread-safe)."""
    import threading

    import redis as redis_lib

    cache = ResilientRedisCache(
        "redis://127.0.0.1:6379/9", {"OPTIONS": {"socket_connect_timeout": 0.5}}
    )
    client = cache._cache.get_client(write=True)
    assert isinstance(client, redis_lib.Redis)
    assert cache._cache.get_client(write=False) is client  # one server: reads share it
    seen = []
    threads = [
        threading.Thread(target=lambda: seen.append(cache._cache.get_client())) for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(other is client for other in seen)
    assert client.connection_pool is cache._cache._pools[0]


def test_reads_use_the_replica_servers_client_and_writes_the_first():
    cache = ResilientRedisCache(
        ["redis://127.0.0.1:6379/9", "redis://127.0.0.1:6379/10"],
        {"OPTIONS": {"socket_connect_timeout": 0.5}},
    )
    writer = cache._cache.get_client(write=True)
    reader = cache._cache.get_client(write=False)
    assert writer is not reader
    assert writer.connection_pool.connection_kwargs["db"] == 9
    assert reader.connection_pool.connection_kwargs["db"] == 10
    assert cache._cache.get_client(write=False) is reader
