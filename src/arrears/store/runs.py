"""The run records, their lease and their chunk records.

One run record per scope (``ALL`` or a portfolio code) and as-of date: ``running``, ``completed`` or ``failed``.
A running run is held by a *lease*: a random token naming the attempt that holds it and an expiry that every
committed chunk pushes forward. A chunk commits only while its attempt still holds the lease (the renewal is
part of the chunk's transaction), so an attempt that was taken over or stopped can never write again.

Claims are decided one at a time by the database's own locking: on SQLite ``BEGIN IMMEDIATE`` (one writer at
a time), on PostgreSQL a ``SHARE ROW EXCLUSIVE`` lock on the run table for the claim's transaction, which holds
for processes on any host. Expiry is measured on the database's clock on PostgreSQL, so hosts whose clocks
disagree still agree on when a lease ends.
"""

from __future__ import annotations

import json
import secrets
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, Engine, exists, func, select
from sqlalchemy.exc import DBAPIError

from arrears.store import tables
from arrears.store.processes import Holder, known_gone, lease_expiry

ALL = "ALL"
RUNNING, COMPLETED, FAILED = "running", "completed", "failed"
RUNS = tables.run
CHUNKS = tables.run_chunk


class LeaseLost(Exception):
    """This attempt no longer holds its run: another process took it over, or the run was stopped."""


@dataclass(frozen=True, slots=True)
class Lease:
    """The claim of one attempt on its run; whoever has it (the run's process or its workers) may commit."""

    run_id: int
    token: str
    seconds: float


def _aware(moment: datetime | None) -> datetime | None:
    # SQLite hands back naive timestamps; every timestamp Arrears writes is UTC.
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


@dataclass(frozen=True, slots=True)
class RunRecord:
    """A run record as the lease logic reads it."""

    id: int
    scope: str
    as_of: date
    status: str
    owner: str | None
    owner_machine: str | None
    lease_until: datetime | None
    failure: str | None

    def held(self, now: datetime, machine: str | None) -> bool:
        """True while a live attempt holds this run: it is running, its lease has not expired, and — when it
        runs on this very machine — its process still exists (a holder known to be gone frees the run at
        once; on another machine only the lease's expiry does)."""
        if self.status != RUNNING or self.lease_until is None or self.lease_until <= now:
            return False
        return not known_gone(self.owner, self.owner_machine, machine)


def _record(row: Any) -> RunRecord:
    return RunRecord(
        row.id, row.scope, row.as_of, row.status, row.owner, row.owner_machine, _aware(row.lease_until), row.failure
    )


@contextmanager
def claiming(engine: Engine) -> Iterator[Connection]:
    """A transaction during which no other process, on any host, claims a run; committed at the end."""
    with engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.exec_driver_sql("LOCK TABLE run IN SHARE ROW EXCLUSIVE MODE")
        yield connection
        connection.commit()


def latest_completed(connection: Connection) -> dict[str, date]:
    """The latest as-of date of a completed run, by scope."""
    run = tables.run.c
    query = select(run.scope, func.max(run.as_of)).where(run.status == COMPLETED).group_by(run.scope)
    return {scope: as_of for scope, as_of in connection.execute(query)}


def unfinished(connection: Connection) -> list[RunRecord]:
    """Every run that is running or failed, earliest date first."""
    query = select(RUNS).where(tables.run.c.status.in_([RUNNING, FAILED])).order_by(tables.run.c.as_of, tables.run.c.id)
    return [_record(row) for row in connection.execute(query)]


def portfolios_in_play(connection: Connection) -> list[str]:
    """Codes of the portfolios an ``ALL`` catch-up must consider: those holding accounts or with runs of
    their own."""
    holds_accounts = exists().where(tables.account.c.portfolio_id == tables.portfolio.c.id)
    has_runs = exists().where(tables.run.c.scope == tables.portfolio.c.code)
    query = select(tables.portfolio.c.code).where(holds_accounts | has_runs).order_by(tables.portfolio.c.code)
    return list(connection.scalars(query))


def portfolio_id(connection: Connection, code: str) -> int | None:
    """The id of portfolio ``code``, or None."""
    return connection.scalar(select(tables.portfolio.c.id).where(tables.portfolio.c.code == code))


