"""The helpers that start real processes for tests: ports they can bind, waits that say why
they failed."""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import pytest

from tests import ports
from tests.faults.procs import Proc, wait_for


def test_free_port_is_below_the_ephemeral_range_and_bindable():
    start = ports.ephemeral_start()
    for _ in range(20):
        port = ports.free_port()
        assert ports.LOWEST <= port < start
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", port))


def test_free_port_skips_a_port_something_listens_on(monkeypatch):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        free = ports._kernel_port()
        picks = iter([busy, busy, free])
        monkeypatch.setattr(ports, "port_range", lambda: range(busy, busy + 1))
        monkeypatch.setattr(ports.random, "choice", lambda _: next(picks))
        assert ports.free_port() == free


def test_free_port_falls_back_to_the_kernel_when_there_is_no_room_below(monkeypatch, tmp_path):
    fake = tmp_path / "range"
    fake.write_text("1024\t60999\n")
    monkeypatch.setattr(ports, "EPHEMERAL_RANGE", fake)
    assert ports.port_range() == range(0)
    port = ports.free_port()
    assert 0 < port < 65_536


def test_unreadable_range_means_linux_default(monkeypatch, tmp_path):
    monkeypatch.setattr(ports, "EPHEMERAL_RANGE", tmp_path / "missing")
    assert ports.ephemeral_start() == 32_768
    assert ports.port_range() == range(32_768 - ports.SPAN, 32_768)


def test_wait_for_fails_at_once_with_the_output_of_a_process_that_exited(tmp_path: Path):
    proc = Proc(
        "nginx",
        [sys.executable, "-c", "print('bind() to 127.0.0.1:1 failed'); raise SystemExit(1)"],
        {},
        tmp_path / "out.log",
    ).start()
    proc.popen.wait(timeout=30)  # type: ignore[union-attr]
    with pytest.raises(AssertionError) as failure:
        wait_for(lambda: False, 60, "nginx", proc=proc)
    message = str(failure.value)
    assert "nginx exited with code 1 while we waited for nginx" in message
    assert "bind() to 127.0.0.1:1 failed" in message
    proc.stop()


def test_wait_for_describes_what_it_waited_for_when_it_gives_up(tmp_path: Path):
    log = tmp_path / "late.log"
    calls = []

    def check() -> bool:
        calls.append(1)
        log.write_text("written while we waited")
        raise ConnectionRefusedError("nobody listens")

    with pytest.raises(AssertionError) as failure:
        wait_for(check, 0.3, lambda: f"the server\n{log.read_text()}", step=0.05)
    message = str(failure.value)
    assert message.startswith("timed out after 0.3 s waiting for the server")
    assert "written while we waited" in message  # described at the end, not the start
    assert "ConnectionRefusedError('nobody listens')" in message
    assert len(calls) > 1
