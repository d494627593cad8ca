"""The API benchmark's floor: the fastest known way for a Python server on this machine to answer a request with
the worklist's bytes — uvicorn (with the same HTTP parser and event loop as ``arrears serve``) and a bare ASGI
application that sends the body read at start from ``ARREARS_FLOOR_BODY`` (a file), whatever was asked."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

BODY = Path(os.environ["ARREARS_FLOOR_BODY"]).read_bytes()
HEADERS = [(b"content-type", b"application/json"), (b"content-length", str(len(BODY)).encode())]


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Answer every HTTP request with :data:`BODY`."""
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": BODY})
