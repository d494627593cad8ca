"""Users who sign in, their bearer tokens, and what a request may see and do.

A login belongs to a user or a collector of the configuration (their user level still comes from there): this
module adds the role, the portfolios a manager or a collector sees, the argon2 hash of the password, and the
bearer tokens the user makes and revokes (kept as SHA-256 digests: a token is shown once). A login that fails
five times in a row is locked for 30 seconds, doubling with each further failure (at most 15 minutes).
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from arrears.domain.access import (
    TOKEN_DAYS_MAX,
    TOKEN_DAYS_MIN,
    TOKEN_NAME_MAX_LENGTH,
    Principal,
    Role,
    Scope,
    locked_until,
    password_problems,
    role_scopes,
    scope_problems,
    user_problems,
)
from arrears.domain.errors import Conflict, NotFound, Problem, ValidationFailed
from arrears.services.read_cache import read_cache
from arrears.services.stored_strategy import load_strategy
from arrears.store import security as repo
from arrears.store.audit import append_audit, audit_request
from arrears.store.db import Database
from arrears.store.migrate import current_revision, head_revision
from arrears.store.models import ApiTokenRow, LoginRow
from arrears.store.portfolios import portfolio_ids
from arrears.store.uow import UnitOfWork

if TYPE_CHECKING:
    from arrears.store.db import Session

_hasher = PasswordHasher()
_UNKNOWN = _hasher.hash("an unknown login is checked against this, so it takes as long as a known one")
TOKEN_PREFIX = "arr_"
_LAST_USE_EVERY = timedelta(minutes=1)
"""How often a token's last use is written (not at every request)."""


class LoginRefused(Exception):
    """Wrong login or password (which one is not said), or an inactive login."""


class LoginThrottled(Exception):
    """Too many failed logins in a row: the login may try again at ``until``."""

    def __init__(self, until: datetime) -> None:
        self.until = until
        super().__init__(f"too many failed logins: try again after {until:%H:%M:%S} UTC")


class TokenRefused(Exception):
    """No such token, or it expired, was revoked, or its user is inactive."""


@dataclass(frozen=True, slots=True)
class UserLine:
    """A login as listed."""

    login: str
    role: str
    portfolios: tuple[str, ...]
    active: bool


@dataclass(frozen=True, slots=True)
class TokenLine:
    """A token as listed (never the token itself)."""

    id: int
    login: str
    name: str
    kind: str
    scopes: tuple[str, ...]
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A token just made: ``secret`` is the bearer token, shown this once."""

    line: TokenLine
    secret: str


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _aware(moment: datetime | None) -> datetime | None:
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


def _user_line(row: LoginRow) -> UserLine:
    return UserLine(row.login, row.role, tuple(json.loads(row.portfolios)), row.active)


def _token_line(row: ApiTokenRow) -> TokenLine:
    expires = _aware(row.expires_at)
    assert expires is not None
    created = _aware(row.created_at)
    assert created is not None
    return TokenLine(row.id, row.login, row.name, row.kind, tuple(json.loads(row.scopes)), created, expires,
                     _aware(row.revoked_at), _aware(row.last_used_at))  # fmt: skip


def _principal(row: LoginRow, scopes: Iterable[str], token_id: int | None) -> Principal:
    role = Role(row.role)
    portfolios = frozenset(json.loads(row.portfolios)) if json.loads(row.portfolios) else None
    return Principal(row.login, role, portfolios, frozenset(Scope(s) for s in scopes), token_id)


# ----------------------------------------------------------------------------------------------- users


def _login_problems(session: Session, login: str, role: str, portfolios: Sequence[str]) -> list[Problem]:
    """The rules a login's role and portfolios break, and whether the configuration has the user or collector."""
    strategy = load_strategy(session)
    problems = user_problems(login, role, portfolios, portfolio_ids(session))
    if role == Role.COLLECTOR.value and strategy.collector(login) is None:
        problems.append(Problem("login", "a collector's login is the code of a configured collector", login))
    elif not any(u.login == login for u in strategy.users) and strategy.collector(login) is None:
        problems.append(Problem("login", "is not a configured user or collector (add it to the configuration's "
                                "users first)", login))  # fmt: skip
    return problems


