"""Bring a database schema up to date with the Alembic migrations shipped in the package."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Engine

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(engine: Engine) -> Config:
    """An Alembic configuration bound to ``engine``."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def head_revision() -> str:
    """The newest migration this Arrears ships."""
    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    assert head is not None  # the package ships migrations
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision the database's schema is at; None when it has no Arrears schema yet."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def is_known(revision: str) -> bool:
    """True when ``revision`` is one of this Arrears' migrations (else a newer Arrears wrote it)."""
    try:
        return ScriptDirectory(str(MIGRATIONS)).get_revision(revision) is not None
    except CommandError:
        return False


def backup_sqlite(engine: Engine, target: Path) -> None:
    """Copy the SQLite database of ``engine`` to the file ``target`` with SQLite's online backup (consistent
    even while another process reads it)."""
    import sqlite3

    with engine.connect() as connection:
        source = connection.connection.driver_connection
        assert isinstance(source, sqlite3.Connection)
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)
        finally:
            copy.close()


def is_current(engine: Engine) -> bool:
    """True when the database is at the newest migration."""
    head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision() == head


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply every migration up to ``revision`` (no-op when already there)."""
    if revision == "head" and is_current(engine):
        return
    command.upgrade(alembic_config(engine), revision)
