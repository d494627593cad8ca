"""A collector's hand work: notes, follow-ups, reassigning, placing and recalling (seed 003), each audited with
the user and refused when the state does not allow it (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, time

import pytest

from arrears.domain.errors import NotFound, ValidationFailed
from arrears.domain.strategy import ActionKind
from arrears.services.account_work import close_account
from arrears.services.collector_work import (
    FollowUp,
    accounts_reassign,
    activity_add,
    activity_reassign,
    collections_place,
    collections_recall,
    note_add,
)
from arrears.services.config import apply_document
from arrears.services.config_document import dump_strategy
from arrears.services.run import run_day
from arrears.services.worklist import complete_activity, worklist
from arrears.store.db import Database
from tests.notation import d
from tests.services.run_scenarios import STRATEGY, account_row, activities, cases, portfolios, table, world

ACCOUNTS = """
evans Evans NORTH
    2025-11-01 charge 500.00 due 2025-11-15
adams Adams NORTH
    2026-01-20 charge 300.00 due 2026-02-10
"""
"""On 2026-02-20 Evans is 97 days past due and enters by the rules (E–H: BO, Call 1); Adams is 10 days past
due, below the enterprise's 45, and does not."""


def audit_rows(db: Database, entity: str) -> list[tuple[str, str, str, object, object]]:
    return [
        (row.actor, row.action, row.entity_key, json.loads(row.before), json.loads(row.after))
        for row in table(db, "audit")
        if row.entity == entity
    ]


SAVED = replace(STRATEGY, letters=tuple(replace(t, body="Dear {{ party.first_name }}") for t in STRATEGY.letters))
"""The scenario strategy as the office saves it (its letters with merge fields a saved letter may use)."""


@pytest.fixture
def office(db: Database) -> Database:
    portfolios(db)
    world(db, ACCOUNTS)
    assert apply_document(db, dump_strategy(SAVED), actor="admin", confirm=True).errors == ()
    run_day(db, d("2026-02-20"), strategy=STRATEGY)
    return db


def test_place_an_account_the_rules_did_not_take_by_hand(office: Database) -> None:
    db = office
    assert set(cases(db)) == {"evans"}
    placed = collections_place(db, "adams", "guarantor asked for a call", on=d("2026-02-21"), actor="maria")
    # A–D: collector AL with the Guarantor Letters series; NORTH's statements are suspended (no payment plan)
    assert (placed.episode, placed.assignee, placed.work, placed.first_action, placed.statement_hold) == (
        1, "AL", "Guarantor Letters", "Letter 30", True,
    )  # fmt: skip
    assert cases(db)["adams"] == ("internal", "2026-02-21", "AL", "Guarantor Letters")
    assert "adams: 2026-02-21 Letter 30 (letter) AL scheduled" in activities(db)
    assert account_row(db, "adams").statement_hold is True
    assert audit_rows(db, "case") == [
        ("maria", "placed", "adams/guarantor/1", None,
         {"assignee": "AL", "work": "Guarantor Letters", "reason": "guarantor asked for a call",
          "statement_hold": True}),
    ]  # fmt: skip
    # the next run performs the first step and schedules the second, as for an account the rules placed
    run_day(db, d("2026-02-21"), strategy=STRATEGY)
    assert [a for a in activities(db) if a.startswith("adams")] == [
        "adams: 2026-02-21 Letter 30 (letter) AL done", "adams: 2026-03-23 Letter 60 (letter) AL scheduled",
    ]
    with pytest.raises(ValidationFailed, match=r"is already in guarantor collections \(internal since 2026-02-21, "
                       r"collector AL\)"):  # fmt: skip
        collections_place(db, "adams", "again", on=d("2026-02-22"), actor="maria")