def _login_state(row: LoginRow) -> dict[str, object]:
    return {"role": row.role, "portfolios": json.loads(row.portfolios), "active": row.active}


def add_user(
    db: Database, login: str, role: str, password: str, portfolios: Sequence[str], *, actor: str, now: datetime
) -> UserLine:
    """Let the configured user or collector ``login`` sign in with ``role`` and ``password``; a manager or a
    collector sees only ``portfolios`` (a collector's login is a configured collector's code)."""
    with UnitOfWork(db) as uow:
        session = uow.session
        problems = _login_problems(session, login, role, portfolios) + password_problems(password)
        if repo.login_row(session, login) is not None:
            problems.append(Problem("login", "can already sign in (arrears users passwd changes the password)", login))
        if problems:
            raise ValidationFailed(problems)
        row = LoginRow(login=login, role=role, portfolios=json.dumps(sorted(set(portfolios))),
                       password_hash=_hasher.hash(password), active=True, failed_logins=0, created_at=now,
                       password_changed_at=now)  # fmt: skip
        session.add(row)
        append_audit(session, actor=actor, entity="login", key=login, action="added", before=None,
                     after={"role": role, "portfolios": sorted(set(portfolios))})  # fmt: skip
        uow.commit()
        return _user_line(row)


def set_password(db: Database, login: str, password: str, *, actor: str, now: datetime) -> None:
    """Change the password of ``login`` (it also ends a throttling lock)."""
    if problems := password_problems(password):
        raise ValidationFailed(problems)
    with UnitOfWork(db) as uow:
        row = repo.login_row(uow.session, login, for_update=True)
        if row is None:
            raise NotFound(f"no login {login!r}")
        row.password_hash, row.password_changed_at, row.failed_logins = _hasher.hash(password), now, 0
        append_audit(uow.session, actor=actor, entity="login", key=login, action="password", before=None, after=None)
        uow.commit()


def update_user(
    db: Database, login: str, *, role: str | None = None, portfolios: Sequence[str] | None = None,
    active: bool | None = None, actor: str, now: datetime,
) -> UserLine:  # fmt: skip
    """Change the role, the portfolios or whether ``login`` may sign in (None: keep it). Deactivating a login
    stops it at once: it cannot sign in, and its API tokens and web sessions are revoked (each audited), so
    activating it again gives none of them back. The last active administrator keeps that role and stays active
    (:class:`Conflict`)."""
    with UnitOfWork(db) as uow:
        session = uow.session
        row = repo.login_row(session, login, for_update=True)
        if row is None:
            raise NotFound(f"no login {login!r}")
        before = _login_state(row)
        new_role = role if role is not None else row.role
        chosen = sorted(set(portfolios)) if portfolios is not None else json.loads(row.portfolios)
        if problems := _login_problems(session, login, new_role, chosen):
            raise ValidationFailed(problems)
        still_admin = new_role == Role.ADMIN.value and (active if active is not None else row.active)
        if row.role == Role.ADMIN.value and row.active and not still_admin:
            others = [r for r in repo.login_rows(session) if r.login != login and r.active and r.role == row.role]
            if not others:
                raise Conflict([Problem("login", "is the last active administrator: make another one first", login)])
        row.role, row.portfolios = new_role, json.dumps(chosen)
        if active is not None:
            row.active = active
        after = _login_state(row)
        if after != before:
            action = "updated" if before["active"] == after["active"] else "activated" if row.active else "deactivated"
            append_audit(session, actor=actor, entity="login", key=login, action=action, before=before, after=after)
            if action == "deactivated":
                _revoke_tokens_of(session, login, actor=actor, now=now, reason="the login was deactivated")
            uow.commit()
        return _user_line(row)


