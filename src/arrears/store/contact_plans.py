"""Repository of contact plan runs: writing a plan run's decisions outside the daily run, and batch records."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from arrears.domain.engine import Decisions
from arrears.store import tables
from arrears.store.run_writer import write_decisions


def write_plan_decisions(
    connection: Connection, on: date, decisions: Sequence[Decisions], merge: Mapping[int, Mapping[str, Any]]
) -> Counter[str]:
    """Write the decisions of plan runs (keyed like the run's, so writing them twice changes nothing)."""
    return write_decisions(connection, None, on, decisions, merge)


def open_batch(
    connection: Connection, plan: str, on: date, actor: str, selection: str, at: datetime, accounts: int,
    key: str | None = None,
) -> int:
    """Start the record of a batch run of ``plan`` (``key``: what it runs, to find it again); its id."""
    values = {"plan": plan, "on": on, "actor": actor, "selection": selection, "started_at": at,
              "accounts": accounts, "skipped_closed": "[]", "counts": "{}", "selection_key": key}  # fmt: skip
    batch_id = connection.execute(insert(tables.plan_batch).values(**values)).inserted_primary_key
    assert batch_id is not None
    return int(batch_id[0])


def unfinished_batch(connection: Connection, key: str) -> dict[str, Any] | None:
    """The latest batch with this selection key that did not finish (killed or failed part-way), if any."""
    table = tables.plan_batch
    query = select(table.c.id).where(table.c.selection_key == key, table.c.finished_at.is_(None))
    found = connection.scalar(query.order_by(table.c.id.desc()).limit(1))
    return batch(connection, int(found)) if found is not None else None


def update_batch(
    connection: Connection, batch_id: int, ran: int, skipped_closed: Sequence[str], counts: Counter[str],
    done_through: int | None = None,
) -> None:
    """Record what a batch has done so far, through the account id ``done_through`` (in the transaction of the
    chunk that did it, so the progress and the chunk's writes commit together)."""
    values: dict[str, Any] = {"skipped_closed": json.dumps(list(skipped_closed)),
                              "counts": json.dumps(dict(counts) | {"ran": ran}, sort_keys=True)}  # fmt: skip
    if done_through is not None:
        values["done_through"] = done_through
    connection.execute(update(tables.plan_batch).where(tables.plan_batch.c.id == batch_id).values(**values))


def finish_batch(connection: Connection, batch_id: int, at: datetime) -> None:
    """Mark a batch finished."""
    connection.execute(update(tables.plan_batch).where(tables.plan_batch.c.id == batch_id).values(finished_at=at))


def batch(connection: Connection, batch_id: int) -> dict[str, Any] | None:
    """The record of a batch, its JSON columns read."""
    table = tables.plan_batch
    row = connection.execute(select(table).where(table.c.id == batch_id)).mappings().first()
    if row is None:
        return None
    found = dict(row)
    found["skipped_closed"] = json.loads(found["skipped_closed"])
    found["counts"] = json.loads(found["counts"])
    return found


def accounts_closed_on(connection: Connection, first: int, last: int, on: date) -> list[int]:
    """The accounts with ids in [first, last] closed on ``on`` (the fact that runs the plans marked run on close)."""
    query = select(tables.account.c.id).where(
        tables.account.c.mode == "closed", tables.account.c.closed_date == on, tables.account.c.id.between(first, last)
    )
    return [int(a) for a in connection.scalars(query)]
