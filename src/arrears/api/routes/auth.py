"""Signing in and bearer tokens: log in (a session token), log out, who am I, make, list and revoke tokens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi import APIRouter, Request, status

from arrears.api import config_schemas as cs
from arrears.api.auth import Admin, Anyone, DatabaseDep
from arrears.api.errors import ERROR_RESPONSES
from arrears.api.schemas import LoginCreate, MePublic, TokenCreate, TokenId, TokenIssuedPublic, TokenPublic
from arrears.domain.access import Permission
from arrears.services import security

router = APIRouter(tags=["authentication"], responses=ERROR_RESPONSES)


def _issued(issued: security.IssuedToken) -> TokenIssuedPublic:
    return TokenIssuedPublic(token=issued.secret, details=TokenPublic.model_validate(issued.line))


@router.post("/auth/login", status_code=status.HTTP_201_CREATED,
             responses={429: {"model": ERROR_RESPONSES[401]["model"], "description": "Too many failed logins"}})
def login(body: LoginCreate, db: DatabaseDep, request: Request) -> TokenIssuedPublic:
    """Sign in: a session token lasting the server's session lifetime (failed logins are throttled)."""
    now = datetime.now(UTC)
    principal = security.authenticate(db, body.login, body.password, now)
    lifetime = timedelta(minutes=request.app.state.settings.session_lifetime_minutes)
    return _issued(security.create_token(db, principal.login, "session", None, 0, now=now, kind="session",
                                         lifetime=lifetime))  # fmt: skip


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(principal: Anyone, db: DatabaseDep) -> None:
    """Revoke the token this request was sent with."""
    assert principal.token_id is not None
    security.revoke_token(db, principal.token_id, owner=principal.login, actor=principal.login, now=datetime.now(UTC))


@router.get("/me")
def me(principal: Anyone) -> MePublic:
    """The user the token acts as: role, portfolios (None: every one) and the token's scopes."""
    portfolios = sorted(principal.portfolios) if principal.portfolios is not None else None
    return MePublic(login=principal.login, role=principal.role, portfolios=portfolios,
                    scopes=sorted(principal.scopes))  # fmt: skip


@router.get("/tokens")
def list_tokens(principal: Anyone, db: DatabaseDep) -> list[TokenPublic]:
    """The user's own tokens, newest first."""
    return [TokenPublic.model_validate(line) for line in security.list_tokens(db, principal.login)]


@router.post("/tokens", status_code=status.HTTP_201_CREATED)
def create_token(body: TokenCreate, principal: Anyone, db: DatabaseDep) -> TokenIssuedPublic:
    """A new token of the user's (scopes at most what the role allows)."""
    scopes = [scope.value for scope in body.scopes] if body.scopes is not None else None
    return _issued(security.create_token(db, principal.login, body.name, scopes, body.expires_in_days,
                                         now=datetime.now(UTC)))  # fmt: skip


@router.delete("/tokens/{token_id}")
def revoke_token(token_id: TokenId, principal: Anyone, db: DatabaseDep) -> TokenPublic:
    """Revoke one of the user's tokens (an administrator may revoke anyone's)."""
    owner = None if principal.can(Permission.ADMIN) else principal.login
    line = security.revoke_token(db, token_id, owner=owner, actor=principal.login, now=datetime.now(UTC))
    return TokenPublic.model_validate(line)


@router.get("/logins")
def list_logins(principal: Admin, db: DatabaseDep) -> list[cs.LoginUserPublic]:
    """Everyone who may sign in: role, portfolios, active."""
    return [cs.LoginUserPublic.model_validate(line) for line in security.list_users(db)]


@router.post("/logins", status_code=status.HTTP_201_CREATED)
def add_login(body: cs.LoginUserCreate, principal: Admin, db: DatabaseDep) -> cs.LoginUserPublic:
    """Let a configured user or collector sign in with a role and a password (a manager or a collector: with
    their portfolios; a collector's login is their collector code)."""
    line = security.add_user(db, body.login, body.role.value, body.password, body.portfolios, actor=principal.login,
                             now=datetime.now(UTC))  # fmt: skip
    return cs.LoginUserPublic.model_validate(line)


@router.get("/logins/{login}")
def show_login(login: cs.Key, principal: Admin, db: DatabaseDep) -> cs.LoginUserPublic:
    """One login: role, portfolios, active."""
    return cs.LoginUserPublic.model_validate(security.show_user(db, login))


@router.patch("/logins/{login}")
def update_login(login: cs.Key, body: cs.LoginUserUpdate, principal: Admin, db: DatabaseDep) -> cs.LoginUserPublic:
    """Change a login's role or portfolios, or deactivate it (it cannot sign in; its tokens and web sessions are
    revoked at once) and activate it again; the last active administrator stays one (409)."""
    line = security.update_user(db, login, role=body.role.value if body.role is not None else None,
                                portfolios=body.portfolios, active=body.active, actor=principal.login,
                                now=datetime.now(UTC))  # fmt: skip
    return cs.LoginUserPublic.model_validate(line)


@router.put("/logins/{login}/password", status_code=status.HTTP_204_NO_CONTENT)
def set_password(login: cs.Key, body: cs.PasswordUpdate, principal: Admin, db: DatabaseDep) -> None:
    """Change a login's password (it also lifts a lock of failed logins)."""
    security.set_password(db, login, body.password, actor=principal.login, now=datetime.now(UTC))