def _revoke_tokens_of(session: Session, login: str, *, actor: str, now: datetime, reason: str) -> None:
    """Revoke every token of ``login`` still in force (API tokens and web sessions alike), one audit row each."""
    for token in repo.tokens_in_force(session, login, now):
        token.revoked_at = now
        append_audit(session, actor=actor, entity="token", key=str(token.id), action="revoked", before=None,
                     after={"revoked_at": now.isoformat(), "kind": token.kind, "reason": reason})  # fmt: skip


def show_user(db: Database, login: str) -> UserLine:
    """The login ``login``; :class:`NotFound` when there is none."""
    with db.session() as session:
        row = repo.login_row(session, login)
        if row is None:
            raise NotFound(f"no login {login!r}")
        return _user_line(row)


def list_users(db: Database) -> list[UserLine]:
    """Every login, by name."""
    with db.session() as session:
        return [_user_line(row) for row in repo.login_rows(session)]


def authenticate(db: Database, login: str, password: str, now: datetime) -> Principal:
    """The user ``login`` when ``password`` is theirs; :class:`LoginRefused` otherwise, and
    :class:`LoginThrottled` while too many failures in a row lock the login (even with the right password)."""
    with UnitOfWork(db) as uow:
        row = repo.login_row(uow.session, login, for_update=True)
        if row is None:
            with suppress(VerificationError):
                _hasher.verify(_UNKNOWN, password)
            raise LoginRefused("wrong login or password")
        last = _aware(row.last_failed_at)
        until = locked_until(row.failed_logins, last) if last is not None else None
        if until is not None and now < until:
            raise LoginThrottled(until)
        try:
            _hasher.verify(row.password_hash, password)
        except (VerificationError, InvalidHashError):
            row.failed_logins, row.last_failed_at = row.failed_logins + 1, now
            uow.commit()
            raise LoginRefused("wrong login or password") from None
        if not row.active:
            raise LoginRefused("this login is not active")
        row.failed_logins = 0
        if _hasher.check_needs_rehash(row.password_hash):
            row.password_hash = _hasher.hash(password)
        uow.commit()
        return _principal(row, role_scopes(Role(row.role)), None)


# ---------------------------------------------------------------------------------------------- tokens


def create_token(
    db: Database, login: str, name: str, scopes: Sequence[str] | None, days: int, *, now: datetime,
    kind: str = "api", lifetime: timedelta | None = None,
) -> IssuedToken:  # fmt: skip
    """A new bearer token of ``login`` named ``name`` with ``scopes`` (None: all its role allows), valid for
    ``days`` (or ``lifetime``, for a session made by a login); a deactivated login gets none (:class:`Conflict`)."""
    with UnitOfWork(db) as uow:
        session = uow.session
        row = repo.login_row(session, login)
        if row is None:
            raise NotFound(f"no login {login!r}")
        if not row.active:
            raise Conflict([Problem("login", "is deactivated: activate it before making it a token", login)])
        role = Role(row.role)
        chosen = sorted(set(scopes)) if scopes is not None else sorted(s.value for s in role_scopes(role))
        problems = scope_problems(role, chosen)
        if not name.strip() or len(name) > TOKEN_NAME_MAX_LENGTH:
            problems.append(Problem("name", f"is required, at most {TOKEN_NAME_MAX_LENGTH} characters", name))
        if lifetime is None and not TOKEN_DAYS_MIN <= days <= TOKEN_DAYS_MAX:
            problems.append(Problem("expires_in_days", f"must be {TOKEN_DAYS_MIN} to {TOKEN_DAYS_MAX}", str(days)))
        if problems:
            raise ValidationFailed(problems)
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token = ApiTokenRow(login=login, digest=_digest(secret), name=name.strip(), kind=kind,
                            scopes=json.dumps(chosen), created_at=now,
                            expires_at=now + (lifetime or timedelta(days=days)))  # fmt: skip
        session.add(token)
        session.flush()
        append_audit(session, actor=login, entity="token", key=str(token.id), action="added", before=None,
                     after={"name": token.name, "kind": kind, "scopes": chosen,
                            "expires_at": token.expires_at.isoformat()})  # fmt: skip
        uow.commit()
        return IssuedToken(_token_line(token), secret)


