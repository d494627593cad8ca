"""Signing in and out: the login form makes a session (a cookie), logging out revokes it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from arrears.services import security
from arrears.web.pages import render
from arrears.web.posted import Posted
from arrears.web.session import DatabaseDep, optional_viewer, safe_next, set_cookies

router = APIRouter(include_in_schema=False)


@router.get("/login")
def login_page(request: Request, next: str = "/") -> Response:
    """The login form (a signed-in user goes on to the page they asked for)."""
    if optional_viewer(request) is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return render(request, "login.html", {"next": safe_next(next)}, viewer=None)


@router.post("/login")
def login(request: Request, form: Posted, db: DatabaseDep) -> Response:
    """Sign in: a new session cookie, then the page asked for; the form again with the reason when refused."""
    login_name, password = form.text("login"), str(form.values.get("password", ""))
    target = safe_next(form.text("next"))
    now = datetime.now(UTC)
    try:
        principal = security.authenticate(db, login_name, password, now)
    except (security.LoginRefused, security.LoginThrottled) as refused:
        status = 429 if isinstance(refused, security.LoginThrottled) else 401
        return render(request, "login.html", {"next": target, "login": login_name, "refusal": str(refused)},
                      viewer=None, status=status)  # fmt: skip
    lifetime = timedelta(minutes=request.app.state.settings.session_lifetime_minutes)
    issued = security.create_token(db, principal.login, "web session", None, 0, now=now, kind="session",
                                   lifetime=lifetime)  # fmt: skip
    response = RedirectResponse(target, status_code=303)
    set_cookies(request, response, issued.secret)
    return response


@router.post("/logout")
def logout(request: Request, _form: Posted, db: DatabaseDep) -> Response:
    """End the session (a form, for its CSRF token): its token is revoked and the cookie removed."""
    principal = optional_viewer(request)
    if principal is not None and principal.token_id is not None:
        security.revoke_token(db, principal.token_id, owner=principal.login, actor=principal.login,
                              now=datetime.now(UTC))  # fmt: skip
    response = RedirectResponse("/login", status_code=303)
    set_cookies(request, response, end=True)
    return response
