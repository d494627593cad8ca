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

from arrears.domain.cases import WORKED_CASE


def _date(dialect: str, column: str) -> str:
    # SQLite keeps ISO text (parsed by Polars in bulk); PostgreSQL computes day numbers itself.
    return column if dialect == "sqlite" else f"({column} - DATE '1970-01-01')"


def _flag(dialect: str, column: str) -> str:
    return column if dialect == "sqlite" else f"CAST({column} AS INTEGER)"


CORE_COLUMNS: dict[str, Any] = {
    "account_id": pl.Int64,
    "portfolio_id": pl.Int64,
    "mode": pl.Utf8,
    "guarantor_last_name": pl.Utf8,
    "balance": pl.Int64,
    "oldest_unpaid_due_date": pl.Date,
    "on_payment_plan": pl.Boolean,
    "plan_next_unpaid_due": pl.Date,
    "plan_grace_days": pl.Int64,
    "insurance_balance": pl.Int64,
    "oldest_open_claim_billed": pl.Date,
    "g_status": pl.Utf8,
    "i_status": pl.Utf8,
}
"""What the vectorized rules read for every account: the summary, the guarantor's name, the case states."""

DETAIL_COLUMNS: dict[str, Any] = {
    "account_id": pl.Int64,
    "external_id": pl.Utf8,
    "status_code": pl.Utf8,
    "statement_hold": pl.Boolean,
    "guarantor_first_name": pl.Utf8,
    "guarantor_state": pl.Utf8,
    "time_zone": pl.Utf8,
    "deceased": pl.Boolean,
    "bankruptcy": pl.Boolean,
    "attorney_represented": pl.Boolean,
    "cease_communication": pl.Boolean,
    "disputed": pl.Boolean,
    "do_not_call": pl.Boolean,
    "last_payment_date": pl.Date,
    "last_payment_amount": pl.Int64,
    "open_claim_count": pl.Int64,
    "g_episode": pl.Int64,
    "g_entered_on": pl.Date,
    "g_assignee": pl.Utf8,
    "g_work": pl.Utf8,
    "i_episode": pl.Int64,
    "i_entered_on": pl.Date,
    "i_assignee": pl.Utf8,
    "i_work": pl.Utf8,
}
"""The rest of the account's facts, read only for accounts the run decides (and for explain)."""

_CASES = """
LEFT JOIN collections_case cg ON cg.account_id = a.id AND cg.track = 'guarantor' AND cg.is_current
LEFT JOIN collections_case ci ON ci.account_id = a.id AND ci.track = 'insurance' AND ci.is_current"""


def _core_sql(dialect: str) -> str:
    d = lambda column: _date(dialect, column)  # noqa: E731
    return f"""
SELECT a.id, a.portfolio_id, a.mode, g.last_name, s.balance_cents, {d("s.oldest_unpaid_due")},
       {_flag(dialect, "s.on_payment_plan")}, {d("s.plan_next_unpaid_due")}, s.plan_grace_days,
       s.insurance_balance_cents, {d("s.oldest_open_claim_billed")}, cg.status, ci.status
FROM account a
JOIN party g ON g.id = a.guarantor_id
JOIN account_summary s ON s.account_id = a.id{_CASES}"""


def _detail_sql(dialect: str) -> str:
    d = lambda column: _date(dialect, column)  # noqa: E731
    f = lambda column: _flag(dialect, column)  # noqa: E731
    return f"""
SELECT a.id, a.external_id, a.status_code, {f("a.statement_hold")}, g.first_name, g.state, g.time_zone,
       {f("g.deceased")}, {f("g.bankruptcy")}, {f("g.attorney_represented")}, {f("g.cease_communication")},
       CASE WHEN g.dispute_date IS NULL THEN 0 ELSE 1 END, {f("g.do_not_call")},
       {d("s.last_payment_date")}, s.last_payment_cents, s.open_claim_count,
       cg.episode, {d("cg.entered_on")}, cg.assignee, cg.work, ci.episode, {d("ci.entered_on")}, ci.assignee, ci.work
FROM account a
JOIN party g ON g.id = a.guarantor_id
JOIN account_summary s ON s.account_id = a.id{_CASES}"""


