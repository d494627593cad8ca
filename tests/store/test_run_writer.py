"""The run's writer has a writer for every effect type, and writing the same decisions twice changes nothing."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from typing import Any, get_args

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, func, select

from arrears.domain.cases import ActionOrigin, ActivityEvent, ActivityStatus, Track
from arrears.domain.effects import (
    Alert,
    Channel,
    CommissionRate,
    CreditPoints,
    CreditReport,
    Effect,
    Message,
    ModeChange,
    Note,
    OperatorAssignment,
    PlanRun,
    Posting,
    PostingKind,
    PromiseMade,
    PromiseUpdate,
    Referral,
    ServiceRequest,
    StatementHold,
    StatusChange,
)
from arrears.domain.engine import Activity, ActivityChange, Decisions, Reschedule
from arrears.domain.strategy import ActionKind
from arrears.store import tables
from arrears.store.bulk import insert_ignore
from arrears.store.db import Database
from arrears.store.models import (
    AccountRow,
    AlertRow,
    CreditPointRow,
    CreditReportRow,
    HistoryRow,
    LedgerLineRow,
    LetterRow,
    NoteRow,
    PlanRequestRow,
    PromisePaymentRow,
    PromiseRow,
    ReferralRow,
    RunRow,
    ServiceRequestRow,
)
from arrears.store.run_writer import (
    _activity_row,
    _activity_updates,
    _write_activity_updates,
    merge_data_text,
    write_chunk,
    write_decisions,
)
from tests.notation import d
from tests.services.run_scenarios import portfolios, world

K = "1/guarantor/1/action:X/2026-03-01"
ONE_OF_EACH: dict[type, Effect] = {
    Message: Message(K, Channel.LETTER, "L30"),
    Note: Note(K, "a note", to_account=True),
    Posting: Posting(K, PostingKind.FEE, 1500, "Collection fee"),
    StatusChange: StatusChange(K, "COLL"),
    ModeChange: ModeChange(K, "closed"),
    Referral: Referral(K, "Acme Agency"),
    Alert: Alert(K, "call the guarantor's attorney"),
    ServiceRequest: ServiceRequest(K, "shut-off review", "AL"),
    CreditPoints: CreditPoints(K, 50),
    CreditReport: CreditReport(K, 10_000),
    PlanRun: PlanRun(K, "NEW"),
    StatementHold: StatementHold(K, True),
    OperatorAssignment: OperatorAssignment(K, "cho"),
    CommissionRate: CommissionRate(K, 1250),
    PromiseMade: PromiseMade(K, 10_000, d("2026-03-15"), "monthly", 3, False, "AL"),
    # the promise just made (id 1), partially kept by ledger line 1
    PromiseUpdate: PromiseUpdate(f"promise:1:{K}", 1, "partial", 0, 6_000, d("2026-03-15"), False, ("open", 0, 0),
                                 ((1, 6_000, 0),)),
}


def _counts(db: Database, account_id: int) -> dict[str, object]:
    with db.engine.connect() as connection:
        def count(row: type) -> int:
            return int(connection.scalar(select(func.count()).select_from(row)) or 0)

        account = connection.execute(select(AccountRow).where(AccountRow.id == account_id)).one()
        return {
            "letters": count(LetterRow), "notes": count(NoteRow), "ledger": count(LedgerLineRow),
            "referrals": count(ReferralRow), "alerts": count(AlertRow), "requests": count(ServiceRequestRow),
            "points": connection.scalar(select(func.sum(CreditPointRow.points))), "plans": count(PlanRequestRow),
            "reports": connection.scalar(select(func.sum(CreditReportRow.balance_cents))),
            "status": account.status_code, "mode": account.mode, "hold": account.statement_hold,
            "commission": account.commission_basis_points, "history": count(HistoryRow),
            "promises": [tuple(p) for p in connection.execute(
                select(PromiseRow.key, PromiseRow.status, PromiseRow.paid_cents, PromiseRow.repeat_period))],
            "counted": count(PromisePaymentRow),
        }  # fmt: skip


def test_every_effect_type_has_a_writer_and_rewriting_changes_nothing(db: Database) -> None:
    assert set(ONE_OF_EACH) == set(get_args(Effect)), "add the new effect type here and to the writer"
    portfolios(db, "NORTH")
    ids = world(db, "ann Adams NORTH\n    2026-01-01 charge 100.00 due 2026-01-14")
    account = ids["ann"]
    decision = Decisions(account, effects=list(ONE_OF_EACH.values()))
    with db.engine.begin() as connection:
        run_id = connection.execute(
            RunRow.__table__.insert().values(scope="ALL", as_of=d("2026-03-01"), status="running",
                                             started_at=func.now(), attempts=1, counts="{}", errors="[]")
        ).inserted_primary_key[0]  # fmt: skip
        write_chunk(connection, run_id, d("2026-03-01"), [decision], {}, (account, account), [])
    expected = {"letters": 1, "notes": 2, "ledger": 2, "referrals": 1, "alerts": 1, "requests": 1, "points": 50,
                "plans": 1, "reports": 10_000, "status": "COLL", "mode": "closed", "hold": True,
                "commission": 1250, "history": 4, "promises": [(K, "partial", 6_000, "monthly")],
                "counted": 1}  # fmt: skip
    assert _counts(db, account) == expected
    with db.engine.begin() as connection:
        write_chunk(connection, run_id, d("2026-03-01"), [decision], {}, (account, account), [])
    assert _counts(db, account) == expected


_JSON_READY = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5),
    max_leaves=30,
)


@given(st.dictionaries(st.text(max_size=12), _JSON_READY, max_size=8))
def test_a_merge_record_reads_back_as_the_standard_library_would_have_stored_it(record: dict[str, object]) -> None:
    text = merge_data_text(record)
    assert json.loads(text) == json.loads(json.dumps(record, default=str, sort_keys=True)) == record
    assert list(json.loads(text)) == sorted(record)  # keys sorted, as before


# ------------------------------------------------------------------ activities created and moved in one chunk

ON = d("2026-03-02")
KEYS = [f"1/guarantor/1/action:Call/2026-03-0{n}" for n in range(1, 5)]
RUN_EVENTS = [ActivityEvent.PERFORM, ActivityEvent.OPEN, ActivityEvent.COMPLETE, ActivityEvent.HOLD,
              ActivityEvent.CANCEL]  # fmt: skip
"""The events a run's decisions carry (reviving and repeating are a collector's, outside the run)."""
_CHANGE = st.builds(
    ActivityChange, st.sampled_from(KEYS), st.sampled_from(RUN_EVENTS), st.sampled_from(list(ActivityStatus)),
    st.sampled_from([ON, d("2026-03-03")]), st.sampled_from(["", "cease_communication: asked in writing"]),
)  # fmt: skip
_RESCHEDULE = st.builds(
    Reschedule, st.sampled_from(KEYS), st.sampled_from([d("2026-03-04"), d("2026-03-09")]),
    st.sampled_from([None, datetime(2026, 3, 4, 14, tzinfo=UTC)]), st.just("call hours: after 8:00"),
    st.booleans(), st.booleans(),
)  # fmt: skip


def _activity(key: str, status: ActivityStatus) -> Activity:
    return Activity(key, Track.GUARANTOR, 1, ActionKind.PHONE_CALL, "Call", ActionOrigin("Call"), "cho", ON,
                    "entered collections", status)  # fmt: skip


def _activities(connection: Connection) -> list[tuple[Any, ...]]:
    a = tables.activity.c
    return [tuple(row) for row in connection.execute(
        select(a.key, a.status, a.due_date, a.due_at, a.released_on, a.done_on, a.cancelled_on, a.hold_reason)
        .order_by(a.id)
    )]  # fmt: skip


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    stored=st.dictionaries(st.sampled_from(KEYS), st.sampled_from(list(ActivityStatus)), max_size=2),
    created=st.lists(st.tuples(st.sampled_from(KEYS), st.sampled_from(list(ActivityStatus))), max_size=4),
    changes=st.lists(_CHANGE, max_size=6),
    rescheduled=st.lists(_RESCHEDULE, max_size=3),
)
def test_activities_created_and_moved_in_one_chunk_are_written_as_the_statements_would_leave_them(
    db: Database, stored: dict[str, ActivityStatus], created: list[tuple[str, ActivityStatus]],
    changes: list[ActivityChange], rescheduled: list[Reschedule],
) -> None:
    """An activity created and released (or held, deferred, cancelled …) the same day is inserted in its final
    state instead of inserted and then updated: the table ends as the insert and the updates, statement after
    statement, would leave it — a key already stored, or created twice, included."""
    account = _one_account(db)
    decision = Decisions(
        account, created=[_activity(key, status) for key, status in created], changes=changes,
        rescheduled=rescheduled,
    )  # fmt: skip
    before = [_activity_row(account, _activity(key, status), ON, None) for key, status in stored.items()]
    tables_after = []
    for write in ("folded", "statement by statement"):
        with db.engine.connect() as connection, connection.begin() as transaction:
            insert_ignore(connection, tables.activity, before, ["key"])
            if write == "folded":
                write_decisions(connection, None, ON, [decision], {})
            else:
                rows = [_activity_row(account, activity, ON, None) for activity in decision.created]
                insert_ignore(connection, tables.activity, rows, ["key"])
                _write_activity_updates(connection, _activity_updates([decision], Counter()))
            tables_after.append(_activities(connection))
            transaction.rollback()
    assert tables_after[0] == tables_after[1]


def _one_account(db: Database) -> int:
    """The account the examples write to (opened by the first)."""
    with db.engine.connect() as connection:
        existing = connection.scalar(select(func.min(AccountRow.id)))
    if existing is not None:
        return int(existing)
    portfolios(db, "NORTH")
    return world(db, "ann Adams NORTH\n    2026-01-01 charge 100.00 due 2026-01-14")["ann"]
