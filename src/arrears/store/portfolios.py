"""Repository of portfolios: the tree under the enterprise and how many accounts each holds."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, func, select
from sqlalchemy.orm import Session

from arrears.store.models import AccountRow, PortfolioRow

PORTFOLIOS = PortfolioRow.__table__
ACCOUNTS = AccountRow.__table__


def portfolios_in_order(connection: Connection) -> list[Row[tuple[int, str, str, int | None]]]:
    """Every portfolio's id, code, name and parent id, in creation order."""
    query = select(PORTFOLIOS.c.id, PORTFOLIOS.c.code, PORTFOLIOS.c.name, PORTFOLIOS.c.parent_id)
    return list(connection.execute(query.order_by(PORTFOLIOS.c.id)))


def account_counts(connection: Connection) -> dict[int, int]:
    """How many accounts each portfolio holds, by portfolio id (portfolios without accounts are absent)."""
    query = select(ACCOUNTS.c.portfolio_id, func.count()).group_by(ACCOUNTS.c.portfolio_id)
    return {portfolio_id: count for portfolio_id, count in connection.execute(query)}


def portfolio_listing(connection: Connection) -> list[dict[str, Any]]:
    """Every portfolio's code, name and parent code, in creation order."""
    parent = PORTFOLIOS.alias("parent")
    query = (
        select(PORTFOLIOS.c.code, PORTFOLIOS.c.name, parent.c.code.label("parent"))
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
    return session.scalar(select(PortfolioRow).where(PortfolioRow.code == code))


def portfolio_names(session: Session) -> list[tuple[str, str]]:
    """Every portfolio's code and name, by code."""
    query = select(PORTFOLIOS.c.code, PORTFOLIOS.c.name).order_by(PORTFOLIOS.c.code)
    return [(code, name) for code, name in session.execute(query)]
