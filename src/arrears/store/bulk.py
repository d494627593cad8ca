"""Bulk writes that work on SQLite and PostgreSQL alike, straight through the driver.

The statements are plain SQL compiled once per call (``INSERT ... ON CONFLICT``, which both databases
speak); rows go to the DBAPI as tuples. Going through SQLAlchemy's per-row parameter processing costs
several times the database's own work for the hundreds of thousands of rows a daily run writes. SQLite
takes them with ``executemany`` (in process, one statement per row is cheap); PostgreSQL with ``COPY`` into
a staging table and one ``INSERT … SELECT … ON CONFLICT`` or ``UPDATE … FROM`` per call, which spares a round
of statement execution per row.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    ARRAY,
    BigInteger,
    ColumnElement,
    Connection,
    Date,
    DateTime,
    Select,
    Table,
    any_,
    bindparam,
    func,
    literal_column,
    select,
    text,
)

if TYPE_CHECKING:
    import polars as pl  # only the type of load_frame's argument: a caller that has a frame has loaded Polars


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


def query_rows(connection: Connection, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """The rows of ``sql`` (``{}`` where each parameter goes; dates and moments as SQLAlchemy stores them) as
    plain tuples straight from the driver's cursor: no per-row Row objects, no result processing."""
    adapt = _adapter(connection)
    values = tuple(adapt(v) for v in params) if adapt is not None else tuple(params)
    cursor = connection.connection.cursor()
    try:
        cursor.execute(sql.replace("{}", placeholder(connection)), values)
        return list(cursor.fetchall())
    finally:
        cursor.close()


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


def _temporal(table: Table, columns: Sequence[str]) -> list[int]:
    return [i for i, c in enumerate(columns) if isinstance(table.c[c].type, Date | DateTime)]


