"""A run on a SQLite file copies the write-ahead log into the database from a thread of its own process while
its chunks commit (:mod:`arrears.store.wal`), in one process or with a pool; on PostgreSQL nothing of the kind.

Given two accounts that enter collections on 2026-03-01, run in chunks of one account: expect their letters,
and the log copied at least once, the last time after the last commit.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import arrears.services.run as run_module
from arrears.services.run import run_day
from arrears.store.db import Database
from arrears.store.wal import BackgroundCheckpoints
from tests.notation import d
from tests.services.run_scenarios import STRATEGY, activities, portfolios, world

ACCOUNTS = """
ann Irving NORTH
    2026-01-01 charge 25.01 due 2026-01-14
bob Irwin NORTH
    2026-01-01 charge 25.01 due 2026-01-14
"""


@pytest.fixture
def made(monkeypatch: pytest.MonkeyPatch) -> list[BackgroundCheckpoints]:
    """The checkpointers the run makes, each copying every 10 ms."""
    made: list[BackgroundCheckpoints] = []

    class Recorded(BackgroundCheckpoints):
        def __init__(self, path: Path | None) -> None:
            super().__init__(path, every=0.01)
            made.append(self)

    monkeypatch.setattr(run_module, "BackgroundCheckpoints", Recorded)
    return made


def _run_two_accounts(db: Database, executor: ThreadPoolExecutor | None = None) -> None:
    portfolios(db)
    world(db, ACCOUNTS)
    result = run_day(db, d("2026-03-01"), strategy=STRATEGY, workers=1, executor=executor, chunk_size=1)
    assert result.counts["entered"] == 2
    assert activities(db) == [
        "ann: 2026-03-01 Letter 30 (letter) DEF done",
        "bob: 2026-03-01 Letter 30 (letter) DEF done",
    ]


def test_a_run_in_one_process_copies_the_log_of_a_sqlite_file_beside_its_chunks(
    db: Database, made: list[BackgroundCheckpoints]
) -> None:
    _run_two_accounts(db)
    (checkpoints,) = made
    if db.dialect == "sqlite":
        assert checkpoints.path is not None and checkpoints.copies >= 1
    else:
        assert checkpoints.path is None and checkpoints.copies == 0


def test_a_run_on_a_pool_copies_the_log_from_its_own_process(
    sqlite_db: Database, made: list[BackgroundCheckpoints]
) -> None:
    # The pool's workers are threads: a process pool forked from this process (which has used Polars' threads)
    # could deadlock; the run's process pools are exercised from processes of their own (test_run_resume).
    with ThreadPoolExecutor(2) as executor:
        _run_two_accounts(sqlite_db, executor)
    (checkpoints,) = made
    assert checkpoints.path is not None and checkpoints.copies >= 1