def test_place_with_chosen_work_and_collector_and_its_refusals(office: Database) -> None:
    db = office
    with pytest.raises(ValidationFailed) as refused:
        collections_place(db, "adams", "", on=d("2026-02-21"), actor="maria", work="Nope", collector="ZED")
    assert [str(p) for p in refused.value.problems] == [
        "reason: is required: say why the account is placed",
        "collector: is not a collector or group (known: AL, BO, DEF, PP, LO, HI) (got 'ZED')",
        "work: is not a configured action or series (got 'Nope')",
    ]
    placed = collections_place(db, "adams", "manager's choice", on=d("2026-02-21"), actor="maria", work="Call 1",
                               collector="HI")  # fmt: skip
    assert (placed.assignee, placed.work, placed.first_action) == ("HI", "Call 1", "Call 1")
    close_account(db, "evans", d("2026-02-22"), "moved", actor="maria")
    with pytest.raises(ValidationFailed, match="is closed: reopen it first"):
        collections_place(db, "evans", "try", on=d("2026-02-23"), actor="maria")


def test_recall_resolves_the_case_and_cancels_its_work(office: Database) -> None:
    db = office
    kept = activity_add(db, "evans", FollowUp(ActionKind.REVIEW, d("2026-03-02"), no_auto_delete=True),
                        on=d("2026-02-21"), actor="maria")  # fmt: skip
    cancelled = collections_recall(db, "evans", "sent to the wrong office", on=d("2026-02-21"), actor="maria")
    assert cancelled == 2  # Call 1 and Call 2; the follow-up marked do-not-autodelete stays
    case = table(db, "collections_case")[0]
    assert (case.status, case.closed_on, case.close_reason) == (
        "resolved", d("2026-02-21"), "recalled on 2026-02-21 by maria: sent to the wrong office",
    )  # fmt: skip
    assert [(a.id, a.status) for a in table(db, "activity") if a.id == kept] == [(kept, "open")]
    assert ("recalled", "recalled on 2026-02-21 by maria: sent to the wrong office") in [
        (h.event, h.detail) for h in table(db, "history")
    ]
    assert audit_rows(db, "case")[-1] == (
        "maria", "recalled", "evans/guarantor/1", {"status": "internal"},
        {"status": "resolved", "reason": "sent to the wrong office", "cancelled": 2},
    )  # fmt: skip
    with pytest.raises(ValidationFailed, match="is not in guarantor collections: nothing to recall"):
        collections_recall(db, "evans", "again", on=d("2026-02-22"), actor="maria")
    with pytest.raises(ValidationFailed, match="is not in guarantor collections: nothing to recall"):
        collections_recall(db, "adams", "never placed", on=d("2026-02-22"), actor="maria")


def test_a_follow_up_shows_in_the_collectors_worklist_from_its_day(office: Database) -> None:
    db = office
    follow = FollowUp(ActionKind.PHONE_CALL, d("2026-02-23"), at=time(10, 30), priority=80, collector="DEF")
    activity_id = activity_add(db, "evans", follow, on=d("2026-02-21"), actor="maria")
    assert [i.id for i in worklist(db, d("2026-02-22"), {"DEF"})] == []
    (item,) = worklist(db, d("2026-02-23"), {"DEF"})
    assert item.due_at is not None
    moment = item.due_at if item.due_at.tzinfo else item.due_at.replace(tzinfo=UTC)  # SQLite keeps UTC, naive
    assert (item.id, item.action, item.kind, item.priority, moment) == (
        activity_id, "Follow-up", "phone_call", 80, datetime(2026, 2, 23, 15, 30, tzinfo=UTC),  # 10:30 in New York
    )  # fmt: skip
    assert audit_rows(db, "activity")[-1][:3] == ("maria", "added", str(activity_id))
    # a run neither performs nor errs on it
    result = run_day(db, d("2026-02-23"), strategy=STRATEGY)
    assert list(result.errors) == []
    assert worklist(db, d("2026-02-23"), {"DEF"})[0].id == activity_id


