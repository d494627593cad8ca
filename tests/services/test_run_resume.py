"""The run's records and its lease, with real processes, on SQLite and PostgreSQL.

Kill the daily run mid-way (SIGKILL to a real process), start it again, and end exactly where an
uninterrupted run ends: same cases, activities, letters, notes, history, fees and accounts, no duplicates.
A run is held by a lease: a live holder is refused to others, on another host until its lease expires, a
holder known to be gone on this machine at once; two processes claiming one run at the same instant end
with exactly one holder. The workers of a run die with it. A chunk that cannot be written marks the run
failed with the cause, blocks later dates until it is resumed, and resumes to the uninterrupted state.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, func, insert, select, text
from sqlalchemy.engine import make_url

from arrears.domain.strategy import Strategy
from arrears.services.run import (
    PendingRun,
    RunFailed,
    RunRefused,
    RunResult,
    pending_runs,
    run_day,
    start_run,
)
from arrears.store.db import Database, make_engine, sqlite_url
from arrears.store.migrate import upgrade
from arrears.store.models import RunChunkRow, RunRow
from arrears.store.processes import Holder
from tests.conftest import POSTGRES_URL
from tests.services import run_processes
from tests.services.run_processes import ACCOUNTS, AS_OF, CHUNK, alive, children_of, populate, start_child_run
from tests.services.run_scenarios import EFFECT_TABLES, contents, milestone_resume_strategy, resume_strategy

Fresh = Callable[[str], str]
"""Makes a fresh, migrated, populated database by name and returns a URL any process can open."""


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def fresh(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Fresh]:
    """SQLite files, or PostgreSQL schemas of their own (the URL carries the search path)."""
    made: list[str] = []
    admin: Engine | None = None
    if request.param == "postgres":
        admin = request.getfixturevalue("postgres_engine")  # skips without a server

    def make(name: str) -> str:
        if admin is None:
            path = tmp_path / f"{name}.db"
            shutil.copy(request.getfixturevalue("sqlite_template"), path)
            url = sqlite_url(path)
        else:
            schema = f"arrears_run_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{os.getpid()}_{name}"
            with admin.begin() as connection:
                connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
                connection.execute(text(f"CREATE SCHEMA {schema}"))
            made.append(schema)
            url = make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
            url = url.render_as_string(hide_password=False)  # type: ignore[assignment]
        engine = make_engine(url)
        if admin is not None:
            upgrade(engine)
        populate(engine)
        engine.dispose()
        return url

    yield make
    if admin is not None:
        with admin.begin() as connection:
            for schema in made:
                connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))


def _uninterrupted(
    url: str, strategy: Callable[[], Strategy] = resume_strategy, tables_: tuple[str, ...] = EFFECT_TABLES
) -> tuple[RunResult, dict[str, list[tuple[str, ...]]]]:
    db = Database(make_engine(url))
    result = run_day(db, AS_OF, strategy=strategy(), chunk_size=CHUNK, workers=1)
    with db.engine.connect() as connection:
        tables = contents(connection, tables_)
    db.dispose()
    assert result.counts["entered"] > 60 and result.counts["fees_posted"] > 10  # a day worth resuming
    return result, tables


def _chunks(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.scalar(select(func.count()).select_from(RunChunkRow)) or 0)


def _wait_for_chunks(engine: Engine, child: Any, chunks: int) -> None:
    deadline = time.monotonic() + 300  # only a hung child takes that long, even on a crowded machine
    while _chunks(engine) < chunks:
        assert child.poll() is None, f"the run process ended on its own (exit {child.returncode}) before the kill"
        assert time.monotonic() < deadline, f"the run process committed fewer than {chunks} chunks in 300 s"
        time.sleep(0.005)


def _kill_after(url: str, chunks: int, strategy: str = "resume_strategy") -> int:
    """Start the run in a child process, SIGKILL it once ``chunks`` chunks have committed; return the count."""
    engine = make_engine(url)
    child = start_child_run(url, strategy=strategy)
    try:
        _wait_for_chunks(engine, child, chunks)
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


def _resume_and_compare(
    url: str, expected: RunResult, expected_tables: dict[str, Any], attempts: int,
    strategy: Callable[[], Strategy] = resume_strategy,
) -> Any:  # fmt: skip
    db = Database(make_engine(url))
    resumed = run_day(db, AS_OF, strategy=strategy(), chunk_size=CHUNK, workers=1)
    with db.engine.connect() as connection:
        tables = contents(connection, tuple(expected_tables))
        run = connection.execute(select(RunRow)).one()
    db.dispose()
    assert (run.status, run.attempts, run.owner, run.lease_token) == ("completed", attempts, None, None)
    for name in expected_tables:
        assert tables[name] == expected_tables[name], f"{name} differs from the uninterrupted run"
    assert dict(resumed.counts) == dict(expected.counts)
    assert json.loads(run.counts) == dict(sorted(expected.counts.items()))
    return run


def test_a_run_killed_mid_way_resumes_to_the_uninterrupted_state(fresh: Fresh) -> None:
    url, (expected, expected_tables) = fresh("resumed"), _uninterrupted(fresh("reference"))

    first = _kill_after(url, 1)
    second = _kill_after(url, first + 3)  # killed again, part-way through the resumed attempt
    assert second > first

    _resume_and_compare(url, expected, expected_tables, attempts=3)
    assert _chunks(make_engine(url)) == second + ACCOUNTS // CHUNK


MILESTONE_TABLES = (*EFFECT_TABLES, "milestone_state", "credit_point", "alert", "service_request")


def test_a_run_with_a_milestone_scheme_killed_mid_way_resumes_to_the_uninterrupted_state(fresh: Fresh) -> None:
    """Every account is in the scheme: its moves and every kind of milestone action (notice, charge, log,
    alert, service request, credit points) are written once, whether the run was killed or not."""
    reference = fresh("reference")
    expected, expected_tables = _uninterrupted(reference, milestone_resume_strategy, MILESTONE_TABLES)
    assert expected.counts["milestone_moves"] > 100 and expected.counts["credit_points"] > 0
    url = fresh("resumed")
    first = _kill_after(url, 2, "milestone_resume_strategy")
    second = _kill_after(url, first + 3, "milestone_resume_strategy")
    assert second > first
    _resume_and_compare(url, expected, expected_tables, attempts=3, strategy=milestone_resume_strategy)


def test_the_workers_of_a_killed_run_die_with_it_and_the_run_resumes(fresh: Fresh) -> None:
    """Two worker processes; their parent is SIGKILLed: no worker survives to commit or to hang."""
    url, (expected, expected_tables) = fresh("resumed"), _uninterrupted(fresh("reference"))
    engine = make_engine(url)
    parent = start_child_run(url, workers=2)
    try:
        _wait_for_chunks(engine, parent, 2)
        workers = children_of(parent.pid)
        assert len(workers) >= 2
        parent.send_signal(signal.SIGKILL)
    finally:
        parent.kill()
        parent.wait()
    deadline = time.monotonic() + 120
    try:
        while any(alive(pid) for pid in workers):
            assert time.monotonic() < deadline, f"workers {[p for p in workers if alive(p)]} outlived their parent"
            time.sleep(0.01)
    finally:
        for pid in filter(alive, workers):
            os.kill(pid, signal.SIGKILL)
    committed = _chunks(engine)
    assert 2 <= committed < ACCOUNTS // CHUNK
    engine.dispose()
    _resume_and_compare(url, expected, expected_tables, attempts=2)


def _hold(db: Database, owner: str, machine: str | None, until: datetime, as_of: date = AS_OF) -> None:
    """A running run of ALL on ``as_of`` held by ``owner``, as its process would have left it."""
    with db.engine.begin() as connection:
        connection.execute(
            insert(RunRow).values(
                scope="ALL",
                as_of=as_of,
                status="running",
                owner=owner,
                owner_machine=machine,
                lease_token="0" * 32,
                lease_until=until,
                started_at=datetime.now(UTC),
                attempts=1,
                counts="{}",
                errors="[]",
            )
        )


def test_a_live_holder_on_this_machine_is_refused_and_a_gone_one_is_taken_over_at_once(fresh: Fresh) -> None:
    db = Database(make_engine(fresh("held")))
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    machine = Holder.this_process().machine
    try:
        name = f"{Holder.this_process().name.rpartition(':')[0]}:{holder.pid}"
        _hold(db, name, machine, datetime.now(UTC) + timedelta(minutes=10))
        with pytest.raises(RunRefused, match=rf"run 1 \(ALL, 2026-03-01\) is in progress in process .*:{holder.pid}"):
            run_day(db, AS_OF, strategy=resume_strategy())
        with pytest.raises(RunRefused, match="is in progress"):
            run_day(db, date(2026, 3, 2), "NORTH", strategy=resume_strategy())  # overlapping scope
    finally:
        holder.kill()
        holder.wait()
    # The holder is gone: its lease has ten minutes left, but on this machine that is known for sure.
    result = run_day(db, AS_OF, strategy=resume_strategy())
    with db.engine.connect() as connection:
        run = connection.execute(select(RunRow)).one()
    db.dispose()
    assert (result.run_id, run.status, run.attempts) == (1, "completed", 2)
    assert result.counts["entered"] > 60


def test_a_holder_on_another_host_is_refused_until_its_lease_expires(fresh: Fresh) -> None:
    """No process id is probed on another machine: only the lease says whether its holder still runs."""
    db = Database(make_engine(fresh("elsewhere")))
    _hold(db, "batch-2.example:4242", "another-boot/4026531836", datetime.now(UTC) + timedelta(minutes=10))
    with pytest.raises(RunRefused, match=r"run 1 \(ALL, 2026-03-01\) is in progress in process batch-2.example:4242"):
        run_day(db, AS_OF, strategy=resume_strategy())
    with db.engine.begin() as connection:
        connection.execute(RunRow.__table__.update().values(lease_until=datetime.now(UTC) - timedelta(seconds=1)))
    result = run_day(db, AS_OF, strategy=resume_strategy())
    with db.engine.connect() as connection:
        run = connection.execute(select(RunRow)).one()
    db.dispose()
    assert (result.run_id, run.status, run.attempts) == (1, "completed", 2)


def test_a_later_day_waits_for_an_unfinished_run_and_catch_up_resumes_it(db: Database) -> None:
    """An unfinished run (its holder on another host died: its lease expired) must be finished before a
    later date may run."""
    start_run(db, date(2026, 3, 1), "ALL")
    with db.engine.begin() as connection:
        connection.execute(
            RunRow.__table__.update().values(
                owner="gone-host:1", owner_machine="gone-boot/1", lease_until=datetime.now(UTC) - timedelta(hours=1)
            )
        )
    with pytest.raises(RunRefused, match=r"the run for 2026-03-01 \(ALL\) did not finish; resume it first"):
        run_day(db, date(2026, 3, 2), strategy=Strategy())
    assert pending_runs(db, date(2026, 3, 3)) == [PendingRun(date(2026, 3, n), "ALL") for n in (1, 2, 3)]


def _race(target: Callable[..., None], reports: int, *args: Any) -> list[tuple[Any, ...]]:
    """Run ``target(*args, barrier, queue)`` in two fresh processes released at the same instant; return
    the ``reports`` outcomes they put on the queue (process id first). The processes start from a fork
    server that has imported the run once, not from this process and its open connections."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([run_processes.__name__])
    barrier, results = context.Barrier(2), context.Queue()
    processes = [context.Process(target=target, args=(*args, barrier, results)) for _ in range(2)]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=600) for _ in range(reports)]
    for process in processes:
        process.join(600)
        assert process.exitcode == 0, f"a racing process ended with {process.exitcode}"
    return outcomes