def list_tokens(db: Database, login: str) -> list[TokenLine]:
    """The tokens of ``login``, newest first; :class:`NotFound` for an unknown login."""
    with db.session() as session:
        if repo.login_row(session, login) is None:
            raise NotFound(f"no login {login!r}")
        return [_token_line(row) for row in repo.tokens_of(session, login)]


def revoke_token(db: Database, token_id: int, *, owner: str | None, actor: str, now: datetime) -> TokenLine:
    """Revoke token ``token_id`` (of ``owner`` only, when given: another user's token is not found); revoking a
    revoked token changes nothing."""
    with UnitOfWork(db) as uow:
        row = repo.token_row(uow.session, token_id)
        if row is None or (owner is not None and row.login != owner):
            raise NotFound(f"no token {token_id}")
        if row.revoked_at is None:
            row.revoked_at = now
            append_audit(uow.session, actor=actor, entity="token", key=str(token_id), action="revoked",
                         before=None, after={"revoked_at": now.isoformat()})  # fmt: skip
        uow.commit()
        return _token_line(row)


def principal_for_token(db: Database, secret: str, now: datetime) -> Principal:
    """The user a bearer token acts as, with the token's scopes; :class:`TokenRefused` for an unknown, expired
    or revoked token, or an inactive user. The answer is kept while the database is unchanged (see
    :func:`known_principal`), and given again from there without a query."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 100:
        raise TokenRefused("not a token of this server")
    digest = _digest(secret)
    version = db.change_version()
    if (known := read_cache(db).get(("principal", digest), version, now)) is not None:
        return known
    with UnitOfWork(db) as uow:
        found = repo.token_by_digest(uow.session, digest)
        if found is None:
            raise TokenRefused("unknown token")
        token, login = found
        expires = _aware(token.expires_at)
        if token.revoked_at is not None or not login.active or (expires is not None and expires <= now):
            raise TokenRefused("the token was revoked or has expired")
        last = _aware(token.last_used_at)
        if last is None or now - last > _LAST_USE_EVERY:  # one write a minute, not one per request
            token.last_used_at = last = now
            uow.commit()
        principal = _principal(login, json.loads(token.scopes), token.id)
    # kept until its last use is due to be written again (or it expires); a revocation is a commit
    until = last + _LAST_USE_EVERY if expires is None else min(last + _LAST_USE_EVERY, expires)
    read_cache(db).keep(("principal", digest), version, principal, until)
    return principal


def known_principal(db: Database, secret: str, now: datetime, version: str | None = None) -> Principal | None:
    """:func:`principal_for_token`'s answer for ``secret`` when the database has not changed since it was
    given and it still holds at ``now`` (no query but the database's change version, unless the caller has just
    read it: ``version``); None: ask it."""
    return read_cache(db).get(("principal", _digest(secret)), version or db.change_version(), now)


# ----------------------------------------------------------------------------------------------- scope


def account_portfolio(db: Database, external_id: str) -> str:
    """The portfolio of account ``external_id``; :class:`NotFound` when there is none."""
    with db.engine.connect() as connection:
        code = repo.account_portfolio(connection, external_id)
    if code is None:
        raise NotFound(f"no account {external_id!r}")
    return code


def activity_portfolio(db: Database, activity_id: int) -> str:
    """The portfolio of the account of activity ``activity_id``; :class:`NotFound` when there is none."""
    with db.engine.connect() as connection:
        code = repo.activity_portfolio(connection, activity_id)
    if code is None:
        raise NotFound(f"no activity {activity_id}")
    return code


def known_portfolios(db: Database) -> frozenset[str]:
    """The codes of every portfolio (the enterprise root included)."""
    with db.session() as session:
        return frozenset(portfolio_ids(session))


# ----------------------------------------------------------------------------------------- idempotency


@dataclass(frozen=True, slots=True)
class StoredResponse:
    """The response of a write sent before with the same key (``status_code`` None: it is still running)."""

    fingerprint: str
    status_code: int | None
    body: str | None


def reserve_idempotency_key(
    db: Database, login: str, key: str, fingerprint: str, now: datetime
) -> StoredResponse | None:
    """Reserve ``key`` for a write of ``login``: None when it is this request's now, else what holds it."""
    with db.engine.begin() as connection:
        held = repo.reserve_key(connection, login, key, fingerprint, now)
    return None if held is None else StoredResponse(held.fingerprint, held.status_code, held.body)


