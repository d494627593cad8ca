"""The database's change version: the same while nothing is committed, another after any commit, whoever made
it (this process's pool, another connection, another process)."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

from arrears.store.change_watch import ChangeWatch
from arrears.store.db import Database, sqlite_path

_INSERT = ("INSERT INTO config_version (number, created_at, actor, summary, document) "
           "VALUES ({number}, '2026-03-01 09:00:00', '{actor}', 'a change', '')")  # fmt: skip


def _commit_a_note(db: Database) -> None:
    with db.engine.begin() as connection:
        connection.exec_driver_sql(_INSERT.format(number=1, actor="test"))


def _read_leaves_the_version(db: Database) -> bool:
    """Whether a read leaves the version as it was, asked until a try sees no commit of another session in
    between: PostgreSQL's snapshot is the server's, which every database's commits move (the other test
    workers' among them); a read that moved it itself would move it in every try."""
    for _ in range(50):
        before = db.change_version()
        with db.engine.connect() as connection:  # a read commits nothing
            connection.exec_driver_sql("SELECT count(*) FROM account").fetchall()
        if db.change_version() == before:
            return True
    return False


def test_the_version_changes_after_a_commit_and_only_then(db: Database) -> None:
    assert db.change_version() is not None
    assert _read_leaves_the_version(db)
    before = db.change_version()
    _commit_a_note(db)
    assert db.change_version() != before
    assert _read_leaves_the_version(db)


def test_a_commit_by_another_connection_or_process_changes_the_sqlite_version(sqlite_db: Database) -> None:
    path = sqlite_path(sqlite_db.engine.url.render_as_string(hide_password=False))
    assert path is not None
    first = sqlite_db.change_version()
    with sqlite3.connect(path) as other:
        other.execute(_INSERT.format(number=1, actor="desk"))
    second = sqlite_db.change_version()
    assert second != first
    script = "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute(sys.argv[2]); c.commit()"
    subprocess.run([sys.executable, "-c", script, str(path), _INSERT.format(number=2, actor="cli")], check=True)
    assert sqlite_db.change_version() not in (first, second)


def test_an_in_memory_database_has_no_version() -> None:
    memory = Database.connect("sqlite://", migrate=False)
    assert memory.change_version() is None
    memory.dispose()


def test_a_watch_whose_question_fails_has_no_version_for_a_while(sqlite_db: Database) -> None:
    watch = ChangeWatch(sqlite_db.engine)
    watch._query = "SELECT no_such_function()"  # as PostgreSQL before 13 answers pg_current_snapshot()
    assert watch.version() is None
    watch._query = "PRAGMA data_version"
    assert watch.version() is None  # not asked again at once: a failing server is not asked at every request
    watch._quiet_until = 0.0
    assert watch.version() is not None
    watch.close()
