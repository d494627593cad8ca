"""The features read: one row per account from its summary, the account, its guarantor and its cases, as Polars.

Every frame has exact types whatever the database: ids and cents Int64, dates Date, flags Boolean
(:func:`read_frame`). Column
names are those of :data:`arrears.domain.fields.ACCOUNT_FIELDS` where a column is a field, plus the ids and
case columns the run needs; ``arrears.batch.features`` derives the rest of the fields from these frames.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import date, timedelta
from typing import Any

import polars as pl
from sqlalchemy import Connection

from arrears.store.db import fetch_rows

CORE_COLUMNS: dict[str, Any] = {
    "account_id": pl.Int64,
    "portfolio_id": pl.Int64,
    "mode": pl.Utf8,
    "guarantor_last_name": pl.Utf8,
    "balance": pl.Int64,
    "oldest_unpaid_due_date": pl.Date,
    "on_payment_plan": pl.Boolean,
    "plan_next_unpaid_due": pl.Date,
    "plan_grace_days": pl.Int64,
    "insurance_balance": pl.Int64,
    "oldest_open_claim_billed": pl.Date,
    "g_status": pl.Utf8,
    "i_status": pl.Utf8,
}
"""What the vectorized rules read for every account: the summary, the guarantor's name, the case states."""

DETAIL_COLUMNS: dict[str, Any] = {
    "account_id": pl.Int64,
    "external_id": pl.Utf8,
    "status_code": pl.Utf8,
    "statement_hold": pl.Boolean,
    "guarantor_first_name": pl.Utf8,
    "guarantor_state": pl.Utf8,
    "time_zone": pl.Utf8,
    "deceased": pl.Boolean,
    "bankruptcy": pl.Boolean,
    "attorney_represented": pl.Boolean,
    "cease_communication": pl.Boolean,
    "disputed": pl.Boolean,
    "do_not_call": pl.Boolean,
    "last_payment_date": pl.Date,
    "last_payment_amount": pl.Int64,
    "open_claim_count": pl.Int64,
    "g_episode": pl.Int64,
    "g_entered_on": pl.Date,
    "g_assignee": pl.Utf8,
    "g_work": pl.Utf8,
    "g_hold_reason": pl.Utf8,
    "i_episode": pl.Int64,
    "i_entered_on": pl.Date,
    "i_assignee": pl.Utf8,
    "i_work": pl.Utf8,
}
"""The rest of the account's facts: read for the accounts the run decides (and for explain), and for every
account when a configured condition reads one of them (``extra`` of :func:`read_core`)."""


EXPRESSIONS: dict[str, str] = {
    "account_id": "a.id",
    "portfolio_id": "a.portfolio_id",
    "mode": "a.mode",
    "guarantor_last_name": "g.last_name",
    "balance": "s.balance_cents",
    "oldest_unpaid_due_date": "s.oldest_unpaid_due",
    "on_payment_plan": "s.on_payment_plan",
    "plan_next_unpaid_due": "s.plan_next_unpaid_due",
    "plan_grace_days": "s.plan_grace_days",
    "insurance_balance": "s.insurance_balance_cents",
    "oldest_open_claim_billed": "s.oldest_open_claim_billed",
    "g_status": "cg.status",
    "i_status": "ci.status",
    "external_id": "a.external_id",
    "status_code": "a.status_code",
    "statement_hold": "a.statement_hold",
    "guarantor_first_name": "g.first_name",
    "guarantor_state": "g.state",
    "time_zone": "g.time_zone",
    "deceased": "g.deceased",
    "bankruptcy": "g.bankruptcy",
    "attorney_represented": "g.attorney_represented",
    "cease_communication": "g.cease_communication",
    "disputed": "g.dispute_date IS NOT NULL",
    "do_not_call": "g.do_not_call",
    "last_payment_date": "s.last_payment_date",
    "last_payment_amount": "s.last_payment_cents",
    "open_claim_count": "s.open_claim_count",
    "g_episode": "cg.episode",
    "g_entered_on": "cg.entered_on",
    "g_assignee": "cg.assignee",
    "g_work": "cg.work",
    "g_hold_reason": "cg.hold_reason",
    "i_episode": "ci.episode",
    "i_entered_on": "ci.entered_on",
    "i_assignee": "ci.assignee",
    "i_work": "ci.work",
}
"""The SQL of every column of :data:`CORE_COLUMNS` and :data:`DETAIL_COLUMNS` (the same on both databases:
the drivers type dates and flags themselves)."""


