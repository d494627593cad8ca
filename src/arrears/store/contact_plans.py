"""Repository of contact plan runs: writing a plan run's decisions outside the daily run, and batch records."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from arrears.domain.engine import Decisions
from arrears.store.models import PlanBatchRow
from arrears.store.run_writer import write_decisions


def write_plan_decisions(
    connection: Connection, on: date, decisions: Sequence[Decisions], merge: Mapping[int, Mapping[str, Any]]
) -> Counter[str]:
    """Write the decisions of plan runs (keyed like the run's, so writing them twice changes nothing)."""
    return write_decisions(connection, None, on, decisions, merge)


def open_batch(
    connection: Connection, plan: str, on: date, actor: str, selection: str, at: datetime, accounts: int
) -> int:
    """Start the record of a batch run of ``plan``; its id."""
    values = {"plan": plan, "on": on, "actor": actor, "selection": selection, "started_at": at,
              "accounts": accounts, "skipped_closed": "[]", "counts": "{}"}  # fmt: skip
    batch_id = connection.execute(insert(PlanBatchRow).values(**values)).inserted_primary_key
    assert batch_id is not None
    return int(batch_id[0])


def update_batch(
    connection: Connection, batch_id: int, ran: int, skipped_closed: Sequence[str], counts: Counter[str]
) -> None:
    """Record what a batch has done so far (in the transaction of the chunk that did it)."""
    values = {"skipped_closed": json.dumps(list(skipped_closed)),
              "counts": json.dumps(dict(counts) | {"ran": ran}, sort_keys=True)}  # fmt: skip
    connection.execute(update(PlanBatchRow).where(PlanBatchRow.id == batch_id).values(**values))


def finish_batch(connection: Connection, batch_id: int, at: datetime) -> None:
    """Mark a batch finished."""
    connection.execute(update(PlanBatchRow).where(PlanBatchRow.id == batch_id).values(finished_at=at))


def batch(connection: Connection, batch_id: int) -> dict[str, Any] | None:
    """The record of a batch, its JSON columns read."""
    table = PlanBatchRow.__table__
    row = connection.execute(select(table).where(table.c.id == batch_id)).mappings().first()
    if row is None:
        return None
    found = dict(row)
    found["skipped_closed"] = json.loads(found["skipped_closed"])
    found["counts"] = json.loads(found["counts"])
    return found
