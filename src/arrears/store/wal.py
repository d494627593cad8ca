"""Copying a SQLite file's write-ahead log into the database beside a run, so that no chunk's commit waits for it.

In WAL mode, a commit that leaves the log over 1,000 pages copies the log into the database file before it
returns (SQLite's automatic checkpoint, two ``fdatasync`` calls included): on the 1M-account benchmark day, 20
checkpoints of 14–30 MiB, 1.4 s of a one-process run's 16 s. While a run works, its chunks commit with the
automatic checkpoint off (:func:`commits_leave_the_log`) and :class:`BackgroundCheckpoints` copies the log
from a thread of the run's own process a few times a second (``PRAGMA wal_checkpoint(PASSIVE)``, which never
waits for a reader or a writer). SQLite's C code lets go of the interpreter lock, so the copying overlaps the
chunks' Python work; with a pool, the run's process has nothing else to do.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

from sqlalchemy import Connection

EVERY_SECONDS = 0.25
"""How often the log is copied: a chunk of 50,000 accounts commits every second or so."""


class BackgroundCheckpoints:
    """A context in which a thread copies the write-ahead log of the SQLite file ``path`` into the database
    every ``every`` seconds, and once more on leaving (so that the log is in the database when a run returns,
    as when its last commit checkpointed). ``path`` None: nothing happens (another database, or in memory).

    Enter it only once the processes that work on the file have started: a connection open when a process
    forks must not be used, or closed, by the child."""

    def __init__(self, path: Path | None, every: float = EVERY_SECONDS) -> None:
        self.path = path
        self.every = every
        self.copies = 0
        """Checkpoints made (the last one included)."""
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._connection: sqlite3.Connection | None = None

    def __enter__(self) -> BackgroundCheckpoints:
        if self.path is not None:
            self._connection = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self._thread = threading.Thread(target=self._copy_until_stopped, name="wal-checkpoints", daemon=True)
            self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self._thread is None or self._connection is None:
            return
        self._stop.set()
        self._thread.join()
        try:
            self._checkpoint()
        finally:
            self._connection.close()

    def _copy_until_stopped(self) -> None:
        while not self._stop.wait(self.every):
            self._checkpoint()

    def _checkpoint(self) -> None:
        assert self._connection is not None
        try:
            self._connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except sqlite3.Error:
            return  # busy (another checkpoint), or failing: the log keeps every commit; the next one copies it
        self.copies += 1


@contextmanager
def commits_leave_the_log(connection: Connection, leave: bool = True) -> Iterator[None]:
    """Within: the SQLite ``connection``'s commits leave the write-ahead log for :class:`BackgroundCheckpoints`
    to copy (its automatic checkpoint off, then as it was). ``leave`` False, or another database: nothing."""
    if not leave or connection.dialect.name != "sqlite":
        yield
        return
    # On the driver's connection: a statement through SQLAlchemy would begin the caller's transaction.
    driver: Any = connection.connection.driver_connection
    (was,) = driver.execute("PRAGMA wal_autocheckpoint").fetchone()
    driver.execute("PRAGMA wal_autocheckpoint = 0")
    try:
        yield
    finally:
        driver.execute(f"PRAGMA wal_autocheckpoint = {int(was)}")
