"""A collector's worklist in Collect!'s order, completing work, and explaining an account."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from arrears.domain.errors import ValidationFailed
from arrears.domain.ledger import Kind
from arrears.domain.model import Account, Party
from arrears.domain.strategy import (
    Action,
    ActionKind,
    AssignmentRule,
    CollectionType,
    Collector,
    CollectorGroup,
    EntryPolicy,
    EntryRules,
    PortfolioCollections,
    Strategy,
    TaskAssignment,
)
from arrears.services.accounts import Posting, create_portfolio, open_account, post_transaction
from arrears.services.explain import explain
from arrears.services.run import run_day
from arrears.services.worklist import assignees_for, complete_activity, priority_band, worklist
from arrears.store.db import Database
from arrears.store.models import ActivityRow, AuditRow, NoteRow
from tests.notation import d

STRATEGY = Strategy(
    collectors=(Collector("ann", "Ann", groups=("desk",)), Collector("ben", "Ben")),
    groups=(CollectorGroup("desk", "Front desk"),),
    actions=(
        Action("Call 1", CollectionType.GUARANTOR, ActionKind.PHONE_CALL, next_action="Call 2", follow_up_days=7,
               all_portfolios=True),
        Action("Call 2", CollectionType.GUARANTOR, ActionKind.PHONE_CALL, all_portfolios=True),
    ),
    entry_policy=EntryPolicy(
        EntryRules(balance_over_cents=2500, days_past_due_over=45, min_payment_cents=2500, min_payment_percent=10,
                   payment_window_days=30),
        (PortfolioCollections("NORTH", assignment=TaskAssignment(
            default_collector="ben", default_action="Call 1",
            rules=(AssignmentRule("A", "D", collector="ann"),))),),
    ),
)  # fmt: skip


def given_accounts(db: Database, *names: str) -> None:
    create_portfolio(db, "NORTH", "North Clinic")
    for number, name in enumerate(names, start=1):
        open_account(db, Account(f"N-{number}", "NORTH", Party("Pat", name)))
        post_transaction(db, f"N-{number}", Posting(Kind.CHARGE, 10000, d("2026-01-01"), due=d("2026-01-15")))


def test_worklist_order_due_today_first_then_oldest_priority_name_type_timed_last(db: Database) -> None:
    given_accounts(db, "Baker", "Adams", "Cole")
    run_day(db, d("2026-03-02"), strategy=STRATEGY)  # Jan 15 + 46 days: every account enters with Call 1
    on = d("2026-03-10")
    with db.transaction() as session:
        calls = {a.account_id: a for a in session.scalars(select(ActivityRow).where(ActivityRow.action == "Call 1"))}
        baker, adams, cole = (calls[i] for i in sorted(calls))
        # Adams's call is due today, Baker's and Cole's are older; Cole's is more urgent; one is timed.
        adams.due_date = on
        cole.priority = 80
        session.add(
            ActivityRow(
                key="timed",
                account_id=baker.account_id,
                track="guarantor",
                episode=1,
                kind="review",
                action="Review",
                assignee="ann",
                origin="action",
                due_date=on,
                due_at=datetime(2026, 3, 10, 15, 26, tzinfo=UTC),
                priority=90,
                status="open",
                reason="timed review",
            )
        )
    items = worklist(db, on, assignees_for(STRATEGY, "ann", None))
    assert [(i.guarantor, i.due, i.priority, i.due_at and i.due_at.strftime("%H:%M")) for i in items] == [
        ("Adams, Pat", on, 50, None),
        ("Cole, Pat", d("2026-03-02"), 80, None),
        ("Baker, Pat", d("2026-03-02"), 50, None),
        ("Baker, Pat", on, 90, "15:26"),
    ]
    assert [i.guarantor for i in worklist(db, on, assignees_for(STRATEGY, "ben", None))] == []
    assert len(worklist(db, on, assignees_for(STRATEGY, None, "desk"))) == 4  # ann is in the desk group


def test_a_first_page_is_the_head_of_the_whole_list_ties_included(db: Database) -> None:
    # the database sorts by due moment, day and priority; names (Élan before Evans, as Python compares them) are
    # ordered here, so a page cut inside a tie of day and priority must still bring every tied call
    given_accounts(db, "Evans", "Élan", "adams", "Baker", "Cole", "Dunn", "Fox", "Grey")
    run_day(db, d("2026-03-02"), strategy=STRATEGY)
    on = d("2026-03-10")
    with db.transaction() as session:
        calls = sorted(session.scalars(select(ActivityRow).where(ActivityRow.action == "Call 1")),
                       key=lambda a: a.account_id)  # fmt: skip
        for number, call in enumerate(calls):
            call.due_date = on if number % 3 == 0 else d("2026-03-02")
            call.priority = 80 if number % 4 == 1 else 50
        calls[5].due_at = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
    everything = worklist(db, on)
    assert len(everything) == 8
    for size in range(1, 9):
        assert [i.id for i in worklist(db, on, limit=size)] == [i.id for i in everything[:size]]


def test_priority_bands_follow_the_seed() -> None:
    assert [priority_band(p) for p in (99, 66, 65, 34, 33, 1)] == ["high", "high", "medium", "medium", "low", "low"]


def test_completing_an_activity_records_outcome_note_and_audit(db: Database) -> None:
    given_accounts(db, "Adams")
    run_day(db, d("2026-03-02"), strategy=STRATEGY)
    item = worklist(db, d("2026-03-02"))[0]
    complete_activity(db, item.id, "LEFTMSG", "left a voicemail", on=d("2026-03-02"), actor="ann")
    assert worklist(db, d("2026-03-02")) == []
    with db.session() as session:
        done = session.get(ActivityRow, item.id)
        assert done is not None and (done.status, done.outcome, done.done_on) == ("done", "LEFTMSG", d("2026-03-02"))
        notes = session.scalars(select(NoteRow.text).where(NoteRow.author == "ann")).all()
        assert notes == ["Call 1 (phone_call) completed: LEFTMSG — left a voicemail"]
        audit = session.scalars(select(AuditRow).where(AuditRow.entity == "activity")).one()
        assert (audit.actor, audit.action, audit.entity_key) == ("ann", "completed", str(item.id))
    with pytest.raises(ValidationFailed, match="is done: only released calls and reviews"):
        complete_activity(db, item.id, "AGAIN", on=d("2026-03-03"))
    run_day(db, d("2026-03-09"), strategy=STRATEGY)  # Call 2 falls due 7 days after Call 1
    call_2 = worklist(db, d("2026-03-09"))[0]
    assert call_2.action == "Call 2"
    with pytest.raises(ValidationFailed, match="outcome: is required"):
        complete_activity(db, call_2.id, "", on=d("2026-03-09"))


def test_work_not_released_yet_cannot_be_completed(db: Database) -> None:
    """A call scheduled for a later day is not in any worklist yet: completing it is refused, and it stays
    scheduled, so the run still releases it (and its successors) on its day."""
    given_accounts(db, "Adams")
    run_day(db, d("2026-03-02"), strategy=STRATEGY)
    with db.session() as session:
        call_2 = session.scalars(select(ActivityRow).where(ActivityRow.action == "Call 2")).one()
    with pytest.raises(ValidationFailed, match="is scheduled for 2026-03-09 and not released yet"):
        complete_activity(db, call_2.id, "LEFTMSG", on=d("2026-03-02"))
    with db.session() as session:
        assert session.get(ActivityRow, call_2.id).status == "scheduled"  # type: ignore[union-attr]
    run_day(db, d("2026-03-09"), strategy=STRATEGY)
    assert [i.action for i in worklist(db, d("2026-03-09"))] == ["Call 2", "Call 1"]  # due today first


def test_explain_shows_each_rule_value_and_threshold(db: Database) -> None:
    given_accounts(db, "Adams")
    before = explain(db, "N-1", d("2026-03-01"), STRATEGY)  # exactly 45 days past due: not more than 45
    assert before.verdict == "does not qualify for guarantor collections"
    assert [(c.rule, c.value, c.threshold, c.holds) for c in before.checks[:2]] == [
        ("balance is greater than", "$100.00", "$25.00", True),
        ("days past due is more than", "45", "45", False),
    ]
    assert before.assignment == (
        "not in collections on 2026-03-01; the rules would give name range: rule 1 (A–D) → ann, work 'Call 1'"
    )
    run_day(db, d("2026-03-02"), strategy=STRATEGY)
    after = explain(db, "N-1", d("2026-03-02"), STRATEGY)
    assert after.verdict == "in collections (internal) since 2026-03-02"
    assert [(p["action"], p["due"], p["status"]) for p in after.pending] == [
        ("Call 1", date(2026, 3, 2), "open"),
        ("Call 2", date(2026, 3, 9), "scheduled"),
    ]
    assert after.pending[1]["reason"] == "next action of 'Call 1', 7 follow-up days after 2026-03-02"
    assert after.history[0]["event"] == "entered"
    assert after.history[0]["detail"] == (
        "balance $100.00 > $25.00; 46 days past due > 45; largest guarantor payment in the last 30 days $0.00 "
        "< required $25.00; assigned to ann (rule 1), work 'Call 1'"
    )


def test_a_completion_dated_before_the_release_or_after_today_is_refused(db: Database) -> None:
    """Call 1 of Adams is released on 2026-03-02: done on 1900-01-01 or tomorrow, it stays on the worklist."""
    given_accounts(db, "Adams")
    run_day(db, d("2026-03-02"), strategy=STRATEGY)
    item = worklist(db, d("2026-03-02"))[0]
    with pytest.raises(ValidationFailed) as refused:
        complete_activity(db, item.id, "LEFTMSG", on=d("1900-01-01"), today=d("2026-03-04"))
    assert [str(p) for p in refused.value.problems] == [
        "date: must not be before 2026-03-02 (the day the activity was released) (got '1900-01-01')"
    ]
    with pytest.raises(ValidationFailed) as refused:
        complete_activity(db, item.id, "LEFTMSG", on=d("2026-03-05"), today=d("2026-03-04"))
    assert [str(p) for p in refused.value.problems] == ["date: must not be after today (2026-03-04) (got '2026-03-05')"]
    assert [i.id for i in worklist(db, d("2026-03-04"))] == [item.id]
    complete_activity(db, item.id, "LEFTMSG", on=d("2026-03-04"), today=d("2026-03-04"))
    assert worklist(db, d("2026-03-04")) == []
