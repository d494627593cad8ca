"""The vectorized promise rule gives the domain rule's answer for every promise (a property test)."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from arrears.batch.promises import judge_frame
from arrears.domain.calendar import RepeatPeriod
from arrears.domain.promises import Outcome, PromiseState, PromiseStatus, PromiseTerms, Repeat, judge

repeats = st.one_of(
    st.none(), st.sampled_from([Repeat(p) for p in RepeatPeriod]),
    st.builds(lambda n: Repeat(days=n), st.integers(1, 60)),
)
promises = st.tuples(
    st.integers(1_000, 50_000),  # amount (at most 150 installments a day: dates stay in range)
    st.dates(date(2027, 1, 1), date(2027, 12, 31)),  # first due
    repeats,
    st.integers(0, 99),  # grace
    st.booleans(),  # advance
    st.integers(0, 30),  # installment
    st.integers(0, 60_000),  # paid before
    st.sampled_from(list(PromiseStatus)),
    st.integers(0, 150_000),  # paid today
    st.one_of(st.none(), st.integers(-10_000, 100_000)),  # balance
)


@settings(max_examples=300, deadline=None)
@given(st.lists(promises, min_size=1, max_size=25))
def test_the_frame_agrees_with_the_domain_rule(rows: list[tuple]) -> None:  # type: ignore[type-arg]
    on = date(2027, 6, 1)
    cases = []
    for amount, first_due, repeat, grace, advance, installment, paid, status, today, balance in rows:
        terms = PromiseTerms(amount, first_due, repeat, grace, advance and repeat is not None)
        state = PromiseState(installment, min(paid, amount - 1), status)
        cases.append((terms, state, today, balance))
    frame = pl.DataFrame(
        {
            "amount": [t.amount_cents for t, _, _, _ in cases],
            "first_due": [t.first_due for t, _, _, _ in cases],
            "installment": [s.installment for _, s, _, _ in cases],
            "paid": [s.paid_cents for _, s, _, _ in cases],
            "status": [s.status.value for _, s, _, _ in cases],
            "grace": [t.grace_days for t, _, _, _ in cases],
            "repeat_period": [t.repeat.period.value if t.repeat and t.repeat.period else None for t, _, _, _ in cases],
            "repeat_days": [t.repeat.days if t.repeat else None for t, _, _, _ in cases],
            "advance": [t.advance for t, _, _, _ in cases],
            "paid_today": [paid for _, _, paid, _ in cases],
            "balance": [b for _, _, _, b in cases],
        },
        schema_overrides={"repeat_period": pl.String, "repeat_days": pl.Int64, "balance": pl.Int64},
    )
    judged = judge_frame(frame, on).to_dicts()
    for (terms, state, paid, balance), row in zip(cases, judged, strict=True):
        expected = judge(terms, state, paid, on, balance)
        assert (row["new_installment"], row["new_paid"], row["new_status"]) == (
            expected.state.installment, expected.state.paid_cents, expected.state.status.value)
        assert row["new_due"] == terms.due(expected.state.installment)
        flags = {o for o, name in ((Outcome.KEPT, "kept"), (Outcome.PARTIAL, "partial"), (Outcome.BROKEN, "broken"),
                                   (Outcome.COMPLETED, "completed")) if row[name]}
        assert flags == set(expected.outcomes)
        assert row["periods"] == expected.periods


def test_a_day_far_from_the_due_date_is_judged_too() -> None:
    """Payments long before the due date count (the promise kept early)."""
    terms = PromiseTerms(10_000, date(2027, 3, 15) + timedelta(days=40), Repeat(RepeatPeriod.MONTHLY), 3, True)
    assert judge(terms, PromiseState(), 30_000, date(2027, 3, 15)).periods == 3
