"""Rendering a page: the templates shipped in the package, the filters they use (money, dates), and what every
page is given (the signed-in user, the CSRF token, one-time form tokens, the form errors)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from arrears.domain.access import Permission, Principal
from arrears.domain.money import format_cents
from arrears.domain.priority import priority_band
from arrears.web.session import CSRF_FIELD, FLASH_COOKIE, FORM_TOKEN_FIELD, csrf_token, form_token, set_cookies

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")


def _money(cents: int | None) -> str:
    return "" if cents is None else format_cents(cents)


def _moment(value: datetime | None, zone: str | None = None) -> str:
    if value is None:
        return ""
    return value.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M %Z") if zone else value.strftime("%Y-%m-%d %H:%M")


def _day(value: date | None) -> str:
    return "" if value is None else value.isoformat()


templates.env.filters.update(money=_money, moment=_moment, day=_day, band=priority_band)

SECURITY_HEADERS = {
    # Everything a page uses comes from this server: no inline script, no other origin, no framing.
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def render(
    request: Request, name: str, context: dict[str, Any], *, viewer: Principal | None, status: int = 200,
    inline_styles: bool = False,
) -> HTMLResponse:
    """The page ``name`` with ``context``, for ``viewer`` (None on the login page); ``inline_styles`` lets the
    page show a letter with its own stylesheet (in a sandboxed frame; scripts stay forbidden)."""
    flash = request.cookies.get(FLASH_COOKIE)
    if flash:
        request.state.clear_flash = True  # shown once
    common = {
        "flash": unquote(flash) if flash else "",
        "viewer": viewer,
        "csrf_field": CSRF_FIELD,
        "csrf_token": csrf_token(request),
        "form_token_field": FORM_TOKEN_FIELD,
        "form_token": lambda: form_token(request),  # a new one for each form that asks
        "may_work": viewer is not None and viewer.can(Permission.WORK),
        "may_configure": viewer is not None and viewer.can(Permission.CONFIGURE),
        "may_admin": viewer is not None and viewer.can(Permission.ADMIN),
        "errors": {},
        "values": {},
    }
    response = templates.TemplateResponse(request, name, common | context, status_code=status)
    response.headers.update(SECURITY_HEADERS)
    if inline_styles:
        response.headers["Content-Security-Policy"] = SECURITY_HEADERS["Content-Security-Policy"].replace(
            "style-src 'self'", "style-src 'self' 'unsafe-inline'")
    set_cookies(request, response)
    return response