def test_two_processes_claiming_a_new_run_at_the_same_instant_end_with_one_holder(fresh: Fresh) -> None:
    """Three rounds (NORTH, SOUTH, OFF on 2026-03-01): each time one process claims, the other is refused."""
    url = fresh("claims")
    scopes = ["NORTH", "SOUTH", "OFF"]
    outcomes = _race(run_processes.claim_each_scope, 2 * len(scopes), url, scopes)
    assert not [o for o in outcomes if o[1] == "error"], [o[3] for o in outcomes if o[1] == "error"]
    for scope in scopes:
        (claimed,) = [o for o in outcomes if o[1:3] == ("claimed", scope)]
        (refused,) = [o for o in outcomes if o[1:3] == ("refused", scope)]
        holder, run_id, message = claimed[0], claimed[3], refused[3]
        pattern = rf"run {run_id} \({scope}, 2026-03-01\) is in progress in process .+:{holder} \(its lease .+\)"
        assert re.fullmatch(pattern, message), message
    with make_engine(url).connect() as connection:
        rows = connection.execute(select(RunRow.scope, RunRow.attempts).order_by(RunRow.id)).all()
    assert rows == [(scope, 1) for scope in scopes]


def test_two_processes_resuming_a_dead_run_at_once_resume_it_once(fresh: Fresh) -> None:
    url, (expected, expected_tables) = fresh("dead"), _uninterrupted(fresh("reference"))
    db = Database(make_engine(url))
    start_run(db, AS_OF, "ALL")  # its holder, on another host, died: its lease expired
    with db.engine.begin() as connection:
        connection.execute(
            RunRow.__table__.update().values(
                owner="batch-2.example:4242", owner_machine="another-boot/1", lease_until=datetime.now(UTC)
            )
        )
    db.dispose()
    outcomes = _race(run_processes.run_at_once, 2, url, AS_OF)
    assert not [o for o in outcomes if o[1] == "error"], [o[2] for o in outcomes if o[1] == "error"]
    assert sorted(o[1] for o in outcomes) == ["completed", "refused"]
    (refused,) = [o for o in outcomes if o[1] == "refused"]
    assert refused[2].startswith("run 1 (ALL, 2026-03-01) is in progress in process ")
    engine = make_engine(url)
    with engine.connect() as connection:
        tables = contents(connection)
        run = connection.execute(select(RunRow)).one()
    assert (run.status, run.attempts) == ("completed", 2)
    assert json.loads(run.counts) == dict(sorted(expected.counts.items()))  # not doubled
    assert _chunks(engine) == ACCOUNTS // CHUNK
    engine.dispose()
    for name in EFFECT_TABLES:
        assert tables[name] == expected_tables[name], f"{name} differs from the uninterrupted run"