def select_sql(columns: Collection[str], cases_within: tuple[int, int] | None = None) -> str:
    """The features read of ``columns`` (names of :data:`EXPRESSIONS`), without its WHERE clause; with
    ``cases_within`` (first, last) the case joins bounded by that range of account ids too.

    The planner does not carry a bound on the account through a join's equality: unbounded, PostgreSQL hashes
    every current case for each chunk or batch, a cost that grows with the database. (The summary, an inner
    join, is bounded in the WHERE clause of a range read: :func:`_read_range`.)"""
    within = "" if cases_within is None else f" BETWEEN {int(cases_within[0])} AND {int(cases_within[1])}"

    def bounded(alias: str) -> str:
        return f" AND {alias}.account_id{within}" if within else ""

    return f"""
SELECT {", ".join(f"{EXPRESSIONS[name]} AS {name}" for name in columns)}
FROM account a
JOIN party g ON g.id = a.guarantor_id
JOIN account_summary s ON s.account_id = a.id
LEFT JOIN collections_case cg ON cg.account_id = a.id AND cg.track = 'guarantor' AND cg.is_current{bounded("cg")}
LEFT JOIN collections_case ci ON ci.account_id = a.id AND ci.track = 'insurance' AND ci.is_current{bounded("ci")}"""


def _postgres_frame(connection: Connection, sql: str, schema: Mapping[str, Any]) -> pl.DataFrame:
    # COPY … TO STDOUT as CSV on the caller's own connection, so in its transaction (a caller that wrote first
    # reads its own rows), parsed by Polars' CSV reader straight into columns: no Python object per row or
    # value. Measured faster than ADBC's Arrow-native driver, which needs a connection of its own (and sees
    # only what is committed), and than the cursor. CSV keeps NULL (an empty field) apart from the empty text
    # (""); flags come as t/f.
    driver: Any = connection.connection.driver_connection
    with driver.cursor() as cursor, cursor.copy(f"COPY ({sql}) TO STDOUT (FORMAT csv)") as copy:
        data = b"".join(bytes(block) for block in copy)
    flags = [name for name, kind in schema.items() if kind == pl.Boolean]
    if not data:
        return pl.DataFrame(schema=dict(schema))
    raw = {name: pl.Utf8 if name in flags else kind for name, kind in schema.items()}
    frame = pl.read_csv(data, has_header=False, schema=raw)
    return frame.with_columns(pl.col(name) == "t" for name in flags)


def _sqlite_frame(connection: Connection, sql: str, schema: Mapping[str, Any]) -> pl.DataFrame:
    # Through the process's own sqlite3, not an Arrow-native driver: connectorx and ADBC link SQLite copies of
    # their own, and a second SQLite library in the process voids SQLite's locks (POSIX locks belong to the
    # process, so its closing the file drops theirs): the WAL is deleted under the open connections and their
    # later commits are invisible to other processes (docs/daily-run.md). SQLite gathers each column into one
    # JSON array (json_group_array, in C) and Polars decodes each array straight into a column, so no Python
    # object is made per row or value (half the CPU of fetching tuples into a frame). One aggregate pass feeds
    # every array, so the arrays stay aligned row by row; their order is SQLite's, not the query's ORDER BY
    # (callers sort). Dates arrive as ISO text, flags as 0/1, and become Date and Boolean in bulk.
    raw = {
        name: pl.Utf8 if kind == pl.Date else pl.Int64 if kind == pl.Boolean else kind for name, kind in schema.items()
    }
    names = [f"c{n}" for n in range(len(raw))]
    arrays = ", ".join(f"json_group_array({name})" for name in names)
    (row,) = fetch_rows(connection, f"WITH q({', '.join(names)}) AS ({sql}) SELECT count(*), {arrays} FROM q")
    if not row[0]:
        return pl.DataFrame(schema=schema)
    text = pl.DataFrame({name: [row[n + 1]] for n, name in enumerate(raw)}, schema=dict.fromkeys(raw, pl.Utf8))
    frame = text.select(pl.col(name).str.json_decode(pl.List(kind)).explode() for name, kind in raw.items())
    return frame.with_columns(pl.col(name).str.to_date("%Y-%m-%d") for name, kind in schema.items() if kind == pl.Date)


def read_frame(connection: Connection, sql: str, schema: Mapping[str, Any]) -> pl.DataFrame:
    """The rows of ``sql`` (its columns, in order, those of ``schema``) as a frame of exactly ``schema``, in
    the caller's transaction: ``COPY`` as CSV into Polars on PostgreSQL, one JSON array per column on SQLite.
    The rows come in no particular order: sort the frame where order matters."""
    if connection.dialect.name == "sqlite":
        frame = _sqlite_frame(connection, sql, schema)
    else:
        frame = _postgres_frame(connection, sql, schema)
    return frame.select(list(schema)).cast(dict(schema))