def _stage(connection: Connection, table: Table, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """On PostgreSQL, ``COPY`` ``rows`` (values of ``columns`` of ``table``, then a round number) into a
    temporary staging table typed like those columns (``c0``, ``c1`` … in order, then ``_round`` and ``_n``, the
    row's position); return the staging table's name.

    One staging table per table and column list and connection, emptied before each use and at each commit.
    """
    quote = connection.dialect.identifier_preparer.quote
    digest = hashlib.sha1(f"{table.name}:{','.join(columns)}".encode()).hexdigest()[:10]
    stage = f"arrears_stage_{table.name[:30]}_{digest}"
    picked = ", ".join(f"{quote(c)} AS c{i}" for i, c in enumerate(columns))
    connection.exec_driver_sql(
        f"CREATE TEMPORARY TABLE IF NOT EXISTS {stage} ON COMMIT DELETE ROWS AS "
        f"SELECT {picked}, 0 AS _round, 0::bigint AS _n FROM {quote(table.name)} WITH NO DATA"
    )
    connection.exec_driver_sql(f"DELETE FROM {stage}")
    names = ", ".join([*(f"c{i}" for i in range(len(columns))), "_round", "_n"])
    driver: Any = connection.connection.driver_connection
    with driver.cursor() as cursor, cursor.copy(f"COPY {stage} ({names}) FROM STDIN") as copy:
        for n, row in enumerate(rows):
            copy.write_row((*row, n))
    return stage


def _rounds(rows: Iterable[Sequence[Any]], key: Sequence[int]) -> tuple[list[tuple[Any, ...]], int]:
    """``rows`` each with its round: the n-th row of a ``key`` is in round n, so that one statement per round
    touches each row of the table at most once, in the order the rows came (as one statement per row did)."""
    seen: Counter[tuple[Any, ...]] = Counter()
    out = []
    for row in rows:
        identity = tuple(row[i] for i in key)
        out.append((*row, seen[identity]))
        seen[identity] += 1
    return out, max(seen.values(), default=0)


def _insert(
    connection: Connection, table: Table, rows: Sequence[Mapping[str, Any]], keys: Sequence[str], update: bool
) -> None:
    if not rows:
        return
    quote = connection.dialect.identifier_preparer.quote
    columns = list(rows[0])
    names = ", ".join(quote(c) for c in columns)
    conflict = f"ON CONFLICT ({', '.join(quote(k) for k in keys)}) " + (
        "DO UPDATE SET " + ", ".join(f"{quote(c)} = excluded.{quote(c)}" for c in columns if c not in keys)
        if update
        else "DO NOTHING"
    )
    if connection.dialect.name != "postgresql":
        sql = f"INSERT INTO {quote(table.name)} ({names}) VALUES ({', '.join('{}' for _ in columns)}) {conflict}"
        execute_many(connection, sql, ([row[c] for c in columns] for row in rows), _temporal(table, columns))
        return
    values = [[row[c] for c in columns] for row in rows]
    # DO NOTHING skips a key met twice in one statement; DO UPDATE may touch a row once per statement.
    staged, rounds = _rounds(values, [columns.index(k) for k in keys]) if update else ([(*v, 0) for v in values], 1)
    stage = _stage(connection, table, columns, staged)
    picked = ", ".join(f"c{i}" for i in range(len(columns)))
    for number in range(rounds):
        connection.exec_driver_sql(
            f"INSERT INTO {quote(table.name)} ({names}) SELECT {picked} FROM {stage} WHERE _round = {number} "
            f"ORDER BY _n {conflict}"
        )


def upsert(connection: Connection, table: Table, rows: Sequence[Mapping[str, Any]], keys: Sequence[str]) -> None:
    """Insert ``rows`` into ``table``, replacing the non-key columns of rows whose ``keys`` already exist."""
    _insert(connection, table, rows, keys, update=True)


def insert_ignore(connection: Connection, table: Table, rows: Sequence[Mapping[str, Any]], keys: Sequence[str]) -> None:
    """Insert ``rows``, skipping any whose ``keys`` already exist (idempotent writes)."""
    _insert(connection, table, rows, keys, update=False)


def update_many(
    connection: Connection, table: Table, sql: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """Run the ``UPDATE`` of ``table`` ``sql`` once per row of ``rows``, with ``{}`` where each parameter goes:
    the i-th a value of ``table``'s column ``columns[i]`` (its type). The statement's WHERE clause follows its
    SET clause and holds the parameters that pick the row.

    SQLite: ``executemany``. PostgreSQL: the rows ``COPY``-ed into a staging table and one ``UPDATE … FROM`` it
    (one per round when a row is picked more than once, in the order of ``rows``).
    """
    if not rows:
        return
    if connection.dialect.name != "postgresql":
        execute_many(connection, sql, rows, _temporal(table, columns))
        return
    set_part, where_part = sql.split(" WHERE ", 1)
    first_key = set_part.count("{}")
    staged, rounds = _rounds(rows, range(first_key, len(columns)))
    stage = _stage(connection, table, columns, staged)
    parameters = iter(range(len(columns)))
    statement = re.sub(r"\{\}", lambda _: f"s.c{next(parameters)}", f"{set_part} FROM {stage} s WHERE {where_part}")
    for number in range(rounds):
        connection.exec_driver_sql(statement.replace(" WHERE ", f" WHERE s._round = {number} AND ", 1))


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
    """Drop ``table``'s plain secondary indexes for a bulk load (and on PostgreSQL its foreign keys, each checked
    row by row by a trigger during the load); return the SQL that re-creates them, checking every row once.

    DDL is transactional on both databases: if the load fails, the indexes come back with the rollback. Unique
    indexes (the external id, the reversal link) stay: they guard the data while it is written. On PostgreSQL
    the table is locked against other sessions until the transaction ends.
    """
    if connection.dialect.name == "postgresql":
        indexes = connection.execute(
            text(
                "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()"
                " AND tablename = :table AND indexdef NOT LIKE 'CREATE UNIQUE%'"
            ),
            {"table": table.name},
        ).all()
        keys = connection.execute(
            text(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
                " WHERE conrelid = CAST(:table AS regclass) AND contype = 'f' ORDER BY conname"
            ),
            {"table": table.name},
        ).all()
        for name, _sql in indexes:
            connection.exec_driver_sql(f'DROP INDEX "{name}"')
        for name, _sql in keys:
            connection.exec_driver_sql(f'ALTER TABLE {table.name} DROP CONSTRAINT "{name}"')
        return [sql for _name, sql in indexes] + [
            f'ALTER TABLE {table.name} ADD CONSTRAINT "{name}" {sql}' for name, sql in keys
        ]
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
    """Run the statements :func:`drop_secondary_indexes` returned."""
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


def among(connection: Connection, column: ColumnElement[Any], ids: Sequence[int]) -> ColumnElement[bool]:
    """``column IN ids`` for whole numbers, with ``ids`` bound as one parameter: an array on PostgreSQL
    (``= ANY``), JSON text read by ``json_each`` on SQLite.

    SQLAlchemy's ``IN`` renders a placeholder per value, which the driver then parses (psycopg splits the
    statement anew each time): for lists of thousands of ids that costs more than the query itself.
    """
    values = [int(value) for value in ids]
    if connection.dialect.name == "postgresql":
        return column == any_(bindparam(None, values, type_=ARRAY(BigInteger)))
    return column.in_(select(literal_column("value")).select_from(func.json_each(json.dumps(values))))


def stored_keys(connection: Connection, table: str, column: str, keys: Sequence[str]) -> set[str]:
    """Those of ``keys`` that the text column ``column`` of ``table`` holds, in one statement with the keys
    bound as one parameter (an array on PostgreSQL, JSON text read by ``json_each`` on SQLite)."""
    if not keys:
        return set()
    if connection.dialect.name == "postgresql":
        sql, bound = f"SELECT {column} FROM {table} WHERE {column} = ANY({{}})", list(keys)
    else:
        listed = "SELECT value FROM json_each({})"
        sql, bound = f"SELECT {column} FROM {table} WHERE {column} IN ({listed})", json.dumps(list(keys))
    return {row[0] for row in query_rows(connection, sql, (bound,))}


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