def _inject_full_disk(url: str, db: Database) -> tuple[Database, str]:
    """A database that runs out of space part-way through the run's chunks, and the error the driver says."""
    if db.dialect == "sqlite":
        with db.engine.connect() as connection:
            pages = connection.exec_driver_sql("PRAGMA page_count").scalar()
        full = make_engine(url)
        event.listen(full, "connect", lambda dbapi, _: dbapi.execute(f"PRAGMA max_page_count = {pages + 4}"))
        return Database(full), "OperationalError: database or disk is full"
    with db.engine.begin() as connection:
        connection.exec_driver_sql(
            "CREATE FUNCTION inject_disk_full() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "RAISE EXCEPTION 'could not extend file: No space left on device' USING ERRCODE = 'disk_full'; END $$"
        )
        connection.exec_driver_sql(
            "CREATE TRIGGER inject_disk_full BEFORE INSERT ON activity FOR EACH ROW "
            f"WHEN (NEW.account_id > {ACCOUNTS // 4}) EXECUTE FUNCTION inject_disk_full()"
        )
    return db, "DiskFull: could not extend file: No space left on device"


def _free_the_disk(db: Database) -> None:
    if db.dialect == "postgresql":
        with db.engine.begin() as connection:
            connection.exec_driver_sql("DROP TRIGGER inject_disk_full ON activity")


