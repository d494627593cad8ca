"""The features read: one row per account from its summary, the account, its guarantor and its cases, as Polars.

Every frame has exact types whatever the database: ids and cents Int64, dates Date, flags Boolean
(:func:`read_frame`). Column
names are those of :data:`arrears.domain.fields.ACCOUNT_FIELDS` where a column is a field, plus the ids and
case columns the run needs; ``arrears.batch.features`` derives the rest of the fields from these frames.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import date
from typing import Any

import polars as pl
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

_POLARS_TYPES: dict[ColumnKind, Any] = {"int": pl.Int64, "text": pl.Utf8, "date": pl.Date, "bool": pl.Boolean}

CORE_COLUMNS: dict[str, Any] = {name: _POLARS_TYPES[kind] for name, kind in CORE_KINDS.items()}
"""The frame schema of :data:`arrears.store.feature_columns.CORE_KINDS`: what the vectorized rules read for every
account."""

DETAIL_COLUMNS: dict[str, Any] = {name: _POLARS_TYPES[kind] for name, kind in DETAIL_KINDS.items()}
"""The frame schema of :data:`arrears.store.feature_columns.DETAIL_KINDS`: read for the accounts the run decides,
and for every account when a configured condition reads one of them (``extra`` of :func:`read_core`)."""


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
    schema = {name: _POLARS_TYPES[kind] for name, kind in PAYMENT_KINDS.items()}
    return read_frame(connection, recent_payments_sql(first, last, as_of, days), schema)


ACCOUNT_ID_RANGE_SQL = "SELECT (SELECT MIN(id) FROM account), (SELECT MAX(id) FROM account)"
"""Two subqueries: SQLite answers a lone MIN or MAX from an end of the key, but MIN and MAX in one SELECT by
scanning an index of every account (0.14 s at 1M accounts, at the start of every run)."""


def account_id_range(connection: Connection) -> tuple[int, int] | None:
    """Smallest and largest account id, or None without accounts."""
    low, high = connection.exec_driver_sql(ACCOUNT_ID_RANGE_SQL).one()
    return None if low is None else (int(low), int(high))
