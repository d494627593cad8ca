"""What wraps every request: a request id (kept in the audit rows it writes, echoed in ``X-Request-ID``), one
structured access-log line, and ``Idempotency-Key`` on writes (a retried write is applied once)."""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from arrears.services.database import Database
from arrears.services.security import (
    TokenRefused,
    complete_idempotency_key,
    known_principal,
    principal_for_token,
    release_idempotency_key,
    request_audited,
    reserve_idempotency_key,
)

access_log = logging.getLogger("arrears.access")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return None


def bearer_secret(scope: Scope) -> str | None:
    """The token of a request's ``Authorization: Bearer TOKEN`` header; None without one."""
    authorization = _header(scope, b"authorization") or ""
    return authorization[7:].strip() if authorization[:7].lower() == "bearer " else None


class RequestContext:
    """Give each request an id (the caller's ``X-Request-ID`` when it is a plain one), audit its writes with
    it, and log one JSON line per request: id, method, path, status, milliseconds, user, client."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = _header(scope, b"x-request-id")
        request_id = given if given and _REQUEST_ID.match(given) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            with request_audited(request_id):
                await self.app(scope, receive, sending)
        finally:
            client = scope.get("client")
            access_log.info(json.dumps({
                "at": datetime.now(UTC).isoformat(timespec="milliseconds"), "request_id": request_id,
                "method": scope["method"], "path": scope["path"], "status": status,
                "ms": round((time.perf_counter() - started) * 1000, 1),
                "user": scope["state"].get("login"), "client": client[0] if client else None,
            }))  # fmt: skip


def _error(status: int, detail: str, location: str = "Idempotency-Key", rule: str = "", value: str = "") -> bytes:
    problems = [{"location": location, "rule": rule, "value": value}] if rule else []
    return json.dumps({"detail": detail, "problems": problems}).encode()


class Idempotency:
    """A write with an ``Idempotency-Key`` header is applied once per user and key: the key is reserved before
    the write runs, its 2xx response kept and replayed to a retry (with ``Idempotent-Replayed: true``); the same
    key with another request is refused (422), and while the first is still running a retry gets 409. A write
    that failed (not 2xx) wrote nothing and frees its key, so it may be sent again."""

    def __init__(self, app: ASGIApp, db: Database) -> None:
        self.app, self.db = app, db

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = _header(scope, b"idempotency-key") if scope["type"] == "http" and scope["method"] in WRITES else None
        secret = bearer_secret(scope)
        if key is None or secret is None:
            await self.app(scope, receive, send)
            return
        if not _KEY.match(key):
            await _send(send, 422, _error(422, "the request broke a rule", rule="must be 1 to 200 printable "
                                          "characters without spaces", value=key[:80]))  # fmt: skip
            return
        now = datetime.now(UTC)
        try:
            principal = known_principal(self.db, secret, now) or await run_in_threadpool(
                principal_for_token, self.db, secret, now)  # fmt: skip
        except TokenRefused:
            await self.app(scope, receive, send)  # the route answers 401
            return
        login = principal.login
        body = await _read_body(receive)
        fingerprint = hashlib.sha256(b"\n".join([scope["method"].encode(), scope["path"].encode(),
                                                 scope.get("query_string", b""), body])).hexdigest()  # fmt: skip
        held = await run_in_threadpool(reserve_idempotency_key, self.db, login, key, fingerprint, datetime.now(UTC))
        if held is not None:
            if held.fingerprint != fingerprint:
                await _send(send, 422, _error(422, "the request broke a rule", rule="was sent before with another "
                                              "request: use a new key for a new request", value=key))  # fmt: skip
            elif held.status_code is None:
                await _send(send, 409, _error(409, "a request with this Idempotency-Key is still running (or was "
                                              "interrupted): its write is applied at most once"))  # fmt: skip
            else:
                await _send(send, held.status_code, (held.body or "").encode(), replayed=True)
            return
        await self._run(scope, body, send, login, key)

    async def _run(self, scope: Scope, body: bytes, send: Send, login: str, key: str) -> None:
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if sent:
                return {"type": "http.disconnect"}
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        try:
            await self.app(scope, replay, capture)
        except BaseException:
            await run_in_threadpool(release_idempotency_key, self.db, login, key)
            raise
        status, content = int(start.get("status", 500)), b"".join(chunks)
        if 200 <= status < 300:
            await run_in_threadpool(complete_idempotency_key, self.db, login, key, status, content.decode())
        else:
            await run_in_threadpool(release_idempotency_key, self.db, login, key)
        await send(start)
        await send({"type": "http.response.body", "body": content, "more_body": False})


async def _read_body(receive: Receive) -> bytes:
    parts = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        parts.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(parts)


async def _send(send: Send, status: int, body: bytes, *, replayed: bool = False) -> None:
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if replayed:
        headers.append((b"idempotent-replayed", b"true"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})
