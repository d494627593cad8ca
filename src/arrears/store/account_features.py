"""One account's features read as Python values, with no frame: what ``explain`` evaluates.

The same query as the run's frame read (:func:`arrears.store.feature_columns.select_sql`), its values typed as
the frame types them (:mod:`arrears.domain.fields`: cents and whole numbers ``int``, ``date``, ``bool``,
``str``, ``None`` for NULL), so that a row of :func:`account_row` equals the account's row of
:func:`arrears.store.features.read_accounts` (a property test holds the two together).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Connection

from arrears.store.db import fetch_rows
from arrears.store.feature_columns import (
    CORE_KINDS,
    DETAIL_KINDS,
    PAYMENT_KINDS,
    ColumnKind,
    recent_payments_sql,
    select_sql,
)


def _typed(kind: ColumnKind, value: Any) -> Any:
    # SQLite's driver gives dates as ISO text and flags as 0/1; psycopg gives date and bool already.
    if value is None:
        return None
    if kind == "date":
        return date.fromisoformat(value) if isinstance(value, str) else value
    if kind == "bool":
        return bool(value)
    return value


def account_row(connection: Connection, account_id: int) -> dict[str, Any] | None:
    """Every fact of the account (core and detail columns, and its portfolio's ``portfolio`` code), or None
    when there is no such account with a summary."""
    kinds = CORE_KINDS | DETAIL_KINDS
    sql = f"{select_sql(kinds, (account_id, account_id))}\nWHERE a.id = {int(account_id)}"
    rows = fetch_rows(connection, sql)
    if not rows:
        return None
    row = {name: _typed(kind, value) for (name, kind), value in zip(kinds.items(), rows[0], strict=True)}
    codes = fetch_rows(connection, f"SELECT code FROM portfolio WHERE id = {int(row['portfolio_id'])}")
    row["portfolio"] = str(codes[0][0]) if codes else None
    return row


def recent_guarantor_payments(
    connection: Connection, account_id: int, as_of: date, days: int
) -> list[tuple[date, int]]:
    """The account's standing guarantor payments posted in the last ``days`` days to ``as_of``: (posted, cents)."""
    rows = fetch_rows(connection, recent_payments_sql(account_id, account_id, as_of, days))
    return [(_typed(PAYMENT_KINDS["posted"], posted), int(amount)) for _, posted, amount in rows]
