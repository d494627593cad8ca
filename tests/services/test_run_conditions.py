"""Conditions in the daily run, scenario by scenario, on SQLite and PostgreSQL.

Given the strategy of :mod:`tests.services.run_scenarios` (enterprise rules: balance greater than $25.00,
more than 45 days past due, no guarantor payment of $25.00 or 10% in the last 30 days; delinquent plans
forced after 10 grace days; NORTH assigns A–D to AL with "Guarantor Letters", missed plans to PP with
"Plan Call"; SOUTH overrides the rules with $100.00 and 30 days and assigns $100.01–$500.00 to LO), an
entry policy or an assignment rule with a condition, and these accounts, on these dates, expect these cases.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from arrears.domain.conditions import account_condition, evaluate
from arrears.domain.fields import ACCOUNT_FIELDS
from arrears.domain.strategy import AssignmentRule, Strategy, validate_strategy
from arrears.services.account_work import close_account
from arrears.services.explain import explain
from arrears.services.features import features_frame
from arrears.services.run import run_day
from arrears.store.db import Database
from arrears.store.features import DETAIL_COLUMNS
from tests.notation import d
from tests.services.run_scenarios import (
    NORTH,
    PORTFOLIOS,
    SOUTH,
    STRATEGY,
    cases,
    pay,
    portfolios,
    run_record,
    with_portfolio,
    with_rules,
    world,
)


def valid(strategy: Strategy) -> Strategy:
    assert validate_strategy(strategy, PORTFOLIOS) == ()
    return strategy


def with_north_rules(*rules: AssignmentRule) -> Strategy:
    return with_portfolio(STRATEGY, replace(NORTH, assignment=replace(NORTH.assignment, rules=rules)))


# --------------------------------------------------------------------------------------- entry policy


def test_the_entry_policys_condition_keeps_bankrupt_and_deceased_guarantors_out(db: Database) -> None:
    strategy = valid(with_rules(condition="NOT bankruptcy AND NOT deceased"))
    portfolios(db)
    world(
        db,
        """
ann Adams NORTH bankruptcy
    2026-01-01 charge 100.00 due 2026-01-14
bob Baker NORTH deceased
    2026-01-01 charge 100.00 due 2026-01-14
cal Clark NORTH
    2026-01-01 charge 100.00 due 2026-01-14
dee Dunn NORTH bankruptcy     # a delinquent plan is forced in, but not past the condition
    2026-02-01 charge 100.00 due 2026-02-20
    plan 10.00 monthly from 2026-02-01
eve Evans NORTH               # the same plan without a flag: forced in
    2026-02-01 charge 100.00 due 2026-02-20
    plan 10.00 monthly from 2026-02-01
""",
    )
    run_day(db, d("2026-03-01"), strategy=strategy)
    assert cases(db) == {
        "cal": ("internal", "2026-03-01", "AL", "Guarantor Letters"),
        "eve": ("internal", "2026-03-01", "PP", "Plan Call"),
    }
    why = explain(db, "ann", d("2026-03-01"), strategy)
    assert why.verdict == "does not qualify for guarantor collections"
    assert (why.checks[0].holds, why.checks[1].holds) == (True, True)  # the rules alone would let ann in
    last = why.checks[-1]
    assert (last.rule, last.value, last.threshold, last.holds) == (
        "and the entry policy's condition holds", "does not hold", "NOT bankruptcy AND NOT deceased", False
    )  # fmt: skip


def test_a_portfolio_override_has_its_own_condition(db: Database) -> None:
    south = replace(SOUTH, rules=replace(SOUTH.rules, condition="guarantor_state <> 'TX'"))  # type: ignore[arg-type]
    strategy = valid(with_portfolio(STRATEGY, south))
    portfolios(db)
    world(
        db,
        """
s1 Adams SOUTH state=TX
    2026-01-01 charge 200.00 due 2026-01-01
s2 Adams SOUTH state=OK
    2026-01-01 charge 200.00 due 2026-01-01
s3 Adams SOUTH                # no state given: '' is not 'TX'
    2026-01-01 charge 200.00 due 2026-01-01
n1 Adams NORTH state=TX       # the enterprise rules have no condition
    2026-01-01 charge 200.00 due 2026-01-01
""",
    )
    run_day(db, d("2026-03-01"), strategy=strategy)
    assert cases(db) == {
        "s2": ("internal", "2026-03-01", "LO", "Collections Note"),
        "s3": ("internal", "2026-03-01", "LO", "Collections Note"),
        "n1": ("internal", "2026-03-01", "AL", "Guarantor Letters"),
    }


# ------------------------------------------------------------------------------------------ assignment


def test_an_assignment_rule_matches_only_where_its_condition_holds(db: Database) -> None:
    condition = "guarantor_state = 'TX' AND balance > 150"
    texas = AssignmentRule("A", "Z", collector="HI", default_work="Call 1", condition=condition)
    strategy = valid(with_north_rules(texas, *NORTH.assignment.rules))  # overlaps A–D: the condition narrows it
    portfolios(db)
    world(
        db,
        """
