"""Milestone state per account (seed 004): read as frame columns for the run, written from its decisions.

One account's state, its hold and its party's points, read one at a time, are in
:mod:`arrears.store.milestone_accounts`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import polars as pl
from sqlalchemy import Connection, Table

from arrears.domain.engine import Decisions
from arrears.domain.strategy.schemes import Scheme
from arrears.store import tables
from arrears.store.bulk import execute_many, insert_ignore
from arrears.store.db import fetch_rows
from arrears.store.features import read_frame

STATES = tables.milestone_state
assert isinstance(STATES, Table)
STATE_SCHEMA: dict[str, pl.DataType] = {
    "ms_scheme": pl.String(), "ms_index": pl.Int64(), "ms_reached_on": pl.Date(), "ms_entry_balance": pl.Int64(),
    "ms_moved_on": pl.Date(), "ms_resolved": pl.Boolean(),
}  # fmt: skip
"""The columns ``arrears.batch.milestones`` reads (its ``STATE_SCHEMA``)."""
_STORED_SCHEMA: dict[str, Any] = {
    "account_id": pl.Int64(), "ms_scheme": pl.String(), "milestone": pl.String(), "ms_reached_on": pl.Date(),
    "ms_entry_balance": pl.Int64(), "ms_moved_on": pl.Date(), "ms_resolved": pl.Boolean(), "ms_entered_on": pl.Date(),
}  # fmt: skip
"""A ``milestone_state`` row as read: the milestone by name, the other columns as :data:`STATE_SCHEMA`."""


def read_states(connection: Connection, first: int, last: int, schemes: Sequence[Scheme]) -> pl.DataFrame:
    """The milestone state of the accounts with ids in [first, last] as :data:`STATE_SCHEMA` columns and
    ``ms_entered_on`` (the stored milestone name becomes its position in the scheme; a milestone no longer
    configured is before the first). Read as a frame and matched to the positions by a join: no Python
    object per state."""
    sql = (
        "SELECT account_id, scheme, milestone, reached_on, entry_balance_cents, moved_on, resolved, entered_on "
        f"FROM milestone_state WHERE account_id BETWEEN {int(first)} AND {int(last)}"
    )
    stored = read_frame(connection, sql, _STORED_SCHEMA)
    by_code = {scheme.code: scheme for scheme in schemes}  # a code configured twice: the last one counts
    positions = pl.DataFrame(
        [(code, milestone.name, index) for code, scheme in by_code.items()
         for index, milestone in enumerate(scheme.milestones)],
        schema={"ms_scheme": pl.String(), "milestone": pl.String(), "ms_index": pl.Int64()}, orient="row",
    ).unique(["ms_scheme", "milestone"], keep="first", maintain_order=True)  # fmt: skip
    return stored.join(positions, on=["ms_scheme", "milestone"], how="left").select(
        "account_id", "ms_scheme", "ms_index", "ms_reached_on", "ms_entry_balance", "ms_moved_on",
        pl.col("ms_resolved").fill_null(False), "ms_entered_on",
    )  # fmt: skip


def held_accounts(connection: Connection, first: int, last: int, as_of: date) -> list[int]:
    """The accounts with ids in [first, last] whose scheme hold covers ``as_of``."""
    day = as_of.isoformat()
    sql = (
        f"SELECT account_id FROM scheme_hold WHERE account_id BETWEEN {int(first)} AND {int(last)} "
        f"AND held_on <= '{day}' AND (until IS NULL OR until >= '{day}')"
    )
    return [int(account_id) for (account_id,) in fetch_rows(connection, sql)]


def write_changes(connection: Connection, decisions: Sequence[Decisions]) -> int:
    """Write the milestone moves of a chunk's decisions (insert the first state of an account, then update)."""
    rows = [
        {"account_id": d.account_id, "scheme": c.scheme, "milestone": c.milestone, "entered_on": c.entered_on,
         "reached_on": c.reached_on, "moved_on": c.on, "entry_balance_cents": c.entry_balance_cents,
         "resolved": c.resolved, "last_move": c.move, "reason": c.reason[:300]}
        for d in decisions for c in d.milestones
    ]  # fmt: skip
    if not rows:
        return 0
    insert_ignore(connection, STATES, rows, ["account_id"])
    execute_many(
        connection,
        "UPDATE milestone_state SET scheme = {}, milestone = {}, entered_on = {}, reached_on = {}, moved_on = {}, "
        "entry_balance_cents = {}, resolved = {}, last_move = {}, reason = {} WHERE account_id = {}",
        [(r["scheme"], r["milestone"], r["entered_on"], r["reached_on"], r["moved_on"], r["entry_balance_cents"],
          r["resolved"], r["last_move"], r["reason"], r["account_id"]) for r in rows],
        dates=[2, 3, 4],
    )  # fmt: skip
    return len(rows)
