"""The posted form of a request, read once and checked against the browser's CSRF token before any route
sees it; and the answer to a write done (back to a page, with a line saying what was done)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse
from starlette.datastructures import FormData
from starlette.datastructures import UploadFile as StarletteUpload

from arrears.web.forms import FormInput
from arrears.web.session import CSRF_FIELD, FLASH_COOKIE, check_csrf, set_cookies

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


def done(request: Request, target: str, message: str) -> RedirectResponse:
    """Back to ``target`` after a write (303, so a reload does not send the form again), with ``message`` shown
    once at the top of the page."""
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(FLASH_COOKIE, quote(message[:500]), max_age=60, secure=True, httponly=True,
                        samesite="lax", path="/")  # fmt: skip
    set_cookies(request, response)
    return response

