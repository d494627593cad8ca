"""Property: the features read (COPY as CSV into Polars on PostgreSQL, one JSON array per column on SQLite) gives
exactly the frame the cursor gave.

Given random accounts (summaries with NULLs, dates at the edges of the calendar, cents near the 64-bit limits,
current and earlier case episodes, guarantor payments and their reversals), every read of
:mod:`arrears.store.features` equals, column for column and type for type, the frame built the way the run
built it before: tuples from the DBAPI cursor, with SQLite's ISO text and PostgreSQL's day numbers turned into
dates and 0/1 into flags. Text may hold commas, quotes, line breaks and be empty (not NULL), which CSV must keep.
Each example writes and reads in one transaction too: the read sees the caller's uncommitted rows.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal
from sqlalchemy import Connection, delete, insert, select

from arrears.store import account_features, features
from arrears.store.db import Database, fetch_rows
from arrears.store.feature_columns import EXPRESSIONS
from arrears.store.models import (
    AccountRow,
    AccountSummaryRow,
    CollectionsCaseRow,
    LedgerLineRow,
    PartyRow,
    PortfolioRow,
)

AS_OF = date(2026, 3, 2)
EDGE_DATES = st.sampled_from(
    [date(1, 1, 1), date(1969, 12, 31), date(1970, 1, 1), date(2000, 2, 29), AS_OF, date(9999, 12, 31)]
)
DATES = st.one_of(st.none(), EDGE_DATES, st.dates())
TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12)
BIG = st.integers(min_value=-(2**62), max_value=2**62)
SMALL = st.integers(min_value=-(2**31), max_value=2**31 - 1)
CASE = st.fixed_dictionaries(
    {
        "episode": st.integers(min_value=1, max_value=3),
        "status": st.sampled_from(["internal", "held", "external", "resolved"]),
        "entered_on": st.one_of(EDGE_DATES, st.dates()),
        "assignee": TEXT,
        "work": TEXT,
        "hold_reason": st.one_of(st.none(), TEXT),
        "earlier": st.booleans(),
    }
)
ACCOUNT = st.fixed_dictionaries(
    {
        "portfolio": st.sampled_from(["P1", "P2"]),
        "last_name": TEXT,
        "first_name": TEXT,
        "state": st.sampled_from(["", "OH", "CA"]),
        "time_zone": st.sampled_from(["America/New_York", "America/Phoenix"]),
        "flags": st.lists(st.booleans(), min_size=6, max_size=6),
        "dispute_date": DATES,
        "mode": st.sampled_from(["active", "closed"]),
        "status_code": TEXT,
        "statement_hold": st.booleans(),
        "balance": BIG,
        "insurance": BIG,
        "last_payment_cents": st.one_of(st.none(), BIG),
        "plan": st.booleans(),
        "grace": st.one_of(st.none(), SMALL),
        "claims": SMALL,
        "dates": st.lists(DATES, min_size=5, max_size=5),
        "guarantor_case": st.one_of(st.none(), CASE),
        "insurance_case": st.one_of(st.none(), CASE),
        "payments": st.lists(
            st.tuples(st.integers(min_value=-40, max_value=3), BIG, st.booleans(), st.booleans()), max_size=3
        ),
    }
)


# ------------------------------------------------------------------ the read as the run made it before


def _old_sql(dialect: str, column: str) -> str:
    """The column's SQL in the cursor read: day numbers and 0/1 on PostgreSQL, stored values on SQLite."""
    sql = EXPRESSIONS[column]
    if dialect == "sqlite":
        return sql
    kind = (features.CORE_COLUMNS | features.DETAIL_COLUMNS)[column]
    if kind == pl.Date:
        return f"({sql} - DATE '1970-01-01')"
    return f"CAST({sql} AS INTEGER)" if kind == pl.Boolean else sql


def _cursor_frame(connection: Connection, sql: str, columns: dict[str, Any]) -> pl.DataFrame:
    dialect = connection.dialect.name
    as_text = dialect == "sqlite"
    raw = {
        name: ((pl.Utf8 if as_text else pl.Int32) if kind == pl.Date else pl.Int64 if kind == pl.Boolean else kind)
        for name, kind in columns.items()
    }
    frame = pl.DataFrame(fetch_rows(connection, sql), schema=raw, orient="row")
    dates = [name for name, kind in columns.items() if kind == pl.Date]
    return frame.with_columns(
        [pl.col(n).str.to_date("%Y-%m-%d") if as_text else pl.col(n).cast(pl.Date) for n in dates]
        + [pl.col(n).cast(pl.Boolean) for n, kind in columns.items() if kind == pl.Boolean]
    )