def open_run(
    connection: Connection,
    scope: str,
    as_of: date,
    holder: Holder,
    seconds: float,
    now: datetime,
    config_version: int | None,
) -> Lease:
    """Create the record of ``scope`` on ``as_of``, or take the existing one over, held by ``holder`` for
    ``seconds`` and recording the configuration version it runs with; call it in :func:`claiming` after
    deciding that the claim is allowed."""
    lease = secrets.token_hex(16)
    values = {
        "status": RUNNING,
        "owner": holder.name,
        "owner_machine": holder.machine,
        "lease_token": lease,
        "lease_until": lease_expiry(connection, seconds),
        "started_at": now,
        "finished_at": None,
        "failure": None,
        "config_version": config_version,
    }
    existing = connection.execute(select(RUNS).where(tables.run.c.scope == scope, tables.run.c.as_of == as_of)).first()
    if existing is not None:
        connection.execute(
            RUNS.update().where(tables.run.c.id == existing.id).values(attempts=tables.run.c.attempts + 1, **values)
        )
        return Lease(int(existing.id), lease, seconds)
    inserted = connection.execute(
        RUNS.insert().values(scope=scope, as_of=as_of, attempts=1, counts="{}", errors="[]", **values)
    )
    return Lease(int(inserted.inserted_primary_key[0]), lease, seconds)


def _held_by(lease: Lease) -> Any:
    run = tables.run.c
    return (run.id == lease.run_id) & (run.lease_token == lease.token) & (run.status == RUNNING)


def _lost(connection: Connection, lease: Lease) -> LeaseLost:
    row = connection.execute(select(RUNS).where(tables.run.c.id == lease.run_id)).first()
    if row is None:
        return LeaseLost(f"run {lease.run_id} no longer exists")
    if row.status == RUNNING:
        return LeaseLost(f"run {lease.run_id} was taken over by process {row.owner}")
    return LeaseLost(f"run {lease.run_id} was stopped ({row.status}{': ' + row.failure if row.failure else ''})")


def renew(connection: Connection, lease: Lease) -> None:
    """Extend the lease in the caller's transaction, which then commits only while this attempt holds the
    run (raises :class:`LeaseLost` otherwise). Call it last: it locks the run's row until the commit."""
    expiry = lease_expiry(connection, lease.seconds)
    renewed = connection.execute(RUNS.update().where(_held_by(lease)).values(lease_until=expiry))
    if renewed.rowcount != 1:
        raise _lost(connection, lease)


def chunk_results(connection: Connection, run_id: int) -> tuple[Counter[str], dict[int, str]]:
    """The counts and the per-account errors of every chunk the run committed, over all its attempts."""
    counts: Counter[str] = Counter()
    errors: dict[int, str] = {}
    for chunk in connection.execute(select(CHUNKS).where(tables.run_chunk.c.run_id == run_id)):
        counts.update(json.loads(chunk.counts))
        errors.update({error["account_id"]: error["reason"] for error in json.loads(chunk.errors)})
    return counts, errors


def complete(
    connection: Connection, lease: Lease, counts: Mapping[str, int], errors: Sequence[tuple[int, str]]
) -> None:
    """Mark the run completed with its record, and end the lease; raises :class:`LeaseLost` when this attempt
    no longer holds the run."""
    done = connection.execute(
        RUNS.update()
        .where(_held_by(lease))
        .values(
            status=COMPLETED,
            finished_at=datetime.now(UTC),
            owner=None,
            owner_machine=None,
            lease_token=None,
            lease_until=None,
            counts=json.dumps(dict(sorted(counts.items()))),
            errors=json.dumps([{"account_id": account, "reason": reason} for account, reason in errors]),
        )
    )
    if done.rowcount != 1:
        raise _lost(connection, lease)


def fail(connection: Connection, lease: Lease, reason: str) -> bool:
    """Mark the run failed with ``reason`` and end the lease (the owner stays, to say who failed); False when
    this attempt no longer held the run."""
    failed = connection.execute(
        RUNS.update()
        .where(_held_by(lease))
        .values(status=FAILED, failure=reason, finished_at=datetime.now(UTC), lease_token=None, lease_until=None)
    )
    return failed.rowcount == 1


def describe_failure(error: BaseException) -> str:
    """What went wrong, in one line: for a database failure the driver's own error, not the SQL statement."""
    cause = error.orig if isinstance(error, DBAPIError) and error.orig is not None else error
    lines = str(cause).strip().splitlines()
    name = type(cause).__name__
    return f"{name}: {lines[0]}"[:500] if lines else name
