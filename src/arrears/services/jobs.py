"""Background jobs: work a server does after answering (printing a large letter batch), whose state is in the
database so that any server process answers ``queued``, ``running``, ``done`` with its result, or ``failed``
with its problems.

:func:`queue_job` records a job; :func:`run_job` claims it (a job is run once, even if two processes are handed
it), does its work and records how it ended. A job not yet ended is held by the server process that runs it,
under a lease that process renews while it works (every quarter of :data:`LEASE_SECONDS`). When that process
stops — a restart, a killed worker — the job is marked failed, "interrupted", as soon as it is known: when a
server starts (:func:`fail_interrupted_jobs`) or when the job is read, at once for a process of this machine
that no longer exists, else once its lease has expired.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from arrears.domain.errors import NotFound, Problem, ValidationFailed
from arrears.store import jobs as repo
from arrears.store.db import Connection, Database
from arrears.store.processes import Holder, database_now, known_gone

log = logging.getLogger("arrears.jobs")
QUEUED, RUNNING, DONE, FAILED = repo.QUEUED, repo.RUNNING, repo.DONE, repo.FAILED
LEASE_SECONDS = 60.0
"""How long a job counts as held without a sign of its server process (the process renews it four times as
often while it works): from another machine, a stopped server's job is seen interrupted this long after."""
INTERRUPTED_RUNNING = "interrupted: the server process that ran it stopped"
INTERRUPTED_QUEUED = "interrupted: the server process that was to run it stopped before it started"


@dataclass(frozen=True, slots=True)
class JobLine:
    """A job as recorded: what it was asked (``params``), and, once it ended, its ``result`` or ``problems``."""

    id: int
    kind: str
    status: str
    actor: str
    portfolio: str | None
    params: Mapping[str, Any]
    result: Mapping[str, Any] | None
    problems: tuple[Problem, ...]
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


def _aware(moment: datetime | None) -> datetime | None:
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


def _line(row: Mapping[str, Any]) -> JobLine:
    problems = tuple(Problem(**p) for p in json.loads(row["error"])) if row["error"] else ()
    created = _aware(row["created_at"])
    assert created is not None
    return JobLine(row["id"], row["kind"], row["status"], row["actor"], row["portfolio"], json.loads(row["params"]),
                   json.loads(row["result"]) if row["result"] else None, problems, created,
                   _aware(row["started_at"]), _aware(row["finished_at"]))  # fmt: skip


def queue_job(db: Database, kind: str, params: Mapping[str, Any], *, portfolio: str | None, actor: str) -> JobLine:
    """Record a queued job of ``kind`` (on ``portfolio``, None: every one) asked ``params``, held by this process
    (which is to run it)."""
    with db.engine.begin() as connection:
        job_id = repo.add_job(connection, kind=kind, actor=actor, portfolio=portfolio, params=json.dumps(params),
                              now=datetime.now(UTC), holder=Holder.this_process(),
                              lease_seconds=LEASE_SECONDS)  # fmt: skip
    return show_job(db, job_id)


def _interrupted(row: Mapping[str, Any], now: datetime, machine: str | None) -> bool:
    """Whether the unfinished job ``row`` lost its server process: its lease expired (or it has none), or it
    is held by a process of this machine that no longer exists."""
    lease = _aware(row["lease_until"])
    return lease is None or lease <= now or known_gone(row["owner"], row["owner_machine"], machine)


def _fail_if_interrupted(connection: Connection, row: Mapping[str, Any], machine: str | None) -> bool:
    """Mark the job ``row`` failed when it was interrupted; whether it was (a holder that renewed its lease
    meanwhile is alive, and its job is left alone)."""
    if row["status"] not in repo.UNFINISHED:
        return False  # an ended job asks nothing more of the database
    now = database_now(connection)
    if not _interrupted(row, now, machine):
        return False
    rule = INTERRUPTED_RUNNING if row["status"] == RUNNING else INTERRUPTED_QUEUED
    error = json.dumps([Problem("job", rule).as_dict()])
    failed = repo.fail_interrupted(connection, row["id"], owner=row["owner"], lease_seen=row["lease_until"],
                                   error=error, now=now)  # fmt: skip
    if failed:
        log.warning("job %s %s (process %s)", row["id"], rule, row["owner"])
    return failed


def show_job(db: Database, job_id: int) -> JobLine:
    """Job ``job_id`` (marked failed first when its server process stopped before it ended); :class:`NotFound`
    when there is none."""
    with db.engine.begin() as connection:
        row = repo.job_row(connection, job_id)
        if row is None:
            raise NotFound(f"no job {job_id}")
        if _fail_if_interrupted(connection, row, Holder.this_process().machine):
            row = repo.job_row(connection, job_id)
            assert row is not None
    return _line(row)


def fail_interrupted_jobs(db: Database) -> list[int]:
    """Mark failed every job whose server process stopped before it ended (what a server does when it starts);
    the ids of those marked."""
    machine = Holder.this_process().machine
    with db.engine.begin() as connection:
        return [row["id"] for row in repo.unfinished_jobs(connection) if _fail_if_interrupted(connection, row, machine)]


@contextmanager
def _heartbeat(db: Database, holder: Holder, lease_seconds: float) -> Iterator[None]:
    """Within the block, renew the lease of every job of ``holder`` four times a lease, in a thread."""
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(lease_seconds / 4):
            try:
                with db.engine.begin() as connection:
                    repo.renew_leases(connection, holder, lease_seconds)
            except Exception:  # the next beat tries again; a lease left to expire marks the jobs interrupted
                log.warning("the leases of the jobs of %s could not be renewed", holder.name, exc_info=True)

    thread = threading.Thread(target=beat, name="job-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def run_job(
    db: Database, job_id: int, work: Callable[[Mapping[str, Any]], Mapping[str, Any]], *,
    lease_seconds: float = LEASE_SECONDS,
) -> JobLine:  # fmt: skip
    """Claim job ``job_id`` and do ``work`` with its params, renewing the lease of this process' jobs while it
    works: done with what it returns, or failed with what refused it (its problems; an unexpected error is
    logged and recorded as one problem). A job that is not queued any more is left alone."""
    holder = Holder.this_process()
    with db.engine.begin() as connection:
        claimed = repo.claim_job(connection, job_id, datetime.now(UTC), holder, lease_seconds)
    if not claimed:
        return show_job(db, job_id)
    params = show_job(db, job_id).params
    result: Mapping[str, Any] | None = None
    problems: list[Problem] = []
    with _heartbeat(db, holder, lease_seconds):
        try:
            result = work(params)
        except ValidationFailed as refused:
            problems = list(refused.problems)
        except NotFound as missing:
            problems = [Problem("job", str(missing))]
        except Exception as error:  # the job's record says it failed; the server goes on
            log.exception("job %s failed", job_id)
            problems = [Problem("job", f"failed unexpectedly: {type(error).__name__}")]
    error_text = json.dumps([p.as_dict() for p in problems]) if problems else None
    with db.engine.begin() as connection:
        repo.finish_job(connection, job_id, result=json.dumps(result) if result is not None else None,
                        error=error_text, now=datetime.now(UTC))  # fmt: skip
    return show_job(db, job_id)
