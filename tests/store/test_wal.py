"""The write-ahead log copied beside a run: commits made with the automatic checkpoint off stay in the log
until :class:`BackgroundCheckpoints` copies them, a few times a second and once more on leaving."""

from __future__ import annotations

import time
from pathlib import Path

from sqlalchemy import Engine

from arrears.store.db import make_engine, sqlite_url
from arrears.store.wal import BackgroundCheckpoints, commits_leave_the_log


def _in_database(path: Path) -> int:
    """Bytes of the database file itself: the pages a checkpoint has copied there (the log holds the rest)."""
    return path.stat().st_size


def _write(engine: Engine, rows: int) -> None:
    with engine.connect() as connection, commits_leave_the_log(connection), connection.begin():
        assert connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 0
        connection.exec_driver_sql("CREATE TABLE IF NOT EXISTS t (n INTEGER, filler TEXT)")
        connection.exec_driver_sql("INSERT INTO t VALUES (?, ?)", [(n, "x" * 500) for n in range(rows)])


def test_commits_that_leave_the_log_stay_there_until_copied(tmp_path: Path) -> None:
    path = tmp_path / "wal.db"
    engine = make_engine(sqlite_url(path))
    # Its pooled connection stays open: closing the last connection to a file checkpoints the log itself.
    _write(engine, 20_000)  # some 2,700 pages of 4 KiB: over the automatic checkpoint's 1,000
    assert _in_database(path) < 100_000  # still in the log
    with engine.connect() as connection:  # the connection's automatic checkpoint is back as it was
        assert connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 1000
    with BackgroundCheckpoints(path, every=0.05) as checkpoints:
        time.sleep(0.3)
        assert checkpoints.copies >= 1  # copied while the context is open, not only on leaving
        assert _in_database(path) > 10_000_000
        _write(engine, 5_000)
    assert checkpoints.copies >= 2
    assert _in_database(path) > 12_500_000  # every commit, the last one included, is in the database
    engine.dispose()


def test_outside_sqlite_files_nothing_happens() -> None:
    with BackgroundCheckpoints(None) as checkpoints:
        pass
    assert checkpoints.copies == 0
