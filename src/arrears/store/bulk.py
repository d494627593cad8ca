"""Bulk writes that work on SQLite and PostgreSQL alike, straight through the driver's executemany.

The statements are plain SQL compiled once per call (``INSERT ... ON CONFLICT``, which both databases
speak); rows go to the DBAPI as tuples. Going through SQLAlchemy's per-row parameter processing costs
several times the database's own work for the hundreds of thousands of rows a daily run writes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

import polars as pl
from sqlalchemy import Connection, Date, DateTime, Table


def _sqlite_value(value: Any) -> Any:
    # The formats SQLAlchemy itself stores in SQLite, so its Date/DateTime columns read them back; an aware
    # moment is stored in UTC (SQLite keeps no zone), as every reader of a timed column assumes.
    if isinstance(value, datetime):
        moment = value.astimezone(UTC) if value.tzinfo is not None else value
        return moment.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    return value


def _adapter(connection: Connection) -> Callable[[Any], Any] | None:
    return _sqlite_value if connection.dialect.name == "sqlite" else None


def placeholder(connection: Connection) -> str:
    """The driver's parameter marker: ``?`` for sqlite3, ``%s`` for psycopg."""
    return "?" if connection.dialect.name == "sqlite" else "%s"


def execute_many(
    connection: Connection, sql: str, rows: Iterable[Sequence[Any]], dates: Sequence[int] | None = None
) -> None:
    """Run ``sql`` (with ``{}`` where each parameter goes) once per row of ``rows``.

    ``dates``: the positions that may hold dates (None: any position may); only those are converted.
    """
    adapt = _adapter(connection)
    if adapt is None:
        values = [tuple(row) for row in rows]
    elif dates is None:
        values = [tuple(adapt(v) for v in row) for row in rows]
    else:
        values = []
        for row in rows:
            value = list(row)
            for position in dates:
                value[position] = adapt(value[position])
            values.append(tuple(value))
    if values:
        marker = placeholder(connection)
        connection.exec_driver_sql(sql.replace("{}", marker), values)


def _insert(connection: Connection, table: Table, rows: Sequence[Mapping[str, Any]], conflict: str) -> None:
    if not rows:
        return
    quote = connection.dialect.identifier_preparer.quote
    columns = list(rows[0])
    sql = (
        f"INSERT INTO {quote(table.name)} ({', '.join(quote(c) for c in columns)}) "
        f"VALUES ({', '.join('{}' for _ in columns)}) {conflict}"
    )
    temporal = [i for i, c in enumerate(columns) if isinstance(table.c[c].type, Date | DateTime)]
    execute_many(connection, sql, ([row[c] for c in columns] for row in rows), temporal)


def upsert(connection: Connection, table: Table, rows: Sequence[Mapping[str, Any]], keys: Sequence[str]) -> None:
    """Insert ``rows`` into ``table``, replacing the non-key columns of rows whose ``keys`` already exist."""
    if not rows:
        return
    quote = connection.dialect.identifier_preparer.quote
    updates = ", ".join(f"{quote(c)} = excluded.{quote(c)}" for c in rows[0] if c not in keys)
    _insert(connection, table, rows, f"ON CONFLICT ({', '.join(quote(k) for k in keys)}) DO UPDATE SET {updates}")


def insert_ignore(connection: Connection, table: Table, rows: Sequence[Mapping[str, Any]], keys: Sequence[str]) -> None:
    """Insert ``rows``, skipping any whose ``keys`` already exist (idempotent writes)."""
    quote = connection.dialect.identifier_preparer.quote
    _insert(connection, table, rows, f"ON CONFLICT ({', '.join(quote(k) for k in keys)}) DO NOTHING")


def load_tuples(connection: Connection, table: Table, names: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
    """Bulk-insert plain tuples (values of the columns ``names``; dates as ISO text) in the caller's
    transaction: ``executemany`` through the DBAPI on SQLite, ``COPY ... FROM STDIN`` on PostgreSQL."""
    if not rows:
        return
    columns = ", ".join(names)
    if connection.dialect.name == "postgresql":
        driver: Any = connection.connection.driver_connection
        with driver.cursor() as cursor, cursor.copy(f"COPY {table.name} ({columns}) FROM STDIN") as copy:
            for values in rows:
                copy.write_row(values)
        return
    marks = ", ".join("?" * len(names))
    connection.exec_driver_sql(f"INSERT INTO {table.name} ({columns}) VALUES ({marks})", rows)


def load_frame(connection: Connection, table: Table, names: Sequence[str], frame: pl.DataFrame) -> None:
    """Bulk-insert the columns of ``frame`` (in order, into the columns ``names``; dates as ISO text):
    ``COPY`` of the CSV Polars writes on PostgreSQL (null is an empty field, the empty text is ``""``),
    :func:`load_tuples` on SQLite."""
    if connection.dialect.name != "postgresql":
        load_tuples(connection, table, names, frame.rows())
        return
    driver: Any = connection.connection.driver_connection
    columns = ", ".join(names)
    with driver.cursor() as cursor, cursor.copy(f"COPY {table.name} ({columns}) FROM STDIN (FORMAT csv)") as copy:
        copy.write(frame.write_csv(include_header=False))
