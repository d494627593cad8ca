"""The daily run judges promises to pay with the issue's numbers: $100 monthly due 2027-03-15, grace 3
(SQLite and PostgreSQL).

Evans (NORTH, E–H: BO with Call 1) and Adams (A–D: AL with the Guarantor Letters series) owe $1,000.00 due
2027-01-01 and enter collections on the run of 2027-03-01, 59 days past due; each promises $100.00 a month from
2027-03-15 that day. A broken promise runs plan BROKEN: a call for the account's collector the next day.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from arrears.domain.calendar import RepeatPeriod
from arrears.domain.ledger import Kind, Source
from arrears.domain.plans import EventType, Plan, PlanEvent, Timing
from arrears.domain.promises import Outcome, PromiseSettings, Repeat
from arrears.services.account_page import account_page
from arrears.services.account_work import close_account, reopen_account
from arrears.services.accounts import Posting, post_transaction, reverse_payment
from arrears.services.config import apply_document
from arrears.services.config_document import dump_strategy
from arrears.services.explain import explain
from arrears.services.import_columns import ImportKind
from arrears.services.importing import import_file
from arrears.services.plans import run_plan
from arrears.services.promises import PromiseRequest, add_promise, list_promises, promise_desk, promise_report
from arrears.services.run import run_day
from arrears.services.stored_strategy import load_strategy
from arrears.store.db import Database
from tests.notation import d
from tests.services.run_scenarios import STRATEGY, contents, portfolios, table, world

ACCOUNTS = """
evans Evans NORTH
    2026-12-01 charge 1000.00 due 2027-01-01
adams Adams NORTH
    2026-12-01 charge 1000.00 due 2027-01-01
