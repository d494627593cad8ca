"""Background jobs: work a server does after answering (printing a large letter batch), whose state is in the
database so that any server process answers ``queued``, ``running``, ``done`` with its result, or ``failed``
with its problems.

:func:`queue_job` records a job; :func:`run_job` claims it (a job is run once, even if two processes are handed
it), does its work and records how it ended. A job whose process stopped while it ran stays ``running``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from arrears.domain.errors import NotFound, Problem, ValidationFailed
from arrears.store import jobs as repo
from arrears.store.db import Database

log = logging.getLogger("arrears.jobs")
QUEUED, RUNNING, DONE, FAILED = repo.QUEUED, repo.RUNNING, repo.DONE, repo.FAILED


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
    """Record a queued job of ``kind`` (on ``portfolio``, None: every one) asked ``params``."""
    with db.engine.begin() as connection:
        job_id = repo.add_job(connection, kind=kind, actor=actor, portfolio=portfolio, params=json.dumps(params),
                              now=datetime.now(UTC))  # fmt: skip
    return show_job(db, job_id)


def show_job(db: Database, job_id: int) -> JobLine:
    """Job ``job_id``; :class:`NotFound` when there is none."""
    with db.engine.connect() as connection:
        row = repo.job_row(connection, job_id)
    if row is None:
        raise NotFound(f"no job {job_id}")
    return _line(row)


def run_job(db: Database, job_id: int, work: Callable[[Mapping[str, Any]], Mapping[str, Any]]) -> JobLine:
    """Claim job ``job_id`` and do ``work`` with its params: done with what it returns, or failed with what
    refused it (its problems; an unexpected error is logged and recorded as one problem). A job that is not
    queued any more is left alone."""
    with db.engine.begin() as connection:
        claimed = repo.claim_job(connection, job_id, datetime.now(UTC))
    if not claimed:
        return show_job(db, job_id)
    params = show_job(db, job_id).params
    result: Mapping[str, Any] | None = None
    problems: list[Problem] = []
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
