"""Staging Arrow frames for a bulk load into SQLite.

Binding Python tuples through the sqlite3 driver (``executemany``) costs about ten microseconds a row, several
times SQLite's own work. ADBC's SQLite driver binds the columns of an Arrow table in C: the frames are ingested
into a scratch database file of their own (no journal, no index), which is then attached to the caller's
connection, so that one ``INSERT … SELECT`` per chunk moves the rows inside SQLite, in the caller's transaction.

The scratch file is attached before the caller's transaction begins (SQLite refuses ``ATTACH`` inside one) and
detached and deleted when the block ends.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import adbc_driver_sqlite.dbapi as adbc
import polars as pl
from sqlalchemy import Connection, Table

SCHEMA = "arrears_stage"
"""The name the scratch database is attached under."""
TABLE = "staged"


class Stage:
    """Frames staged in the scratch database: rows ``1 … count`` (in the order staged) of :data:`TABLE`."""

    def __init__(self, connection: Connection, columns: Sequence[str], count: int) -> None:
        self.connection = connection
        self.columns = tuple(columns)
        self.count = count

    def insert(self, table: Table, names: Sequence[str], sources: Sequence[str], first: int, last: int) -> None:
        """Insert staged rows ``first`` … ``last`` (1-based, inclusive) into ``table``'s columns ``names``, taking
        each from the SQL expression of ``sources`` (staged column names, or ``NULL``)."""
        assert all(source == "NULL" or source in self.columns for source in sources), sources
        self.connection.exec_driver_sql(
            f"INSERT INTO {table.name} ({', '.join(names)}) SELECT {', '.join(sources)} "
            f"FROM {SCHEMA}.{TABLE} WHERE rowid BETWEEN {int(first)} AND {int(last)} ORDER BY rowid"
        )


def can_stage(connection: Connection) -> bool:
    """True on a SQLite connection with no transaction open (where a scratch database can be attached)."""
    if connection.dialect.name != "sqlite":
        return False
    driver = connection.connection.driver_connection
    return driver is not None and not driver.in_transaction


@contextmanager
def staged(connection: Connection, frames: Iterable[pl.DataFrame]) -> Iterator[Stage]:
    """Ingest ``frames`` (one schema) into a scratch SQLite database attached to ``connection`` as
    :data:`SCHEMA`, and yield the :class:`Stage`; afterwards detach and delete it. Call it where
    :func:`can_stage` holds; the caller's transaction begins inside the block and may be committed in it.

    Attaching and detaching go to the driver's connection, which outlives a commit that hands the
    SQLAlchemy connection back to its pool.
    """
    driver = connection.connection.driver_connection
    assert driver is not None
    with tempfile.TemporaryDirectory(prefix="arrears-stage-") as folder:
        path = Path(folder) / "stage.db"
        count = 0
        columns: list[str] = []
        with adbc.connect(str(path), autocommit=True) as scratch, scratch.cursor() as cursor:
            for pragma in ("journal_mode = OFF", "synchronous = OFF"):
                cursor.execute(f"PRAGMA {pragma}")
            for frame in frames:
                cursor.adbc_ingest(TABLE, frame.to_arrow(), mode="append" if columns else "create")
                columns = frame.columns
                count += frame.height
        driver.execute(f"ATTACH DATABASE ? AS {SCHEMA}", (str(path),))
        try:
            yield Stage(connection, columns, count)
        finally:
            if driver.in_transaction:
                driver.rollback()  # the block failed: its transaction is over, and it holds the scratch file
            driver.execute(f"DETACH DATABASE {SCHEMA}")
