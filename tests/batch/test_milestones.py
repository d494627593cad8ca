"""The vectorized milestone targets agree with the domain rule, account by account (seed 004 schemes)."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from arrears.batch.milestones import STATE_SCHEMA, milestone_moves
from arrears.domain.strategy.schemes import (
    BalanceBasis,
    DurationUnit,
    Milestone,
    MilestoneState,
    Scheme,
    milestone_step,
)

AS_OF = date(2026, 11, 20)


def scheme(jump: bool, business: bool, basis: BalanceBasis, lenient: bool, formula: bool) -> Scheme:
    unit = DurationUnit.BUSINESS if business else DurationUnit.CALENDAR
    return Scheme(
        "WATER", "Water",
        (
            Milestone("30 days", days_past_due=30, duration_days=10, duration_unit=unit, resolve_below_cents=1_000,
                      reversal_milestone="60 days"),
            Milestone("60 days", days_past_due=60, amount_cents=10_000, duration_days=10,
                      decrement_condition="days_past_due < 45" if formula else None,
                      resolve_condition="on_payment_plan" if formula else None),
            Milestone("90 days", days_past_due=90, reversal_milestone="60 days"),
        ),
        min_entry_cents=5_000, balance_basis=basis, jump=jump, holds_auto_resolve=lenient,
        entry_condition="NOT bankruptcy",
    )  # fmt: skip


ACCOUNT = st.fixed_dictionaries({
    "balance": st.sampled_from([-100, 0, 999, 1_000, 5_000, 5_001, 9_999, 10_000, 20_000]),
    "days_past_due": st.integers(0, 120),
    "bankruptcy": st.booleans(),
    "on_payment_plan": st.booleans(),
    "held": st.sampled_from([False, False, False, True]),
    "reversed": st.sampled_from([False, False, True]),
    "state": st.one_of(st.none(), st.fixed_dictionaries({  # mostly in the scheme: where the rule has branches
        "scheme": st.sampled_from(["WATER", "WATER", "WATER", "OTHER"]),
        "index": st.sampled_from([None, 0, 1, 2]),
        "reached_ago": st.integers(0, 25),
        "entry_balance": st.sampled_from([5_001, 9_999, 10_000, 30_000]),
        "moved_ago": st.sampled_from([None, None, 0, 1, 5]),
        "resolved": st.sampled_from([False, False, False, True]),
    })),
})  # fmt: skip


@settings(max_examples=100, deadline=None)
@given(
    accounts=st.lists(ACCOUNT, min_size=1, max_size=30), jump=st.booleans(), business=st.booleans(),
    basis=st.sampled_from(list(BalanceBasis)), lenient=st.booleans(), formula=st.booleans(),
)  # fmt: skip
def test_the_frame_agrees_with_the_domain_rule(
    accounts: list[dict], jump: bool, business: bool, basis: BalanceBasis, lenient: bool, formula: bool
) -> None:
    the_scheme = scheme(jump, business, basis, lenient, formula)
    rows, states = [], []
    for number, account in enumerate(accounts):
        given_state = account["state"]
        state = None
        columns: dict[str, object] = dict.fromkeys(STATE_SCHEMA)
        if given_state is not None:
            moved = given_state["moved_ago"]
            state = MilestoneState(
                given_state["scheme"], given_state["index"], AS_OF - timedelta(days=given_state["reached_ago"]),
                given_state["entry_balance"], None if moved is None else AS_OF - timedelta(days=moved),
                given_state["resolved"],
            )  # fmt: skip
            columns = {"ms_scheme": state.scheme, "ms_index": state.milestone, "ms_reached_on": state.reached_on,
                       "ms_entry_balance": state.entry_balance_cents, "ms_moved_on": state.moved_on,
                       "ms_resolved": state.resolved}  # fmt: skip
        states.append(state)
        rows.append({"account_id": number, "portfolio": "OUTPT", "balance": account["balance"],
                     "days_past_due": account["days_past_due"], "bankruptcy": account["bankruptcy"],
                     "on_payment_plan": account["on_payment_plan"], "held": account["held"],
                     "reversed": account["reversed"], **columns})  # fmt: skip
    schema = {"account_id": pl.Int64(), "portfolio": pl.String(), "balance": pl.Int64(), "days_past_due": pl.Int64(),
              "bankruptcy": pl.Boolean(), "on_payment_plan": pl.Boolean(), "held": pl.Boolean(),
              "reversed": pl.Boolean(), **STATE_SCHEMA}  # fmt: skip
    frame = milestone_moves(pl.DataFrame(rows, schema=schema), (the_scheme,), AS_OF).sort("account_id")
    got = list(zip(frame.get_column("ms_move").to_list(), frame.get_column("ms_target").to_list(), strict=True))
    expected = []
    for row, state in zip(rows, states, strict=True):
        step = milestone_step(the_scheme, state, row, AS_OF, held=bool(row["held"]),
                              reversed_payment=bool(row["reversed"]))  # fmt: skip
        expected.append((step.move.value, step.milestone))
    assert got == expected


def test_a_portfolio_without_a_scheme_stays() -> None:
    frame = pl.DataFrame({"account_id": [1], "portfolio": ["FAMILY"], "balance": [20_000], "days_past_due": [45]})
    water = Scheme("WATER", "Water", (Milestone("30 days", days_past_due=30),), portfolio="OUTPT")
    moved = milestone_moves(frame, (water,), AS_OF)
    assert moved.select("ms_move", "ms_target", "ms_code").row(0) == ("stay", None, None)
