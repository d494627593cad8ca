"""Who a request acts as (a bearer token) and whether they may: dependencies of the routes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from arrears.api.errors import Refused
from arrears.api.kept import VERSION_STATE
from arrears.domain.access import Permission, Principal
from arrears.domain.errors import NotFound
from arrears.services.database import Database
from arrears.services.security import (
    TokenRefused,
    account_portfolio,
    activity_portfolio,
    known_portfolios,
    known_principal,
    principal_for_token,
)

bearer = HTTPBearer(auto_error=False, description="A token from POST /api/v1/auth/login or POST /api/v1/tokens")


async def database(request: Request) -> Database:
    """The server's database (a coroutine: it does no I/O, so it costs no hop to a worker thread)."""
    db: Database = request.app.state.db
    return db


DatabaseDep = Annotated[Database, Depends(database)]


async def current_principal(
    request: Request, db: DatabaseDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> Principal:
    """The user the bearer token acts as; 401 without a valid one. A coroutine: a token known unchanged since
    the last request is answered without leaving the event loop, another is looked up in a request thread."""
    challenge = {"WWW-Authenticate": "Bearer"}
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Refused(401, "not authenticated: send Authorization: Bearer TOKEN", challenge)
    now = datetime.now(UTC)
    principal = known_principal(db, credentials.credentials, now, getattr(request.state, VERSION_STATE, None))
    if principal is None:
        try:
            principal = await run_in_threadpool(principal_for_token, db, credentials.credentials, now)
        except TokenRefused as refused:
            raise Refused(401, f"not authenticated: {refused}", challenge) from refused
    request.state.login = principal.login
    return principal


def allowed(permission: Permission) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency: the current user, when their role and token allow ``permission`` (else 403); a coroutine,
    as it does no I/O."""

    async def check(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
        if not principal.can(permission):
            raise Refused(403, f"a {principal.role.value} with this token's scopes may not {permission.value}")
        return principal

    return check


Reader = Annotated[Principal, Depends(allowed(Permission.READ))]
Worker = Annotated[Principal, Depends(allowed(Permission.WORK))]
Reverser = Annotated[Principal, Depends(allowed(Permission.REVERSE))]
Runner = Annotated[Principal, Depends(allowed(Permission.RUN))]
Configurer = Annotated[Principal, Depends(allowed(Permission.CONFIGURE))]
Admin = Annotated[Principal, Depends(allowed(Permission.ADMIN))]
Anyone = Annotated[Principal, Depends(current_principal)]


def account_in_scope(db: Database, principal: Principal, external_id: str) -> str:
    """The portfolio of account ``external_id``; 404 when there is none or it is outside the user's portfolios
    (the same answer: an id outside them says nothing of what exists)."""
    if not principal.sees(account_portfolio(db, external_id)):
        raise NotFound(f"no account {external_id!r}")
    return external_id


def activity_in_scope(db: Database, principal: Principal, activity_id: int) -> int:
    """Activity ``activity_id``; 404 when there is none or its account is outside the user's portfolios."""
    if not principal.sees(activity_portfolio(db, activity_id)):
        raise NotFound(f"no activity {activity_id}")
    return activity_id


def portfolio_in_scope(db: Database, principal: Principal, code: str) -> str:
    """Portfolio ``code``; 404 when there is none or it is outside the user's portfolios."""
    if code not in known_portfolios(db) or not principal.sees(code):
        raise NotFound(f"no portfolio {code!r}")
    return code