FROM = """
FROM account a
JOIN party g ON g.id = a.guarantor_id
JOIN account_summary s ON s.account_id = a.id
LEFT JOIN collections_case cg ON cg.account_id = a.id AND cg.track = 'guarantor' AND cg.is_current
LEFT JOIN collections_case ci ON ci.account_id = a.id AND ci.track = 'insurance' AND ci.is_current"""


def _cursor_accounts(connection: Connection, columns: dict[str, Any], where: str) -> pl.DataFrame:
    dialect = connection.dialect.name
    sql = f"SELECT {', '.join(_old_sql(dialect, c) for c in columns)} {FROM} {where}"
    return _cursor_frame(connection, sql, columns)


def _with_portfolio(connection: Connection, frame: pl.DataFrame) -> pl.DataFrame:
    codes = dict(connection.execute(select(PortfolioRow.id, PortfolioRow.code)).all())
    return frame.with_columns(
        portfolio=pl.col("portfolio_id").replace_strict(codes, default=None, return_dtype=pl.Utf8)
    )


def _cursor_payments(connection: Connection, first: int, last: int, days: int) -> pl.DataFrame:
    posted = "l.posted_date" if connection.dialect.name == "sqlite" else "(l.posted_date - DATE '1970-01-01')"
    start, on = (AS_OF - timedelta(days=days)).isoformat(), AS_OF.isoformat()
    sql = f"""
SELECT l.account_id, {posted}, l.amount_cents FROM ledger_line l
WHERE l.kind = 'payment' AND l.source = 'guarantor' AND l.posted_date > '{start}' AND l.posted_date <= '{on}'
  AND l.account_id BETWEEN {first} AND {last}
  AND NOT EXISTS (SELECT 1 FROM ledger_line r WHERE r.reverses_id = l.id AND r.posted_date <= '{on}')"""
    return _cursor_frame(connection, sql, {"account_id": pl.Int64, "posted": pl.Date, "amount": pl.Int64})


# --------------------------------------------------------------------------------------------- given


def _portfolios(connection: Connection) -> dict[str, int]:
    stored = dict(connection.execute(select(PortfolioRow.code, PortfolioRow.id)).all())
    for code in ("P1", "P2"):
        if code not in stored:
            stored[code] = connection.execute(
                insert(PortfolioRow).values(code=code, name=code).returning(PortfolioRow.id)
            ).scalar_one()
    return stored


def _write(connection: Connection, accounts: list[dict[str, Any]]) -> list[int]:
    for row in (CollectionsCaseRow, LedgerLineRow, AccountSummaryRow, AccountRow, PartyRow):
        connection.execute(delete(row))
    portfolios = _portfolios(connection)
    ids = []
    line = 0
    for n, a in enumerate(accounts, start=1):
        deceased, bankruptcy, attorney, cease, no_calls, on_plan = a["flags"]
        connection.execute(
            insert(PartyRow).values(
                id=n, first_name=a["first_name"], last_name=a["last_name"], state=a["state"], time_zone=a["time_zone"],
                deceased=deceased, bankruptcy=bankruptcy, attorney_represented=attorney, cease_communication=cease,
                do_not_call=no_calls, dispute_date=a["dispute_date"],
            )
        )  # fmt: skip
        connection.execute(
            insert(AccountRow).values(
                id=n, external_id=f"A{n}", portfolio_id=portfolios[a["portfolio"]], guarantor_id=n, mode=a["mode"],
                status_code=a["status_code"], statement_hold=a["statement_hold"],
            )
        )  # fmt: skip
        oldest, last_paid, next_due, billed, guarantor_paid = a["dates"]
        connection.execute(
            insert(AccountSummaryRow).values(
                account_id=n, portfolio_id=portfolios[a["portfolio"]], balance_cents=a["balance"],
                oldest_unpaid_due=oldest, last_payment_date=last_paid, last_payment_cents=a["last_payment_cents"],
                last_guarantor_payment_date=guarantor_paid, on_payment_plan=a["plan"] or on_plan,
                plan_next_unpaid_due=next_due, plan_grace_days=a["grace"], insurance_balance_cents=a["insurance"],
                oldest_open_claim_billed=billed, open_claim_count=a["claims"],
            )
        )  # fmt: skip
        for track, case in (("guarantor", a["guarantor_case"]), ("insurance", a["insurance_case"])):
            if case is None:
                continue
            values = {"account_id": n, "track": track, "entry_reason": "{}", "assignee": case["assignee"],
                      "work": case["work"], "entered_on": case["entered_on"]}  # fmt: skip
            if case["earlier"]:  # an earlier episode that is not current: the read must skip it
                connection.execute(insert(CollectionsCaseRow).values(
                    **values, episode=case["episode"], status="resolved", is_current=False, hold_reason="old"
                ))  # fmt: skip
            connection.execute(insert(CollectionsCaseRow).values(
                **values, episode=case["episode"] + 1, status=case["status"], is_current=True,
                hold_reason=case["hold_reason"],
            ))  # fmt: skip
        for offset, cents, insured, reversed_ in a["payments"]:
            line += 1
            posted = AS_OF + timedelta(days=offset)
            connection.execute(insert(LedgerLineRow).values(
                id=line, account_id=n, kind="payment", amount_cents=cents, posted_date=posted,
                source="insurance" if insured else "guarantor",
            ))  # fmt: skip
            if reversed_:
                line += 1
                connection.execute(insert(LedgerLineRow).values(
                    id=line, account_id=n, kind="reversal", amount_cents=-cents, posted_date=posted,
                    reverses_id=line - 1,
                ))  # fmt: skip
        ids.append(n)
    return ids


