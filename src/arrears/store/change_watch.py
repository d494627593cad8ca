"""Whether the database has changed: a version that differs after any commit, by any connection or process.

Answers kept while the database is unchanged (:mod:`arrears.services.read_cache`) are keyed by it. Each
database says it its own way, cheaply and without a table of our own to keep up:

* SQLite: ``PRAGMA data_version`` on a connection of the watch's own that never writes; it changes whenever
  another connection, of this process or another, commits (it does not for the asking connection's own
  commits, which is why that connection only asks).
* PostgreSQL: ``pg_current_snapshot()`` (13+), which names every transaction that has committed or is in
  progress: the same snapshot is the same committed data. Transactions of other databases of the server
  also change it, which only makes a kept answer be computed again.

An in-memory SQLite database (one connection for everything) has no version (``None``): nothing is kept for
it; nor for a database while its watch's question fails (PostgreSQL before 13, a server down), asked again
every few seconds.
"""

from __future__ import annotations

import contextlib
import threading
import time
import weakref
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

RETRY_SECONDS = 10.0
"""How long a watch whose question failed answers ``None`` before it asks again."""
_QUERIES = {"sqlite": "PRAGMA data_version", "postgresql": "SELECT pg_current_snapshot()::text"}


class ChangeWatch:
    """The change version of one engine's database, asked on a connection of its own (thread-safe). It holds
    its engine weakly: the engine's watch (:func:`watch_of`) goes when the engine does."""

    def __init__(self, engine: Engine) -> None:
        self._engine = weakref.ref(engine)
        self._dialect = engine.dialect.name
        self._errors = (DBAPIError, engine.dialect.loaded_dbapi.Error)
        self._query = _QUERIES.get(self._dialect)
        if self._dialect == "sqlite" and engine.url.database in (None, "", ":memory:"):
            self._query = None
        self._lock = threading.Lock()
        self._connection: Any = None
        self._quiet_until = 0.0

    def version(self) -> str | None:
        """A text that differs after any commit since the last call; ``None`` when there is none to give."""
        if self._query is None:
            return None
        with self._lock:
            if time.monotonic() < self._quiet_until:
                return None
            try:
                if self._connection is None:
                    self._connection = self._open()
                cursor = self._connection.cursor()
                try:
                    cursor.execute(self._query)
                    row = cursor.fetchone()
                finally:
                    cursor.close()
            except self._errors:
                # asked again on a new connection, not before a while (a server too old to answer, one down)
                self._close()
                self._quiet_until = time.monotonic() + RETRY_SECONDS
                return None
        return str(row[0])

    def _open(self) -> Any:
        """A connection of the engine's kind (its ``PRAGMA``s, its driver settings) outside its pool, asking in
        autocommit: no transaction held open between questions."""
        engine = self._engine()
        if engine is None:
            raise DBAPIError("", None, Exception("the engine is gone"))
        pooled = engine.raw_connection()
        pooled.detach()
        connection: Any = pooled.dbapi_connection
        if self._dialect == "sqlite":
            connection.isolation_level = None
        else:
            connection.autocommit = True
        return connection

    def _close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(*self._errors):  # already broken: nothing to close
                connection.close()

    def close(self) -> None:
        """Close the watch's connection (a later :meth:`version` opens another)."""
        with self._lock:
            self._close()


_watches: weakref.WeakKeyDictionary[Engine, ChangeWatch] = weakref.WeakKeyDictionary()
_watches_lock = threading.Lock()


def watch_of(engine: Engine) -> ChangeWatch:
    """The watch of ``engine`` in this process: one connection per engine, however many handles share it."""
    with _watches_lock:
        watch = _watches.get(engine)
        if watch is None:
            watch = _watches[engine] = ChangeWatch(engine)
        return watch


def close_watch(engine: Engine) -> None:
    """Close the connection of ``engine``'s watch, if it has one (a later question opens another)."""
    with _watches_lock:
        watch = _watches.get(engine)
    if watch is not None:
        watch.close()
