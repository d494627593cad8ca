"""The account page: the case, pending work and a timeline of everything that happened, newest first
(SQLite and PostgreSQL)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from arrears.domain.errors import NotFound
from arrears.services.account_page import account_page
from arrears.services.collector_work import note_add
from arrears.services.config import apply_document
from arrears.services.config_document import dump_strategy
from arrears.services.run import run_day
from arrears.services.worklist import complete_activity
from arrears.store.db import Database
from tests.notation import d
from tests.services.run_scenarios import STRATEGY, portfolios, world

SAVED = replace(STRATEGY, letters=tuple(replace(t, body="Dear {{ party.first_name }}") for t in STRATEGY.letters))
ACCOUNTS = """
evans Evans NORTH
    2025-11-01 charge 500.00 due 2025-11-15
    plan 50.00 monthly from 2026-03-01
"""


def test_the_page_shows_the_case_pending_work_and_the_timeline(db: Database) -> None:
    portfolios(db)
    world(db, ACCOUNTS)
    assert apply_document(db, dump_strategy(SAVED), actor="admin", confirm=True).errors == ()
    run_day(db, d("2026-02-20"), strategy=SAVED)
    page = account_page(db, "evans", d("2026-02-21"))
    call_1 = page.pending[0].id
    complete_activity(db, call_1, "PROMISE", "will pay on the 1st", on=d("2026-02-21"), actor="maria")
    note_add(db, "evans", "asked for an itemized bill", on=d("2026-02-22"), actor="maria")

    page = account_page(db, "evans", d("2026-02-22"))

    case = page.current_case
    assert case is not None and (case.status, case.entered_on, case.assignee, case.work) == (
        "internal", d("2026-02-20"), "BO", "Call 1",
    )  # fmt: skip
    assert page.statement_hold is False  # on a payment plan: statements go on (seed 003)
    assert [(a.action, a.due_date, a.status) for a in page.pending] == [("Call 2", d("2026-02-27"), "scheduled")]
    assert [(p["external_id"], p["installment_cents"], p["active"]) for p in page.plans] == [("evans-plan", 5000, True)]
    assert [(e.on.isoformat(), e.kind, e.text) for e in page.timeline] == [
        ("2026-02-22", "note", "asked for an itemized bill (maria)"),
        ("2026-02-21", "activity", f"Call 1 (phone_call) #{call_1}, BO done: PROMISE — will pay on the 1st"),
        ("2026-02-21", "note", "Call 1 (phone_call) completed: PROMISE — will pay on the 1st (maria)"),
        ("2026-02-20", "history", "entered: balance $500.00 > $25.00; 97 days past due > 45; largest guarantor "
         "payment in the last 30 days $0.00 < required $50.00; assigned to BO (rule 2), work 'Call 1'"),
        ("2026-02-20", "activity", f"Call 1 (phone_call) #{call_1}, BO created, due 2026-02-20: entered guarantor "
         "collections: action 'Call 1'"),
        ("2026-02-20", "activity", f"Call 2 (phone_call) #{call_1 + 1}, BO created, due 2026-02-27: next action of "
         "'Call 1', 7 follow-up days after 2026-02-20"),
    ]  # fmt: skip
    data = page.as_dict()
    assert (data["balance_cents"], data["cases"][0]["open"], data["pending"][0]["action"]) == (50000, True, "Call 2")
    with pytest.raises(NotFound):
        account_page(db, "nobody", d("2026-02-22"))