def _portfolio_codes(connection: Connection) -> dict[int, str]:
    return {int(i): str(code) for i, code in connection.exec_driver_sql("SELECT id, code FROM portfolio")}


def _read_range(
    connection: Connection, columns: dict[str, Any], first: int, last: int, portfolio_id: int | None
) -> pl.DataFrame:
    # The summary bounded as well as the account: unbounded, PostgreSQL hashes the whole summary table (and
    # then scans every party) for each chunk; bounded, it merges the two index ranges and looks the
    # chunk's guarantors up.
    within = f"BETWEEN {int(first)} AND {int(last)}"
    sql = f"{select_sql(columns, (first, last))}\nWHERE a.id {within} AND s.account_id {within}"
    if portfolio_id is not None:
        sql += f" AND a.portfolio_id = {int(portfolio_id)}"
    frame = read_frame(connection, sql, columns).sort("account_id")
    codes = _portfolio_codes(connection)
    return frame.with_columns(
        portfolio=pl.col("portfolio_id").replace_strict(codes, default=None, return_dtype=pl.Utf8)
    )


def read_core(
    connection: Connection,
    first: int,
    last: int,
    portfolio_id: int | None = None,
    extra: Collection[str] = (),
) -> pl.DataFrame:
    """The columns every rule reads (:data:`CORE_COLUMNS` and ``portfolio``) for ids in [first, last], and the
    ``extra`` columns of :data:`DETAIL_COLUMNS` asked for (those configured conditions read)."""
    unknown = sorted(set(extra) - set(DETAIL_COLUMNS))
    if unknown:
        raise ValueError(f"unknown detail columns {', '.join(unknown)}; known: {', '.join(DETAIL_COLUMNS)}")
    columns = CORE_COLUMNS | {name: DETAIL_COLUMNS[name] for name in DETAIL_COLUMNS if name in extra}
    return _read_range(connection, columns, first, last, portfolio_id)


def read_details(connection: Connection, account_ids: list[int]) -> pl.DataFrame:
    """The rest of the facts (:data:`DETAIL_COLUMNS`) of the accounts ``account_ids``."""
    frames = [pl.DataFrame(schema=DETAIL_COLUMNS)]
    for start in range(0, len(account_ids), 5000):
        batch = account_ids[start : start + 5000]
        listed = ", ".join(str(int(i)) for i in batch)
        # Only the cases bounded by the batch's range: a range on the account too has SQLite scan all of it.
        sql = f"{select_sql(DETAIL_COLUMNS, (min(batch), max(batch)))} WHERE a.id IN ({listed})"
        frames.append(read_frame(connection, sql, DETAIL_COLUMNS))
    return pl.concat(frames)


def read_accounts(connection: Connection, first: int, last: int, portfolio_id: int | None = None) -> pl.DataFrame:
    """Every fact of the accounts with ids in [first, last]: core and detail columns, in one read."""
    return _read_range(connection, CORE_COLUMNS | DETAIL_COLUMNS, first, last, portfolio_id)


def read_recent_guarantor_payments(
    connection: Connection, first: int, last: int, as_of: date, days: int
) -> pl.DataFrame:
    """Standing guarantor payments posted in the last ``days`` days (to ``as_of``) of accounts in range."""
    start = as_of - timedelta(days=days)
    sql = f"""
SELECT l.account_id, l.posted_date AS posted, l.amount_cents AS amount
FROM ledger_line l
WHERE l.kind = 'payment' AND l.source = 'guarantor'
  AND l.posted_date > '{start.isoformat()}' AND l.posted_date <= '{as_of.isoformat()}'
  AND l.account_id BETWEEN {int(first)} AND {int(last)}
  AND NOT EXISTS (SELECT 1 FROM ledger_line r WHERE r.reverses_id = l.id AND r.posted_date <= '{as_of.isoformat()}')
"""
    return read_frame(connection, sql, {"account_id": pl.Int64, "posted": pl.Date, "amount": pl.Int64})


def account_id_range(connection: Connection) -> tuple[int, int] | None:
    """Smallest and largest account id, or None without accounts."""
    low, high = connection.exec_driver_sql("SELECT MIN(id), MAX(id) FROM account").one()
    return None if low is None else (int(low), int(high))
