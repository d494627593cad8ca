"""Who a page is shown to: the session cookie of a login, and the CSRF token every form carries.

A login makes a session token (the same kind the API's ``POST /api/v1/auth/login`` makes, stored as a digest,
lasting the session lifetime); the browser keeps it in a cookie that is ``Secure``, ``HttpOnly`` and
``SameSite=Lax``. Every form carries a CSRF token: an HMAC, under the server's secret key, of a random value kept
in a second cookie and of the session token, so a token is good only with the browser's own cookies (and a new
one is issued at login). A form posted without it, or with another, is refused and nothing is done.

A form that posts money or creates work also carries a one-time form token (:func:`form_token`): a random value
signed like the CSRF token, new each time the form is shown; :func:`arrears.web.posted.once` accepts it once.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request, Response

from arrears.domain.access import Permission, Principal
from arrears.services.database import Database
from arrears.services.security import TokenRefused, principal_for_token

SESSION_COOKIE = "arrears_session"
CSRF_COOKIE = "arrears_csrf"
CSRF_FIELD = "csrf_token"
FORM_TOKEN_FIELD = "form_token"
FLASH_COOKIE = "arrears_flash"
"""A line saying what the last write did, shown once on the page it led to."""


class LoginRequired(Exception):
    """The page needs a signed-in user: the answer is the login page, then back to ``next``."""

    def __init__(self, next_path: str) -> None:
        self.next_path = next_path
        super().__init__(next_path)


class PageRefused(Exception):
    """A page that cannot be shown or a form that cannot be accepted: the HTTP status and a sentence."""

    def __init__(self, status: int, detail: str) -> None:
        self.status, self.detail = status, detail
        super().__init__(detail)


def database(request: Request) -> Database:
    """The server's database."""
    db: Database = request.app.state.db
    return db


def _secret(request: Request) -> bytes:
    return str(request.app.state.settings.secret_key).encode()


def csrf_seed(request: Request) -> str:
    """The browser's CSRF cookie, or a new random value for it (kept on the request to be set on the answer)."""
    seed = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "new_csrf_seed", None)
    if not seed:
        seed = secrets.token_urlsafe(32)
        request.state.new_csrf_seed = seed
    return seed


def csrf_token(request: Request) -> str:
    """The CSRF token of this browser's cookies: the hidden field of every form."""
    message = f"{csrf_seed(request)}|{request.cookies.get(SESSION_COOKIE, '')}".encode()
    return hmac.new(_secret(request), message, hashlib.sha256).hexdigest()


def check_csrf(request: Request, given: str) -> None:
    """Refuse (403) a form whose CSRF token is not this browser's."""
    if not request.cookies.get(CSRF_COOKIE) or not hmac.compare_digest(given, csrf_token(request)):
        raise PageRefused(403, "The form was refused: its security token is missing or out of date. Reload the "
                          "page and send it again.")  # fmt: skip


def _form_token_signature(request: Request, nonce: str) -> str:
    message = f"form|{nonce}|{csrf_seed(request)}".encode()
    return hmac.new(_secret(request), message, hashlib.sha256).hexdigest()[:32]


def form_token(request: Request) -> str:
    """A new one-time token for a form of this browser (the hidden field ``form_token``)."""
    nonce = secrets.token_urlsafe(16)
    return f"{nonce}.{_form_token_signature(request, nonce)}"


def form_token_issued(request: Request, token: str) -> bool:
    """True when ``token`` is one :func:`form_token` issued to this browser."""
    nonce, _, signature = token.partition(".")
    return bool(nonce) and hmac.compare_digest(signature, _form_token_signature(request, nonce))


def set_cookies(request: Request, response: Response, session: str | None = None, *, end: bool = False) -> None:
    """Put on ``response`` the CSRF cookie the page was given, a new session (``session``) or the end of it, and
    clear the flash line the page showed."""
    lifetime = int(request.app.state.settings.session_lifetime_minutes) * 60
    seed = getattr(request.state, "new_csrf_seed", None)
    if seed:
        response.set_cookie(CSRF_COOKIE, seed, secure=True, httponly=True, samesite="lax", path="/")
    if session is not None:
        response.set_cookie(SESSION_COOKIE, session, max_age=lifetime, secure=True, httponly=True, samesite="lax",
                            path="/")  # fmt: skip
    if getattr(request.state, "clear_flash", False):
        response.delete_cookie(FLASH_COOKIE, path="/", secure=True, httponly=True, samesite="lax")
    if end:
        response.delete_cookie(SESSION_COOKIE, path="/", secure=True, httponly=True, samesite="lax")


def optional_viewer(request: Request) -> Principal | None:
    """The signed-in user of the session cookie; None without a valid session."""
    secret = request.cookies.get(SESSION_COOKIE)
    if not secret:
        return None
    try:
        principal = principal_for_token(database(request), secret, datetime.now(UTC))
    except TokenRefused:
        return None
    request.state.login = principal.login
    return principal


def viewer(request: Request) -> Principal:
    """The signed-in user; the login page (and back here) without one."""
    principal = optional_viewer(request)
    if principal is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(target if request.method == "GET" else "/")
    return principal


def worker(principal: Annotated[Principal, Depends(viewer)]) -> Principal:
    """The signed-in user, when they may do a collector's writes (else 403)."""
    if not principal.can(Permission.WORK):
        raise PageRefused(403, f"A {principal.role.value} may read accounts but not change them.")
    return principal


Viewer = Annotated[Principal, Depends(viewer)]
Worker = Annotated[Principal, Depends(worker)]
DatabaseDep = Annotated[Database, Depends(database)]


def login_path(next_path: str) -> str:
    """The login page, coming back to ``next_path`` (a path of this server only)."""
    return "/login" if next_path in ("", "/") else f"/login?next={quote(next_path, safe='/')}"


def safe_next(next_path: str | None) -> str:
    """Where to go after signing in: a path of this server (never another site)."""
    if not next_path or not next_path.startswith("/") or next_path.startswith("//") or "\\" in next_path:
        return "/"
    return next_path