tx Adams NORTH state=TX
    2026-01-01 charge 200.00 due 2026-01-14
ok Adams NORTH state=OK
    2026-01-01 charge 200.00 due 2026-01-14
small Adams NORTH state=TX    # $100.00: the condition does not hold, the next rule does
    2026-01-01 charge 100.00 due 2026-01-14
""",
    )
    run_day(db, d("2026-03-01"), strategy=strategy)
    assert cases(db) == {
        "tx": ("internal", "2026-03-01", "HI", "Call 1"),
        "ok": ("internal", "2026-03-01", "AL", "Guarantor Letters"),
        "small": ("internal", "2026-03-01", "AL", "Guarantor Letters"),
    }
    assert explain(db, "tx", d("2026-03-01"), strategy).assignment == (
        "name range: rule 1 (A–Z, if guarantor_state = 'TX' AND balance > 150) → HI, work 'Call 1'"
    )


def test_an_assignment_rule_with_blank_default_work_starts_the_default_action(db: Database) -> None:
    blank = replace(NORTH.assignment.rules[0], default_work="  ")
    strategy = valid(with_north_rules(blank, *NORTH.assignment.rules[1:]))
    portfolios(db)
    world(db, "ann Adams NORTH\n    2026-01-01 charge 100.00 due 2026-01-14\n")
    result = run_day(db, d("2026-03-01"), strategy=strategy)
    assert result.errors == []
    assert cases(db) == {"ann": ("internal", "2026-03-01", "AL", "Letter 30")}
    assert run_record(db, d("2026-03-01"))[1]["errors"] == 0


# ------------------------------------------------------------------------------- the features frame

FIELD_WORLD = """
a1 Adams NORTH deceased attorney_represented do_not_call state=TX status=ACT
    2026-01-01 charge 200.00 due 2026-01-10
    2026-02-20 payment 15.00 guarantor
    claim 2025-12-01 80.00
b2 Élan SOUTH bankruptcy cease_communication disputed=2026-02-01 state=OK status=HOLD
    2026-02-01 charge 50.00 due 2026-02-15
    plan 10.00 monthly from 2026-02-20 grace 5
c3 Quinn NORTH state=TX status=ACT
    2025-11-01 charge 1000.00 due 2025-11-15
