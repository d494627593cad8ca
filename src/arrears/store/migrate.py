"""Bring a database schema up to date with the Alembic migrations shipped in the package.

Checking that a schema is current needs no Alembic: the revisions are read from the migration files
themselves (:func:`revisions`: each file's ``revision`` and ``down_revision`` lines; a test holds them to
Alembic's own reading) and the database's revision from Alembic's ``alembic_version`` table. Alembic is
imported only to migrate, which is what keeps a simple command's start light.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, inspect, text

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")
VERSION_TABLE = "alembic_version"
"""Where Alembic keeps the revision a database is at (its default name, which ``env.py`` keeps)."""
_ASSIGNMENT = re.compile(r"^(revision|down_revision)\s*(?::[^=]*)?=\s*(?:\"([^\"]*)\"|'([^']*)'|None)\s*$", re.M)


def alembic_config(engine: Engine) -> Config:
    """An Alembic configuration bound to ``engine``."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


@cache
def revisions() -> dict[str, str | None]:
    """Every migration this Arrears ships: revision → the revision it follows (None for the first), read from the
    ``revision = "…"`` and ``down_revision = "…"`` lines of the files in ``migrations/versions``."""
    found: dict[str, str | None] = {}
    for path in sorted((MIGRATIONS / "versions").glob("*.py")):
        values: dict[str, str | None] = {}
        for match in _ASSIGNMENT.finditer(path.read_text(encoding="utf-8")):
            values[match.group(1)] = match.group(2) or match.group(3)
        if revision := values.get("revision"):
            found[revision] = values.get("down_revision")
    return found


def head_revision() -> str:
    """The newest migration this Arrears ships: the one no other follows."""
    known = revisions()
    heads = set(known) - {parent for parent in known.values() if parent is not None}
    assert len(heads) == 1, heads  # the package ships one line of migrations
    return heads.pop()


def current_revision(engine: Engine) -> str | None:
    """The revision the database's schema is at; None when it has no Arrears schema yet."""
    with engine.connect() as connection:
        if not inspect(connection).has_table(VERSION_TABLE):
            return None
        found = connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars().all()
    return found[0] if found else None


def is_known(revision: str) -> bool:
    """True when ``revision`` is one of this Arrears' migrations (else a newer Arrears wrote it)."""
    return revision in revisions()


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
    return current_revision(engine) == head_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply every migration up to ``revision`` (no-op when already there)."""
    if revision == "head" and is_current(engine):
        return
    from alembic import command

    command.upgrade(alembic_config(engine), revision)
