"""The per-account twin of the run's frames gives each account the row the frames give it.

``explain`` evaluates one account with :mod:`arrears.domain.features` instead of the run's Polars frames
(:mod:`arrears.batch.features`, :mod:`arrears.batch.rules`). Given random strategies (enterprise rules, a
portfolio overriding them, one with collections off, one without settings, random task assignment tables
with conditions) and random accounts (NULLs everywhere a column allows one, dates around every edge the rules
count from, credits and huge balances, payments in and out of the window), every column of every account's
frame row equals the twin's value for it, type for type.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from arrears.batch import features, rules
from arrears.domain import features as twin
from arrears.domain.strategy import (
    AssignmentRule,
    AssignmentType,
    EntryPolicy,
    EntryRules,
    PortfolioCollections,
    Strategy,
    TaskAssignment,
)
from arrears.store.features import CORE_COLUMNS, DETAIL_COLUMNS

AS_OF = date(2026, 3, 1)
DAYS = st.none() | st.integers(min_value=-5, max_value=400).map(lambda days: AS_OF - timedelta(days=days))
CONDITIONS = st.sampled_from(
    [None, "NOT deceased", "guarantor_state = 'TX' OR balance > $500", "days_in_collections > 10",
     "collector IS NULL", "days_since_last_payment < 30 AND NOT bankruptcy", "oldest_claim_age_days > 60"]
)  # fmt: skip
ENTRY_RULES = st.builds(
    EntryRules,
    balance_over_cents=st.integers(min_value=0, max_value=100_000),
    days_past_due_over=st.integers(min_value=0, max_value=120),
    min_payment_cents=st.integers(min_value=0, max_value=100_000),
    min_payment_percent=st.integers(min_value=1, max_value=100),
    payment_window_days=st.integers(min_value=0, max_value=60),
    force_delinquent_plans=st.booleans(),
    delinquent_grace_days=st.integers(min_value=0, max_value=30),
    insurance_claim_days_over=st.none() | st.integers(min_value=0, max_value=200),
    condition=CONDITIONS,
)


@st.composite
def assignments(draw: st.DrawFn) -> TaskAssignment:
    """A task assignment table by name or balance range, rules with and without conditions."""
    assignment_type = draw(st.sampled_from(AssignmentType))
    ends = (
        st.sampled_from([*"ABMNZ", "a"])
        if assignment_type is AssignmentType.NAME_RANGE
        else st.integers(min_value=0, max_value=200_000)
    )
    rule = st.builds(
        AssignmentRule,
        from_=ends,
        to=ends,
        collector=st.sampled_from([None, "ann", "ben"]),
        group=st.sampled_from([None, "desk"]),
        default_work=st.sampled_from([None, "Call 1"]),
        missed_plan_only=st.booleans(),
        condition=CONDITIONS,
    )
    action = draw(st.sampled_from(["", "Claims"]))
    return TaskAssignment(assignment_type, "def", "Letters", tuple(draw(st.lists(rule, max_size=4))), action)


@st.composite
def strategies(draw: st.DrawFn) -> Strategy:
    """P follows (or overrides) the enterprise, Q has collections off, R has no settings."""
    override = draw(st.booleans())
    portfolios = (
        PortfolioCollections("P", override_enterprise=override, rules=draw(ENTRY_RULES) if override else None,
                             assignment=draw(assignments())),
        PortfolioCollections("Q", collections_enabled=False, assignment=draw(assignments())),
    )  # fmt: skip
    return Strategy(entry_policy=EntryPolicy(draw(ENTRY_RULES), portfolios))


FLAG = st.sampled_from([None, True, False])
ACCOUNT = st.fixed_dictionaries(
    {
        "portfolio": st.sampled_from(["P", "Q", "R", None]),
        "mode": st.sampled_from(["active", "closed", None]),
        "guarantor_last_name": st.sampled_from([None, "", "Adams", "Nunez", "  Élan", "42nd"]),
        "balance": st.integers(min_value=-10_000, max_value=10**9) | st.sampled_from([0, 2**62]),
        "oldest_unpaid_due_date": DAYS,
        "on_payment_plan": FLAG,
        "plan_next_unpaid_due": DAYS,
        "plan_grace_days": st.none() | st.integers(min_value=0, max_value=30),
        "insurance_balance": st.none() | st.integers(min_value=-100, max_value=100),
        "oldest_open_claim_billed": DAYS,
        "g_status": st.sampled_from([None, "internal", "held", "external", "resolved"]),
        "i_status": st.sampled_from([None, "internal", "resolved"]),
        "guarantor_state": st.sampled_from([None, "TX", "OK"]),
        "deceased": FLAG,
        "bankruptcy": FLAG,
        "last_payment_date": DAYS,
        "g_entered_on": DAYS,
        "g_assignee": st.sampled_from([None, "ann"]),
    }
)
PAYMENT = st.tuples(
    st.integers(min_value=0, max_value=11), st.integers(min_value=0, max_value=70), st.integers(1, 300_000)
)


@settings(max_examples=300, deadline=None)
@given(strategy=strategies(), accounts=st.lists(ACCOUNT, min_size=1, max_size=12), paid=st.lists(PAYMENT))
def test_the_twin_gives_every_account_its_frame_row(
    strategy: Strategy, accounts: list[dict[str, Any]], paid: list[tuple[int, int, int]]
) -> None:
    rows = [{"account_id": n, "portfolio_id": 1, **account} for n, account in enumerate(accounts)]
    payments = [(n, AS_OF - timedelta(days=ago), cents) for n, ago, cents in paid if n < len(rows)]
    schema = {name: kind for name, kind in (CORE_COLUMNS | DETAIL_COLUMNS).items() if name in rows[0]}
    frame = features.derive(pl.DataFrame(rows, schema={**schema, "portfolio": pl.Utf8}), AS_OF)
    window = rules.largest_window_days(strategy, frame.get_column("portfolio").drop_nulls().unique().to_list())
    recent = pl.DataFrame(
        [p for p in payments if (AS_OF - p[1]).days < window],
        schema={"account_id": pl.Int64, "posted": pl.Date, "amount": pl.Int64}, orient="row",
    )  # fmt: skip
    decided = rules.assign(rules.evaluate_entry(frame, strategy, recent, AS_OF), strategy).drop("initial")
    for row, expected in zip(rows, decided.iter_rows(named=True), strict=True):
        own = [(posted, cents) for n, posted, cents in payments if n == row["account_id"]]
        actual = twin.assign(twin.evaluate_entry(twin.derive(row, AS_OF), strategy, own, AS_OF), strategy)
        assert set(actual) == set(expected)
        for column, value in expected.items():
            assert (column, actual[column]) == (column, value)
            assert type(actual[column]) is type(value), column
