"""Repository reads of promises as frames, for the run's vectorized judging (the rest of the promises'
repository returns rows, so that a collector's commands do not load the frame library)."""

from __future__ import annotations

import polars as pl
from sqlalchemy import Connection

from arrears.store.db import fetch_rows
from arrears.store.promises import OPEN_SQL

_FRAME_SCHEMA = {
    "promise_id": pl.Int64, "key": pl.String, "account_id": pl.Int64, "amount": pl.Int64, "first_due": pl.Date,
    "installment": pl.Int64, "paid": pl.Int64, "status": pl.String, "grace": pl.Int64, "repeat_period": pl.String,
    "repeat_days": pl.Int64, "advance": pl.Boolean, "created_on": pl.Date,
}  # fmt: skip


def open_promises(connection: Connection, first: int, last: int) -> pl.DataFrame:
    """The open promises (open or partially kept) of the accounts with ids in [first, last]."""
    sql = (
        "SELECT id, key, account_id, amount_cents, first_due, installment, paid_cents, status, grace_days, "
        "repeat_period, repeat_days, advance, created_on FROM promise "
        f"WHERE status IN ({OPEN_SQL}) AND account_id BETWEEN {int(first)} AND {int(last)}"
    )
    rows = fetch_rows(connection, sql)
    frame = pl.DataFrame(rows, schema=list(_FRAME_SCHEMA), orient="row", infer_schema_length=None)
    return frame.with_columns(
        *(pl.col(name).cast(dtype) if dtype != pl.Date else pl.col(name).cast(pl.String).str.to_date()
          for name, dtype in _FRAME_SCHEMA.items())
    ) if frame.height else pl.DataFrame(schema=_FRAME_SCHEMA)  # fmt: skip

