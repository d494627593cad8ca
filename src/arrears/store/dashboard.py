"""Repository of the manager's dashboard: counts and sums per day (and per portfolio or assignee) over a period,
each narrowed to the accounts of some portfolios when given. Every query groups in the database."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, func, select

from arrears.store import tables

DayCount = tuple[date, str, int]
"""(day, portfolio code, count or cents)."""


def _scoped(query: Select[Any], account_id: ColumnElement[int], portfolios: Collection[str] | None) -> Select[Any]:
    account, portfolio = tables.account.c, tables.portfolio.c
    query = query.join(tables.account, account.id == account_id).join(tables.portfolio,
                                                                      portfolio.id == account.portfolio_id)
    return query.where(portfolio.code.in_(sorted(portfolios))) if portfolios is not None else query


def _per_day(connection: Connection, day: Any, value: Any, account_id: Any, first: date, last: date,
             portfolios: Collection[str] | None, *where: ColumnElement[bool]) -> list[DayCount]:  # fmt: skip
    query = select(day, tables.portfolio.c.code, value)
    query = _scoped(query, account_id, portfolios).where(day >= first, day <= last, *where)
    query = query.group_by(day, tables.portfolio.c.code).order_by(day, tables.portfolio.c.code)
    return [(d, str(code), int(n or 0)) for d, code, n in connection.execute(query)]


def entered_per_day(connection: Connection, first: date, last: date, portfolios: Collection[str] | None
                    ) -> list[DayCount]:  # fmt: skip
    """Case episodes opened per day and portfolio (both tracks)."""
    c = tables.collections_case.c
    return _per_day(connection, c.entered_on, func.count(), c.account_id, first, last, portfolios)


def resolved_per_day(connection: Connection, first: date, last: date, portfolios: Collection[str] | None,
                     resolved: str) -> list[DayCount]:  # fmt: skip
    """Case episodes resolved (status ``resolved``) per day and portfolio."""
    c = tables.collections_case.c
    return _per_day(connection, c.closed_on, func.count(), c.account_id, first, last, portfolios,
                    c.status == resolved)  # fmt: skip


def letters_per_day(connection: Connection, first: date, last: date, portfolios: Collection[str] | None
                    ) -> list[DayCount]:  # fmt: skip
    """Letters, e-mails and text messages queued per day and portfolio."""
    c = tables.letter.c
    return _per_day(connection, c.queued_on, func.count(), c.account_id, first, last, portfolios)


def done_per_day(connection: Connection, first: date, last: date, portfolios: Collection[str] | None, kind: str,
                 done: str) -> list[DayCount]:  # fmt: skip
    """Activities of ``kind`` (a call) completed per day and portfolio."""
    c = tables.activity.c
    return _per_day(connection, c.done_on, func.count(), c.account_id, first, last, portfolios, c.kind == kind,
                    c.status == done)  # fmt: skip


def ledger_per_day(connection: Connection, first: date, last: date, portfolios: Collection[str] | None,
                   kinds: Sequence[str], count: bool = False) -> list[DayCount]:  # fmt: skip
    """The sum of the amounts (or, with ``count``, the number) of ledger lines of ``kinds`` posted per day and
    portfolio."""
    c = tables.ledger_line.c
    value = func.count() if count else func.sum(c.amount_cents)
    return _per_day(connection, c.posted_date, value, c.account_id, first, last, portfolios, c.kind.in_(kinds))


def holds_per_day(connection: Connection, first: date, last: date, portfolios: Collection[str] | None
                  ) -> list[tuple[date, str, int]]:  # fmt: skip
    """Outbound work the release gate held or deferred per day and rule id."""
    c = tables.compliance_event.c
    query = _scoped(select(c.on, c.rule, func.count()), c.account_id, portfolios)
    query = query.where(c.on >= first, c.on <= last).group_by(c.on, c.rule).order_by(c.on, c.rule)
    return [(d, str(rule), int(n)) for d, rule, n in connection.execute(query)]


def workload(connection: Connection, last: date, portfolios: Collection[str] | None, kinds: Collection[str],
             statuses: Collection[str]) -> list[tuple[str, date, int]]:  # fmt: skip
    """(assignee, due day, count) of the pending work of ``kinds`` (in ``statuses``) due by ``last``."""
    c = tables.activity.c
    query = _scoped(select(c.assignee, c.due_date, func.count()), c.account_id, portfolios)
    query = query.where(c.due_date <= last, c.kind.in_(sorted(kinds)), c.status.in_(sorted(statuses)))
    query = query.group_by(c.assignee, c.due_date).order_by(c.assignee, c.due_date)
    return [(str(a), d, int(n)) for a, d, n in connection.execute(query)]
