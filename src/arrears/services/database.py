"""Opening the database for the commands: the one handle every use case receives."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from arrears.store import summaries
from arrears.store.db import Database, sqlite_url

__all__ = ["Database", "database_location", "open_database", "open_sqlite_file", "rebuild_summaries"]


def open_database(url: str | None = None) -> Database:
    """Open the database at ``url`` (else ``ARREARS_DATABASE_URL``, else ``./arrears.db``), migrating its schema."""
    return Database.connect(url)


def open_sqlite_file(path: Path) -> Database:
    """Open (creating and migrating) the SQLite database file at ``path``."""
    return Database.connect(sqlite_url(path))


def database_location(database: Database) -> str:
    """Where ``database`` lives, as a URL without its password (safe to print)."""
    return database.engine.url.render_as_string(hide_password=True)


def rebuild_summaries(database: Database, progress: Callable[[int], None] | None = None) -> int:
    """Recompute every account summary from the ledger in one transaction; return how many were rebuilt."""
    with database.engine.begin() as connection:
        return summaries.rebuild_all(connection, progress=progress)