"""
"""Run on 2026-02-20 (c3 enters: DEF, Letter 30) and 2026-02-25 (a1 enters: AL); c3 then pays $300.00 on
2026-02-26 and is closed on 2026-02-27 (closing resolves its case at once). Every field as the run must see
it on 2026-03-01:"""

EXPECTED: dict[str, tuple[Any, Any, Any]] = {  # a1, b2, c3
    "balance": (18500, 5000, 70000),
    "days_past_due": (50, 14, 106),
    "oldest_unpaid_due_date": (date(2026, 1, 10), date(2026, 2, 15), date(2025, 11, 15)),
    "last_payment_date": (date(2026, 2, 20), None, date(2026, 2, 26)),
    "last_payment_amount": (1500, None, 30000),
    "days_since_last_payment": (9, None, 3),
    "largest_payment": (1500, 0, 30000),
    "required_payment": (2500, 5000, 7000),  # max($25, 10%); SOUTH max($50, 20%)
    "on_payment_plan": (False, True, False),
    "payment_plan_delinquent": (False, True, False),  # due 02-20, 9 days > the plan's 5 grace days
    "portfolio": ("NORTH", "SOUTH", "NORTH"),
    "status_code": ("ACT", "HOLD", "ACT"),
    "mode": ("active", "active", "closed"),
    "guarantor_last_name": ("Adams", "Élan", "Quinn"),
    "guarantor_state": ("TX", "OK", "TX"),
    "deceased": (True, False, False),
    "bankruptcy": (False, True, False),
    "attorney_represented": (True, False, False),
    "cease_communication": (False, True, False),
    "disputed": (False, True, False),
    "do_not_call": (True, False, False),
    "in_collections": (True, False, False),
    "days_in_collections": (4, None, None),
    "collector": ("AL", None, None),
    "insurance_balance": (8000, 0, 0),
    "oldest_claim_age_days": (90, None, None),
    "open_claim_count": (1, 0, 0),
}
CONDITIONS = {
    "balance": "balance > 100",
    "days_past_due": "days_past_due BETWEEN 40 AND 60",
    "oldest_unpaid_due_date": "oldest_unpaid_due_date < DATE '2026-01-01'",
    "last_payment_date": "last_payment_date >= DATE '2026-02-25'",
    "last_payment_amount": "last_payment_amount < $100",
    "days_since_last_payment": "days_since_last_payment > 5",
    "largest_payment": "largest_payment = $15",
    "required_payment": "required_payment > $25",
    "on_payment_plan": "on_payment_plan",
    "payment_plan_delinquent": "payment_plan_delinquent",
    "portfolio": "portfolio = 'SOUTH'",
    "status_code": "status_code = 'HOLD'",
    "mode": "mode = 'closed'",
    "guarantor_last_name": "guarantor_last_name LIKE 'É%'",
    "guarantor_state": "guarantor_state = 'TX'",
    "deceased": "deceased",
    "bankruptcy": "bankruptcy",
    "attorney_represented": "attorney_represented",
    "cease_communication": "cease_communication",
    "disputed": "disputed",
    "do_not_call": "do_not_call",
    "in_collections": "in_collections",
    "days_in_collections": "days_in_collections < 7",
    "collector": "collector = 'AL'",
    "insurance_balance": "insurance_balance > 0",
    "oldest_claim_age_days": "oldest_claim_age_days > 60",
    "open_claim_count": "open_claim_count = 1",
}


@pytest.fixture
def field_world(db: Database) -> tuple[Database, tuple[int, int]]:
    portfolios(db)
    ids = world(db, FIELD_WORLD)
    run_day(db, d("2026-02-20"), strategy=STRATEGY)
    run_day(db, d("2026-02-25"), strategy=STRATEGY)
    pay(db, "c3", "300.00", "2026-02-26", "c3-pay")
    close_account(db, "c3", d("2026-02-27"))
    assert list(ids) == ["a1", "b2", "c3"]
    return db, (min(ids.values()), max(ids.values()))


def with_condition(text: str) -> Strategy:
    """The strategy whose enterprise rules and SOUTH's own rules both carry ``text`` as their condition."""
    south = replace(SOUTH, rules=replace(SOUTH.rules, condition=text))  # type: ignore[arg-type]
    return valid(with_portfolio(with_rules(condition=text), south))


def test_every_field_of_the_catalogue_is_covered_here() -> None:
    assert set(EXPECTED) == set(CONDITIONS) == set(ACCOUNT_FIELDS)
    for name, values in EXPECTED.items():
        assert len({str(v) for v in values}) > 1, f"{name} is the same on every account: a condition could not tell"


def test_a_condition_on_each_field_sees_in_the_run_what_one_account_shows(
    field_world: tuple[Database, tuple[int, int]],
) -> None:
    db, (first, last) = field_world
    accounts = [{name: values[n] for name, values in EXPECTED.items()} for n in range(3)]
    for field, text in CONDITIONS.items():
        with db.engine.connect() as connection:
            frame = features_frame(
                connection, with_condition(text), d("2026-03-01"), first, last, None, details=False, assignment=False
            ).sort("account_id")
        assert frame.get_column(field).to_list() == list(EXPECTED[field]), field
        one_by_one = [evaluate(account_condition(text), account) for account in accounts]
        assert frame.get_column("entry_condition").to_list() == one_by_one, text
        assert len(set(one_by_one)) == 2, f"{text} holds for some accounts and not for others"
        # read only when a condition needs it: no other detail column than those of the field
        read = set(frame.columns) & (set(DETAIL_COLUMNS) - {"account_id"})
        assert read <= {field, "last_payment_date", "g_entered_on", "g_assignee"}, text
        assert len(read) == (field in DETAIL_FIELDS_READ), text


DETAIL_FIELDS_READ = {
    "last_payment_date", "last_payment_amount", "days_since_last_payment", "status_code", "guarantor_state",
    "deceased", "bankruptcy", "attorney_represented", "cease_communication", "disputed", "do_not_call",
    "days_in_collections", "collector", "open_claim_count",
}  # fmt: skip
"""The fields the run reads only when a condition needs them (14 of the catalogue)."""


def test_the_default_run_reads_only_the_core_columns(field_world: tuple[Database, tuple[int, int]]) -> None:
    db, (first, last) = field_world
    with db.engine.connect() as connection:
        frame = features_frame(
            connection, STRATEGY, d("2026-03-01"), first, last, None, details=False, assignment=False
        )
    assert set(frame.columns) & set(DETAIL_COLUMNS) == {"account_id"}
    assert set(ACCOUNT_FIELDS) - set(frame.columns) == DETAIL_FIELDS_READ
