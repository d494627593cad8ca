"""Taking promises to pay: from a call's outcome, directly, refused with the rule; the account's promises and the
promise desk (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from arrears.domain.calendar import RepeatPeriod
from arrears.domain.errors import ValidationFailed
from arrears.domain.promises import Outcome, PortfolioPromises, PromiseChannel, PromiseSettings, Repeat
from arrears.services.account_work import close_account
from arrears.services.config import apply_document
from arrears.services.config_document import dump_strategy
from arrears.services.promises import PromiseRequest, add_promise, list_promises, promise_desk
from arrears.services.run import run_day
from arrears.services.worklist import complete_activity, worklist
from arrears.store.db import Database
from tests.notation import d
from tests.services.run_scenarios import STRATEGY, portfolios, table, world

ACCOUNTS = """
evans Evans NORTH
    2025-11-01 charge 500.00 due 2025-11-15
adams Adams SOUTH
    2026-01-20 charge 300.00 due 2026-02-10
"""
"""Evans enters on 2026-02-20 (E–H: BO, Call 1); Adams stays out of collections."""

PROMISES = PromiseSettings(grace_days=3, portfolios=(PortfolioPromises("SOUTH", grace_days=5),))
SAVED = replace(STRATEGY, promises=PROMISES,
                letters=tuple(replace(t, body="Dear {{ party.first_name }}") for t in STRATEGY.letters))  # fmt: skip
MONTHLY = Repeat(RepeatPeriod.MONTHLY)


@pytest.fixture
def office(db: Database) -> Database:
    portfolios(db)
    world(db, ACCOUNTS)
    assert apply_document(db, dump_strategy(SAVED), actor="admin", confirm=True).errors == ()
    run_day(db, d("2026-02-20"))
    return db


def history(db: Database, event: str = "promise") -> list[str]:
    return [row.detail for row in table(db, "history") if row.event == event]


def test_a_call_completed_with_a_promise_takes_it_for_the_calls_collector(office: Database) -> None:
    db = office
    (call,) = worklist(db, d("2026-02-20"))
    request = PromiseRequest(10_000, d("2026-03-15"), MONTHLY)
    complete_activity(db, call.id, "PROMISE", "will pay on the 15th", on=d("2026-02-20"), actor="maria",
                      today=d("2026-02-20"), promise=request)  # fmt: skip
    (promise,) = list_promises(db, "evans")
    assert (promise.amount_cents, promise.due, promise.repeat, promise.grace_days, promise.status) == (
        10_000, d("2026-03-15"), "monthly", 3, "open")  # fmt: skip
    assert (promise.collector, promise.channel, promise.source, promise.created_on) == (
        "BO", "phone", "call", d("2026-02-20"))  # fmt: skip
    assert history(db) == [f"promise {promise.id} taken by BO (phone): $100.00 monthly due 2026-03-15 "
                           "(grace 3 days): open"]  # fmt: skip
    (audit,) = [row for row in table(db, "audit") if row.entity == "promise"]
    assert (audit.actor, json.loads(audit.after)["amount_cents"]) == ("maria", 10_000)


def test_a_promise_with_an_outcome_that_is_no_promise_is_refused_and_nothing_is_written(office: Database) -> None:
    db = office
    (call,) = worklist(db, d("2026-02-20"))
    with pytest.raises(ValidationFailed) as refused:
        complete_activity(db, call.id, "NOANSWER", on=d("2026-02-20"), actor="maria", today=d("2026-02-20"),
                          promise=PromiseRequest(10_000, d("2026-02-19")))  # fmt: skip
    assert [str(p) for p in refused.value.problems] == [
        "outcome: is not a promise outcome: --amount and --due go with one (got 'NOANSWER')",
        "due: must not be before today (2026-02-20) (got '2026-02-19')",
    ]
    assert list_promises(db, "evans") == [] and [a.status for a in table(db, "activity")] == ["open", "scheduled"]


def test_a_promise_taken_directly_has_the_portfolios_grace_and_every_rule_is_checked(office: Database) -> None:
    db = office
    request = PromiseRequest(25_000, d("2026-03-01"), Repeat(days=14), None, True, channel=PromiseChannel.PORTAL)
    promise_id = add_promise(db, "adams", request, on=d("2026-02-21"), actor="maria", key="k1")
    (promise,) = list_promises(db, "adams")
    assert (promise.id, promise.repeat, promise.grace_days, promise.advance, promise.collector) == (
        promise_id, "14 days", 5, True, "maria")  # fmt: skip
    with pytest.raises(ValidationFailed) as same:
        add_promise(db, "adams", request, on=d("2026-02-21"), actor="maria", key="k1")
    assert [str(p) for p in same.value.problems] == ["promise: was already taken (the same request twice) (got 'k1')"]
    bad = PromiseRequest(0, d("2026-02-01"), None, 100, True, "nobody")
    with pytest.raises(ValidationFailed) as refused:
        add_promise(db, "adams", bad, on=d("2026-02-21"), actor="maria", key="k2")
    assert {p.location for p in refused.value.problems} == {"amount", "due", "grace", "advance", "collector"}
    assert len(list_promises(db, "adams")) == 1


def test_the_desk_lists_the_promises_due_today(office: Database) -> None:
    db = office
    add_promise(db, "evans", PromiseRequest(5_000, d("2026-03-02"), collector="BO"), on=d("2026-02-21"),
                actor="maria", key="e")  # fmt: skip
    add_promise(db, "adams", PromiseRequest(7_000, d("2026-03-02"), collector="AL"), on=d("2026-02-21"),
                actor="maria", key="a")  # fmt: skip
    desk = promise_desk(db, d("2026-03-02"))
    assert [(section, line.account, line.guarantor) for section, line in desk] == [
        ("due today", "adams", "Adams, Adams"), ("due today", "evans", "Evans, Evans")]  # fmt: skip
    assert [line.account for _, line in promise_desk(db, d("2026-03-02"), {"BO"})] == ["evans"]
    assert promise_desk(db, d("2026-03-01")) == []


def test_the_promises_section_round_trips_and_is_validated(office: Database) -> None:
    document = dump_strategy(replace(SAVED, promises=replace(PROMISES, plans=((Outcome.BROKEN, "NOPE"),))))
    result = apply_document(office, document, actor="admin", confirm=True)
    assert [f"{e.path}: {e.rule}" for e in result.errors] == [
        "promises.plans.broken: is not a contact plan (known: none configured)"]
    assert "promises:\n  grace_days: 3\n" in dump_strategy(SAVED)


def test_closing_the_account_cancels_the_promises_that_stand(office: Database) -> None:
    db = office
    add_promise(db, "evans", PromiseRequest(5_000, d("2026-03-02")), on=d("2026-02-21"), actor="maria", key="e")
    closing = close_account(db, "evans", d("2026-02-22"), "paid elsewhere", actor="maria")
    assert closing.promises_ended == 1
    (promise,) = list_promises(db, "evans")
    assert (promise.status, promise.ended_on) == ("cancelled", d("2026-02-22"))
    assert history(db, "promise_cancelled") == [
        f"promise {promise.id} cancelled: account closed on 2026-02-22: paid elsewhere"]  # fmt: skip
