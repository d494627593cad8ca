"""Repository of portfolios: the tree under the enterprise and how many accounts each holds."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Row, func, select

from arrears.domain.model import ENTERPRISE
from arrears.domain.money import AmountLimit, portfolio_limit
from arrears.store import tables
from arrears.store.models import PortfolioRow

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

PORTFOLIOS = tables.portfolio
ACCOUNTS = tables.account
_IN_LIST = 5000
"""Ids per ``IN`` list (SQLite allows 32,766 parameters; PostgreSQL more)."""


def portfolios_in_order(connection: Connection) -> list[Row[tuple[int, str, str, int | None]]]:
    """Every portfolio's id, code, name and parent id, in creation order."""
    query = select(PORTFOLIOS.c.id, PORTFOLIOS.c.code, PORTFOLIOS.c.name, PORTFOLIOS.c.parent_id)
    return list(connection.execute(query.order_by(PORTFOLIOS.c.id)))


def account_counts(connection: Connection) -> dict[int, int]:
    """How many accounts each portfolio holds, by portfolio id (portfolios without accounts are absent)."""
    query = select(ACCOUNTS.c.portfolio_id, func.count()).group_by(ACCOUNTS.c.portfolio_id)
    return {portfolio_id: count for portfolio_id, count in connection.execute(query)}


def portfolio_listing(connection: Connection) -> list[dict[str, Any]]:
    """Every portfolio's code, name, parent code and maximum amount (its own, or None), in creation order."""
    parent = PORTFOLIOS.alias("parent")
    query = (
        select(
            PORTFOLIOS.c.code,
            PORTFOLIOS.c.name,
            parent.c.code.label("parent"),
            PORTFOLIOS.c.maximum_amount_cents,
        )
        .outerjoin(parent, parent.c.id == PORTFOLIOS.c.parent_id)
        .order_by(PORTFOLIOS.c.id)
    )
    return [dict(row._mapping) for row in connection.execute(query)]


def portfolio_ids(session: Session) -> dict[str, int]:
    """Portfolio code → id."""
    return {code: pid for code, pid in session.execute(select(PORTFOLIOS.c.code, PORTFOLIOS.c.id))}


def portfolio_by_code(session: Session, code: str) -> PortfolioRow | None:
    """The portfolio coded ``code`` (its letterhead fields can be changed in the caller's session); None when
    there is none."""
    return session.scalar(select(PortfolioRow).where(tables.portfolio.c.code == code))


def portfolio_names(session: Session) -> list[tuple[str, str]]:
    """Every portfolio's code and name, by code."""
    query = select(PORTFOLIOS.c.code, PORTFOLIOS.c.name).order_by(PORTFOLIOS.c.code)
    return [(code, name) for code, name in session.execute(query)]


def amount_limits(connection: Connection) -> dict[int, AmountLimit]:
    """Every portfolio's amount limit (its own maximum, else the enterprise's, else the default), by id."""
    rows = list(connection.execute(select(PORTFOLIOS.c.id, PORTFOLIOS.c.code, PORTFOLIOS.c.maximum_amount_cents)))
    enterprise = next((cents for _, code, cents in rows if code == ENTERPRISE), None)
    return {pid: portfolio_limit(code, cents, enterprise) for pid, code, cents in rows}


def portfolios_of_accounts(connection: Connection, account_ids: Iterable[int]) -> dict[int, int]:
    """Account id → its portfolio id, for ``account_ids`` (``IN`` lists of at most :data:`_IN_LIST`)."""
    wanted = sorted(set(account_ids))
    found: dict[int, int] = {}
    for start in range(0, len(wanted), _IN_LIST):
        batch = wanted[start : start + _IN_LIST]
        query = select(ACCOUNTS.c.id, ACCOUNTS.c.portfolio_id).where(ACCOUNTS.c.id.in_(batch))
        found.update((account_id, portfolio_id) for account_id, portfolio_id in connection.execute(query))
    return found
