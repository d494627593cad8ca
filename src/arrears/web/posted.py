"""The posted form of a request, read once and checked against the browser's CSRF token before any route
sees it; and the answer to a write done (back to a page, with a line saying what was done)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse

from arrears.web.forms import FormInput
from arrears.web.session import CSRF_FIELD, FLASH_COOKIE, check_csrf, set_cookies


async def posted_form(request: Request) -> FormInput:
    """The fields of the posted form; 403 when its CSRF token is not this browser's (nothing is done)."""
    form = await request.form()
    values = {name: value for name, value in form.items() if isinstance(value, str)}
    check_csrf(request, values.pop(CSRF_FIELD, ""))
    lists = {name: [v for v in form.getlist(name) if isinstance(v, str)] for name in form}
    return FormInput(values, lists=lists)


Posted = Annotated[FormInput, Depends(posted_form)]


def done(request: Request, target: str, message: str) -> RedirectResponse:
    """Back to ``target`` after a write (303, so a reload does not send the form again), with ``message`` shown
    once at the top of the page."""
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(FLASH_COOKIE, quote(message[:500]), max_age=60, secure=True, httponly=True,
                        samesite="lax", path="/")  # fmt: skip
    set_cookies(request, response)
    return response