def _sorted(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.sort(frame.columns[: min(3, frame.width)], nulls_last=True)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(accounts=st.lists(ACCOUNT, max_size=8), window=st.integers(min_value=1, max_value=60), data=st.data())
def test_features_reads_equal_the_cursor_reads(
    db: Database, accounts: list[dict[str, Any]], window: int, data: st.DataObject
) -> None:
    with db.engine.begin() as connection:  # written and read in one transaction, not yet committed
        ids = _write(connection, accounts)
        first = data.draw(st.integers(min_value=0, max_value=len(ids) + 1), label="first")
        last = data.draw(st.integers(min_value=first, max_value=len(ids) + 2), label="last")
        extra = data.draw(st.lists(st.sampled_from(list(features.DETAIL_COLUMNS)[1:]), unique=True), label="extra")
        chosen = data.draw(st.lists(st.sampled_from(ids), unique=True) if ids else st.just([]), label="details of")
        portfolio = _portfolios(connection)["P2"]
        everything = features.CORE_COLUMNS | features.DETAIL_COLUMNS
        where = f" WHERE a.id BETWEEN {first} AND {last} ORDER BY a.id"
        expected = _with_portfolio(connection, _cursor_accounts(connection, everything, where))
        assert_frame_equal(features.read_accounts(connection, first, last), expected)
        # One account read without a frame (explain) gives its row of the frame, value and type.
        for frame_row in expected.iter_rows(named=True):
            row = account_features.account_row(connection, frame_row["account_id"])
            assert row is not None
            assert list(row) == list(frame_row)
            assert [(name, value, type(value)) for name, value in row.items()] == [
                (name, value, type(value)) for name, value in frame_row.items()
            ]
        assert account_features.account_row(connection, len(ids) + 100) is None

        core = features.CORE_COLUMNS | {c: features.DETAIL_COLUMNS[c] for c in features.DETAIL_COLUMNS if c in extra}
        where = f" WHERE a.id BETWEEN {first} AND {last} AND a.portfolio_id = {portfolio} ORDER BY a.id"
        expected = _with_portfolio(connection, _cursor_accounts(connection, core, where))
        assert_frame_equal(features.read_core(connection, first, last, portfolio, extra), expected)

        where = f" WHERE a.id IN ({', '.join(map(str, chosen or [0]))})"
        expected = _cursor_accounts(connection, features.DETAIL_COLUMNS, where)
        assert_frame_equal(_sorted(features.read_details(connection, chosen)), _sorted(expected))

        expected = _cursor_payments(connection, first, last, window)
        payments = features.read_recent_guarantor_payments(connection, first, last, AS_OF, window)
        assert_frame_equal(_sorted(payments), _sorted(expected))
        for account_id in range(first, last + 1):
            own = expected.filter(pl.col("account_id") == account_id).select("posted", "amount").rows()
            read = account_features.recent_guarantor_payments(connection, account_id, AS_OF, window)
            assert sorted(read) == sorted(own)


def test_the_id_range_is_read_from_the_ends_of_the_key(db: Database) -> None:
    """Every run starts by asking the smallest and largest account id: the two ends of the primary key, not a
    pass over every account (SQLite scans an index of the whole table for MIN and MAX in one SELECT)."""
    account = {
        "portfolio": "P1", "last_name": "Lee", "first_name": "Ana", "state": "OH", "time_zone": "America/New_York",
        "flags": [False] * 6, "dispute_date": None, "mode": "active", "status_code": "", "statement_hold": False,
        "balance": 12_500, "insurance": 0, "last_payment_cents": None, "plan": False, "grace": None, "claims": 0,
        "dates": [None] * 5, "guarantor_case": None, "insurance_case": None, "payments": [],
    }  # fmt: skip
    accounts = [account] * 3
    with db.engine.begin() as connection:
        assert features.account_id_range(connection) is None
        _write(connection, accounts)
        assert features.account_id_range(connection) == (1, 3)
        if connection.dialect.name == "sqlite":
            sql = features.ACCOUNT_ID_RANGE_SQL
            plan = " ".join(str(row[-1]) for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}"))
            assert "SEARCH account" in plan and "SCAN account" not in plan, plan
