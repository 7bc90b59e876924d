"""A tiny SMTP server for the fault tests: accepts mail, or refuses it (451) on demand."""

from __future__ import annotations

import socketserver
import threading
from dataclasses import dataclass, field


@dataclass
class Mailbox:
    refusing: bool = True
    refusals: int = 0
    messages: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Handler(socketserver.StreamRequestHandler):
    server: _Server

    def _send(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")
        self.wfile.flush()

    def handle(self) -> None:
        box = self.server.mailbox
        self._send("220 fault-smtp ready")
        while True:
            raw = self.rfile.readline()
            if not raw:
                return
            command = raw.decode(errors="replace").strip().upper()
            if command.startswith(("EHLO", "HELO")):
                self._send("250 fault-smtp")
            elif command.startswith("MAIL FROM"):
                with box.lock:
                    if box.refusing:
                        box.refusals += 1
                        self._send("451 4.3.0 Mail server temporarily refusing mail")
                        continue
                self._send("250 OK")
            elif command.startswith("RCPT TO"):
                self._send("250 OK")
            elif command == "DATA":
                self._send("354 End data with <CR><LF>.<CR><LF>")
                lines = []
                while (line := self.rfile.readline()) not in (b".\r\n", b".\n", b""):
                    lines.append(line.decode(errors="replace"))
                with box.lock:
                    box.messages.append("".join(lines))
                self._send("250 OK queued")
            elif command == "RSET" or command == "NOOP":
                self._send("250 OK")
            elif command == "QUIT":
                self._send("221 Bye")
                return
            else:
                self._send("502 Command not implemented")


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    mailbox: Mailbox


def start(port: int = 0) -> tuple[_Server, Mailbox]:
    server = _Server(("127.0.0.1", port), _Handler)
    server.mailbox = Mailbox()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, server.mailbox
