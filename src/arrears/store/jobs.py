"""Repository of background jobs: one row per job, its state moved on by guarded updates so that two server
processes never both start the same job, and a job is marked interrupted only while its holder has not renewed
its lease."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from arrears.store import tables
from arrears.store.processes import Holder, lease_expiry

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
UNFINISHED = (QUEUED, RUNNING)


def add_job(
    connection: Connection, *, kind: str, actor: str, portfolio: str | None, params: str, now: datetime,
    holder: Holder, lease_seconds: float,
) -> int:  # fmt: skip
    """A new queued job, held by ``holder`` (the process that is to run it) for ``lease_seconds``; its id."""
    job_id = connection.scalar(
        insert(tables.job)
        .values(kind=kind, status=QUEUED, actor=actor, portfolio=portfolio, params=params, created_at=now,
                owner=holder.name, owner_machine=holder.machine,
                lease_until=lease_expiry(connection, lease_seconds))
        .returning(tables.job.c.id)
    )  # fmt: skip
    assert job_id is not None
    return int(job_id)


def job_row(connection: Connection, job_id: int) -> dict[str, Any] | None:
    """Job ``job_id`` as stored, by column; None when there is none."""
    row = connection.execute(select(tables.job).where(tables.job.c.id == job_id)).first()
    return dict(row._mapping) if row is not None else None


def unfinished_jobs(connection: Connection) -> list[dict[str, Any]]:
    """Every job queued or running, by column, oldest first."""
    query = select(tables.job).where(tables.job.c.status.in_(UNFINISHED)).order_by(tables.job.c.id)
    return [dict(row._mapping) for row in connection.execute(query)]


def claim_job(connection: Connection, job_id: int, now: datetime, holder: Holder, lease_seconds: float) -> bool:
    """Move a queued job to running, held by ``holder`` for ``lease_seconds``; False when it is not queued
    (another process took it, it ended, or it was found interrupted)."""
    claimed = connection.execute(
        update(tables.job).where(tables.job.c.id == job_id, tables.job.c.status == QUEUED)
        .values(status=RUNNING, started_at=now, owner=holder.name, owner_machine=holder.machine,
                lease_until=lease_expiry(connection, lease_seconds))
    )  # fmt: skip
    return claimed.rowcount == 1


def renew_leases(connection: Connection, holder: Holder, lease_seconds: float) -> int:
    """Extend the lease of every job ``holder`` holds that has not ended; how many."""
    renewed = connection.execute(
        update(tables.job).where(tables.job.c.owner == holder.name, tables.job.c.owner_machine == holder.machine,
                             tables.job.c.status.in_(UNFINISHED))
        .values(lease_until=lease_expiry(connection, lease_seconds))
    )  # fmt: skip
    return int(renewed.rowcount)


def fail_interrupted(
    connection: Connection, job_id: int, *, owner: str | None, lease_seen: datetime | None, error: str, now: datetime
) -> bool:
    """Mark the job failed with ``error`` while it is still unfinished, held by ``owner`` with a lease no later
    than ``lease_seen`` (a holder that renewed it meanwhile is alive: the job is left alone); whether it was."""
    job = tables.job.c
    lease_unchanged = job.lease_until.is_(None) if lease_seen is None else job.lease_until <= lease_seen
    held_by = job.owner.is_(None) if owner is None else job.owner == owner
    failed = connection.execute(
        update(tables.job).where(job.id == job_id, job.status.in_(UNFINISHED), held_by, lease_unchanged)
        .values(status=FAILED, error=error, finished_at=now, lease_until=None)
    )  # fmt: skip
    return failed.rowcount == 1


def finish_job(connection: Connection, job_id: int, *, result: str | None, error: str | None, now: datetime) -> None:
    """End a running job: done with ``result``, or failed with ``error`` (its lease ends; its owner stays, as
    who ran it)."""
    connection.execute(
        update(tables.job)
        .where(tables.job.c.id == job_id, tables.job.c.status == RUNNING)
        .values(status=FAILED if error is not None else DONE, result=result, error=error, finished_at=now,
                lease_until=None)
    )  # fmt: skip
