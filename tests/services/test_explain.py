"""Explaining an account on a past date: the case, its assignment and its pending work as they stood that day."""

from __future__ import annotations

from datetime import date

from sqlalchemy import update

from arrears.domain.ledger import Kind, Source
from arrears.domain.model import Account, Party
from arrears.domain.strategy import (
    Action,
    ActionKind,
    AssignmentRule,
    AssignmentType,
    CollectionType,
    Collector,
    EntryPolicy,
    EntryRules,
    PortfolioCollections,
    Strategy,
    TaskAssignment,
)
from arrears.services.accounts import Posting, create_portfolio, open_account, post_transaction
from arrears.services.explain import explain
from arrears.services.run import run_day
from arrears.services.worklist import complete_activity, worklist
from arrears.store.db import Database
from arrears.store.models import CollectionsCaseRow
from tests.notation import d

# Seed 003's balance ranges: $10.00–$500.00 to ann, $500.01–$5,000.00 to ben, each with the Call 1 chain.
STRATEGY = Strategy(
    collectors=(Collector("ann", "Ann"), Collector("ben", "Ben")),
    actions=(
        Action("Call 1", CollectionType.GUARANTOR, ActionKind.PHONE_CALL, next_action="Call 2", follow_up_days=7,
               all_portfolios=True),
        Action("Call 2", CollectionType.GUARANTOR, ActionKind.PHONE_CALL, all_portfolios=True),
    ),
    entry_policy=EntryPolicy(
        EntryRules(balance_over_cents=2500, days_past_due_over=45, min_payment_cents=2500, min_payment_percent=10,
                   payment_window_days=30),
        (PortfolioCollections("NORTH", assignment=TaskAssignment(
            assignment_type=AssignmentType.BALANCE_RANGE, default_collector="ben", default_action="Call 1",
            rules=(AssignmentRule(1000, 50000, collector="ann"), AssignmentRule(50001, 500000, collector="ben")))),),
    ),
)  # fmt: skip


def given_a_case_worked_referred_and_resolved(db: Database) -> None:
    """$100.00 due Jan 15 enters on Mar 2 (46 days) with ann; Call 1 is done on Mar 3; a $1,000.00 charge on
    Mar 5 lifts the balance into ben's range; Call 2 is released on Mar 9; the case is referred on Mar 20 and
    resolved by a payment in full on Mar 25."""
    create_portfolio(db, "NORTH", "North Clinic")
    open_account(db, Account("N-1", "NORTH", Party("Pat", "Adams")))
    post_transaction(db, "N-1", Posting(Kind.CHARGE, 10000, d("2026-01-01"), due=d("2026-01-15")))
    run_day(db, d("2026-03-02"), strategy=STRATEGY)
    call_1 = worklist(db, d("2026-03-02"))[0]
    complete_activity(db, call_1.id, "LEFTMSG", on=d("2026-03-03"))
    post_transaction(db, "N-1", Posting(Kind.CHARGE, 100000, d("2026-03-05"), due=d("2026-04-05")))
    run_day(db, d("2026-03-09"), strategy=STRATEGY)
    with db.transaction() as session:  # as an external-referral action records it
        session.execute(update(CollectionsCaseRow).values(status="pending_external", referred_on=d("2026-03-20")))
    post_transaction(db, "N-1", Posting(Kind.PAYMENT, 110000, d("2026-03-24"), source=Source.GUARANTOR))
    run_day(db, d("2026-03-25"), strategy=STRATEGY)


def test_explain_shows_the_case_and_pending_work_of_the_date_asked_not_today(db: Database) -> None:
    given_a_case_worked_referred_and_resolved(db)

    entry_day = explain(db, "N-1", d("2026-03-02"), STRATEGY)
    assert entry_day.verdict == "in collections (internal) since 2026-03-02"
    assert [(p["action"], p["due"], p["status"]) for p in entry_day.pending] == [
        ("Call 1", date(2026, 3, 2), "open"),
        ("Call 2", date(2026, 3, 9), "scheduled"),
    ]

    after_the_call = explain(db, "N-1", d("2026-03-05"), STRATEGY)
    assert [(p["action"], p["status"]) for p in after_the_call.pending] == [("Call 2", "scheduled")]

    before_referral = explain(db, "N-1", d("2026-03-19"), STRATEGY)
    assert before_referral.verdict == "in collections (internal) since 2026-03-02"
    assert [(p["action"], p["status"]) for p in before_referral.pending] == [("Call 2", "open")]
    assert [(c["status"], c["referred_on"], c["closed_on"]) for c in before_referral.cases] == [
        ("internal", None, None)
    ]

    referred = explain(db, "N-1", d("2026-03-20"), STRATEGY)
    assert referred.verdict == "in collections (pending_external) since 2026-03-02"

    resolved = explain(db, "N-1", d("2026-03-25"), STRATEGY)
    assert resolved.verdict == "does not qualify for guarantor collections" and resolved.pending == []
    assert [(c["status"], c["closed_on"]) for c in resolved.cases] == [("resolved", d("2026-03-25"))]

    before_entry = explain(db, "N-1", d("2026-03-01"), STRATEGY)
    assert before_entry.cases == [] and before_entry.pending == []
    assert [h["on"] for h in before_entry.history] == []


def test_explain_shows_the_assignment_the_case_has_with_balances_in_dollars(db: Database) -> None:
    given_a_case_worked_referred_and_resolved(db)
    # On Mar 10 the balance is $1,100.00 (ben's range today), but the case was assigned to ann at entry.
    assert explain(db, "N-1", d("2026-03-10"), STRATEGY).assignment == (
        "balance range: rule 1 ($10.00–$500.00) → ann, work 'Call 1'"
    )
