"""The store's small repositories, on SQLite and PostgreSQL: what they read and write."""

from __future__ import annotations

import json

import polars as pl
from sqlalchemy import select

from arrears.domain.ledger import Kind
from arrears.domain.model import Account, Party
from arrears.services.accounts import Posting, create_portfolio, open_account, post_transaction
from arrears.store.activities import created_by_runs, open_work_due_by, worklist_candidates, worklist_lines
from arrears.store.audit import append_audit, recent_audit
from arrears.store.bulk import load_frame, load_tuples
from arrears.store.db import Database
from arrears.store.models import AccountRow, ActivityRow, AuditRow, PortfolioRow
from tests.notation import d


def test_worklist_rows_are_open_work_of_the_kinds_and_assignees_due_by_the_day(db: Database) -> None:
    create_portfolio(db, "NORTH", "North Clinic")
    open_account(db, Account("N-1", "NORTH", Party("Pat", "Adams")))
    post_transaction(db, "N-1", Posting(Kind.CHARGE, 10000, d("2026-01-01"), due=d("2026-01-15")))
    with db.transaction() as session:
        account_id = session.scalar(select(AccountRow.id))
        for key, kind, assignee, due, status in (
            ("call", "phone_call", "ann", "2026-03-02", "open"),
            ("later", "phone_call", "ann", "2026-03-09", "open"),
            ("ben's", "phone_call", "ben", "2026-03-02", "open"),
            ("letter", "letter", "ann", "2026-03-02", "open"),
            ("not released", "phone_call", "ann", "2026-03-02", "scheduled"),
        ):
            session.add(ActivityRow(key=key, account_id=account_id, track="guarantor", episode=1, kind=kind,
                                    action=key, origin="action", assignee=assignee, due_date=d(due), status=status,
                                    reason="test"))  # fmt: skip
    with db.engine.connect() as connection:
        candidates = worklist_candidates(connection, d("2026-03-02"), {"phone_call", "review"}, {"ann"})
        rows = worklist_lines(connection, [row.id for row in candidates])
    assert [(row.last_name, row.kind, row.due_date) for row in candidates] == [("Adams", "phone_call", d("2026-03-02"))]
    assert [(row.external_id, row.last_name, row.action) for row in rows] == [("N-1", "Adams", "call")]


def test_an_audit_entry_keeps_before_and_after_as_json(db: Database) -> None:
    with db.transaction() as session:
        append_audit(session, actor="ann", entity="activity", key="7", action="completed",
                     before={"status": "open"}, after={"status": "done", "outcome": "PROMISE"})  # fmt: skip
    with db.session() as session:
        entry = session.scalars(select(AuditRow)).one()
    assert (entry.actor, entry.entity, entry.entity_key, entry.action) == ("ann", "activity", "7", "completed")
    assert (json.loads(entry.before or ""), json.loads(entry.after or "")) == (
        {"status": "open"}, {"status": "done", "outcome": "PROMISE"}
    )


def test_recent_audit_is_newest_first_limited_and_of_one_entity_when_asked(db: Database) -> None:
    with db.transaction() as session:
        for key, entity in (("1", "activity"), ("ann", "collector"), ("2", "activity"), ("3", "activity")):
            append_audit(session, actor="ann", entity=entity, key=key, action="updated", before=None, after=None)
    with db.session() as session:
        assert [row.entity_key for row in recent_audit(session, None, 3)] == ["3", "2", "ann"]
        assert [row.entity_key for row in recent_audit(session, "activity", 50)] == ["3", "2", "1"]


def test_activity_counts_by_assignee_and_kind_for_runs_and_for_open_work(db: Database) -> None:
    create_portfolio(db, "NORTH", "North Clinic")
    open_account(db, Account("N-1", "NORTH", Party("Pat", "Adams")))
    with db.transaction() as session:
        account_id = session.scalar(select(AccountRow.id))
        for key, kind, assignee, due, status, run in (
            ("call", "phone_call", "ann", "2026-03-02", "open", 1),
            ("letter", "letter", "ann", "2026-03-02", "done", 1),
            ("review", "review", "ben", "2026-03-02", "open", 2),
            ("later call", "phone_call", "ann", "2026-03-09", "open", 2),
            ("old call", "phone_call", "ann", "2026-03-01", "done", None),
        ):
            session.add(ActivityRow(key=key, account_id=account_id, track="guarantor", episode=1, kind=kind,
                                    action=key, origin="action", assignee=assignee, due_date=d(due), status=status,
                                    reason="test", run_id=run))  # fmt: skip
    with db.engine.connect() as connection:
        by_run_1 = created_by_runs(connection, [1])
        by_both = created_by_runs(connection, [1, 2])
        open_calls = open_work_due_by(connection, d("2026-03-02"), {"phone_call", "review"})
    assert by_run_1 == {"ann": {"letter": 1, "phone_call": 1}}
    assert by_both == {"ann": {"letter": 1, "phone_call": 2}, "ben": {"review": 1}}
    assert open_calls == {"ann": {"phone_call": 1}, "ben": {"review": 1}}


def test_bulk_loads_keep_null_apart_from_empty_text(db: Database) -> None:
    names = ("code", "name", "parent_id", "address1")
    with db.engine.begin() as connection:
        load_tuples(connection, PortfolioRow.__table__, names, [("EAST", "East Clinic", None, "")])
        frame = pl.DataFrame({"code": ["WEST"], "name": ["West Clinic"], "parent_id": [None], "address1": [""]},
                             schema_overrides={"parent_id": pl.Int64})  # fmt: skip
        load_frame(connection, PortfolioRow.__table__, names, frame)
    with db.session() as session:
        rows = session.execute(
            select(PortfolioRow.code, PortfolioRow.parent_id, PortfolioRow.address1)
            .where(PortfolioRow.code.in_(["EAST", "WEST"]))
            .order_by(PortfolioRow.code)
        ).all()
    assert [tuple(row) for row in rows] == [("EAST", None, ""), ("WEST", None, "")]
