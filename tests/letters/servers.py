"""Real local servers for the channel tests: an SMTP server (aiosmtpd) and an SMS provider (http.server), both
on 127.0.0.1, recording what they receive and answering as scripted."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

from aiosmtpd.controller import Controller


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class SmtpInbox:
    """What the SMTP server received; recipients in ``refuse`` get 550 (no such mailbox)."""

    refuse: set[str] = field(default_factory=set)
    messages: list[Message] = field(default_factory=list)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address in self.refuse:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK queued"


@contextmanager
def smtp_server(inbox: SmtpInbox) -> Iterator[int]:
    """Run an SMTP server on 127.0.0.1 for the block; yields its port."""
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


@dataclass
class SmsProvider:
    """A scripted SMS provider: each POST takes the next answer of ``script`` — (status, headers) or
    ``"timeout"`` (no answer for two seconds) — then 202 with an id; ``GET /messages/KEY`` answers whether an
    accepted message has that idempotency key."""

    script: list[Any] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    accepted: dict[str, str] = field(default_factory=dict)


@contextmanager
def sms_provider(provider: SmsProvider) -> Iterator[str]:
    """Run the provider on 127.0.0.1 for the block; yields its messages URL."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _answer(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            payload = json.loads(self.rfile.read(length))
            key = self.headers.get("Idempotency-Key", "")
            provider.requests.append({"json": payload, "key": key, "auth": self.headers.get("Authorization")})
            answer = provider.script.pop(0) if provider.script else None
            if answer == "timeout":
                time.sleep(2)
                return
            if answer is not None:
                status, headers = answer
                self._answer(status, {"error": "scripted"}, headers)
                return
            message_id = provider.accepted.setdefault(key, f"SM{len(provider.accepted) + 1:04d}")
            self._answer(202, {"id": message_id})

        def do_GET(self) -> None:
            key = unquote(self.path.rsplit("/", 1)[-1])
            if key in provider.accepted:
                self._answer(200, {"id": provider.accepted[key]})
            else:
                self._answer(404, {"error": "not found"})

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/messages"
    finally:
        server.shutdown()
        server.server_close()
