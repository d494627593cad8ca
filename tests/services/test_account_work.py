"""Changing accounts by hand: update, close (seed 002), reopen, each audited with the user (SQLite and PostgreSQL)."""

from __future__ import annotations

import json

import pytest

from arrears.domain.errors import NotFound, ValidationFailed
from arrears.services.account_work import close_account, reopen_account, update_account
from arrears.services.run import run_day
from arrears.store.db import Database
from tests.notation import d
from tests.services.run_scenarios import STRATEGY, account_row, activities, cases, portfolios, table, world

EVANS = """
evans Evans NORTH state=OH
    2025-11-01 charge 500.00 due 2025-11-15
    plan 50.00 monthly from 2026-03-01
"""
"""Evans (E–H: collector BO, work Call 1) is 97 days past due on 2026-02-20 and enters collections."""


def audit(db: Database, key: str) -> list[tuple[str, str, dict[str, object], dict[str, object]]]:
    """(actor, action, before, after) of the audit rows of account ``key``, oldest first."""
    return [
        (row.actor, row.action, json.loads(row.before), json.loads(row.after))
        for row in table(db, "audit")
        if row.entity == "account" and row.entity_key == key
    ]


def test_update_changes_the_named_fields_and_audits_each_one(db: Database) -> None:
    portfolios(db)
    world(db, EVANS)
    changes = update_account(
        db, "evans", {"phone": "555-0199", "phone_type": "mobile", "bankruptcy": "yes", "city": "Akron",
                      "state": "OH"}, actor="maria",
    )  # fmt: skip
    assert [(c.field, c.before, c.after) for c in changes] == [
        ("city", "", "Akron"), ("phone", "", "555-0199"), ("phone_type", "", "mobile"), ("bankruptcy", False, True),
    ]  # fmt: skip
    assert audit(db, "evans") == [
        ("maria", "updated", {"city": ""}, {"city": "Akron"}),
        ("maria", "updated", {"phone": ""}, {"phone": "555-0199"}),
        ("maria", "updated", {"phone_type": ""}, {"phone_type": "mobile"}),
        ("maria", "updated", {"bankruptcy": False}, {"bankruptcy": True}),
    ]
    (party,) = table(db, "party")
    assert (party.city, party.bankruptcy) == ("Akron", True)
    assert [(p.number, p.type) for p in table(db, "phone")] == [("555-0199", "mobile")]
    # the same values again change nothing and write no audit row
    assert update_account(db, "evans", {"city": "Akron", "bankruptcy": "true"}, actor="maria") == []
    assert len(audit(db, "evans")) == 4


def test_update_clears_an_optional_field_with_an_empty_value(db: Database) -> None:
    portfolios(db)
    world(db, "dora Evans NORTH disputed=2026-02-01")
    (change,) = update_account(db, "dora", {"dispute_date": ""}, actor="maria")
    assert (change.field, change.before, change.after) == ("dispute_date", "2026-02-01", None)
    assert table(db, "party")[0].dispute_date is None


def test_update_refuses_bad_values_and_writes_nothing(db: Database) -> None:
    portfolios(db)
    world(db, EVANS)
    with pytest.raises(ValidationFailed) as refused:
        update_account(
            db, "evans", {"city": "Akron", "time_zone": "Mars/Base", "deceased": "perhaps", "last_name": ""},
            actor="maria",
        )  # fmt: skip
    assert [str(p) for p in refused.value.problems] == [
        "time_zone: must be an IANA time zone such as America/Chicago (got 'Mars/Base')",
        "deceased: must be true or false (got 'perhaps')",
        "last_name: is required and cannot be cleared",
    ]
    assert table(db, "party")[0].city == "" and audit(db, "evans") == []
    with pytest.raises(NotFound, match="no account 'nobody'"):
        update_account(db, "nobody", {"city": "Akron"}, actor="maria")


def test_closing_resolves_the_case_cancels_pending_work_and_ends_plans(db: Database) -> None:
    portfolios(db)
    world(db, EVANS)
    run_day(db, d("2026-02-20"), strategy=STRATEGY)
    assert cases(db) == {"evans": ("internal", "2026-02-20", "BO", "Call 1")}
    assert activities(db) == [
        "evans: 2026-02-20 Call 1 (phone_call) BO open",
        "evans: 2026-02-27 Call 2 (phone_call) BO scheduled",
    ]

    closing = close_account(db, "evans", d("2026-02-22"), "patient moved abroad", actor="maria")

    assert (closing.cases_resolved, closing.activities_cancelled, closing.plans_ended) == (1, 2, 1)
    assert cases(db) == {"evans": ("resolved", "2026-02-20", "BO", "Call 1")}
    cancelled = [
        "evans: 2026-02-20 Call 1 (phone_call) BO cancelled",
        "evans: 2026-02-27 Call 2 (phone_call) BO cancelled",
    ]
    assert activities(db) == cancelled
    case = table(db, "collections_case")[0]
    assert (case.closed_on, case.close_reason) == (
        d("2026-02-22"),
        "account closed on 2026-02-22: patient moved abroad",
    )
    assert [plan.active for plan in table(db, "payment_plan")] == [False]
    row = account_row(db, "evans")
    assert (row.mode, row.closed_date, row.statement_hold) == ("closed", d("2026-02-22"), False)
    assert [(h.event, h.detail) for h in table(db, "history")][-1] == (
        "closed",
        "account closed on 2026-02-22: patient moved abroad by maria",
    )
    assert audit(db, "evans") == [
        ("maria", "closed", {"mode": "active", "closed_date": None},
         {"mode": "closed", "closed_date": "2026-02-22", "reason": "patient moved abroad"}),
    ]  # fmt: skip
    # the next run finds nothing left to do for it
    run_day(db, d("2026-02-23"), strategy=STRATEGY)
    assert activities(db) == cancelled and cases(db)["evans"][0] == "resolved"


def test_closing_a_closed_account_and_reopening_an_open_one_are_refused(db: Database) -> None:
    portfolios(db)
    world(db, EVANS)
    with pytest.raises(ValidationFailed, match="the account is active, not closed: nothing to reopen"):
        reopen_account(db, "evans", d("2026-02-22"), actor="maria")
    close_account(db, "evans", d("2026-02-22"), "paid elsewhere", actor="maria")
    with pytest.raises(ValidationFailed, match=r"the account is already closed \(since 2026-02-22\)"):
        close_account(db, "evans", d("2026-02-23"), actor="maria")
    reopen_account(db, "evans", d("2026-02-24"), "payment bounced", actor="joe")
    row = account_row(db, "evans")
    assert (row.mode, row.closed_date) == ("active", None)
    assert audit(db, "evans")[-1] == (
        "joe", "reopened", {"mode": "closed", "closed_date": "2026-02-22"},
        {"mode": "active", "closed_date": None, "reason": "payment bounced"},
    )  # fmt: skip
    # reopened, it qualifies again: the next run opens a new episode
    run_day(db, d("2026-02-25"), strategy=STRATEGY)
    assert cases(db) == {"evans": ("internal", "2026-02-25", "BO", "Call 1")}
