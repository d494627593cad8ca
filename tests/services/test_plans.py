"""Running contact plans (seed 002) on accounts: by hand, in batch, and when the daily run reaches their
contacts; given a configuration and accounts, on a date, expect these activities, notes and records."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from arrears.domain.calendar import RepeatPeriod
from arrears.domain.errors import NotFound, ValidationFailed
from arrears.domain.plans import AssignTo, EventType, LevelRange, Plan, PlanEvent, ScheduleIf, Timing, TransactionType
from arrears.domain.strategy import Action, ActionKind, ActionParams, CollectionType, LetterTemplate, Strategy, User
from arrears.services import config
from arrears.services.config_document import dump_strategy
from arrears.services.plans import (
    PlanCancelled,
    batch_record,
    list_plans,
    read_account_file,
    run_batch,
    run_plan,
    show_plan,
)
from arrears.services.run import run_day
from arrears.store.db import Database
from tests.notation import d
from tests.services.run_scenarios import STRATEGY, activities, pay, portfolios, table, world

AT = datetime(2026, 3, 10, 20, 26, 43, tzinfo=UTC)  # 15:26:43 in New York
LETTERS = tuple(LetterTemplate(code, code, body="Dear {{ party.first_name }}") for code in ("L30", "L60", "CLM", "G30"))
PLANS = (
    Plan("NEW", "A letter now and a review in 10 days", events=(
        PlanEvent(1, EventType.LETTER, "G30"),
        PlanEvent(2, EventType.REVIEW, "Review the new account", timing=Timing.DELAY_DAYS, days=10, priority=70),
    )),
    Plan("WIPE", "Close and clear", delete_all_pending=True, prompt_before_deleting=True,
         access=(LevelRange(80, 99),), events=(PlanEvent(1, EventType.NOTE, "Cleared by plan WIPE"),)),
    Plan("MAIN", "Calls WIPE as a sub-plan", events=(PlanEvent(1, EventType.RUN_PLAN, "WIPE"),
                                                    PlanEvent(2, EventType.NOTE, "Main ran"))),
    Plan("LEGAL", "Sub-plan", sub_plan=True, events=(PlanEvent(1, EventType.STATUS_CHANGE, "LEGAL"),)),
    Plan("SHUT", "Not on closed accounts", do_not_run_on_closed=True, events=(PlanEvent(1, EventType.NOTE, "x"),)),
    Plan("RANGE", "Review balances from $100 to $200", events=(
        PlanEvent(1, EventType.REVIEW, "Mid balance", schedule_if=ScheduleIf("balance", "..", "100", "200")),
    )),
    Plan("START", "From the start date", prompt_for_start_date=True, events=(
        PlanEvent(1, EventType.REVIEW, timing=Timing.DELAY_DAYS, days=7),
        PlanEvent(2, EventType.REVIEW, timing=Timing.DAY_OF_MONTH, day_of_month=31),
    )),
    Plan("CALL", "A call in 40 minutes and one in an hour", events=(
        PlanEvent(1, EventType.PHONE_CALL, "in 40", delay_minutes=40, assign_to=AssignTo.CURRENT_OPERATOR),
        PlanEvent(2, EventType.PHONE_CALL, "in 1:00", delay_minutes=60, assign_to=AssignTo.SPECIFIC_OPERATOR,
                  operator="BO"),
    )),
    Plan("REPEAT", "A weekly letter with copies and notes", events=(
        PlanEvent(1, EventType.LETTER, "G30", timing=Timing.DELAY_DAYS, days=0, repeat=RepeatPeriod.WEEKLY,
                  copy_on_repeat=True, log_repeat_to_notes=True),
        PlanEvent(2, EventType.NOTE, "weekly without copy", timing=Timing.DELAY_DAYS, days=0,
                  repeat=RepeatPeriod.WEEKLY),
    )),
    Plan("WEEKLY", "Weekly reviews worked from the worklist", events=(
        PlanEvent(1, EventType.REVIEW, "Weekly check", timing=Timing.DELAY_DAYS, days=0, repeat=RepeatPeriod.WEEKLY,
                  copy_on_repeat=True, log_repeat_to_notes=True, assign_to=AssignTo.SPECIFIC_OPERATOR, operator="AL"),
        PlanEvent(2, EventType.REVIEW, "Weekly look", timing=Timing.DELAY_DAYS, days=0, repeat=RepeatPeriod.WEEKLY,
                  assign_to=AssignTo.SPECIFIC_OPERATOR, operator="AL"),
    )),
    Plan("THANKS", "A thank-you note for every payment", events=(PlanEvent(1, EventType.NOTE, "Thank you"),)),
    Plan("NSF", "A reversal: a fee and a call", events=(
        PlanEvent(1, EventType.TRANSACTION, "fee", amount_cents=2500),
        PlanEvent(2, EventType.PHONE_CALL, "Returned payment", delete_same_type=True),
    )),
    Plan("BYE", "When an account is closed", run_on_close=True, events=(
        PlanEvent(1, EventType.NOTE, "Account closed"),
    )),
    Plan("MONTHLY", "Runs itself again next month", events=(
        PlanEvent(1, EventType.NOTE, "monthly reminder"),
        PlanEvent(2, EventType.RUN_PLAN, "MONTHLY", timing=Timing.NEXT_MONTH_SAME_DAY),
    )),
)  # fmt: skip
USERS = (User("clerk", "Clerk", 20), User("boss", "Manager", 80), User("top", "Director", 99))
PLAN_ACTION = Action("Run NEW", CollectionType.GUARANTOR, ActionKind.RUN_PLAN, ActionParams(plan_code="NEW"),
                     all_portfolios=True)  # fmt: skip


TYPES = (TransactionType("PAY", "payment", "THANKS"), TransactionType("NSF", "reversal", "NSF"),
         TransactionType("CHG", "charge"))  # fmt: skip


def strategy() -> Strategy:
    return replace(STRATEGY, letters=LETTERS, users=USERS, plans=PLANS, actions=(*STRATEGY.actions, PLAN_ACTION),
                   transaction_types=TYPES)  # fmt: skip


@pytest.fixture
def plans_db(db: Database) -> Database:
    portfolios(db)
    result = config.apply_document(db, dump_strategy(strategy()), "plans.yaml")
    assert result.ok, result.errors
    world(db, """
