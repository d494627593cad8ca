"""Connecting to the database: URL from the environment, SQLite pragmas, schema migration."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, Table, create_engine, event
from sqlalchemy.engine import make_url

from arrears.store.change_watch import close_watch, watch_of

if TYPE_CHECKING:
    from sqlalchemy.orm import Session as Session
    from sqlalchemy.orm import sessionmaker

__all__ = [
    "Connection",
    "Database",
    "Table",
    "database_url",
    "make_engine",
    "sqlite_url",
    "url_with_password",
    "url_without_password",
]
"""``Connection`` and ``Table`` are the handles services pass to repositories without touching SQLAlchemy; a
``Session`` (``sqlalchemy.orm``) is imported for type annotations only, so that a command that only reads never
loads the ORM."""

DEFAULT_URL = "sqlite:///arrears.db"


def database_url(url: str | None = None) -> str:
    """The database URL: the one given, else ``ARREARS_DATABASE_URL``, else ``./arrears.db``."""
    return url or os.environ.get("ARREARS_DATABASE_URL") or DEFAULT_URL


def sqlite_url(path: str | Path) -> str:
    """The URL of a SQLite file."""
    return f"sqlite:///{Path(path)}"


def url_without_password(url: str) -> str:
    """``url`` with its password left out (what may be sent to other hosts or written down)."""
    return make_url(url)._replace(password=None).render_as_string(hide_password=False)


def url_with_password(url: str, password: str) -> str:
    """``url`` with ``password`` as its password."""
    return make_url(url).set(password=password).render_as_string(hide_password=False)


SQLITE_BUSY_TIMEOUT_MS = 30_000
"""How long a SQLite command waits for another process's write lock before it fails with "database is
locked" (a daily run writing, an import in progress)."""


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL (None for another database or an in-memory one)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_TIMEOUT_MS)}")
    cursor.close()


def make_engine(url: str | None = None, **kwargs: Any) -> Engine:
    """An engine for ``url``; SQLite files run in WAL mode with foreign keys on."""
    resolved = database_url(url)
    for plain in ("postgresql://", "postgres://"):  # postgres:// is what Heroku and others hand out
        if resolved.startswith(plain):
            resolved = "postgresql+psycopg://" + resolved.removeprefix(plain)
    engine = create_engine(resolved, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


class Database:
    """An engine and its sessions: the one handle services receive."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions: sessionmaker[Session] | None = None

    @classmethod
    def connect(cls, url: str | None = None, *, migrate: bool = True) -> Database:
        """Open the database at ``url`` (see :func:`database_url`), bringing its schema up to date."""
        db = cls(make_engine(url))
        if migrate:
            from arrears.store.migrate import upgrade

            upgrade(db.engine)
        return db

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.engine.dialect.name

    def session(self) -> Session:
        """A new session; prefer :class:`arrears.store.uow.UnitOfWork` in services."""
        if self._sessions is None:
            from sqlalchemy.orm import sessionmaker

            from arrears.store.models import map_rows

            map_rows()
            self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        return self._sessions()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work commits at the end of the block, or rolls back on an exception."""
        with self.session() as session, session.begin():
            yield session

    def change_version(self) -> str | None:
        """A text that differs after any commit to the database, by any connection or process (see
        :mod:`arrears.store.change_watch`); ``None`` when the database cannot say."""
        return watch_of(self.engine).version()

    def dispose(self) -> None:
        """Close every pooled connection (and the change watch's)."""
        close_watch(self.engine)
        self.engine.dispose()


def fetch_rows(connection: Connection, sql: str) -> list[Any]:
    """All rows of ``sql`` as plain tuples, straight from the driver's cursor (no per-row Row objects)."""
    cursor = connection.connection.cursor()
    try:
        cursor.execute(sql)
        return cursor.fetchall()
    finally:
        cursor.close()
