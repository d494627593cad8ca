"""Opening the database for the commands: the one handle every use case receives.

Only ``arrears init`` and ``arrears migrate`` change a schema; every other command opens a database that is
already at this Arrears' schema, and refuses one that is older (run ``arrears migrate``), newer (upgrade
Arrears), missing or unreachable with a :class:`DatabaseFault` whose message says what to do.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from arrears.store import summaries
from arrears.store.db import Database, database_url, make_engine, sqlite_path, sqlite_url
from arrears.store.faults import fault_message
from arrears.store.migrate import backup_sqlite, current_revision, head_revision, is_known, upgrade

__all__ = [
    "Database",
    "DatabaseFault",
    "Migration",
    "database_location",
    "fault_message",
    "migrate_database",
    "open_database",
    "open_sqlite_file",
    "rebuild_summaries",
    "sqlite_file",
]

SCHEMES = ("sqlite", "postgresql")
"""The databases Arrears works with (``postgres://`` is read as ``postgresql://``)."""


class DatabaseFault(Exception):
    """The database cannot be used as it is; the message (one line) says why and what to do."""


def _resolve(url: str | None) -> str:
    """The URL of the database the user named: a URL as it is, a plain path (no ``scheme://``) as the URL of
    that SQLite file (``~`` expanded)."""
    resolved = database_url(url)
    if "://" not in resolved:
        return sqlite_url(Path(resolved).expanduser())
    scheme = resolved.split("://", 1)[0]
    if scheme.split("+", 1)[0] not in (*SCHEMES, "postgres"):
        raise DatabaseFault(
            f"{scheme!r} is not a database Arrears works with: use --db FILE (a SQLite file), sqlite:///FILE or"
            " postgresql://USER@HOST:PORT/NAME"
        )
    return resolved


def sqlite_file(url: str | None = None) -> Path | None:
    """The file of a SQLite URL (None for another database or an in-memory one)."""
    return sqlite_path(_resolve(url))


def _connect(url: str | None, *, create: bool, pool_size: int | None = None) -> tuple[Database, str | None]:
    """The database at ``url`` and the revision of its schema (None: no schema yet); ``pool_size``: how many
    connections its pool keeps open (default: the driver's pool default)."""
    resolved = _resolve(url)
    path = sqlite_file(resolved)
    if path is not None and not path.exists():
        if not create:
            raise DatabaseFault(f"no database at {path}: create it with `arrears init`, or name another with --db")
        if not path.parent.is_dir():
            raise DatabaseFault(f"cannot create {path}: the folder {path.parent} does not exist")
    try:
        database = Database(make_engine(resolved, **({} if pool_size is None else {"pool_size": pool_size})))
        return database, current_revision(database.engine)
    except Exception as error:
        message = fault_message(error)
        if message is None:
            raise
        raise DatabaseFault(message) from error


def _refuse_unknown(revision: str | None) -> None:
    if revision is not None and not is_known(revision):
        raise DatabaseFault(f"this database was written by a newer Arrears (revision {revision}); upgrade Arrears")


def open_database(url: str | None = None, *, migrate: bool = False, pool_size: int | None = None) -> Database:
    """Open the database at ``url`` (else ``ARREARS_DATABASE_URL``, else ``./arrears.db``).

    With ``migrate`` (``arrears init``) a missing SQLite file is created and the schema brought up to date;
    without it the schema must already be this Arrears' one. ``pool_size``: the connections kept open for
    reuse (a server keeps one for each request it works on at once).
    """
    database, revision = _connect(url, create=migrate, pool_size=pool_size)
    _refuse_unknown(revision)
    head = head_revision()
    if revision != head:
        if not migrate:
            database.dispose()
            if revision is None:
                raise DatabaseFault(f"{database_location(database)} has no Arrears schema: run `arrears init`")
            raise DatabaseFault(
                f"this database's schema is at revision {revision}, older than this Arrears ({head}):"
                " run `arrears migrate` (it offers a backup of a SQLite file first)"
            )
        upgrade(database.engine)
    return database


@dataclass(frozen=True, slots=True)
class Migration:
    """What ``arrears migrate`` did: the revisions before and after, and where the backup went."""

    location: str
    before: str | None
    after: str
    backup: Path | None


def migrate_database(url: str | None = None, *, backup: bool = True) -> Migration:
    """Bring the schema of an existing database up to date; first, for a SQLite file, copy it beside itself
    (``FILE.before-REVISION-TIMESTAMP.bak``) unless ``backup`` is False or there is nothing to migrate."""
    database, revision = _connect(url, create=False)
    try:
        _refuse_unknown(revision)
        head = head_revision()
        copy: Path | None = None
        path = sqlite_file(url)
        if revision != head and backup and path is not None:
            stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
            copy = path.with_name(f"{path.name}.before-{head}-{stamp}.bak")
            backup_sqlite(database.engine, copy)
        upgrade(database.engine)
        return Migration(database_location(database), revision, head, copy)
    finally:
        database.dispose()


def open_sqlite_file(path: Path) -> Database:
    """Open (creating and migrating) the SQLite database file at ``path``."""
    return open_database(sqlite_url(path), migrate=True)


def database_location(database: Database) -> str:
    """Where ``database`` lives, as a URL without its password (safe to print)."""
    return database.engine.url.render_as_string(hide_password=True)


def rebuild_summaries(database: Database, progress: Callable[[int], None] | None = None) -> int:
    """Recompute every account summary from the ledger in one transaction; return how many were rebuilt."""
    with database.engine.begin() as connection:
        return summaries.rebuild_all(connection, progress=progress)