"""
CALL = PlanEvent(1, EventType.PHONE_CALL, "Broken promise call", timing=Timing.DELAY_DAYS, days=1, priority=80)
BROKEN = Plan("BROKEN", "A broken promise: a call tomorrow", sub_plan=True, events=(CALL,))
SAVED = replace(
    STRATEGY, plans=(BROKEN,), promises=PromiseSettings(grace_days=3, plans=((Outcome.BROKEN, "BROKEN"),)),
    letters=tuple(replace(t, body="Dear {{ party.first_name }}") for t in STRATEGY.letters),
)
MONTHLY = Repeat(RepeatPeriod.MONTHLY)


def office(db: Database, *, advance: bool = False, who: tuple[str, ...] = ("evans",)) -> Database:
    portfolios(db)
    world(db, ACCOUNTS)
    assert apply_document(db, dump_strategy(SAVED), actor="admin", confirm=True).errors == ()
    run_day(db, d("2027-03-01"))
    for account in who:
        request = PromiseRequest(10_000, d("2027-03-15"), MONTHLY, None, advance)
        add_promise(db, account, request, on=d("2027-03-01"), actor="maria", key=f"promise-{account}")
    return db


def pay(db: Database, amount: int, on: str, account: str = "evans") -> int:
    return post_transaction(db, account, Posting(Kind.PAYMENT, amount, d(on), source=Source.GUARANTOR,
                                                 external_id=f"{account}-pay-{on}-{amount}"))  # fmt: skip


def promise(db: Database, account: str = "evans") -> tuple[Any, ...]:
    (found,) = list_promises(db, account)
    return found.status, str(found.due), found.paid_cents, found.shortfall_cents


def said(db: Database, prefix: str = "promise_") -> list[str]:
    return [f"{row.on} {row.event}: {row.detail}" for row in table(db, "history") if row.event.startswith(prefix)]


def test_100_on_the_last_day_of_grace_keeps_it_and_the_next_installment_is_due_04_15(db: Database) -> None:
    office(db)
    pay(db, 10_000, "2027-03-18")
    run_day(db, d("2027-03-18"))
    assert promise(db) == ("open", "2027-04-15", 0, 10_000)
    run_day(db, d("2027-03-19"))
    assert promise(db) == ("open", "2027-04-15", 0, 10_000)
    (promise_id,) = [line.id for line in list_promises(db, "evans")]
    assert said(db, "promise_kept") == [
        f"2027-03-18 promise_kept: promise {promise_id}: kept: $100.00 paid on 2027-03-18 for $100.00 due 2027-03-15; "
        "next due 2027-04-15 (one period forward)"]  # fmt: skip


def test_paid_on_03_19_it_is_broken_on_the_run_of_03_19_and_the_broken_plan_calls_the_next_day(db: Database) -> None:
    office(db)
    run_day(db, d("2027-03-18"))
    pay(db, 10_000, "2027-03-19")
    run_day(db, d("2027-03-19"))
    assert promise(db) == ("broken", "2027-03-15", 0, 0)
    (promise_id,) = [line.id for line in list_promises(db, "evans")]
    assert said(db, "promise_broken") == [
        f"2027-03-19 promise_broken: promise {promise_id}: broken: $100.00 of $100.00 due 2027-03-15 unpaid by "
        "2027-03-18 (grace 3 days)"]  # fmt: skip
    calls = [(a.action, str(a.due_date), a.assignee, a.priority) for a in table(db, "activity")
             if a.action == "Broken promise call"]  # fmt: skip
    assert calls == [("Broken promise call", "2027-03-20", "BO", 80)]
    desk = promise_desk(db, d("2027-03-20"), {"BO"})
    assert [(section, line.id) for section, line in desk] == [("broken yesterday", promise_id)]


@pytest.mark.parametrize(("advance", "due"), [(True, "2027-05-15"), (False, "2027-04-15")])
def test_200_on_03_15_moves_it_two_periods_with_advance_and_one_without(db: Database, advance: bool, due: str) -> None:
    office(db, advance=advance)
    pay(db, 20_000, "2027-03-15")
    run_day(db, d("2027-03-15"))
    assert promise(db) == ("open", due, 0, 10_000)


def test_60_then_40_in_the_window_keep_it(db: Database) -> None:
    office(db)
    pay(db, 6_000, "2027-03-15")
    run_day(db, d("2027-03-15"))
    assert promise(db) == ("partial", "2027-03-15", 6_000, 4_000)
    pay(db, 4_000, "2027-03-17")
    run_day(db, d("2027-03-17"))
    assert promise(db) == ("open", "2027-04-15", 0, 10_000)
    counted = sorted((row.amount_cents, str(row.paid_on), row.installment) for row in table(db, "promise_payment"))
    assert counted == [(4_000, "2027-03-17", 0), (6_000, "2027-03-15", 0)]


@pytest.mark.parametrize(("returned", "after"), [
    ("2027-03-17", ("open", "2027-03-15", 0, 10_000)), ("2027-03-20", ("broken", "2027-03-15", 0, 0))])  # fmt: skip
def test_an_nsf_of_the_100_reopens_it_inside_the_window_and_breaks_it_after(
    db: Database, returned: str, after: tuple[Any, ...]
) -> None:
    office(db)
    line = pay(db, 10_000, "2027-03-16")
    run_day(db, d("2027-03-16"))
    assert promise(db) == ("open", "2027-04-15", 0, 10_000)
    reverse_payment(db, "evans", line, d(returned))
    run_day(db, d(returned))
    assert promise(db) == after
    last = said(db, "promise_nsf")[-1] if returned == "2027-03-17" else said(db, "promise_broken")[-1]
    assert "payment $100.00 reversed (NSF) on " + returned + ": back to $100.00 due 2027-03-15" in last
    assert [row.reversed for row in table(db, "promise_payment")] == [True]


def test_rerunning_a_day_changes_nothing(db: Database) -> None:
    office(db)
    pay(db, 6_000, "2027-03-15")
    run_day(db, d("2027-03-15"))
    with db.engine.connect() as connection:
        before = contents(connection, ("promise", "promise_payment", "history", "activity"))
    run_day(db, d("2027-03-15"))
    with db.engine.connect() as connection:
        assert contents(connection, ("promise", "promise_payment", "history", "activity")) == before


def test_series_and_actions_wait_while_the_promise_stands_and_move_on_by_the_pause(db: Database) -> None:
    office(db, who=("evans", "adams"))
    due = {a.action: str(a.due_date) for a in table(db, "activity") if a.status == "scheduled"}
    assert due == {"Call 2": "2027-03-08", "Letter 60": "2027-03-31"}
    run_day(db, d("2027-03-08"))  # Call 2 falls due: it waits
    assert {a.action: a.status for a in table(db, "activity")}["Call 2"] == "scheduled"
    run_day(db, d("2027-03-19"))  # both promises broken: 18 days paused since 2027-03-01
    due = {a.action: str(a.due_date) for a in table(db, "activity") if a.status == "scheduled"}
    assert due == {"Call 2": "2027-03-26", "Letter 60": "2027-04-18", "Broken promise call": "2027-03-20"}
    lines = said(db)
    assert sum("promise_pause: series and action steps paused while promise" in line for line in lines) == 1
    assert any("promise_resume: series and action steps resumed on 2027-03-19 after promise" in line
               and "(18 days paused): Letter 60 → 2027-04-18" in line for line in lines)  # fmt: skip
    run_day(db, d("2027-03-26"))
    assert {a.action: a.status for a in table(db, "activity")}["Call 2"] == "open"


def test_a_plans_promise_event_makes_a_promise_of_a_quarter_of_the_owing(db: Database) -> None:
    event = PlanEvent(1, EventType.PROMISE, "Quarter a month", timing=Timing.DELAY_DAYS, days=14, promise_percent=25,
                      repeat=RepeatPeriod.MONTHLY, advance_promise_on_overpayment=True)  # fmt: skip
    strategy = replace(SAVED, plans=(BROKEN, Plan("QUARTER", "A promise of a quarter", events=(event,))))
    portfolios(db)
    world(db, ACCOUNTS)
    assert apply_document(db, dump_strategy(strategy), actor="admin", confirm=True).errors == ()
    run_day(db, d("2027-03-01"))
    run_plan(db, "QUARTER", "evans", on=d("2027-03-01"), at=datetime(2027, 3, 1, 10, tzinfo=UTC), user="BO")
    (made,) = list_promises(db, "evans")
    assert (made.amount_cents, str(made.due), made.repeat, made.grace_days, made.advance, made.source) == (
        25_000, "2027-03-15", "monthly", 3, True, "plan")  # fmt: skip
    run_plan(db, "QUARTER", "evans", on=d("2027-03-01"), at=datetime(2027, 3, 1, 10, tzinfo=UTC), user="BO")
    assert len(list_promises(db, "evans")) == 1  # the same request twice makes one promise
    pay(db, 50_000, "2027-03-15")
    run_day(db, d("2027-03-15"))
    assert promise(db) == ("open", "2027-05-15", 0, 25_000)
    contact = [a.status for a in table(db, "activity") if a.kind == "promise"]
    assert contact == ["scheduled"]
    run_day(db, d("2027-05-19"))
    assert promise(db)[0] == "broken"
    assert [a.status for a in table(db, "activity") if a.kind == "promise"] == ["done"]


def test_the_report_the_account_page_and_explain_show_the_promises(db: Database) -> None:
    office(db)  # evans: $100.00 monthly from 2027-03-15, BO
    add_promise(db, "adams", PromiseRequest(5_000, d("2027-03-10")), on=d("2027-03-01"), actor="maria", key="a1")
    pay(db, 5_000, "2027-03-10", "adams")
    run_day(db, d("2027-03-10"))  # Adams's one-off promise is kept for good
    pay(db, 10_000, "2027-03-16")
    run_day(db, d("2027-03-16"))  # Evans's first installment kept: $100.00 due 2027-04-15 next
    report = {(line.portfolio, line.collector): line for line in promise_report(db, d("2027-03-01"), d("2027-03-31"))}
    assert [(k, v.taken, v.kept, v.broken, v.standing, v.installments_kept, v.promised_cents, v.collected_cents,
             v.kept_rate) for k, v in report.items()] == [
        (("NORTH", "AL"), 1, 1, 0, 0, 1, 5_000, 5_000, 1.0),
        (("NORTH", "BO"), 1, 0, 0, 1, 1, 10_000, 10_000, None),
        (("NORTH", "*"), 2, 1, 0, 1, 2, 15_000, 15_000, 1.0),
    ]  # fmt: skip
    run_day(db, d("2027-04-19"))  # nothing by 2027-04-18: broken
    (evans,) = [v for v in promise_report(db, d("2027-03-01"), d("2027-03-31")) if k_of(v) == ("NORTH", "BO")]
    assert (evans.broken, evans.kept_rate) == (1, 0.0)
    page = account_page(db, "evans", d("2027-04-19"))
    assert [(p.status, str(p.due)) for p in page.promises] == [("broken", "2027-04-15")]
    assert any(e.text.startswith("promise_broken: promise") for e in page.timeline)
    explained = explain(db, "adams", d("2027-03-05"), load_strategy(db)).promises
    assert explained == [f"promise {report_id(db, 'adams')} taken 2027-03-01 by AL: $50.00 due 2027-03-10 (grace 3 "
                         "days): kept"]  # fmt: skip


def k_of(line: Any) -> tuple[str, str]:
    return line.portfolio, line.collector


def report_id(db: Database, account: str) -> int:
    (found,) = list_promises(db, account)
    return found.id


def test_explain_says_what_keeps_a_standing_promise_and_when_it_breaks(db: Database) -> None:
    office(db)
    pay(db, 6_000, "2027-03-15")
    run_day(db, d("2027-03-15"))
    (text,) = explain(db, "evans", d("2027-03-15"), load_strategy(db)).promises
    assert text == (f"promise {report_id(db, 'evans')} taken 2027-03-01 by BO: $100.00 monthly due 2027-03-15 (grace 3 "
                    "days): partial, $60.00 paid, shortfall $40.00; $40.00 more by 2027-03-18 keeps it, the run of "
                    "2027-03-19 breaks it without; the account's series and action steps wait while it stands")


def test_a_promise_of_an_account_the_run_finds_closed_is_cancelled_not_broken(db: Database) -> None:
    office(db)
    with db.engine.begin() as connection:  # closed by an import or a plan's mode event, not by hand
        connection.exec_driver_sql("UPDATE account SET mode = 'closed' WHERE external_id = 'evans'")
    run_day(db, d("2027-03-19"))
    assert promise(db) == ("cancelled", "2027-03-15", 0, 0)
    assert said(db, "promise_cancelled")[0].endswith("cancelled: the account is closed on 2027-03-19")
    assert [a.action for a in table(db, "activity") if a.action == "Broken promise call"] == []


WIPE = Plan("WIPE", "Start over", delete_all_pending=True, events=(PlanEvent(1, EventType.NOTE, "Started over"),))


def test_delete_all_pending_marks_a_repeating_promise_done_and_deletes_a_one_off(db: Database) -> None:
    """Seed 002: delete all pending contacts marks a repeating promise done (its integrity kept) and deletes
    (cancels) one without a repeat; neither is judged again nor pauses the series any more."""
    portfolios(db)
    world(db, ACCOUNTS)
    assert apply_document(db, dump_strategy(replace(SAVED, plans=(BROKEN, WIPE))), actor="admin",
                          confirm=True).errors == ()  # fmt: skip
    run_day(db, d("2027-03-01"))
    add_promise(db, "evans", PromiseRequest(10_000, d("2027-03-15"), MONTHLY), on=d("2027-03-01"), actor="maria",
                key="evans-monthly")  # fmt: skip
    add_promise(db, "adams", PromiseRequest(10_000, d("2027-03-15")), on=d("2027-03-01"), actor="maria",
                key="adams-once")  # fmt: skip
    at = datetime(2027, 3, 5, 10, tzinfo=UTC)
    for account in ("evans", "adams"):
        run_plan(db, "WIPE", account, on=d("2027-03-05"), at=at, user="BO")
    assert promise(db, "evans") == ("done", "2027-03-15", 0, 0)
    assert promise(db, "adams") == ("cancelled", "2027-03-15", 0, 0)
    ended = {(row.key, row.status, str(row.ended_on), row.ended_by) for row in table(db, "promise")}
    assert ended == {("evans-monthly", "done", "2027-03-05", "plan"), ("adams-once", "cancelled", "2027-03-05", "plan")}
    evans, adams = report_id(db, "evans"), report_id(db, "adams")
    assert said(db, "promise_done") == [
        f"2027-03-05 promise_done: promise {evans} marked done: deleted by plan WIPE (delete all pending contacts) "
        "on 2027-03-05 (a repeating promise is kept)"]  # fmt: skip
    assert said(db, "promise_cancelled") == [
        f"2027-03-05 promise_cancelled: promise {adams} cancelled: deleted by plan WIPE (delete all pending "
        "contacts) on 2027-03-05"]  # fmt: skip
    assert any(line.startswith("2027-03-05 promise_resume: series and action steps resumed on 2027-03-05 after "
                               f"promise {adams} (4 days paused)") for line in said(db))  # fmt: skip
    run_day(db, d("2027-03-19"))  # past due + grace: nothing is broken, the broken plan calls nobody
    assert (promise(db, "evans")[0], promise(db, "adams")[0]) == ("done", "cancelled")
    assert [a.action for a in table(db, "activity") if a.action == "Broken promise call"] == []


def test_a_promise_events_do_not_autodelete_keeps_its_promise_through_delete_all(db: Database) -> None:
    event = PlanEvent(1, EventType.PROMISE, "Kept through", timing=Timing.DELAY_DAYS, days=14, promise_percent=10,
                      repeat=RepeatPeriod.MONTHLY, no_autodelete=True)  # fmt: skip
    copied = PlanEvent(1, EventType.PROMISE, "Copied", timing=Timing.DELAY_DAYS, days=14, promise_percent=10,
                       repeat=RepeatPeriod.MONTHLY, copy_on_repeat=True)  # fmt: skip
    strategy = replace(SAVED, plans=(BROKEN, WIPE, Plan("KEEP", events=(event,)), Plan("COPY", events=(copied,))))
    portfolios(db)
    world(db, ACCOUNTS)
    assert apply_document(db, dump_strategy(strategy), actor="admin", confirm=True).errors == ()
    run_day(db, d("2027-03-01"))
    at = datetime(2027, 3, 1, 10, tzinfo=UTC)
    run_plan(db, "KEEP", "evans", on=d("2027-03-01"), at=at, user="BO")
    run_plan(db, "COPY", "adams", on=d("2027-03-01"), at=at, user="AL")
    for account in ("evans", "adams"):
        run_plan(db, "WIPE", account, on=d("2027-03-02"), at=at, user="BO")
    assert promise(db, "evans") == ("open", "2027-03-15", 0, 10_000)
    assert promise(db, "adams") == ("cancelled", "2027-03-15", 0, 0)
    contacts = sorted((a.action, a.status) for a in table(db, "activity") if a.kind == "promise")
    assert contacts == [("Copied", "cancelled"), ("Kept through", "scheduled")]


def test_reopening_inside_the_window_makes_the_promise_stand_again_and_the_run_judges_it(db: Database) -> None:
    office(db)  # Evans: $100.00 monthly from 2027-03-15, grace 3
    close_account(db, "evans", d("2027-03-05"), "closed in error", actor="maria")
    assert promise(db) == ("cancelled", "2027-03-15", 0, 0)
    reopening = reopen_account(db, "evans", d("2027-03-10"), "closed in error", actor="maria")
    assert (reopening.promises_reopened, reopening.promises_left_cancelled) == (1, 0)
    assert promise(db) == ("open", "2027-03-15", 0, 10_000)
    (row,) = table(db, "promise")
    assert (row.ended_on, row.ended_by, str(row.judged_on)) == (None, None, "2027-03-10")
    assert said(db, "promise_reopened") == [
        f"2027-03-10 promise_reopened: promise {row.id} reopened with the account: $100.00 due 2027-03-15 "
        "(grace 3 days)"]  # fmt: skip
    (audit,) = [a for a in table(db, "audit") if a.action == "reopened"]
    assert '"promises_reopened": 1' in audit.after
    run_day(db, d("2027-03-19"))  # nothing paid by 03-18: the run breaks it and the broken plan calls
    assert promise(db)[0] == "broken"
    assert [a.action for a in table(db, "activity") if a.action == "Broken promise call"] == ["Broken promise call"]


def test_a_payment_made_while_closed_inside_the_window_keeps_the_installment(db: Database) -> None:
    office(db)
    close_account(db, "evans", d("2027-03-05"), actor="maria")
    pay(db, 10_000, "2027-03-16")  # while closed, inside [03-15, 03-18]
    run_day(db, d("2027-03-16"))  # the run judges no promise of a closed account
    reopen_account(db, "evans", d("2027-04-01"), actor="maria")
    assert promise(db) == ("open", "2027-04-15", 0, 10_000)
    counted = [(r.amount_cents, str(r.paid_on), r.installment) for r in table(db, "promise_payment")]
    assert counted == [(10_000, "2027-03-16", 0)]
    (line,) = said(db, "promise_reopened")
    assert line.endswith("reopened with the account: $100.00 due 2027-04-15 (grace 3 days) (paid while closed: "
                         "kept: $100.00 paid on 2027-03-16 for $100.00 due 2027-03-15; next due 2027-04-15 "
                         "(one period forward))")  # fmt: skip


def test_a_promise_whose_window_ended_while_closed_stays_cancelled_not_broken(db: Database) -> None:
    office(db)
    close_account(db, "evans", d("2027-03-05"), actor="maria")
    pay(db, 6_000, "2027-03-17")  # short of the $100.00: the window ends 03-18 unkept
    reopening = reopen_account(db, "evans", d("2027-03-25"), actor="maria")
    assert (reopening.promises_reopened, reopening.promises_left_cancelled) == (0, 1)
    assert promise(db)[0] == "cancelled"
    assert said(db, "promise_cancelled")[-1].endswith(
        "left cancelled: its window ended 2027-03-18 while the account was closed (paid while closed: partially "
        "kept: $60.00 of $100.00 due 2027-03-15 paid, shortfall $40.00)")  # fmt: skip
    run_day(db, d("2027-03-25"))
    assert promise(db)[0] == "cancelled"
    assert [a.action for a in table(db, "activity") if a.action == "Broken promise call"] == []


def test_a_promise_event_deleting_same_type_contacts_ends_the_promise_of_the_contact_it_replaces(
    db: Database,
) -> None:
    """Seed 002 "Delete same type contacts": plan RENEW replaces Evans's pending promise contact (same description)
    and its promise — $100.00 monthly from 2027-03-15 — ends as delete all pending contacts ends it: marked done
    (it repeats without a copy), judged no more; the new promise of 20% of the $1,000.00 owing stands alone."""
    first = PlanEvent(1, EventType.PROMISE, "Monthly promise", timing=Timing.DELAY_DAYS, days=14, promise_percent=10,
                      repeat=RepeatPeriod.MONTHLY)  # fmt: skip
    renew = replace(first, promise_percent=20, delete_same_type=True, same_description_only=True)
    strategy = replace(SAVED, plans=(BROKEN, Plan("TENTH", events=(first,)), Plan("RENEW", events=(renew,))))
    portfolios(db)
    world(db, ACCOUNTS)
    assert apply_document(db, dump_strategy(strategy), actor="admin", confirm=True).errors == ()
    run_day(db, d("2027-03-01"))
    run_plan(db, "TENTH", "evans", on=d("2027-03-01"), at=datetime(2027, 3, 1, 10, tzinfo=UTC), user="BO")
    run_plan(db, "RENEW", "evans", on=d("2027-03-05"), at=datetime(2027, 3, 5, 10, tzinfo=UTC), user="BO")
    old, new = sorted(list_promises(db, "evans"), key=lambda p: p.id)
    assert (old.amount_cents, str(old.due), old.status) == (10_000, "2027-03-15", "done")
    assert (new.amount_cents, str(new.due), new.status) == (20_000, "2027-03-19", "open")
    assert [(r.status, r.ended_by) for r in table(db, "promise") if r.id == old.id] == [("done", "plan")]
    assert said(db, "promise_done") == [
        f"2027-03-05 promise_done: promise {old.id} marked done: replaced by plan RENEW event 1 (delete same type "
        "contacts) on 2027-03-05 (a repeating promise is kept)"]  # fmt: skip
    contacts = sorted((str(a.due_date), a.status) for a in table(db, "activity") if a.kind == "promise")
    assert contacts == [("2027-03-15", "done"), ("2027-03-19", "scheduled")]
    run_day(db, d("2027-03-19"))  # the old window ended 03-18: nothing is broken, the broken plan calls nobody
    assert [p.status for p in sorted(list_promises(db, "evans"), key=lambda p: p.id)] == ["done", "open"]
    assert [a.action for a in table(db, "activity") if a.action == "Broken promise call"] == []


def test_reopening_schedules_a_revived_plan_promises_contact_again_so_delete_all_treats_it_as_before(
    db: Database,
) -> None:
    """Evans's promise comes from a no-autodelete promise event, Adams's from one that copies on repeat (each
    $100.00 monthly from 2027-03-15). Closed on 03-05, the closing marks their contacts done; reopened on 03-10,
    the promises stand again with their contacts, so plan WIPE on 03-11 keeps Evans's open and cancels Adams's
    (its copy on repeat), as it would have before the closing."""
    event = PlanEvent(1, EventType.PROMISE, "Kept through", timing=Timing.DELAY_DAYS, days=14, promise_percent=10,
                      repeat=RepeatPeriod.MONTHLY, no_autodelete=True)  # fmt: skip
    copied = replace(event, description="Copied", no_autodelete=False, copy_on_repeat=True)
    strategy = replace(SAVED, plans=(BROKEN, WIPE, Plan("KEEP", events=(event,)), Plan("COPY", events=(copied,))))
    portfolios(db)
    world(db, ACCOUNTS)
    assert apply_document(db, dump_strategy(strategy), actor="admin", confirm=True).errors == ()
    run_day(db, d("2027-03-01"))
    at = datetime(2027, 3, 1, 10, tzinfo=UTC)
    run_plan(db, "KEEP", "evans", on=d("2027-03-01"), at=at, user="BO")
    run_plan(db, "COPY", "adams", on=d("2027-03-01"), at=at, user="AL")
    for account in ("evans", "adams"):
        close_account(db, account, d("2027-03-05"), actor="maria")

    def contacts() -> list[tuple[str, str, str | None]]:
        return sorted((a.action, a.status, a.done_on and str(a.done_on)) for a in table(db, "activity")
                      if a.kind == "promise")  # fmt: skip

    assert contacts() == [("Copied", "done", "2027-03-05"), ("Kept through", "done", "2027-03-05")]
    for account in ("evans", "adams"):
        assert reopen_account(db, account, d("2027-03-10"), actor="maria").promises_reopened == 1
    assert contacts() == [("Copied", "scheduled", None), ("Kept through", "scheduled", None)]
    for account in ("evans", "adams"):
        run_plan(db, "WIPE", account, on=d("2027-03-11"), at=at, user="BO")
    assert promise(db, "evans") == ("open", "2027-03-15", 0, 10_000)
    assert promise(db, "adams") == ("cancelled", "2027-03-15", 0, 0)
    assert contacts() == [("Copied", "cancelled", None), ("Kept through", "scheduled", None)]


ACTIVE, CLOSED = (f"external_id,portfolio,last_name,mode\nevans,NORTH,Evans,{mode}\n" for mode in ("active", "closed"))


def test_an_import_that_sets_a_closed_account_back_to_active_reopens_it_as_by_hand(
    db: Database, tmp_path: Path
) -> None:
    """Evans ($100.00 monthly from 2027-03-15, grace 3) is closed by an import on 03-05, and the run of 03-05
    cancels the promise; a file that sets the account active again on 03-10 reopens it by the same rule as
    `arrears accounts reopen`: the promise stands again and the run of 03-19 breaks it (nothing paid by 03-18)."""
    office(db)
    (closing := tmp_path / "closing.csv").write_text(CLOSED)
    (opening := tmp_path / "opening.csv").write_text(ACTIVE)
    assert import_file(db, ImportKind.ACCOUNTS, closing, today=d("2027-03-05")).updated == 1
    run_day(db, d("2027-03-05"))
    assert promise(db) == ("cancelled", "2027-03-15", 0, 0)
    report = import_file(db, ImportKind.ACCOUNTS, opening, today=d("2027-03-10"), actor="nightly")
    assert report.reopened == {"accounts reopened": 1, "promises reopened": 1}
    assert report.to_dict()["reopened"] == {"accounts reopened": 1, "promises reopened": 1}
    assert promise(db) == ("open", "2027-03-15", 0, 10_000)
    promise_id = report_id(db, "evans")
    assert said(db, "reopened") == ["2027-03-10 reopened: account reopened on 2027-03-10 by an import (nightly)"]
    assert said(db, "promise_reopened") == [
        f"2027-03-10 promise_reopened: promise {promise_id} reopened with the account: $100.00 due 2027-03-15 "
        "(grace 3 days)"]  # fmt: skip
    assert import_file(db, ImportKind.ACCOUNTS, opening, today=d("2027-03-10")).reopened == {}  # nothing to reopen
    run_day(db, d("2027-03-19"))
    assert promise(db)[0] == "broken"
    assert [a.action for a in table(db, "activity") if a.action == "Broken promise call"] == ["Broken promise call"]
