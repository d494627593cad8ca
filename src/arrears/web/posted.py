"""The posted form of a request, read once and checked against the browser's CSRF token before any route
sees it; a form's one-time token accepted once (:func:`once`); and the answer to a write done (back to a page,
with a line saying what was done)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData
from starlette.datastructures import UploadFile as StarletteUpload

from arrears.services.database import Database
from arrears.services.security import (
    complete_idempotency_key,
    release_idempotency_key,
    reserve_idempotency_key,
)
from arrears.web.forms import FormInput
from arrears.web.session import (
    CSRF_FIELD,
    FLASH_COOKIE,
    FORM_TOKEN_FIELD,
    PageRefused,
    check_csrf,
    form_token_issued,
    set_cookies,
)

MAX_PART_BYTES = 4 * 1024 * 1024
"""The largest field or file a form may post (a configuration document, its letters included)."""


@dataclass(frozen=True, slots=True)
class Upload:
    """A posted form with one file: its fields, the file's name and its bytes (None when no file was sent)."""

    form: FormInput
    file_name: str
    content: bytes | None


async def _read(request: Request) -> tuple[FormInput, FormData]:
    form = await request.form(max_files=1, max_part_size=MAX_PART_BYTES)
    values = {name: value for name, value in form.items() if isinstance(value, str)}
    check_csrf(request, values.pop(CSRF_FIELD, ""))
    lists = {name: [v for v in form.getlist(name) if isinstance(v, str)] for name in form}
    return FormInput(values, lists=lists), form


async def posted_form(request: Request) -> FormInput:
    """The fields of the posted form; 403 when its CSRF token is not this browser's (nothing is done)."""
    fields, _ = await _read(request)
    return fields


async def posted_upload(request: Request) -> Upload:
    """The fields and the file of a posted form (field ``file``), checked like :func:`posted_form`."""
    fields, form = await _read(request)
    sent = form.get("file")
    if isinstance(sent, StarletteUpload) and sent.filename:
        return Upload(fields, sent.filename, await sent.read(MAX_PART_BYTES + 1))
    return Upload(fields, "", None)


Posted = Annotated[FormInput, Depends(posted_form)]
PostedUpload = Annotated[Upload, Depends(posted_upload)]


@dataclass(frozen=True, slots=True)
class _Held:
    """The one-time form token a write holds until it is done (or has failed and frees it)."""

    db: Database
    login: str
    key: str


def once(request: Request, db: Database, form: FormInput, login: str, write: Callable[[], Response]) -> Response:
    """Do ``write`` for the form's one-time token the first time it is sent: a repeat of the token (a double click,
    a resent page) writes nothing more and goes where the first went, saying what it did. A write that did not
    end in :func:`done` (the form refused, a prompt shown) wrote nothing and frees the token. A form without a
    token this browser was given is refused (400) and nothing is done."""
    token = form.text(FORM_TOKEN_FIELD)
    if not form_token_issued(request, token):
        raise PageRefused(400, "The form was refused: its one-time token is missing or was not given to this "
                          "browser. Reload the page and send it again (nothing was done).")  # fmt: skip
    held = _Held(db, login, f"web-form:{token.partition('.')[0]}")
    form_of = hashlib.sha256(f"web form {request.url.path}".encode()).hexdigest()  # the form the token is of
    first = reserve_idempotency_key(db, login, held.key, form_of, datetime.now(UTC))
    if first is not None:
        if first.fingerprint != form_of:
            raise PageRefused(422, "The form was refused: its one-time token belongs to another form. Reload the "
                              "page and send it again (nothing was done).")  # fmt: skip
        if first.status_code is None or first.body is None:
            raise PageRefused(409, "This form was already sent and is still being done (or was interrupted): it is "
                              "done once, and nothing more was done.")  # fmt: skip
        answer = json.loads(first.body)
        return done(request, answer["target"], f"This form was already sent; nothing more was done. {answer['said']}")
    request.state.held_form_token = held
    try:
        response = write()
    finally:
        if getattr(request.state, "held_form_token", None) is held:  # not done: nothing was written
            release_idempotency_key(db, login, held.key)
            request.state.held_form_token = None
    return response


def done(request: Request, target: str, message: str) -> RedirectResponse:
    """Back to ``target`` after a write (303, so a reload does not send the form again), with ``message`` shown
    once at the top of the page; the one-time token the write held (:func:`once`) keeps this answer for a
    repeat."""
    held: _Held | None = getattr(request.state, "held_form_token", None)
    if held is not None:
        complete_idempotency_key(held.db, held.login, held.key, 303, json.dumps({"target": target, "said": message}))
        request.state.held_form_token = None
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(FLASH_COOKIE, quote(message[:500]), max_age=60, secure=True, httponly=True,
                        samesite="lax", path="/")  # fmt: skip
    set_cookies(request, response)
    return response
