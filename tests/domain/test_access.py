"""Who may do what: what a role and a token's scopes allow together, the portfolio scope, the rules of a user
and of a token's scopes, and how long failed logins lock a login."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from arrears.domain.access import (
    Permission,
    Principal,
    Role,
    Scope,
    locked_until,
    password_problems,
    role_scopes,
    scope_problems,
    user_problems,
)

P = Permission


def test_a_request_may_do_what_both_the_role_and_the_token_allow() -> None:
    collector = Principal("ann", Role.COLLECTOR, frozenset({"NORTH"}), frozenset({Scope.READ, Scope.WRITE}))
    assert [p for p in Permission if collector.can(p)] == [P.READ, P.WORK]
    read_only = Principal("ann", Role.COLLECTOR, frozenset({"NORTH"}), frozenset({Scope.READ}))
    assert [p for p in Permission if read_only.can(p)] == [P.READ]
    manager = Principal("mgr", Role.MANAGER, frozenset({"NORTH"}), frozenset(Scope))
    assert [p for p in Permission if manager.can(p)] == [P.READ, P.WORK, P.REVERSE, P.RUN, P.CONFIGURE]
    auditor = Principal("aud", Role.AUDITOR, None, frozenset(Scope))
    assert [p for p in Permission if auditor.can(p)] == [P.READ]
    assert collector.sees("NORTH") and not collector.sees("SOUTH") and auditor.sees("SOUTH")
    assert role_scopes(Role.AUDITOR) == {Scope.READ} and role_scopes(Role.ADMIN) == set(Scope)


def test_the_rules_of_a_user() -> None:
    known = ["NORTH", "SOUTH"]
    assert user_problems("ann", "collector", ["NORTH"], known) == []
    assert [str(p) for p in user_problems("ann", "collector", [], known)] == [
        "portfolios: a collector sees only their portfolios: name at least one"
    ]
    assert [str(p) for p in user_problems(" x", "boss", [], known)][1] == (
        "role: must be one of admin, manager, collector, auditor (got 'boss')"
    )
    assert [str(p) for p in user_problems("aud", "auditor", ["MARS"], known)] == [
        "portfolios: is not a portfolio (got 'MARS')",
        "portfolios: an auditor sees every portfolio: name none (got 'MARS')",
    ]
    assert [str(p) for p in password_problems("short")] == ["password: must be 12 to 256 characters"]
    assert password_problems("twelve chars!") == []
    assert [str(p) for p in scope_problems(Role.COLLECTOR, ["read", "admin", "root"])] == [
        "scopes: is more than a collector may do (got 'admin')",
        "scopes: is not a scope (known: read, write, admin) (got 'root')",
    ]


def test_five_failed_logins_lock_for_30_seconds_doubling_to_15_minutes() -> None:
    last = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    assert locked_until(4, last) is None
    assert [locked_until(n, last) - last for n in (5, 6, 7, 10, 20)] == [  # type: ignore[operator]
        timedelta(seconds=30), timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=15),
        timedelta(minutes=15),
    ]  # fmt: skip