def complete_idempotency_key(db: Database, login: str, key: str, status_code: int, body: str) -> None:
    """Keep the response of the write that holds ``key``, for its retries."""
    with db.engine.begin() as connection:
        repo.complete_key(connection, login, key, status_code, body)


def release_idempotency_key(db: Database, login: str, key: str) -> None:
    """Free ``key``: its write failed, wrote nothing, and may be sent again."""
    with db.engine.begin() as connection:
        repo.release_key(connection, login, key)


# ------------------------------------------------------------------------------------------------ demo


DEMO_ROLES = (("admin", Role.ADMIN), ("manager", Role.MANAGER), ("auditor", Role.AUDITOR))
"""The demo strategy's users and their roles; every configured collector signs in as a collector."""


@dataclass(frozen=True, slots=True)
class DemoLogin:
    """A demo user who may sign in, and their password (printed once by ``arrears demo``)."""

    login: str
    role: str
    portfolios: tuple[str, ...]
    password: str


def add_demo_logins(db: Database, now: datetime) -> list[DemoLogin]:
    """Let the demo's users sign in, each with a new random password: the administrator, the manager (every
    portfolio), the auditor, and each collector (the portfolios whose task assignment names them or their
    groups). Users the stored configuration does not have are left out."""
    strategy = load_strategy(db)
    with db.session() as session:
        codes = sorted(code for code in portfolio_ids(session) if code != "ENTERPRISE")
    wanted: list[tuple[str, Role, list[str]]] = [
        (login, role, codes if role is Role.MANAGER else [])
        for login, role in DEMO_ROLES if any(user.login == login for user in strategy.users)
    ]  # fmt: skip
    for collector in strategy.collectors:
        names = {collector.code, *collector.groups}
        mine = [p.portfolio for p in strategy.entry_policy.portfolios
                if p.assignment.default_collector in names or any(r.collector in names for r in p.assignment.rules)]
        wanted.append((collector.code, Role.COLLECTOR, sorted(set(mine) & set(codes)) or codes))  # fmt: skip
    made = []
    for login, role, portfolios in wanted:
        password = secrets.token_urlsafe(12)
        add_user(db, login, role.value, password, portfolios, actor="demo", now=now)
        made.append(DemoLogin(login, role.value, tuple(portfolios), password))
    return made


# ------------------------------------------------------------------------------------------- readiness


def readiness_problem(db: Database) -> str | None:
    """Why the database cannot serve requests now (unreachable, or its schema not this Arrears' one); None
    when it can."""
    try:
        revision = current_revision(db.engine)
    except Exception as error:  # any failure to reach the database means the same thing here
        return f"database unreachable: {type(error).__name__}"
    head = head_revision()
    return None if revision == head else f"schema at revision {revision}, this Arrears needs {head}"


@contextmanager
def request_audited(request_id: str) -> Iterator[None]:
    """Within the block, every audit row records the API request ``request_id``."""
    with audit_request(request_id):
        yield
