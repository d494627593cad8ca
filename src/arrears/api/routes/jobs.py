"""Background jobs: a large print batch is printed by the server after the answer (202 with the job); any server
process answers the job's status, as it is kept in the database."""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from fastapi import APIRouter

from arrears.api import record_schemas as rs
from arrears.api.auth import DatabaseDep, Reader
from arrears.api.errors import ERROR_RESPONSES
from arrears.api.settings import API_PREFIX
from arrears.domain.access import Principal
from arrears.domain.errors import NotFound
from arrears.services.database import Database
from arrears.services.jobs import DONE, JobLine, fail_interrupted_jobs, show_job

log = logging.getLogger("arrears.jobs")
router = APIRouter(prefix="/jobs", tags=["jobs"], responses=ERROR_RESPONSES)


class JobRunner:
    """The server's background jobs, one at a time in a thread of their own (a print batch already lays its
    letters out on every core); each runs with the request's context, so its audit rows name the request."""

    def __init__(self) -> None:
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="job")
        self.futures: list[Future[Any]] = []

    def submit(self, work: Callable[..., Any], *args: Any) -> None:
        """Run ``work(*args)`` in the background."""
        context = contextvars.copy_context()
        self.futures = [f for f in self.futures if not f.done()] + [self.executor.submit(context.run, work, *args)]

    def join(self) -> None:
        """Wait for every job handed here to end."""
        for future in self.futures:
            future.exception()

    def shutdown(self) -> None:
        """Let the jobs running end; start no other."""
        self.executor.shutdown(wait=False, cancel_futures=True)


def fail_jobs_of_stopped_servers(db: Database) -> None:
    """Mark interrupted the jobs whose server process stopped before they ended (when a server starts); a
    database that cannot be reached now leaves them to be marked when they are read."""
    try:
        interrupted = fail_interrupted_jobs(db)
    except Exception:  # a server starts without this; reading a job marks it all the same
        log.warning("the jobs of stopped servers could not be looked for", exc_info=True)
        return
    if interrupted:
        log.warning("jobs %s were interrupted: the server process that ran them stopped", interrupted)


def seen(principal: Principal, portfolio: str | None) -> bool:
    """Whether the user sees what concerns ``portfolio`` (None: every portfolio, an administrator's or an
    auditor's)."""
    return principal.portfolios is None or (portfolio is not None and portfolio in principal.portfolios)


def job_public(job: JobLine) -> rs.JobPublic:
    """A job as answered: its status and, once done, a link to its print batch's PDF."""
    batch = job.result.get("batch") if job.result is not None and job.status == DONE else None
    return rs.JobPublic(id=job.id, kind=job.kind, status=job.status, actor=job.actor,  # type: ignore[arg-type]
                        portfolio=job.portfolio, created_at=job.created_at, started_at=job.started_at,
                        finished_at=job.finished_at, batch=batch,
                        result=f"{API_PREFIX}/letter-batches/{batch}/pdf" if batch else None,
                        problems=[rs.JobProblem.model_validate(p) for p in job.problems])  # fmt: skip


@router.get("/{job_id}")
def job(job_id: rs.JobId, principal: Reader, db: DatabaseDep) -> rs.JobPublic:
    """A background job's status; once done, where its result is; once failed, why (a manager's or a
    collector's: the jobs of their portfolios)."""
    found = show_job(db, job_id)
    if not seen(principal, found.portfolio):
        raise NotFound(f"no job {job_id}")
    return job_public(found)
