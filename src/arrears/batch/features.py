"""The features frame: one row per account with every fact a rule can see, frame in, frame out.

``arrears.store.features`` reads the rows (the core columns for every account, the detail columns for the
accounts the run decides); this module derives the date-dependent fields of the condition catalogue
(:data:`arrears.domain.fields.ACCOUNT_FIELDS`) and says which detail columns a configured condition needs
read for every account.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Final

import polars as pl

from arrears.domain.cases import WORKED_CASE

DETAIL_FIELDS: Final[dict[str, tuple[str, ...]]] = {
    "last_payment_date": ("last_payment_date",),
    "last_payment_amount": ("last_payment_amount",),
    "days_since_last_payment": ("last_payment_date",),
    "status_code": ("status_code",),
    "guarantor_state": ("guarantor_state",),
    "deceased": ("deceased",),
    "bankruptcy": ("bankruptcy",),
    "attorney_represented": ("attorney_represented",),
    "cease_communication": ("cease_communication",),
    "disputed": ("disputed",),
    "do_not_call": ("do_not_call",),
    "days_in_collections": ("g_entered_on",),
    "collector": ("g_assignee",),
    "open_claim_count": ("open_claim_count",),
}
"""Catalogue fields that come from detail columns (``arrears.store.features.DETAIL_COLUMNS``), and those
columns; every other field of the catalogue is in the frame of every run (core columns, :func:`derive`,
:func:`arrears.batch.rules.evaluate_entry`)."""


def detail_columns(fields: Iterable[str]) -> tuple[str, ...]:
    """The detail columns to read for every account so that the frame carries ``fields`` (catalogue names),
    in a stable order; none for the fields every run has."""
    wanted = set(fields)
    return tuple(dict.fromkeys(c for name, columns in DETAIL_FIELDS.items() if name in wanted for c in columns))


def join_details(frame: pl.DataFrame, details: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with the columns of ``details`` it does not have yet, joined on ``account_id``."""
    new = [c for c in details.columns if c == "account_id" or c not in frame.columns]
    return frame.join(details.select(new), on="account_id", how="left")


def derive(frame: pl.DataFrame, as_of: date) -> pl.DataFrame:
    """Add the date-dependent fields of the condition catalogue (days past due, days in collections ...);
    the fields that need detail columns are added when the frame has those columns."""
    today = pl.lit(as_of)

    def days_since(column: str) -> pl.Expr:
        return (today - pl.col(column)).dt.total_days()

    in_collections = pl.col("g_status").is_in(sorted(s.value for s in WORKED_CASE))
    derived = {
        "days_past_due": days_since("oldest_unpaid_due_date").clip(lower_bound=0).fill_null(0),
        "payment_plan_delinquent": (
            pl.col("on_payment_plan")
            & pl.col("plan_next_unpaid_due").is_not_null()
            & (days_since("plan_next_unpaid_due") > pl.col("plan_grace_days").fill_null(0))
        ).fill_null(False),
        "in_collections": in_collections.fill_null(False),
        "oldest_claim_age_days": days_since("oldest_open_claim_billed"),
    }
    if "last_payment_date" in frame.columns:
        derived["days_since_last_payment"] = days_since("last_payment_date")
    if "g_entered_on" in frame.columns:
        derived["days_in_collections"] = pl.when(in_collections).then(days_since("g_entered_on"))
    if "g_assignee" in frame.columns:
        derived["collector"] = pl.when(in_collections).then(pl.col("g_assignee"))
    return frame.with_columns(**derived)
