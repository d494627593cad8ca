"""The daily run on a Dask cluster — a LocalCluster of two worker processes — against PostgreSQL.

Given a small data set (60 accounts in three portfolios, chunks of 5: two chunks a partition), a run whose
partitions run on the cluster writes exactly what a run in one local process writes, table by table; a worker
killed mid-partition is replaced, its partition runs again, and the run still ends exactly as an uninterrupted
one; two runs of one date started from two processes at the same instant end with one run and one refusal by
the lease. The task graph carries the database URL without its password: each worker brings its own.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from distributed import Client, LocalCluster
from sqlalchemy import Engine, func, select, text
from sqlalchemy.engine import make_url

from arrears.services.cluster import PASSWORD, PASSWORD_FILE, worker_url
from arrears.services.run import RunRefused, RunResult, run_day
from arrears.store.db import Database, make_engine, url_without_password
from arrears.store.migrate import upgrade
from arrears.store.models import RunChunkRow, RunRow
from tests.conftest import POSTGRES_URL
from tests.services import run_processes
from tests.services.run_processes import AS_OF, CHUNK, populate
from tests.services.run_scenarios import EFFECT_TABLES, contents, resume_strategy
from tests.services.test_run_resume import _race

pytestmark = pytest.mark.postgres

Fresh = Callable[[str], str]
ACCOUNTS = 60


@pytest.fixture(scope="module")
def cluster() -> Iterator[Client]:
    """Two worker processes of one thread each, for the whole module (they take seconds to start)."""
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as local,
        Client(local) as client,
    ):
        yield client


@pytest.fixture
def fresh(postgres_engine: Engine) -> Iterator[Fresh]:
    """Populated PostgreSQL schemas of their own (the URL carries the search path)."""
    made: list[str] = []

    def make(name: str) -> str:
        schema = f"arrears_cluster_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{os.getpid()}_{name}"
        with postgres_engine.begin() as connection:
            connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            connection.execute(text(f"CREATE SCHEMA {schema}"))
        made.append(schema)
        url = make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
        rendered = url.render_as_string(hide_password=False)
        engine = make_engine(rendered)
        upgrade(engine)
        populate(engine, ACCOUNTS)
        engine.dispose()
        return rendered

    yield make
    with postgres_engine.begin() as connection:
        for schema in made:
            connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))


def run_and_read(url: str, **options: Any) -> tuple[RunResult, dict[str, list[tuple[str, ...]]]]:
    db = Database(make_engine(url))
    result = run_day(db, AS_OF, strategy=resume_strategy(), chunk_size=CHUNK, **options)
    with db.engine.connect() as connection:
        tables = contents(connection)
    db.dispose()
    return result, tables


def test_a_run_on_the_cluster_writes_what_a_local_run_writes(cluster: Client, fresh: Fresh) -> None:
    local, local_tables = run_and_read(fresh("local"), workers=1)
    clustered, cluster_tables = run_and_read(fresh("cluster"), cluster=cluster)
    assert local.counts["entered"] > 15 and local.counts["fees_posted"] > 3  # a day worth comparing
    assert (clustered.counts, clustered.accounts) == (local.counts, local.accounts)
    for name in EFFECT_TABLES:
        assert cluster_tables[name] == local_tables[name], f"{name} differs from the local run"


def test_a_worker_killed_mid_partition_is_replaced_and_the_run_ends_as_an_uninterrupted_one(
    cluster: Client, fresh: Fresh
) -> None:
    expected, expected_tables = run_and_read(fresh("reference"), workers=1)
    url = fresh("killed")
    engine = make_engine(url)
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["result"] = run_and_read(url, cluster=cluster)
        except BaseException as error:  # reported to the test below
            outcome["error"] = error

    runner = threading.Thread(target=run)
    runner.start()
    deadline = time.monotonic() + 300  # only a hung cluster takes that long, even on a crowded machine
    killed = None
    while killed is None:
        assert runner.is_alive(), f"the run ended before a worker could be killed: {outcome}"
        assert time.monotonic() < deadline, "no chunk committed in 300 s"
        with engine.connect() as connection:
            chunks = connection.scalar(select(func.count()).select_from(RunChunkRow)) or 0
        busy = [worker for worker, tasks in cluster.processing().items() if tasks]
        if chunks and busy:
            pids = cluster.run(os.getpid, workers=busy[:1])
            killed = pids[busy[0]]
            os.kill(killed, signal.SIGKILL)  # mid-partition: its task was running, some of its chunks committed
        time.sleep(0.01)
    runner.join(600)
    cluster.wait_for_workers(2, timeout=120)  # the nanny started a new one
    assert "error" not in outcome, outcome.get("error")
    result, tables = outcome["result"]
    with engine.connect() as connection:
        run_record = connection.execute(select(RunRow)).one()
    engine.dispose()
    assert (run_record.status, run_record.attempts) == ("completed", 1)  # the same attempt, not a resume
    assert json.loads(run_record.counts) == dict(sorted(expected.counts.items()))
    assert result.counts == expected.counts
    for name in EFFECT_TABLES:
        assert tables[name] == expected_tables[name], f"{name} differs from the uninterrupted run"


def test_two_runs_of_one_date_from_two_processes_end_with_one_run_and_one_refusal(
    cluster: Client, fresh: Fresh
) -> None:
    url = fresh("race")
    outcomes = _race(run_processes.run_at_once_on_cluster, 2, url, AS_OF, cluster.scheduler_info()["address"])
    assert not [o for o in outcomes if o[1] == "error"], [o[2] for o in outcomes if o[1] == "error"]
    assert sorted(o[1] for o in outcomes) == ["completed", "refused"]
    (refused,) = [o for o in outcomes if o[1] == "refused"]
    assert refused[2].startswith("run 1 (ALL, 2026-03-01) is in progress in process ")


def test_a_sqlite_database_is_refused_on_a_cluster(sqlite_db: Database) -> None:
    with pytest.raises(RunRefused, match="needs a PostgreSQL database that every worker reaches"):
        run_day(sqlite_db, AS_OF, strategy=resume_strategy(), cluster="tcp://127.0.0.1:8786")


def test_the_task_graph_carries_no_password_and_each_worker_brings_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = "postgresql+psycopg://arrears:s3cret@db.example:5432/arrears"
    public = url_without_password(url)
    assert public == "postgresql+psycopg://arrears@db.example:5432/arrears"
    monkeypatch.delenv(PASSWORD, raising=False)
    monkeypatch.delenv(PASSWORD_FILE, raising=False)
    assert worker_url(public) == public  # libpq then reads PGPASSWORD or ~/.pgpass
    secret = tmp_path / "db-password"
    secret.write_text("from-a-file\n")
    monkeypatch.setenv(PASSWORD_FILE, str(secret))
    assert worker_url(public) == "postgresql+psycopg://arrears:from-a-file@db.example:5432/arrears"
    monkeypatch.setenv(PASSWORD, "from-the-environment")
    assert worker_url(public) == "postgresql+psycopg://arrears:from-the-environment@db.example:5432/arrears"
