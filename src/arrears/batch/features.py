"""The features frame: one row per account with every fact a rule can see, read in one pass.

Dates travel from the database as day numbers (days since 1970-01-01) and become ``pl.Date`` in Polars,
which is much faster than building date objects row by row. Money stays in integer cents. Column names
are those of :data:`arrears.domain.fields.ACCOUNT_FIELDS`, plus the ids and case columns the run needs.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import polars as pl
from sqlalchemy import Connection

EPOCH = date(1970, 1, 1)


def day_number(value: date) -> int:
    """Days since 1970-01-01."""
    return (value - EPOCH).days


def _days(dialect: str, column: str) -> str:
    if dialect == "sqlite":
        return f"CAST(julianday({column}) - 2440587.5 AS INTEGER)"
    return f"({column} - DATE '1970-01-01')"


def _flag(dialect: str, column: str) -> str:
    return f"CAST({column} AS INTEGER)" if dialect != "sqlite" else column


BASE_COLUMNS: dict[str, Any] = {
    "account_id": pl.Int64,
    "external_id": pl.Utf8,
    "portfolio": pl.Utf8,
    "mode": pl.Utf8,
    "status_code": pl.Utf8,
    "statement_hold": pl.Boolean,
    "guarantor_last_name": pl.Utf8,
    "guarantor_first_name": pl.Utf8,
    "guarantor_state": pl.Utf8,
    "deceased": pl.Boolean,
    "bankruptcy": pl.Boolean,
    "attorney_represented": pl.Boolean,
    "cease_communication": pl.Boolean,
    "disputed": pl.Boolean,
    "do_not_call": pl.Boolean,
    "balance": pl.Int64,
    "oldest_unpaid_due_date": pl.Date,
    "last_payment_date": pl.Date,
    "last_payment_amount": pl.Int64,
    "on_payment_plan": pl.Boolean,
    "plan_next_unpaid_due": pl.Date,
    "plan_grace_days": pl.Int64,
    "insurance_balance": pl.Int64,
    "oldest_open_claim_billed": pl.Date,
    "open_claim_count": pl.Int64,
    "g_episode": pl.Int64,
    "g_status": pl.Utf8,
    "g_entered_on": pl.Date,
    "g_assignee": pl.Utf8,
    "g_work": pl.Utf8,
    "i_episode": pl.Int64,
    "i_status": pl.Utf8,
    "i_entered_on": pl.Date,
    "i_assignee": pl.Utf8,
    "i_work": pl.Utf8,
}


def _select(dialect: str) -> str:
    d = lambda column: _days(dialect, column)  # noqa: E731
    f = lambda column: _flag(dialect, column)  # noqa: E731
    return f"""
SELECT a.id, a.external_id, p.code, a.mode, a.status_code, {f("a.statement_hold")},
       g.last_name, g.first_name, g.state, {f("g.deceased")}, {f("g.bankruptcy")},
       {f("g.attorney_represented")}, {f("g.cease_communication")},
       CASE WHEN g.dispute_date IS NULL THEN 0 ELSE 1 END, {f("g.do_not_call")},
       s.balance_cents, {d("s.oldest_unpaid_due")}, {d("s.last_payment_date")}, s.last_payment_cents,
       {f("s.on_payment_plan")}, {d("s.plan_next_unpaid_due")}, s.plan_grace_days,
       s.insurance_balance_cents, {d("s.oldest_open_claim_billed")}, s.open_claim_count,
       cg.episode, cg.status, {d("cg.entered_on")}, cg.assignee, cg.work,
       ci.episode, ci.status, {d("ci.entered_on")}, ci.assignee, ci.work
FROM account a
JOIN portfolio p ON p.id = a.portfolio_id
JOIN party g ON g.id = a.guarantor_id
JOIN account_summary s ON s.account_id = a.id
LEFT JOIN collections_case cg ON cg.account_id = a.id AND cg.track = 'guarantor'
LEFT JOIN collections_case ci ON ci.account_id = a.id AND ci.track = 'insurance'
WHERE a.id BETWEEN :first AND :last :portfolio
ORDER BY a.id
"""


def _frame(rows: list[Any], columns: dict[str, Any]) -> pl.DataFrame:
    raw_schema = {
        name: (pl.Int32 if kind == pl.Date else pl.Int64 if kind == pl.Boolean else kind)
        for name, kind in columns.items()
    }
    frame = pl.DataFrame(rows, schema=raw_schema, orient="row")
    return frame.with_columns(
        [pl.col(n).cast(pl.Date) for n, k in columns.items() if k == pl.Date]
        + [pl.col(n).cast(pl.Boolean) for n, k in columns.items() if k == pl.Boolean]
    )


def read_accounts(connection: Connection, first: int, last: int, portfolio_id: int | None = None) -> pl.DataFrame:
    """The raw account rows (summary, guarantor, cases) with ids between ``first`` and ``last``."""
    only = f"AND a.portfolio_id = {int(portfolio_id)}" if portfolio_id is not None else ""
    sql = _select(connection.dialect.name)
    sql = sql.replace(":first", str(int(first))).replace(":last", str(int(last))).replace(":portfolio", only)
    rows = connection.exec_driver_sql(sql).fetchall()
    return _frame(rows, BASE_COLUMNS)


def read_recent_guarantor_payments(
    connection: Connection, first: int, last: int, as_of: date, days: int
) -> pl.DataFrame:
    """Standing guarantor payments posted in the last ``days`` days (to ``as_of``) of accounts in range."""
    dialect = connection.dialect.name
    start = as_of - timedelta(days=days)
    sql = f"""
SELECT l.account_id, {_days(dialect, "l.posted_date")}, l.amount_cents
FROM ledger_line l
WHERE l.kind = 'payment' AND l.source = 'guarantor'
  AND l.posted_date > '{start.isoformat()}' AND l.posted_date <= '{as_of.isoformat()}'
  AND l.account_id BETWEEN {int(first)} AND {int(last)}
  AND NOT EXISTS (SELECT 1 FROM ledger_line r WHERE r.reverses_id = l.id AND r.posted_date <= '{as_of.isoformat()}')
"""
    rows = connection.exec_driver_sql(sql).fetchall()
    return _frame(rows, {"account_id": pl.Int64, "posted": pl.Date, "amount": pl.Int64})


def derive(frame: pl.DataFrame, as_of: date) -> pl.DataFrame:
    """Add the date-dependent fields of the condition catalogue (days past due, days in collections ...)."""
    today = pl.lit(as_of)

    def days_since(column: str) -> pl.Expr:
        return (today - pl.col(column)).dt.total_days()

    in_collections = pl.col("g_status") == "internal"
    return frame.with_columns(
        days_past_due=days_since("oldest_unpaid_due_date").clip(lower_bound=0).fill_null(0),
        days_since_last_payment=days_since("last_payment_date"),
        payment_plan_delinquent=(
            pl.col("on_payment_plan")
            & pl.col("plan_next_unpaid_due").is_not_null()
            & (days_since("plan_next_unpaid_due") > pl.col("plan_grace_days").fill_null(0))
        ).fill_null(False),
        in_collections=in_collections.fill_null(False),
        days_in_collections=pl.when(in_collections).then(days_since("g_entered_on")),
        collector=pl.when(in_collections).then(pl.col("g_assignee")),
        oldest_claim_age_days=days_since("oldest_open_claim_billed"),
    )


def account_id_range(connection: Connection) -> tuple[int, int] | None:
    """Smallest and largest account id, or None without accounts."""
    low, high = connection.exec_driver_sql("SELECT MIN(id), MAX(id) FROM account").one()
    return None if low is None else (int(low), int(high))
