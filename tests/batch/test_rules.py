"""The vectorized rules agree with their one definition in the domain, on random accounts.

Each rule of the daily run has one meaning, written once in :mod:`arrears.domain` for one account:
assignment (:func:`match_assignment`), the required payment max($Y, Z%)
(:meth:`EntryRules.required_payment_cents`), plan delinquency (:func:`arrears.domain.ledger.plan_delinquent`)
and the entry rules as a condition (:attr:`EntryRules.rules_condition`, the policy's own ``condition``).
``arrears.batch.rules`` evaluates the same over a whole frame; these properties check it row by row on
random names (accents, empty, not letters, odd spaces), balances (0, credits, huge), percents 1–100 and
plan due dates around the grace edge.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import polars as pl
from hypothesis import example, given, settings
from hypothesis import strategies as st

from arrears.batch import features, rules
from arrears.domain.conditions import account_condition, evaluate
from arrears.domain.ledger import plan_delinquent
from arrears.domain.strategy import (
    AssignmentRule,
    AssignmentType,
    EntryPolicy,
    EntryRules,
    PortfolioCollections,
    Strategy,
    TaskAssignment,
    match_assignment,
)

AS_OF = date(2026, 3, 1)
INT64_MAX = 2**63 - 1

# ------------------------------------------------------------------------------------------ assignment

ODD_NAMES = [
    "", " ", "Adams", "adams", "  Baker", "\u3000Élan", "\x1cSmith", "\xa0Østergaard", "ıvan", "ßmith", "ﬁsher",
    "Ａdams", "\u0301anders", "42nd Street LLC", "'Brien", "O'Brien", "ZZ Top", "z", "Ñúñez", "Дмитрий", "李",
]  # fmt: skip
# Random characters from the Basic Multilingual Plane: Python's and Polars' Unicode tables may differ on
# characters assigned in the newest versions (outside it), which no real name uses yet.
NAMES = st.sampled_from(ODD_NAMES) | st.text(
    alphabet=st.characters(max_codepoint=0xFFFF, exclude_categories=["Cs"]), max_size=6
)
LETTERS = st.sampled_from([*"ABCDEHIMPQZ", "a", "z", "AB", "1", "", "é"])
CENTS = st.integers(min_value=0, max_value=1_000_000) | st.sampled_from([0, 1, 2**62, INT64_MAX, -5])
CONDITIONS = st.sampled_from([None, "", "  ", "guarantor_state = 'TX'", "NOT deceased", "days_past_due > 30"])


@st.composite
def assignments(draw: st.DrawFn) -> TaskAssignment:
    """A task assignment table as the admin pages allow it, and some it would refuse (such rules never match)."""
    assignment_type = draw(st.sampled_from(AssignmentType))
    ends = LETTERS if assignment_type is AssignmentType.NAME_RANGE else CENTS
    rule = st.builds(
        AssignmentRule,
        from_=ends,
        to=ends,
        collector=st.sampled_from([None, "", "  ", "ann", "ben"]),
        group=st.sampled_from([None, "", " ", "desk"]),
        default_work=st.sampled_from([None, "", "  ", "Call 1", "Late Fee"]),
        missed_plan_only=st.booleans(),
        condition=CONDITIONS,
    )
    return TaskAssignment(assignment_type, "def", "Letters", tuple(draw(st.lists(rule, max_size=6))), "Claims")


ACCOUNT = st.fixed_dictionaries(
    {
        "guarantor_last_name": st.none() | NAMES,
        "balance": st.integers(min_value=-10_000, max_value=10_000_000) | st.sampled_from([0, 2**62, INT64_MAX]),
        "plan_late": st.booleans(),
        "guarantor_state": st.sampled_from([None, "TX", "OK"]),
        "deceased": st.sampled_from([None, True, False]),
        "days_past_due": st.integers(min_value=0, max_value=60),
    }
)
ASSIGNMENT_SCHEMA = {
    "account_id": pl.Int64, "portfolio": pl.Utf8, "guarantor_last_name": pl.Utf8, "balance": pl.Int64,
    "plan_late": pl.Boolean, "guarantor_state": pl.Utf8, "deceased": pl.Boolean, "days_past_due": pl.Int64,
}  # fmt: skip


EVERY_LETTER = TaskAssignment(
    AssignmentType.NAME_RANGE, "def", "Letters",
    (AssignmentRule("A", "M", collector="ann"), AssignmentRule("N", "Z", group="desk", condition="NOT deceased")),
)  # fmt: skip
ODD_ACCOUNTS = [
    {"guarantor_last_name": name, "balance": 0, "plan_late": False, "guarantor_state": None, "deceased": False,
     "days_past_due": 0}
    for name in ODD_NAMES
]  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(assignment=assignments(), accounts=st.lists(ACCOUNT, min_size=1, max_size=12))
@example(assignment=EVERY_LETTER, accounts=ODD_ACCOUNTS)
def test_vectorized_assignment_agrees_with_match_assignment(
    assignment: TaskAssignment, accounts: list[dict[str, Any]]
) -> None:
    strategy = Strategy(entry_policy=EntryPolicy(portfolios=(PortfolioCollections("P", assignment=assignment),)))
    rows = [{"account_id": n, "portfolio": "P", **account} for n, account in enumerate(accounts)]
    assigned = rules.assign(pl.DataFrame(rows, schema=ASSIGNMENT_SCHEMA), strategy)
    vectorized = list(zip(assigned["assignee"], assigned["work"], assigned["rule_index"], strict=True))
    one_by_one = [
        tuple(match_assignment(assignment, row["guarantor_last_name"] or "", row["balance"], row["plan_late"], row))
        for row in rows
    ]
    assert vectorized == one_by_one


def test_blank_default_work_gives_the_default_action_in_both() -> None:
    assignment = TaskAssignment(
        AssignmentType.NAME_RANGE, "def", "Letters", (AssignmentRule("A", "Z", collector="ann", default_work="  "),)
    )
    strategy = Strategy(entry_policy=EntryPolicy(portfolios=(PortfolioCollections("P", assignment=assignment),)))
    row = {"account_id": 1, "portfolio": "P", "guarantor_last_name": "Adams", "balance": 100, "plan_late": False,
           "guarantor_state": None, "deceased": None, "days_past_due": 0}  # fmt: skip
    assigned = rules.assign(pl.DataFrame([row], schema=ASSIGNMENT_SCHEMA), strategy)
    assert assigned.select("assignee", "work", "rule_index").row(0) == ("ann", "Letters", 0)
    assert match_assignment(assignment, "Adams", 100, False) == ("ann", "Letters", 0)


# ------------------------------------------------------------------------------------------- entry

CORE_SCHEMA = {
    "account_id": pl.Int64, "portfolio": pl.Utf8, "mode": pl.Utf8, "balance": pl.Int64,
    "oldest_unpaid_due_date": pl.Date, "on_payment_plan": pl.Boolean, "plan_next_unpaid_due": pl.Date,
    "plan_grace_days": pl.Int64, "insurance_balance": pl.Int64, "oldest_open_claim_billed": pl.Date,
    "g_status": pl.Utf8, "i_status": pl.Utf8, "deceased": pl.Boolean,
}  # fmt: skip


def days_before(days: int) -> date:
    return AS_OF - timedelta(days=days)


@st.composite
def core_rows(draw: st.DrawFn) -> dict[str, Any]:
    """One account as the features read gives it; plan installments due around the grace edge."""
    on_plan = draw(st.booleans())
    return {
        "portfolio": "P",
        "mode": draw(st.sampled_from(["active", "closed"])),
        "balance": draw(st.integers(min_value=-10_000, max_value=10**9) | st.sampled_from([0, 2**62, INT64_MAX])),
        "oldest_unpaid_due_date": draw(st.none() | st.integers(min_value=-5, max_value=200).map(days_before)),
        "on_payment_plan": on_plan,
        "plan_next_unpaid_due": draw(st.none() | st.integers(min_value=-5, max_value=40).map(days_before))
        if on_plan
        else None,
        "plan_grace_days": draw(st.integers(min_value=0, max_value=30)) if on_plan else None,
        "insurance_balance": 0,
        "oldest_open_claim_billed": None,
        "g_status": draw(st.sampled_from([None, "internal", "resolved"])),
        "i_status": None,
        "deceased": draw(st.sampled_from([None, True, False])),
    }


ENTRY_RULES = st.builds(
    EntryRules,
    balance_over_cents=st.integers(min_value=0, max_value=100_000),
    days_past_due_over=st.integers(min_value=0, max_value=120),
    min_payment_cents=st.integers(min_value=0, max_value=100_000) | st.just(10**12),
    min_payment_percent=st.integers(min_value=1, max_value=100),
    payment_window_days=st.integers(min_value=0, max_value=60),
    force_delinquent_plans=st.booleans(),
    delinquent_grace_days=st.integers(min_value=0, max_value=30),
    condition=st.sampled_from([None, "NOT deceased", "deceased IS NULL OR balance > 500"]),
)


@settings(max_examples=200, deadline=None)
@given(
    entry=ENTRY_RULES,
    accounts=st.lists(core_rows(), min_size=1, max_size=12),
    payment=st.integers(min_value=1, max_value=200_000),
    paid_days_ago=st.integers(min_value=0, max_value=70),
)
def test_vectorized_entry_agrees_with_the_domain(
    entry: EntryRules, accounts: list[dict[str, Any]], payment: int, paid_days_ago: int
) -> None:
    strategy = Strategy(entry_policy=EntryPolicy(entry, (PortfolioCollections("P"),)))
    rows = [{"account_id": n, **account} for n, account in enumerate(accounts)]
    payments = pl.DataFrame(
        {"account_id": [0], "posted": [days_before(paid_days_ago)], "amount": [payment]},
        schema={"account_id": pl.Int64, "posted": pl.Date, "amount": pl.Int64},
    )
    frame = rules.evaluate_entry(
        features.derive(pl.DataFrame(rows, schema=CORE_SCHEMA), AS_OF), strategy, payments, AS_OF
    )
    rules_condition = account_condition(entry.rules_condition)
    for row, out in zip(rows, frame.iter_rows(named=True), strict=True):
        assert out["required_payment"] == entry.required_payment_cents(row["balance"])
        due = row["plan_next_unpaid_due"]
        assert out["plan_late"] is (row["on_payment_plan"] and plan_delinquent(due, entry.delinquent_grace_days, AS_OF))
        own_grace = row["plan_grace_days"] or 0
        assert out["payment_plan_delinquent"] is (row["on_payment_plan"] and plan_delinquent(due, own_grace, AS_OF))
        in_window = row["account_id"] == 0 and paid_days_ago < entry.payment_window_days
        assert out["largest_payment"] == (payment if in_window else 0)
        holds = not entry.has_condition or evaluate(account_condition(str(entry.condition)), out)
        assert out["entry_condition"] is holds
        assert out["qualifies_by_rules"] is (evaluate(rules_condition, out) and holds)
        assert out["plan_missed"] is (entry.force_delinquent_plans and out["plan_late"] and holds)