ann Adams NORTH
    2026-01-01 charge 150.00 due 2026-01-15
bob Brown NORTH
    2026-01-01 charge 99.99 due 2026-01-15
cal Clark NORTH
    2026-01-01 charge 200.01 due 2026-01-15
dee Davis NORTH
    2026-01-01 charge 200.00 due 2026-01-15
off Oakes OFF
    2026-01-01 charge 80.00 due 2026-01-15
""")  # fmt: skip
    return db


def plan_activities(db: Database, code: str | None = None) -> list[str]:
    """Every activity as ``account: due description (kind) assignee status`` (plan contacts belong to no case
    episode when the account has none)."""
    lines = [line.removesuffix(" episode 0") for line in activities(db)]
    return [line for line in lines if code is None or line.startswith(f"{code}:")]


def test_the_new_plan_queues_a_letter_today_and_a_review_in_10_days(plans_db: Database) -> None:
    result = run_plan(plans_db, "NEW", "ann", on=d("2026-03-10"), at=AT, user="clerk")
    assert plan_activities(plans_db) == [
        "ann: 2026-03-10 G30 (letter)  done",
        "ann: 2026-03-20 Review the new account (review)  scheduled",
    ]
    assert [(c.kind, str(c.due), c.priority) for c in result.contacts] == [
        ("letter", "2026-03-10", 50), ("review", "2026-03-20", 70),
    ]  # fmt: skip
    [letter] = table(plans_db, "letter", "ann")
    assert (letter.template, letter.status, letter.queued_on) == ("G30", "queued", d("2026-03-10"))
    assert [row.event for row in table(plans_db, "history", "ann")] == ["plan"]


def test_a_user_outside_every_access_range_can_neither_see_nor_run_the_plan(plans_db: Database) -> None:
    assert "WIPE" not in [line.code for line in list_plans(plans_db, "clerk")]
    assert "WIPE" in [line.code for line in list_plans(plans_db, "boss")]
    with pytest.raises(ValidationFailed, match=r"clerk \(user level 20\) may not run plan WIPE: levels 80–99"):
        run_plan(plans_db, "WIPE", "ann", on=d("2026-03-10"), at=AT, user="clerk")
    assert run_plan(plans_db, "WIPE", "ann", on=d("2026-03-10"), at=AT, user="top").plan == "WIPE"
    with pytest.raises(NotFound, match="no user or collector 'nobody'"):
        list_plans(plans_db, "nobody")


def test_sub_plans_are_hidden_from_users_and_not_run_by_themselves(plans_db: Database) -> None:
    assert "LEGAL" not in [line.code for line in list_plans(plans_db, "top")]
    assert "LEGAL" in [line.code for line in list_plans(plans_db)]
    with pytest.raises(ValidationFailed, match="LEGAL is a sub-plan"):
        run_plan(plans_db, "LEGAL", "ann", on=d("2026-03-10"), at=AT)
    assert show_plan(plans_db, "LEGAL").sub_plan


def test_declining_the_prompt_before_deleting_cancels_the_whole_plan(plans_db: Database) -> None:
    run_plan(plans_db, "NEW", "ann", on=d("2026-03-10"), at=AT)
    before = plan_activities(plans_db)
    asked: list[list[str]] = []

    def decline(contacts: object) -> bool:
        asked.append(list(contacts))  # type: ignore[call-overload]
        return False

    with pytest.raises(PlanCancelled, match="plan WIPE cancelled: the 1 pending contacts were kept"):
        run_plan(plans_db, "WIPE", "ann", on=d("2026-03-11"), at=AT, confirm=decline)
    assert asked == [["review Review the new account"]]
    assert plan_activities(plans_db) == before
    assert not [n for n in table(plans_db, "note", "ann") if n.text == "Cleared by plan WIPE"]
    result = run_plan(plans_db, "WIPE", "ann", on=d("2026-03-11"), at=AT, confirm=lambda _: True)
    assert result.deleted == 1
    assert "ann: 2026-03-20 Review the new account (review)  cancelled" in plan_activities(plans_db)


def test_the_same_plan_as_a_sub_plan_deletes_nothing(plans_db: Database) -> None:
    run_plan(plans_db, "NEW", "ann", on=d("2026-03-10"), at=AT)
    result = run_plan(plans_db, "MAIN", "ann", on=d("2026-03-11"), at=AT)
    assert result.deleted == 0
    assert "ann: 2026-03-20 Review the new account (review)  scheduled" in plan_activities(plans_db)
    assert [n.text for n in table(plans_db, "note", "ann")] == ["Cleared by plan WIPE", "Main ran"]


def test_a_closed_account_is_skipped_and_logged(plans_db: Database) -> None:
    from arrears.services.account_work import close_account

    close_account(plans_db, "bob", d("2026-03-01"))
    result = run_plan(plans_db, "SHUT", "bob", on=d("2026-03-10"), at=AT)
    assert result.skipped == "plan SHUT does not run on closed accounts: account 2 skipped"
    assert plan_activities(plans_db, "bob") == []
    assert [row.event for row in table(plans_db, "history", "bob")] == ["closed", "plan-skipped"]  # closing is history
    batch = run_batch(plans_db, "SHUT", on=d("2026-03-10"), at=AT, where="portfolio = 'NORTH'")
    assert (batch.selected, batch.ran, batch.skipped_closed) == (4, 3, ["bob"])
    record = batch_record(plans_db, batch.batch_id)
    assert (record["plan"], record["accounts"], record["skipped_closed"]) == ("SHUT", 4, ["bob"])
    assert record["selection"] == "where portfolio = 'NORTH'"


def test_a_range_condition_schedules_at_100_and_200_but_not_at_99_99_or_200_01(plans_db: Database) -> None:
    batch = run_batch(plans_db, "RANGE", on=d("2026-03-10"), at=AT, where="portfolio = 'NORTH'")
    assert batch.ran == 4
    assert [line.split(":")[0] for line in plan_activities(plans_db)] == ["ann", "dee"]  # $150.00 and $200.00


def test_a_batch_selects_with_the_condition_language_or_from_an_accounts_file(
    plans_db: Database, tmp_path: Path
) -> None:
    batch = run_batch(plans_db, "NEW", on=d("2026-03-10"), at=AT, where="balance >= 150 AND balance < 200.01")
    assert [line.split(":")[0] for line in plan_activities(plans_db) if "(letter)" in line] == ["ann", "dee"]
    assert batch.counts["letters_queued"] == 2
    listed = tmp_path / "accounts.csv"
    listed.write_text("external_id\nbob\ncal\n")
    assert read_account_file(listed) == ["bob", "cal"]
    run_batch(plans_db, "NEW", on=d("2026-03-10"), at=AT, accounts=read_account_file(listed))
    assert sorted(line.split(":")[0] for line in plan_activities(plans_db) if "(letter)" in line) == [
        "ann", "bob", "cal", "dee",
    ]  # fmt: skip
    with pytest.raises(ValidationFailed, match="no such account: zed"):
        run_batch(plans_db, "NEW", on=d("2026-03-10"), at=AT, accounts=["ann", "zed"])
    with pytest.raises(ValidationFailed, match="unknown field 'balanse'"):
        run_batch(plans_db, "NEW", on=d("2026-03-10"), at=AT, where="balanse > 0")


def test_delay_days_from_the_prompted_start_date_and_day_of_month_from_the_run_date(plans_db: Database) -> None:
    with pytest.raises(ValidationFailed, match="plan START prompts for a start date"):
        run_plan(plans_db, "START", "ann", on=d("2027-02-10"), at=AT)
    with pytest.raises(ValidationFailed, match="plan NEW does not prompt for a start date"):
        run_plan(plans_db, "NEW", "ann", on=d("2027-02-10"), at=AT, start_date=d("2027-03-01"))
    run_plan(plans_db, "START", "ann", on=d("2027-02-10"), at=AT, start_date=d("2027-03-01"))
    assert [line.split()[1] for line in plan_activities(plans_db)] == ["2027-02-28", "2027-03-08"]


def test_timed_calls_are_due_at_the_moment_plus_the_delay_for_their_operators(plans_db: Database) -> None:
    run_plan(plans_db, "CALL", "ann", on=d("2026-03-10"), at=AT, user="AL")
    rows = sorted(table(plans_db, "activity", "ann"), key=lambda r: r.action)
    moments = [(r.action, r.assignee, r.due_at.astimezone(UTC).strftime("%H:%M:%S")) for r in rows]
    assert moments == [("in 1:00", "BO", "21:26:43"), ("in 40", "AL", "21:06:43")]


def test_the_daily_run_forwards_repeats_with_a_copy_and_a_notes_line(plans_db: Database) -> None:
    run_plan(plans_db, "REPEAT", "off", on=d("2026-03-10"), at=AT)
    run_day(plans_db, d("2026-03-10"))
    run_day(plans_db, d("2026-03-17"))
    run_day(plans_db, d("2026-03-17"))  # rerun: nothing twice
    assert plan_activities(plans_db, "off") == [
        "off: 2026-03-10 G30 (letter)  done",
        "off: 2026-03-17 G30 (letter)  done",
        "off: 2026-03-24 G30 (letter)  scheduled",
        "off: 2026-03-24 weekly without copy (note)  scheduled",
    ]
    notes = [n.text for n in table(plans_db, "note", "off")]
    assert notes.count("weekly without copy") == 2
    assert [n for n in notes if "type contact" in n] == [
        "Letter type contact G30, due 2026-03-10 processed by arrears",
        "Letter type contact G30, due 2026-03-17 processed by arrears",
    ]
    assert len(table(plans_db, "letter", "off")) == 2


def test_a_repeating_review_completed_from_the_worklist_schedules_its_next_period(plans_db: Database) -> None:
    from arrears.services.worklist import complete_activity, worklist

    run_plan(plans_db, "WEEKLY", "off", on=d("2026-03-10"), at=AT)
    run_day(plans_db, d("2026-03-10"))
    opened = {item.action: item.id for item in worklist(plans_db, d("2026-03-10"), {"AL"})}
    assert sorted(opened) == ["Weekly check", "Weekly look"]
    for item in opened.values():
        complete_activity(plans_db, item, "REVIEWED", on=d("2026-03-12"), actor="ann")
    assert plan_activities(plans_db, "off") == [
        "off: 2026-03-10 Weekly check (review) AL done",  # the completed copy
        "off: 2026-03-17 Weekly check (review) AL scheduled",
        "off: 2026-03-17 Weekly look (review) AL scheduled",  # forwarded itself: no copy
    ]
    notes = [n.text for n in table(plans_db, "note", "off") if "type contact" in n.text]
    assert notes == ["Review type contact Weekly check, due 2026-03-10 processed by ann"]
    assert worklist(plans_db, d("2026-03-16"), {"AL"}) == []
    run_day(plans_db, d("2026-03-17"))
    reopened = sorted(item.action for item in worklist(plans_db, d("2026-03-17"), {"AL"}))
    assert reopened == ["Weekly check", "Weekly look"]


def test_a_plan_that_runs_itself_next_month_same_day_repeats(plans_db: Database) -> None:
    run_plan(plans_db, "MONTHLY", "off", on=d("2027-01-31"), at=AT)
    run_day(plans_db, d("2027-02-28"))
    assert [n.text for n in table(plans_db, "note", "off")] == ["monthly reminder", "monthly reminder"]
    due = [line.split()[1] for line in plan_activities(plans_db) if "(run_plan)" in line]
    assert due == ["2027-02-28", "2027-03-28"]


def test_a_run_plan_action_runs_its_plan_in_the_daily_run(db: Database) -> None:
    portfolios(db)
    north = replace(STRATEGY.entry_policy.portfolios[0])
    north = replace(north, assignment=replace(north.assignment, default_action="Run NEW", rules=()))
    policy = replace(strategy().entry_policy, portfolios=(north, *strategy().entry_policy.portfolios[1:]))
    assert config.apply_document(db, dump_strategy(replace(strategy(), entry_policy=policy)), "p.yaml").ok
    world(db, "zoe Zed NORTH\n    2026-01-01 charge 150.00 due 2026-01-15")
    run_day(db, d("2026-03-10"))
    assert plan_activities(db) == [
        "zoe: 2026-03-10 Run NEW (run_plan) DEF done",
        "zoe: 2026-03-10 G30 (letter) DEF done",
        "zoe: 2026-03-20 Review the new account (review) DEF scheduled",
    ]


def test_a_transaction_of_a_linked_type_runs_its_plan_once_per_transaction(plans_db: Database) -> None:
    from arrears.services.accounts import reverse_payment

    pay(plans_db, "off", "10.00", "2026-03-10", "p1")
    pay(plans_db, "off", "5.00", "2026-03-10", "p2")
    first = next(row.id for row in table(plans_db, "ledger_line", "off") if row.external_id == "p1")
    reverse_payment(plans_db, "off", first, d("2026-03-10"))
    run_day(plans_db, d("2026-03-10"))
    run_day(plans_db, d("2026-03-10"))  # a rerun: nothing twice
    notes = [n.text for n in table(plans_db, "note", "off")]
    assert notes.count("Thank you") == 2  # one per payment
    fees = [row for row in table(plans_db, "ledger_line", "off") if row.kind == "fee"]
    assert [(f.amount_cents, f.posted_date) for f in fees] == [(2500, d("2026-03-10"))]
    assert "off: 2026-03-10 Returned payment (phone_call)  open" in plan_activities(plans_db, "off")


def test_importing_accounts_with_a_plan_runs_it_once_on_each_new_account(plans_db: Database, tmp_path: Path) -> None:
    from arrears.services.importing import ImportKind, import_file

    first = tmp_path / "mon.csv"
    first.write_text("external_id,portfolio,first_name,last_name,mode\nnia,NORTH,Nia,Nash,active\n"
                     "ned,NORTH,Ned,Nolan,closed\nann,NORTH,Ann,Adams,active\n")  # fmt: skip
    report = import_file(plans_db, ImportKind.ACCOUNTS, first, today=d("2026-03-10"), plan="NEW", at=AT)
    assert (report.inserted, report.unchanged) == (2, 1)
    assert report.plan is not None and (report.plan.ran, report.plan.counts["letters_queued"]) == (2, 2)
    assert plan_activities(plans_db, "nia") == [
        "nia: 2026-03-10 G30 (letter)  done", "nia: 2026-03-20 Review the new account (review)  scheduled",
    ]  # fmt: skip
    assert plan_activities(plans_db, "ann") == []  # already stored: not new
    assert [(row.event, row.detail) for row in table(plans_db, "history", "nia")] == [
        ("imported", "imported on 2026-03-10"),
        ("plan", "plan NEW run on 2026-03-10: 2 contacts, 0 pending deleted"),
    ]
    again = import_file(plans_db, ImportKind.ACCOUNTS, first, today=d("2026-03-11"), plan="NEW", at=AT)
    assert again.plan is not None and again.plan.ran == 0
    assert len(plan_activities(plans_db, "nia")) == 2  # a replayed file schedules nothing twice
    second = tmp_path / "tue.csv"
    second.write_text("external_id,portfolio,last_name,mode\nmo,NORTH,Moss,closed\nmy,NORTH,Myer,active\n")
    shut = import_file(plans_db, ImportKind.ACCOUNTS, second, today=d("2026-03-11"), plan="SHUT", at=AT)
    assert shut.plan is not None and (shut.plan.ran, shut.plan.skipped_closed) == (1, ["mo"])
    assert [row.event for row in table(plans_db, "history", "mo")] == ["imported", "plan-skipped"]


def test_an_import_refuses_a_plan_it_cannot_run_before_writing_anything(plans_db: Database, tmp_path: Path) -> None:
    from arrears.services.importing import ImportKind, import_file

    path = tmp_path / "new.csv"
    path.write_text("external_id,portfolio,last_name\nnia,NORTH,Nash\n")
    with pytest.raises(ValidationFailed, match="LEGAL is a sub-plan"):
        import_file(plans_db, ImportKind.ACCOUNTS, path, plan="LEGAL")
    with pytest.raises(ValidationFailed, match="plan START prompts for a start date"):
        import_file(plans_db, ImportKind.ACCOUNTS, path, plan="START")
    with pytest.raises(ValidationFailed, match=r"clerk \(user level 20\) may not run plan WIPE"):
        import_file(plans_db, ImportKind.ACCOUNTS, path, plan="WIPE", plan_user="clerk")
    with pytest.raises(ValidationFailed, match="import accounts only"):
        import_file(plans_db, ImportKind.TRANSACTIONS, path, plan="NEW")
    with pytest.raises(NotFound, match="no contact plan 'NOPE'"):
        import_file(plans_db, ImportKind.ACCOUNTS, path, plan="NOPE")
    assert [row for row in table(plans_db, "account") if row.external_id == "nia"] == []


def test_closing_an_account_runs_the_close_plans_and_marks_promises_done(plans_db: Database) -> None:
    from arrears.services.account_work import close_account

    promise_plan = Plan("PRM", events=(PlanEvent(1, EventType.PROMISE, timing=Timing.NEXT_MONTH_SAME_DAY,
                                                 promise_percent=50, no_autodelete=True),))  # fmt: skip
    with_promise = replace(strategy(), plans=(*PLANS, promise_plan))
    assert config.apply_document(plans_db, dump_strategy(with_promise), "p.yaml").ok
    run_plan(plans_db, "PRM", "off", on=d("2026-03-01"), at=AT)
    [promise] = table(plans_db, "activity", "off")
    assert (promise.kind, promise.amount_cents, promise.status) == ("promise", 4000, "scheduled")
    close_account(plans_db, "off", d("2026-03-10"))
    run_day(plans_db, d("2026-03-10"))
    run_day(plans_db, d("2026-03-10"))
    assert [n.text for n in table(plans_db, "note", "off")].count("Account closed") == 1
    assert table(plans_db, "activity", "off")[0].status == "done"
