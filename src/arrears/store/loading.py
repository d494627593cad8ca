"""Loading rows that come with their own ids (the demo's generated portfolios, parties, accounts, ledgers,
claims and plans) into their tables, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Table, func, select, text, update

from arrears.store.models import AccountRow, ClaimRow, LedgerLineRow, PartyRow, PaymentPlanRow, PhoneRow, PortfolioRow

CHUNK = 5000
"""Rows per ``executemany``."""


def _table(model: Any) -> Table:
    table: Table = model.__table__
    return table


TABLES: Mapping[str, Table] = {
    "portfolio": _table(PortfolioRow),
    "party": _table(PartyRow),
    "phone": _table(PhoneRow),
    "account": _table(AccountRow),
    "ledger_line": _table(LedgerLineRow),
    "claim": _table(ClaimRow),
    "payment_plan": _table(PaymentPlanRow),
}
"""The tables rows can be loaded into, by name."""


def highest_id(connection: Connection, name: str) -> int:
    """The highest id in the table ``name`` (0 when it is empty)."""
    table = TABLES[name]
    return connection.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one()


def insert_rows(
    connection: Connection, name: str, rows: Sequence[Mapping[str, Any]], advance: Callable[[int], None] | None = None
) -> None:
    """Insert ``rows`` (column → value, ids included) into the table ``name``, :data:`CHUNK` at a time;
    ``advance`` hears how many rows each chunk wrote."""
    table = TABLES[name]
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        connection.execute(table.insert(), list(chunk))
        if advance:
            advance(len(chunk))


def move_sequences(connection: Connection, names: Sequence[str]) -> None:
    """Ids were given explicitly: move each PostgreSQL serial sequence past them (nothing to do on SQLite)."""
    if connection.dialect.name != "postgresql":
        return
    for name in names:
        assert name in TABLES, name  # the name goes into the SQL text: only known tables
        connection.execute(
            text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                 f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {name}), false)")
        )  # fmt: skip


def set_columns(connection: Connection, name: str, row_id: int, values: Mapping[str, Any]) -> None:
    """Set ``values`` (column → value) on the row ``row_id`` of the table ``name``."""
    table = TABLES[name]
    connection.execute(update(table).where(table.c.id == row_id).values(dict(values)))


def add_portfolio(connection: Connection, code: str, name: str, parent_id: int) -> int:
    """Insert a portfolio under ``parent_id``; return its id."""
    portfolios = TABLES["portfolio"]
    return connection.execute(
        portfolios.insert().values(code=code, name=name, parent_id=parent_id).returning(portfolios.c.id)
    ).scalar_one()


def portfolio_id_by_code(connection: Connection) -> dict[str, int]:
    """Portfolio code → id."""
    portfolios = TABLES["portfolio"]
    return {code: pid for code, pid in connection.execute(select(portfolios.c.code, portfolios.c.id))}