def _frame(rows: list[Any], columns: dict[str, Any], dialect: str) -> pl.DataFrame:
    dates = [name for name, kind in columns.items() if kind == pl.Date]
    as_text = dialect == "sqlite"
    raw_schema = {
        name: ((pl.Utf8 if as_text else pl.Int32) if kind == pl.Date else pl.Int64 if kind == pl.Boolean else kind)
        for name, kind in columns.items()
    }
    frame = pl.DataFrame(rows, schema=raw_schema, orient="row")
    return frame.with_columns(
        [pl.col(n).str.to_date("%Y-%m-%d") if as_text else pl.col(n).cast(pl.Date) for n in dates]
        + [pl.col(n).cast(pl.Boolean) for n, k in columns.items() if k == pl.Boolean]
    )


def fetch_rows(connection: Connection, sql: str) -> list[Any]:
    """All rows of ``sql`` as plain tuples, straight from the driver's cursor (no per-row Row objects)."""
    cursor = connection.connection.cursor()
    try:
        cursor.execute(sql)
        return cursor.fetchall()
    finally:
        cursor.close()


def _portfolio_codes(connection: Connection) -> dict[int, str]:
    return {int(i): str(code) for i, code in connection.exec_driver_sql("SELECT id, code FROM portfolio")}


def read_core(connection: Connection, first: int, last: int, portfolio_id: int | None = None) -> pl.DataFrame:
    """The columns every rule reads (:data:`CORE_COLUMNS` and ``portfolio``) for ids in [first, last]."""
    dialect = connection.dialect.name
    where = f" WHERE a.id BETWEEN {int(first)} AND {int(last)}"
    if portfolio_id is not None:
        where += f" AND a.portfolio_id = {int(portfolio_id)}"
    rows = fetch_rows(connection, _core_sql(dialect) + where + " ORDER BY a.id")
    frame = _frame(rows, CORE_COLUMNS, dialect)
    codes = _portfolio_codes(connection)
    return frame.with_columns(
        portfolio=pl.col("portfolio_id").replace_strict(codes, default=None, return_dtype=pl.Utf8)
    )


def read_details(connection: Connection, account_ids: list[int]) -> pl.DataFrame:
    """The rest of the facts (:data:`DETAIL_COLUMNS`) of the accounts ``account_ids``."""
    dialect = connection.dialect.name
    rows: list[Any] = []
    for start in range(0, len(account_ids), 5000):
        batch = ", ".join(str(int(i)) for i in account_ids[start : start + 5000])
        rows += fetch_rows(connection, f"{_detail_sql(dialect)} WHERE a.id IN ({batch})")
    return _frame(rows, DETAIL_COLUMNS, dialect)


def read_accounts(connection: Connection, first: int, last: int, portfolio_id: int | None = None) -> pl.DataFrame:
    """Every fact of the accounts with ids in [first, last]: core and detail columns."""
    core = read_core(connection, first, last, portfolio_id)
    return core.join(read_details(connection, core.get_column("account_id").to_list()), on="account_id", how="left")


def read_recent_guarantor_payments(
    connection: Connection, first: int, last: int, as_of: date, days: int
) -> pl.DataFrame:
    """Standing guarantor payments posted in the last ``days`` days (to ``as_of``) of accounts in range."""
    dialect = connection.dialect.name
    start = as_of - timedelta(days=days)
    sql = f"""
SELECT l.account_id, {_date(dialect, "l.posted_date")}, l.amount_cents
FROM ledger_line l
WHERE l.kind = 'payment' AND l.source = 'guarantor'
  AND l.posted_date > '{start.isoformat()}' AND l.posted_date <= '{as_of.isoformat()}'
  AND l.account_id BETWEEN {int(first)} AND {int(last)}
  AND NOT EXISTS (SELECT 1 FROM ledger_line r WHERE r.reverses_id = l.id AND r.posted_date <= '{as_of.isoformat()}')
"""
    rows = fetch_rows(connection, sql)
    return _frame(rows, {"account_id": pl.Int64, "posted": pl.Date, "amount": pl.Int64}, dialect)


def derive(frame: pl.DataFrame, as_of: date) -> pl.DataFrame:
    """Add the date-dependent fields of the condition catalogue (days past due, days in collections ...);
    the fields that need detail columns are added when the frame has them."""
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
        derived |= {
            "days_since_last_payment": days_since("last_payment_date"),
            "days_in_collections": pl.when(in_collections).then(days_since("g_entered_on")),
            "collector": pl.when(in_collections).then(pl.col("g_assignee")),
        }
    return frame.with_columns(**derived)


def account_id_range(connection: Connection) -> tuple[int, int] | None:
    """Smallest and largest account id, or None without accounts."""
    low, high = connection.exec_driver_sql("SELECT MIN(id), MAX(id) FROM account").one()
    return None if low is None else (int(low), int(high))