def test_a_chunk_that_cannot_be_written_fails_the_run_which_blocks_later_days_and_resumes(fresh: Fresh) -> None:
    url, (expected, expected_tables) = fresh("full"), _uninterrupted(fresh("reference"))
    db = Database(make_engine(url))
    full, cause = _inject_full_disk(url, db)

    with pytest.raises(RunFailed) as failed:
        run_day(full, AS_OF, strategy=resume_strategy(), chunk_size=CHUNK, workers=1)
    message = str(failed.value)
    assert message.startswith("run 1 (ALL, 2026-03-01) failed while writing accounts with ids ")
    assert message.endswith(
        f": {cause}. The chunks committed before it are kept; once the cause is fixed, "
        "arrears run --as-of 2026-03-01 resumes it"
    )
    with db.engine.connect() as connection:
        run = connection.execute(select(RunRow)).one()
    assert (run.status, run.lease_token) == ("failed", None)
    assert run.failure.startswith("writing accounts with ids ") and run.failure.endswith(cause)
    committed = _chunks(db.engine)
    assert 0 < committed < ACCOUNTS // CHUNK

    with pytest.raises(RunRefused) as refused:
        run_day(db, date(2026, 3, 2), strategy=resume_strategy())
    assert str(refused.value) == (
        f"the run for 2026-03-01 (ALL) failed ({run.failure}); resume it first "
        "(arrears run --as-of 2026-03-01, or arrears run --through 2026-03-02)"
    )
    assert pending_runs(db, date(2026, 3, 2)) == [PendingRun(date(2026, 3, n), "ALL") for n in (1, 2)]

    _free_the_disk(db)
    full.dispose()
    db.dispose()
    _resume_and_compare(url, expected, expected_tables, attempts=2)
