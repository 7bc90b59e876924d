"""A free TCP port on 127.0.0.1 for a process a test starts.

Asking the kernel for port 0 hands out a port from the ephemeral range
(net.ipv4.ip_local_port_range), the same range every outgoing connection on the
machine takes its local port from. Between our probe and the child's own bind(),
any connection (a PostgreSQL client of the other xdist worker, Locust, pip) may take
that port, and the child then fails with "Address already in use": a CI run lost
nginx that way. So we pick below the ephemeral range, where only listeners live,
and check that nothing listens there now.
"""

from __future__ import annotations

import random
import socket
from pathlib import Path

EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")
# How far below the ephemeral range we look: wide enough that two test processes
# picking at random rarely meet, clear of the well-known ports of our services.
SPAN = 12_000
LOWEST = 10_000


def ephemeral_start() -> int:
    try:
        return int(EPHEMERAL_RANGE.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32_768  # Linux's default


def port_range() -> range:
    top = ephemeral_start()
    return range(max(LOWEST, top - SPAN), top)


def free_port(attempts: int = 50) -> int:
    """A port below the ephemeral range that nothing on 127.0.0.1 listens on."""
    choices = port_range()
    if len(choices) == 0:  # the ephemeral range starts too low to leave room below it
        return _kernel_port()
    for _ in range(attempts):
        port = random.choice(choices)
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    return _kernel_port()


def _kernel_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
