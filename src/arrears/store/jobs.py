"""Repository of background jobs: one row per job, its state moved on by guarded updates so that two server
processes never both start the same job."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from arrears.store.models import JobRow

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"


def add_job(
    connection: Connection, *, kind: str, actor: str, portfolio: str | None, params: str, now: datetime
) -> int:
    """A new queued job; its id."""
    job_id = connection.scalar(
        insert(JobRow)
        .values(kind=kind, status=QUEUED, actor=actor, portfolio=portfolio, params=params, created_at=now)
        .returning(JobRow.id)
    )
    assert job_id is not None
    return int(job_id)


def job_row(connection: Connection, job_id: int) -> dict[str, Any] | None:
    """Job ``job_id`` as stored, by column; None when there is none."""
    row = connection.execute(select(JobRow.__table__).where(JobRow.id == job_id)).first()
    return dict(row._mapping) if row is not None else None


def claim_job(connection: Connection, job_id: int, now: datetime) -> bool:
    """Move a queued job to running; False when it is not queued (another process took it, or it ended)."""
    claimed = connection.execute(
        update(JobRow).where(JobRow.id == job_id, JobRow.status == QUEUED).values(status=RUNNING, started_at=now)
    )
    return claimed.rowcount == 1


def finish_job(connection: Connection, job_id: int, *, result: str | None, error: str | None, now: datetime) -> None:
    """End a running job: done with ``result``, or failed with ``error``."""
    connection.execute(
        update(JobRow)
        .where(JobRow.id == job_id, JobRow.status == RUNNING)
        .values(status=FAILED if error is not None else DONE, result=result, error=error, finished_at=now)
    )
