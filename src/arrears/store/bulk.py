"""Bulk writes that work on SQLite and PostgreSQL alike, straight through the driver's executemany.

The statements are plain SQL compiled once per call (``INSERT ... ON CONFLICT``, which both databases
speak); rows go to the DBAPI as tuples. Going through SQLAlchemy's per-row parameter processing costs
several times the database's own work for the hundreds of thousands of rows a daily run writes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any

import polars as pl
from sqlalchemy import Connection, Date, DateTime, Select, Table, func, select, text


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


def drop_secondary_indexes(connection: Connection, table: Table) -> list[str]:
    """On SQLite, drop ``table``'s plain secondary indexes for a bulk load; return the SQL that re-creates them.

    SQLite DDL is transactional: if the load fails the indexes come back with the rollback. Unique
    indexes (the external id, the reversal link) stay: they guard the data while it is written.
    """
    rows = connection.execute(
        text(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = :table AND sql IS NOT NULL"
            " AND sql NOT LIKE 'CREATE UNIQUE%'"
        ),
        {"table": table.name},
    ).all()
    for name, _sql in rows:
        connection.exec_driver_sql(f'DROP INDEX "{name}"')
    return [sql for _name, sql in rows]


def recreate_indexes(connection: Connection, statements: Sequence[str]) -> None:
    """Run the ``CREATE INDEX`` statements :func:`drop_secondary_indexes` returned."""
    for sql in statements:
        connection.exec_driver_sql(sql)


@contextmanager
def sqlite_cache(connection: Connection, kib: int) -> Iterator[None]:
    """On SQLite, a page cache of ``kib`` KiB for the connection while the block runs (then the old size):
    a bulk load touches index pages all over the file, and the default 2 MB cache spills them. ``kib=0``
    leaves the cache alone."""
    if not kib:
        yield
        return
    old = connection.exec_driver_sql("PRAGMA cache_size").scalar()
    connection.exec_driver_sql(f"PRAGMA cache_size = -{int(kib)}")
    try:
        yield
    finally:
        connection.exec_driver_sql(f"PRAGMA cache_size = {int(old or -2000)}")


def begin_writing(connection: Connection) -> None:
    """On SQLite, take the write lock now (``BEGIN IMMEDIATE``) unless a transaction is already open.

    The sqlite3 driver opens a transaction only before a data change; without this, a DDL statement or
    the reads of a write pass would run outside the caller's single transaction.
    """
    driver = connection.connection.driver_connection
    if driver is not None and not driver.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


IN_LIST = 5_000
"""Keys per ``IN (...)`` list."""


def rows_by_external_id(
    connection: Connection, query: Select[Any], table: Table, external_ids: Sequence[str]
) -> dict[str, tuple[Any, ...]]:
    """Run ``query`` (the external id first) for those of ``external_ids`` that ``table`` holds: external id →
    the rest of the row.

    A range count first: a chunk of new rows (usually ids in a run no stored id falls into) costs one index
    probe instead of one per row.
    """
    if not external_ids:
        return {}
    low, high = min(external_ids), max(external_ids)
    column = table.c.external_id
    if not connection.scalar(select(func.count()).where(column >= low, column <= high)):
        return {}
    stored: dict[str, tuple[Any, ...]] = {}
    for start in range(0, len(external_ids), IN_LIST):
        batch = external_ids[start : start + IN_LIST]
        for row in connection.execute(query.where(column.in_(batch))):
            stored[row[0]] = tuple(row[1:])
    return stored


def stored_values(
    connection: Connection, table: Table, columns: Sequence[str], external_ids: Sequence[str]
) -> dict[str, tuple[Any, ...]]:
    """External id → the values of ``columns`` of the rows of ``table`` among ``external_ids``."""
    query = select(table.c.external_id, *(table.c[name] for name in columns))
    return rows_by_external_id(connection, query, table, external_ids)
