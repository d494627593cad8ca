"""Repository of accounts: finding one by its external id, and listing them with their summary."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from arrears.store.models import AccountRow, AccountSummaryRow, PartyRow, PortfolioRow


def account_id_of(connection: Connection, external_id: str) -> int | None:
    """The internal id of the account ``external_id``; None when there is none."""
    return connection.scalar(select(AccountRow.id).where(AccountRow.external_id == external_id))


def account_by_external_id(session: Session, external_id: str) -> AccountRow | None:
    """The account ``external_id`` (its guarantor, phones and portfolio load on use); None when there is none."""
    return session.scalar(select(AccountRow).where(AccountRow.external_id == external_id))


def accounts_by_balance(connection: Connection, portfolio: str | None, limit: int) -> list[dict[str, Any]]:
    """Up to ``limit`` accounts with their guarantor's name and summary, largest balance first (then by
    external id), of every portfolio or only of the portfolio coded ``portfolio``."""
    query = (
        select(
            AccountRow.external_id,
            PortfolioRow.code.label("portfolio"),
            PartyRow.last_name,
            PartyRow.first_name,
            AccountRow.mode,
            AccountSummaryRow.balance_cents,
            AccountSummaryRow.oldest_unpaid_due,
            AccountSummaryRow.last_payment_date,
        )
        .join(PortfolioRow, PortfolioRow.id == AccountRow.portfolio_id)
        .join(PartyRow, PartyRow.id == AccountRow.guarantor_id)
        .join(AccountSummaryRow, AccountSummaryRow.account_id == AccountRow.id)
        .order_by(AccountSummaryRow.balance_cents.desc(), AccountRow.external_id)
        .limit(limit)
    )
    if portfolio:
        query = query.where(PortfolioRow.code == portfolio)
    return [dict(row._mapping) for row in connection.execute(query)]


def account_exists(session: Session, external_id: str) -> bool:
    """Whether an account ``external_id`` is stored."""
    return session.scalar(select(AccountRow.id).where(AccountRow.external_id == external_id)) is not None
