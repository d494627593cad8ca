"""The run's records and lease as separate processes see them: a data set worth running, fresh databases any
process can open (SQLite files, PostgreSQL schemas), the run as a child process to SIGKILL, and the bodies of
processes that race for one run.

Kept importable without pytest: child processes import it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import traceback
from datetime import date
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, select

from arrears.services.run import RunRefused, run_day, start_run
from arrears.store import summaries
from arrears.store.db import Database, make_engine
from arrears.store.models import AccountRow, ClaimRow, LedgerLineRow, PartyRow, PortfolioRow
from tests.services.run_scenarios import resume_strategy

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
from tests.services import run_scenarios
strategy = getattr(run_scenarios, sys.argv[4])()
run_day(Database(make_engine(sys.argv[1])), date.fromisoformat(sys.argv[2]), strategy=strategy,
        chunk_size=5, workers=int(sys.argv[3]))
"""


def populate(engine: Engine, accounts: int = ACCOUNTS) -> None:
    """``accounts`` accounts in NORTH, SOUTH and OFF with charges, payments and claims, written in bulk."""
    with engine.begin() as connection:
        enterprise = connection.scalar(select(PortfolioRow.id))
        codes = {}
        for code in ("NORTH", "SOUTH", "OFF"):
            codes[code] = connection.execute(
                insert(PortfolioRow).values(code=code, name=code, parent_id=enterprise)
            ).inserted_primary_key[0]
        for n in range(accounts):
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


def start_child_run(
    url: str, as_of: date = AS_OF, workers: int = 1, strategy: str = "resume_strategy"
) -> subprocess.Popen[bytes]:
    """``run_day`` of ``as_of`` (chunks of 5, ``workers`` processes) in a child process of its own, with the
    strategy the function ``strategy`` of :mod:`tests.services.run_scenarios` makes."""
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, url, as_of.isoformat(), str(workers), strategy],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'src'}"},
    )


def children_of(pid: int) -> list[int]:
    """The live processes whose parent is ``pid`` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (state := _stat(int(entry.name))) and state[1] == pid:
            found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    """True while process ``pid`` exists and is not a zombie."""
    state = _stat(pid)
    return state is not None and state[0] != "Z"


def _stat(pid: int) -> tuple[str, int] | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None
    return fields[0], int(fields[1])


# ------------------------------------------------------------------ bodies of racing processes (spawned)


def _report(results: Queue[tuple[Any, ...]], *outcome: Any) -> None:
    results.put((os.getpid(), *outcome))


def claim_each_scope(url: str, scopes: list[str], start: Barrier, results: Queue[tuple[Any, ...]]) -> None:
    """For each scope: wait for the other process, claim the scope's new run of :data:`AS_OF` at the same
    instant as it, report, and hold the claim until the other process has tried too."""
    db = Database(make_engine(url))
    with db.engine.connect():
        pass  # connect before the race: both claims then start at the same instant
    for scope in scopes:
        start.wait()
        try:
            _report(results, "claimed", scope, start_run(db, AS_OF, scope).run_id)
        except RunRefused as refused:
            _report(results, "refused", scope, str(refused))
        except Exception:
            _report(results, "error", scope, traceback.format_exc())
        start.wait()
    db.dispose()


def run_at_once(url: str, day: date, start: Barrier, results: Queue[tuple[Any, ...]]) -> None:
    """Wait for the other process, then run ``day`` at the same instant, and report."""
    db = Database(make_engine(url))
    strategy = resume_strategy()
    with db.engine.connect():
        pass
    start.wait()
    try:
        result = run_day(db, day, strategy=strategy, chunk_size=CHUNK, workers=1)
        _report(results, "completed", dict(result.this_attempt))
    except RunRefused as refused:
        _report(results, "refused", str(refused))
    except Exception:
        _report(results, "error", traceback.format_exc())
    db.dispose()


def run_at_once_on_cluster(url: str, day: date, address: str, start: Barrier, results: Queue[tuple[Any, ...]]) -> None:
    """Wait for the other process, then run ``day`` on the Dask cluster at ``address`` at the same instant, and
    report."""
    db = Database(make_engine(url))
    strategy = resume_strategy()
    with db.engine.connect():
        pass
    start.wait()
    try:
        result = run_day(db, day, strategy=strategy, chunk_size=CHUNK, cluster=address)
        _report(results, "completed", dict(result.this_attempt))
    except RunRefused as refused:
        _report(results, "refused", str(refused))
    except Exception:
        _report(results, "error", traceback.format_exc())
    db.dispose()