def test_follow_up_refusals(office: Database) -> None:
    db = office
    with pytest.raises(ValidationFailed) as refused:
        activity_add(db, "adams", FollowUp(ActionKind.LETTER, d("2026-02-20"), priority=0, collector="ZED"),
                     on=d("2026-02-21"), actor="maria")  # fmt: skip
    assert [str(p) for p in refused.value.problems] == [
        "kind: must be review or phone_call (got 'letter')",
        "priority: must be 1 to 99 (66–99 high, 34–65 medium, 1–33 low) (got '0')",
        "due: is before today (2026-02-21) (got '2026-02-20')",
        "account: is not in guarantor collections: place it first (arrears collections place) (got 'adams')",
        "collector: is not a collector or group (known: AL, BO, DEF, PP, LO, HI) (got 'ZED')",
    ]
    with pytest.raises(NotFound):
        activity_add(db, "nobody", FollowUp(ActionKind.REVIEW, d("2026-02-21")), on=d("2026-02-21"), actor="maria")


def test_reassign_an_activity_and_a_whole_account(office: Database) -> None:
    db = office
    call_1, call_2 = (a.id for a in table(db, "activity"))
    assert activity_reassign(db, call_1, "LO", actor="maria") == "BO"
    assert accounts_reassign(db, "evans", "HI", on=d("2026-02-21"), actor="joe") == 2
    assert cases(db)["evans"][2] == "HI"
    assert {a.assignee for a in table(db, "activity")} == {"HI"}
    assert audit_rows(db, "activity") == [("maria", "reassigned", str(call_1), {"assignee": "BO"}, {"assignee": "LO"})]
    assert audit_rows(db, "case") == [
        ("joe", "reassigned", "evans/guarantor/1", {"assignee": "BO"}, {"assignee": "HI"}),
    ]
    # completing work cancelled by a recall, or reassigning it, is refused
    collections_recall(db, "evans", "paid at the desk", on=d("2026-02-21"), actor="maria")
    with pytest.raises(ValidationFailed, match="is cancelled: only pending work can be reassigned"):
        activity_reassign(db, call_2, "LO", actor="maria")
    with pytest.raises(ValidationFailed, match="is cancelled: only released calls and reviews"):
        complete_activity(db, call_1, "PTP", on=d("2026-02-21"), actor="maria")
    with pytest.raises(ValidationFailed, match="is not in collections: there is no case to reassign"):
        accounts_reassign(db, "adams", "HI", on=d("2026-02-21"), actor="joe")


def test_note_add(office: Database) -> None:
    db = office
    note_id = note_add(db, "evans", "  called the clinic, left word  ", on=d("2026-02-21"), actor="maria")
    (note,) = [n for n in table(db, "note") if n.id == note_id]
    assert (note.text, note.author, note.scope, note.on) == ("called the clinic, left word", "maria", "account",
                                                             d("2026-02-21"))  # fmt: skip
    assert audit_rows(db, "note")[0][:3] == ("maria", "added", str(note_id))
    with pytest.raises(ValidationFailed, match="text: is required"):
        note_add(db, "evans", "   ", on=d("2026-02-21"), actor="maria")


def test_a_review_is_completed_with_an_outcome_code_not_free_text(office: Database) -> None:
    db = office
    review = activity_add(db, "evans", FollowUp(ActionKind.REVIEW, d("2026-02-21")), on=d("2026-02-21"),
                          actor="maria")  # fmt: skip
    with pytest.raises(ValidationFailed, match=r"outcome: is not an outcome code \(known: CONNECTED"):
        complete_activity(db, review, "looked at it, fine", on=d("2026-02-21"), actor="maria")
    assert complete_activity(db, review, "OTHER", "insurance to rebill", on=d("2026-02-21"), actor="maria") is None
    (done,) = [a for a in table(db, "activity") if a.id == review]
    assert (done.status, done.outcome, done.note) == ("done", "OTHER", "insurance to rebill")
    assert table(db, "call_attempt") == []  # a review is no call: nothing counts towards the call rules
