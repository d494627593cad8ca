"""Repository of ledger lines: an account's ledger, and every line posted by a date for the portfolio reports."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator
from datetime import date

from sqlalchemy import Connection, Row, select

from arrears.domain.ledger import Entry
from arrears.store.models import AccountRow, LedgerLineRow
from arrears.store.summaries import entry_from_row

LEDGER = LedgerLineRow.__table__
ACCOUNTS = AccountRow.__table__


def account_ledger(connection: Connection, account_id: int) -> list[Row[tuple[object, ...]]]:
    """Every ledger line of the account (all columns), in posting order."""
    return list(
        connection.execute(
            select(LEDGER).where(LEDGER.c.account_id == account_id).order_by(LEDGER.c.posted_date, LEDGER.c.id)
        )
    )


def entries_posted_by(
    connection: Connection, as_of: date, portfolio_ids: Collection[int]
) -> Iterator[tuple[int, list[Entry]]]:
    """Each account of ``portfolio_ids`` with a line posted on or before ``as_of``: its portfolio id and its
    ledger entries to that day, in posting order (accounts by id)."""
    rows = connection.execute(
        select(
            ACCOUNTS.c.portfolio_id,
            LEDGER.c.account_id,
            LEDGER.c.id,
            LEDGER.c.kind,
            LEDGER.c.amount_cents,
            LEDGER.c.posted_date,
            LEDGER.c.due_date,
            LEDGER.c.service_date,
            LEDGER.c.source,
            LEDGER.c.reverses_id,
        )
        .join(ACCOUNTS, ACCOUNTS.c.id == LEDGER.c.account_id)
        .where(LEDGER.c.posted_date <= as_of, ACCOUNTS.c.portfolio_id.in_(list(portfolio_ids)))
        .order_by(LEDGER.c.account_id, LEDGER.c.id)
    )
    yield from _by_account(rows)


def _by_account(rows: Iterable[Row[tuple[object, ...]]]) -> Iterator[tuple[int, list[Entry]]]:
    account, portfolio, entries = None, 0, list[Entry]()
    for row in rows:
        if row.account_id != account:
            if account is not None:
                yield portfolio, entries
            account, portfolio, entries = row.account_id, row.portfolio_id, []
        entries.append(entry_from_row(row))
    if account is not None:
        yield portfolio, entries


def ledger_entries(connection: Connection, account_id: int) -> list[Entry]:
    """The account's ledger as domain entries, in the order the lines were stored."""
    rows = connection.execute(select(LEDGER).where(LEDGER.c.account_id == account_id).order_by(LEDGER.c.id))
    return [entry_from_row(row) for row in rows]


def line_external_id_taken(connection: Connection, external_id: str) -> bool:
    """Whether a ledger line with the external id ``external_id`` is stored."""
    return connection.scalar(select(LEDGER.c.id).where(LEDGER.c.external_id == external_id)) is not None
