"""The run's writer has a writer for every effect type, and writing the same decisions twice changes nothing."""

from __future__ import annotations

import json
from typing import get_args

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

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
from arrears.domain.engine import Decisions
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
from arrears.store.run_writer import merge_data_text, write_chunk
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
