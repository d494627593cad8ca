"""Background jobs whose server process stopped, on SQLite and PostgreSQL: a job is held by the process that runs
it under a lease that process renews while it works. A job held by a process of this machine that no longer
exists is reported failed, "interrupted", as soon as it is read; one held on another machine once its lease has
expired; a job whose process lives stays queued or running, however long it works. A server that starts marks
every interrupted job at once."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

import pytest

from arrears.domain.errors import Problem
from arrears.services.jobs import (
    INTERRUPTED_QUEUED,
    INTERRUPTED_RUNNING,
    fail_interrupted_jobs,
    queue_job,
    run_job,
    show_job,
)
from arrears.store import jobs as repo
from arrears.store.db import Database
from arrears.store.processes import Holder

ANOTHER_MACHINE = "another-machine/4026531836"


def plant_job(db: Database, holder: Holder, *, running: bool, lease_seconds: float) -> int:
    """A print job held by ``holder`` (queued, or running when ``running``) whose lease ends in
    ``lease_seconds`` (negative: it has expired)."""
    with db.engine.begin() as connection:
        job_id = repo.add_job(connection, kind="letter_batch", actor="mgr", portfolio="NORTH", params="{}",
                              now=datetime.now(UTC), holder=holder, lease_seconds=lease_seconds)  # fmt: skip
        if running:
            assert repo.claim_job(connection, job_id, datetime.now(UTC), holder, lease_seconds)
    return job_id


@pytest.fixture
def server_process() -> Iterator[tuple[Holder, subprocess.Popen[bytes]]]:
    """Another process of this machine, standing for a server that runs jobs (killed when the test ends)."""
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    host = Holder.this_process().name.rpartition(":")[0]
    yield Holder(f"{host}:{process.pid}", Holder.this_process().machine), process
    process.kill()
    process.wait()


def test_a_job_whose_server_process_died_is_interrupted_and_a_live_ones_is_not(
    db: Database, server_process: tuple[Holder, subprocess.Popen[bytes]]
) -> None:
    holder, process = server_process
    theirs = plant_job(db, holder, running=True, lease_seconds=600)
    ours = queue_job(db, "letter_batch", {}, portfolio="NORTH", actor="mgr").id
    assert [show_job(db, theirs).status, show_job(db, ours).status] == ["running", "queued"]
    process.kill()
    process.wait()
    # its lease has ten minutes left, but on this machine the process is known to be gone
    interrupted = show_job(db, theirs)
    assert (interrupted.status, interrupted.problems) == ("failed", (Problem("job", INTERRUPTED_RUNNING),))
    assert interrupted.finished_at is not None and interrupted.result is None
    assert show_job(db, ours).status == "queued"
    assert fail_interrupted_jobs(db) == []


def test_a_job_of_another_machine_is_interrupted_once_its_lease_has_expired(db: Database) -> None:
    elsewhere = Holder("print-2:4242", ANOTHER_MACHINE)
    expired_running = plant_job(db, elsewhere, running=True, lease_seconds=-1)
    expired_queued = plant_job(db, elsewhere, running=False, lease_seconds=-1)
    held = plant_job(db, elsewhere, running=True, lease_seconds=600)
    # what a server does when it starts
    assert fail_interrupted_jobs(db) == [expired_running, expired_queued]
    assert show_job(db, expired_running).problems == (Problem("job", INTERRUPTED_RUNNING),)
    assert show_job(db, expired_queued).problems == (Problem("job", INTERRUPTED_QUEUED),)
    assert show_job(db, held).status == "running"  # its process cannot be probed from here: its lease holds
    assert fail_interrupted_jobs(db) == []


def test_a_long_job_renews_its_lease_while_it_works_and_ends_done(db: Database) -> None:
    job = queue_job(db, "letter_batch", {"letters": 3}, portfolio="NORTH", actor="mgr")
    seen: list[str] = []

    def work(params: Mapping[str, Any]) -> dict[str, Any]:
        for _ in range(3):  # 1.2 seconds: three times the lease
            time.sleep(0.4)
            seen.append(show_job(db, job.id).status)
        return {"letters": params["letters"]}

    done = run_job(db, job.id, work, lease_seconds=0.4)
    assert seen == ["running", "running", "running"]
    assert (done.status, done.result, done.problems) == ("done", {"letters": 3}, ())
