"""Answers of read routes given again while the database is unchanged (:mod:`arrears.services.read_cache`).

A route whose answer depends only on the data, the user and the request (a worklist) says so with
:func:`keep_answer`; :class:`KeptAnswers` then keeps its response, and answers the same ``GET`` (the same path,
query and bearer token, on the same day) with the same bytes, before any routing, dependency or query but the
database's change version, for as long as nothing is committed, the route's ``until`` has not come and the
token is known unchanged. Everything around it still applies: the allowed hosts, the request id and the access
log.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from arrears.api.middleware import bearer_secret
from arrears.services.database import Database
from arrears.services.read_cache import read_cache
from arrears.services.security import known_principal

_STATE_KEY = "keep_answer"
VERSION_STATE = "change_version"
"""The request state's change version, read as the request came in (before anything was computed for it)."""


@dataclass(frozen=True, slots=True)
class _Keep:
    until: datetime | None


def keep_answer(request: Request, until: datetime | None = None) -> None:
    """Let this request's answer (when it is a 200) be given again to the same request while nothing is
    committed to the database, until ``until`` (None: for as long as nothing is)."""
    setattr(request.state, _STATE_KEY, _Keep(until))


class KeptAnswers:
    """Give kept answers again (see the module); keep those a route lets keep."""

    def __init__(self, app: ASGIApp, db: Database) -> None:
        self.app, self.db = app, db

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        secret = bearer_secret(scope) if scope["type"] == "http" and scope["method"] == "GET" else None
        version = self.db.change_version() if secret else None  # before computing, as the cache asks
        if secret is None or version is None:
            await self.app(scope, receive, send)
            return
        scope.setdefault("state", {})[VERSION_STATE] = version  # the token's lookup asks no second time
        now = datetime.now(UTC)
        cache = read_cache(self.db)
        token = hashlib.blake2b(secret.encode(), digest_size=16).digest()
        key = ("answer", scope["path"], scope.get("query_string", b""), token, date.today())
        kept: tuple[Message, bytes] | None = cache.get(key, version, now)
        if kept is not None and (principal := known_principal(self.db, secret, now, version)) is not None:
            scope["state"]["login"] = principal.login  # as the access log reads it
            start, body = kept
            await send({**start, "headers": list(start["headers"])})
            await send({"type": "http.response.body", "body": body, "more_body": False})
            return
        started: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                started.update(message, headers=list(message.get("headers", [])))  # before others add theirs
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        await self.app(scope, receive, sending)
        keep = scope.get("state", {}).get(_STATE_KEY)
        if isinstance(keep, _Keep) and started.get("status") == 200:
            body = b"".join(chunks)
            cache.keep(key, version, (started, body), keep.until, size=len(body) + 512)
