"""Who may do what: roles, token scopes, the portfolio scope of a user, and login throttling.

A user has one role. An administrator and an auditor see every portfolio; a manager and a collector see only
the portfolios given to them (at least one), and through them the accounts, activities and runs' errors of those
portfolios. A bearer token carries scopes, a subset of what its user's role allows: what a request may do is what
both the role and the token's scopes allow.

Pure: no I/O, no clock (times are passed in).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from arrears.domain.errors import Problem


class Role(StrEnum):
    """What a user is (issue: admin, manager, collector, read-only auditor)."""

    ADMIN = "admin"
    MANAGER = "manager"
    COLLECTOR = "collector"
    AUDITOR = "auditor"


class Permission(StrEnum):
    """One kind of request."""

    READ = "read"
    """Read accounts, worklists, runs and the rest, within the portfolio scope."""
    WORK = "work"
    """A collector's writes: post a payment, notes, promises, follow-ups, complete and reassign work."""
    REVERSE = "reverse"
    """Reverse a payment (NSF)."""
    RUN = "run"
    """Start a daily run (a manager: of one of their portfolios)."""
    CONFIGURE = "configure"
    """Change what belongs to one's portfolios: their collections settings and assignment rules, scheme holds,
    contact-plan batches (a manager: of their portfolios)."""
    ADMIN = "admin"
    """Change the enterprise-wide configuration (actions, series, collectors, the configuration document),
    portfolios, users and other users' tokens."""


class Scope(StrEnum):
    """What a bearer token may be used for."""

    READ = "read"
    WRITE = "write"
    ADMIN = "admin"


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.MANAGER: frozenset(
        {Permission.READ, Permission.WORK, Permission.REVERSE, Permission.RUN, Permission.CONFIGURE}
    ),
    Role.COLLECTOR: frozenset({Permission.READ, Permission.WORK}),
    Role.AUDITOR: frozenset({Permission.READ}),
}
SCOPE_PERMISSIONS: dict[Scope, frozenset[Permission]] = {
    Scope.READ: frozenset({Permission.READ}),
    Scope.WRITE: frozenset({Permission.WORK, Permission.REVERSE, Permission.RUN, Permission.CONFIGURE}),
    Scope.ADMIN: frozenset({Permission.ADMIN}),
}
SCOPED_ROLES = frozenset({Role.MANAGER, Role.COLLECTOR})
"""The roles that see only their portfolios."""


def role_scopes(role: Role) -> frozenset[Scope]:
    """The scopes a token of a user with ``role`` may carry: those granting something the role allows."""
    allowed = ROLE_PERMISSIONS[role]
    return frozenset(scope for scope, granted in SCOPE_PERMISSIONS.items() if granted & allowed)


@dataclass(frozen=True, slots=True)
class Principal:
    """The user a request acts as: login, role, portfolio scope (None: every portfolio), the token's scopes."""

    login: str
    role: Role
    portfolios: frozenset[str] | None
    scopes: frozenset[Scope]
    token_id: int | None = None

    def can(self, permission: Permission) -> bool:
        """True when both the role and the token's scopes allow ``permission``."""
        granted = frozenset().union(*(SCOPE_PERMISSIONS[scope] for scope in self.scopes))
        return permission in ROLE_PERMISSIONS[self.role] and permission in granted

    def sees(self, portfolio: str) -> bool:
        """True when ``portfolio`` is within this user's scope."""
        return self.portfolios is None or portfolio in self.portfolios


LOGIN_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,59}$")
PASSWORD_MIN_LENGTH, PASSWORD_MAX_LENGTH = 12, 256
TOKEN_NAME_MAX_LENGTH = 100
TOKEN_DAYS_MIN, TOKEN_DAYS_MAX = 1, 365


def password_problems(password: str) -> list[Problem]:
    """The rules a new password breaks (its value is never echoed)."""
    if not PASSWORD_MIN_LENGTH <= len(password) <= PASSWORD_MAX_LENGTH:
        return [Problem("password", f"must be {PASSWORD_MIN_LENGTH} to {PASSWORD_MAX_LENGTH} characters")]
    if password.strip() != password or not password.isprintable():
        return [Problem("password", "must be printable, without leading or trailing spaces")]
    return []


def user_problems(login: str, role: str, portfolios: Iterable[str], known_portfolios: Iterable[str]) -> list[Problem]:
    """The rules a user's login, role and portfolios break: a manager or a collector has at least one
    portfolio, an administrator or an auditor none (they see every one)."""
    problems = []
    if not LOGIN_PATTERN.match(login):
        problems.append(Problem("login", "must be 1 to 60 letters, digits, _ . @ or -, starting with a letter or "
                                "digit", login))  # fmt: skip
    if role not in {r.value for r in Role}:
        problems.append(Problem("role", f"must be one of {', '.join(r.value for r in Role)}", role))
        return problems
    chosen, known = sorted(set(portfolios)), set(known_portfolios)
    problems += [Problem("portfolios", "is not a portfolio", code) for code in chosen if code not in known]
    if Role(role) in SCOPED_ROLES and not chosen:
        problems.append(Problem("portfolios", f"a {role} sees only their portfolios: name at least one"))
    if Role(role) not in SCOPED_ROLES and chosen:
        problems.append(Problem("portfolios", f"an {role} sees every portfolio: name none", ", ".join(chosen)))
    return problems


def scope_problems(role: Role, scopes: Iterable[str]) -> list[Problem]:
    """The rules a token's scopes break for a user with ``role``."""
    chosen = list(scopes)
    if not chosen:
        return [Problem("scopes", "name at least one scope")]
    allowed = role_scopes(role)
    problems = []
    for scope in chosen:
        if scope not in {s.value for s in Scope}:
            problems.append(Problem("scopes", f"is not a scope (known: {', '.join(s.value for s in Scope)})", scope))
        elif Scope(scope) not in allowed:
            problems.append(Problem("scopes", f"is more than a {role.value} may do", scope))
    return problems


THROTTLE_FREE_FAILURES = 5
"""Failed logins in a row allowed before the login is locked for a while."""
THROTTLE_BASE = timedelta(seconds=30)
THROTTLE_MAX = timedelta(minutes=15)


def locked_until(failures: int, last_failure: datetime) -> datetime | None:
    """When a login with ``failures`` failed attempts in a row, the last at ``last_failure``, may try again:
    None while under :data:`THROTTLE_FREE_FAILURES`, then 30 s doubling with each further failure, at most
    15 minutes."""
    if failures < THROTTLE_FREE_FAILURES:
        return None
    wait: timedelta = THROTTLE_BASE * (2 ** min(failures - THROTTLE_FREE_FAILURES, 10))
    return last_failure + min(wait, THROTTLE_MAX)
