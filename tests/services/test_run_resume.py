"""Kill the daily run mid-way (SIGKILL to a real process), start it again, and end exactly where an
uninterrupted run ends: same cases, activities, letters, notes, history, fees and accounts, no duplicates.
Also: a run held by a live process is refused; a dead owner's run is taken over.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, insert, select, text

from arrears.domain.strategy import Strategy
from arrears.services.run import RunRefused, pending_dates, run_day, start_run
from arrears.store import summaries
from arrears.store.db import Database, make_engine, sqlite_url
from arrears.store.models import (
    AccountRow,
    ClaimRow,
    LedgerLineRow,
    PartyRow,
    PortfolioRow,
    RunChunkRow,
    RunRow,
)
from tests.services.run_scenarios import EFFECT_TABLES, contents, resume_strategy

ROOT = Path(__file__).resolve().parents[2]
ACCOUNTS = 200
CHUNK = 5
AS_OF = date(2026, 3, 1)
LAST_NAMES = ("Adams", "Baker", "Clark", "Dunn", "Evans", "Ford", "Gray", "Hill", "Irving", "Jones", "Stone", "Zed")
CHILD = """
import sys
from datetime import date
from arrears.services.run import run_day
from arrears.store.db import Database, make_engine
from tests.services.run_scenarios import resume_strategy
run_day(Database(make_engine(sys.argv[1])), date.fromisoformat(sys.argv[2]), strategy=resume_strategy(), chunk_size=5)
"""


def _populate(engine: Engine) -> None:
    """Accounts in NORTH, SOUTH and OFF with charges, payments and claims, written in bulk."""
    with engine.begin() as connection:
        enterprise = connection.scalar(select(PortfolioRow.id))
        codes = {}
        for code in ("NORTH", "SOUTH", "OFF"):
            codes[code] = connection.execute(
                insert(PortfolioRow).values(code=code, name=code, parent_id=enterprise)
            ).inserted_primary_key[0]
        for n in range(ACCOUNTS):
            portfolio = ("NORTH", "NORTH", "SOUTH", "OFF")[n % 4]
            party = connection.execute(
                insert(PartyRow).values(first_name=f"P{n}", last_name=LAST_NAMES[n % len(LAST_NAMES)])
            ).inserted_primary_key[0]
            account = connection.execute(
                insert(AccountRow).values(
                    external_id=f"R-{n:04d}", portfolio_id=codes[portfolio], guarantor_id=party, status_code=""
                )
            ).inserted_primary_key[0]
            cents = 2_000 + (n * 7_919) % 240_000
            connection.execute(
                insert(LedgerLineRow).values(
                    account_id=account,
                    external_id=f"R-{n:04d}-1",
                    kind="charge",
                    amount_cents=cents,
                    posted_date=date(2025, 12, 1),
                    due_date=date(2026, 1, 1 + n % 28),
                )
            )
            if n % 5 == 0:
                connection.execute(
                    insert(LedgerLineRow).values(
                        account_id=account,
                        external_id=f"R-{n:04d}-2",
                        kind="payment",
                        source="guarantor",
                        amount_cents=1_000 + n * 10,
                        posted_date=date(2026, 2, 1 + n % 28),
                    )
                )
            if n % 7 == 0:
                connection.execute(
                    insert(ClaimRow).values(
                        external_id=f"C-{n:04d}",
                        account_id=account,
                        payer="Acme Health",
                        billed_date=date(2025, 12, 1),
                        amount_cents=30_000,
                        paid_cents=0,
                        status="open",
                    )
                )
        summaries.rebuild_all(connection)


def _copy(source: Path, target: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{source}{suffix}").exists():
            shutil.copy(f"{source}{suffix}", f"{target}{suffix}")


@pytest.fixture
def start(tmp_path: Path, sqlite_template: Path) -> tuple[Path, Path]:
    """The starting database, and an untouched copy of it for the uninterrupted run."""
    path, reference = tmp_path / "resumed.db", tmp_path / "reference.db"
    shutil.copy(sqlite_template, path)
    engine = make_engine(sqlite_url(path))
    _populate(engine)
    engine.dispose()
    _copy(path, reference)
    return path, reference


def _chunks(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.scalar(text("SELECT COUNT(*) FROM run_chunk")) or 0)


def _kill_after(path: Path, chunks: int) -> int:
    """Start the run in a child process, SIGKILL it once ``chunks`` chunks have committed; return the count."""
    engine = make_engine(sqlite_url(path))
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, sqlite_url(path), AS_OF.isoformat()],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'src'}"},
    )
    try:
        deadline = time.monotonic() + 300  # a guard against a hung child, not a timing
        while _chunks(engine) < chunks:
            assert child.poll() is None, f"the run process ended on its own (exit {child.returncode}) before the kill"
            assert time.monotonic() < deadline, "the run process committed no chunk within 5 minutes"
            time.sleep(0.005)
        child.send_signal(signal.SIGKILL)
    finally:
        child.kill()
        child.wait()
    committed = _chunks(engine)
    with engine.connect() as connection:
        status = connection.scalar(select(RunRow.status))
    engine.dispose()
    assert child.returncode == -signal.SIGKILL
    assert status == "running", "the run completed before the kill: make the data set bigger"
    assert committed < ACCOUNTS // CHUNK, "every chunk committed before the kill: make the data set bigger"
    return committed


def test_a_run_killed_mid_way_resumes_to_the_uninterrupted_state(start: tuple[Path, Path]) -> None:
    path, reference = start
    strategy = resume_strategy()
    expected_db = Database(make_engine(sqlite_url(reference)))
    expected = run_day(expected_db, AS_OF, strategy=strategy, chunk_size=CHUNK)
    with expected_db.engine.connect() as connection:
        expected_tables = contents(connection)
    expected_db.dispose()
    assert expected.counts["entered"] > 60 and expected.counts["fees_posted"] > 10  # a day worth resuming

    first = _kill_after(path, 1)
    second = _kill_after(path, first + 3)  # killed again, part-way through the resumed attempt
    assert second > first

    resumed_db = Database(make_engine(sqlite_url(path)))
    resumed = run_day(resumed_db, AS_OF, strategy=strategy, chunk_size=CHUNK)
    with resumed_db.engine.connect() as connection:
        resumed_tables = contents(connection)
        run = connection.execute(select(RunRow)).one()
        chunks = connection.scalar(select(func.count()).select_from(RunChunkRow))
    resumed_db.dispose()

    assert (run.status, run.attempts, run.owner) == ("completed", 3, None)
    assert chunks == second + ACCOUNTS // CHUNK
    for name in EFFECT_TABLES:
        assert resumed_tables[name] == expected_tables[name], f"{name} differs from the uninterrupted run"
    assert dict(resumed.counts) == dict(expected.counts)
    assert json.loads(run.counts) == dict(sorted(expected.counts.items()))


def test_a_run_held_by_a_live_process_is_refused_and_a_dead_owner_is_taken_over(start: tuple[Path, Path]) -> None:
    path, _ = start
    db = Database(make_engine(sqlite_url(path)))
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        with db.engine.begin() as connection:
            connection.execute(
                insert(RunRow).values(
                    scope="ALL",
                    as_of=AS_OF,
                    status="running",
                    owner=f"{socket.gethostname()}:{holder.pid}",
                    started_at=datetime.now(UTC),
                    attempts=1,
                    counts="{}",
                    errors="[]",
                )
            )
        with pytest.raises(RunRefused, match=rf"run 1 \(ALL, 2026-03-01\) is in progress in process .*:{holder.pid}"):
            run_day(db, AS_OF, strategy=resume_strategy())
        with pytest.raises(RunRefused, match="is in progress"):
            run_day(db, date(2026, 3, 2), "NORTH", strategy=resume_strategy())  # overlapping scope
    finally:
        holder.kill()
        holder.wait()
    result = run_day(db, AS_OF, strategy=resume_strategy())
    with db.engine.connect() as connection:
        run = connection.execute(select(RunRow)).one()
    db.dispose()
    assert (result.run_id, run.status, run.attempts) == (1, "completed", 2)
    assert result.counts["entered"] > 60


def test_a_later_day_waits_for_an_unfinished_run_and_catch_up_resumes_it(db: Database) -> None:
    """An unfinished run (its process died) must be finished before a later date may run."""
    start_run(db, date(2026, 3, 1), "ALL")  # as if the process running it had died
    with db.engine.begin() as connection:
        connection.execute(RunRow.__table__.update().values(owner="gone-host:1"))
    with pytest.raises(RunRefused, match=r"the run for 2026-03-01 \(ALL\) did not finish; resume it first"):
        run_day(db, date(2026, 3, 2), strategy=Strategy())
    assert pending_dates(db, date(2026, 3, 3)) == [date(2026, 3, 1), date(2026, 3, 2), date(2026, 3, 3)]
