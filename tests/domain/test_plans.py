"""Contact plans (seed 002) in the domain: the calendar rules, priorities, access ranges, conditions, deleting
pending contacts, sub-plans, closed accounts, repeats, with the page's own examples and numbers."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from arrears.domain.calendar import (
    RepeatPeriod,
    day_of_month,
    delayed_moment,
    format_delay_minutes,
    forward_past,
    next_month_same_day,
    parse_delay_minutes,
)
from arrears.domain.cases import ActivityEvent, ActivityStatus, PlanEventOrigin
from arrears.domain.effects import CommissionRate, ModeChange, Note, OperatorAssignment, Posting
from arrears.domain.plans import (
    AccountView,
    AssignTo,
    EventType,
    LevelRange,
    PendingContact,
    Plan,
    PlanEvent,
    PlanRequest,
    ScheduleIf,
    Timing,
    close_disposition,
    forward_contact,
    plan_problems,
    promise_amount,
    schedule_plan,
)
from arrears.domain.priority import priority_band
from arrears.domain.promises import StandingPromise

EASTERN = timezone(timedelta(hours=-5))
RUN_AT = datetime(2026, 3, 10, 15, 26, 43, tzinfo=EASTERN)


def request(plan: str, on: date = date(2026, 3, 10), **options: object) -> PlanRequest:
    return PlanRequest(plan, "manual:1", on, options.pop("at", RUN_AT), **options)  # type: ignore[arg-type]


def account(**options: object) -> AccountView:
    values: dict[str, object] = {"account_id": 7, "owing_cents": 120_000, "operator": "ann"}
    values.update(options)
    return AccountView(**values)  # type: ignore[arg-type]


def plans(*items: Plan) -> dict[str, Plan]:
    return {p.code: p for p in items}


def pending(key: str, kind: str, description: str = "", **options: object) -> PendingContact:
    return PendingContact(key, kind, description, options.pop("status", ActivityStatus.SCHEDULED), **options)  # type: ignore[arg-type]


# ----------------------------------------------------------------------------------------- calendar


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2027, 2, 10), date(2027, 2, 28)),  # a 31st in February is its last day
        (date(2028, 2, 10), date(2028, 2, 29)),  # leap year
        (date(2027, 2, 28), date(2027, 2, 28)),  # the clamped day is today: due today
        (date(2027, 1, 31), date(2027, 1, 31)),
        (date(2027, 4, 30), date(2027, 4, 30)),
    ],
)
def test_day_of_month_31_is_the_last_day_of_a_shorter_month(today: date, expected: date) -> None:
    assert day_of_month(today, 31) == expected


def test_day_of_month_15_run_on_the_31st_is_next_month_and_run_on_the_15th_is_today() -> None:
    assert day_of_month(date(2026, 1, 31), 15) == date(2026, 2, 15)
    assert day_of_month(date(2026, 1, 15), 15) == date(2026, 1, 15)
    assert day_of_month(date(2026, 1, 14), 15) == date(2026, 1, 15)
    assert day_of_month(date(2026, 12, 16), 15) == date(2027, 1, 15)


def test_next_month_same_day_from_jan_31_and_from_nov_15() -> None:
    assert next_month_same_day(date(2027, 1, 31)) == date(2027, 2, 28)
    assert next_month_same_day(date(2028, 1, 31)) == date(2028, 2, 29)
    assert next_month_same_day(date(2026, 11, 15)) == date(2026, 12, 15)


def test_delay_minutes_as_minutes_or_hours_on_a_24_hour_clock() -> None:
    assert parse_delay_minutes("1:00") == 60
    assert parse_delay_minutes("40") == 40
    assert parse_delay_minutes("2:05") == 125
    assert format_delay_minutes(60) == "1:00" and format_delay_minutes(40) == "40"
    for bad in ("1:60", "one hour", "-5", "1.5"):
        with pytest.raises(ValueError, match="24-hour clock"):
            parse_delay_minutes(bad)
    invoked = datetime(2026, 3, 10, 15, 26, 43, tzinfo=EASTERN)
    assert delayed_moment(invoked, 60).time().isoformat() == "16:26:43"
    assert delayed_moment(invoked, 40).time().isoformat() == "16:06:43"


def test_a_monthly_repeat_of_the_31st_comes_back_to_the_31st_and_skips_missed_periods() -> None:
    assert forward_past(date(2026, 1, 31), RepeatPeriod.MONTHLY, date(2026, 1, 31)) == date(2026, 2, 28)
    assert forward_past(date(2026, 1, 31), RepeatPeriod.MONTHLY, date(2026, 3, 1)) == date(2026, 3, 31)
    assert forward_past(date(2026, 3, 2), RepeatPeriod.WEEKLY, date(2026, 3, 20)) == date(2026, 3, 23)


@pytest.mark.parametrize(("priority", "band"), [(99, "high"), (66, "high"), (65, "medium"), (34, "medium"),
                                                 (33, "low"), (1, "low")])  # fmt: skip
def test_priority_bands(priority: int, band: str) -> None:
    assert priority_band(priority) == band


# ------------------------------------------------------------------------------------------- timing


NEW = Plan(
    "NEW",
    "New account: a letter now and a review in 10 days",
    events=(
        PlanEvent(1, EventType.LETTER, "G30"),
        PlanEvent(2, EventType.REVIEW, "Review the new account", timing=Timing.DELAY_DAYS, days=10),
    ),
)


def test_the_new_plan_queues_a_letter_now_and_a_review_in_10_days() -> None:
    outcome = schedule_plan(request("NEW"), account(), plans(NEW))
    shown = [(c.type.value, c.due, c.status.value, c.release_now, c.assignee) for c in outcome.contacts]
    assert shown == [
        ("letter", date(2026, 3, 10), "scheduled", True, "ann"),
        ("review", date(2026, 3, 20), "scheduled", False, "ann"),
    ]
    assert outcome.contacts[1].reason == (
        "plan NEW event 2 (review): 10 delay days from the run date 2026-03-10 → 2026-03-20"
    )
    assert outcome.contacts[0].key == "7/plan:NEW:1:manual:1/2026-03-10"


def test_delay_days_count_from_the_prompted_start_date_but_day_of_month_does_not() -> None:
    plan = Plan("P", prompt_for_start_date=True, events=(
        PlanEvent(1, EventType.REVIEW, timing=Timing.DELAY_DAYS, days=7),
        PlanEvent(2, EventType.REVIEW, timing=Timing.DAY_OF_MONTH, day_of_month=15),
        PlanEvent(3, EventType.REVIEW, timing=Timing.DELAY_DAYS, days=0),
    ))  # fmt: skip
    outcome = schedule_plan(request("P", date(2026, 3, 20), start_date=date(2026, 4, 1)), account(), plans(plan))
    assert [c.due for c in outcome.contacts] == [date(2026, 4, 8), date(2026, 4, 15), date(2026, 4, 1)]
    outcome = schedule_plan(request("P", date(2026, 3, 20)), account(), plans(plan))
    assert [c.due for c in outcome.contacts] == [date(2026, 3, 27), date(2026, 4, 15), date(2026, 3, 20)]


def test_delay_minutes_time_the_contact_from_the_moment_the_plan_runs() -> None:
    plan = Plan("C", events=(
        PlanEvent(1, EventType.PHONE_CALL, delay_minutes=60),
        PlanEvent(2, EventType.PHONE_CALL, delay_minutes=40, timing=Timing.DELAY_DAYS, days=1),
        PlanEvent(3, EventType.PHONE_CALL),
    ))  # fmt: skip
    outcome = schedule_plan(request("C"), account(), plans(plan))
    moments = [c.due_at.isoformat() if c.due_at else None for c in outcome.contacts]
    assert moments == ["2026-03-10T16:26:43-05:00", "2026-03-11T16:06:43-05:00", None]
    assert [c.release_now for c in outcome.contacts] == [False, False, True]


def test_assign_to_account_current_or_specific_operator() -> None:
    plan = Plan("A", events=(
        PlanEvent(1, EventType.REVIEW),
        PlanEvent(2, EventType.REVIEW, assign_to=AssignTo.CURRENT_OPERATOR),
        PlanEvent(3, EventType.REVIEW, assign_to=AssignTo.SPECIFIC_OPERATOR, operator="cho"),
    ))  # fmt: skip
    outcome = schedule_plan(request("A", user="ben"), account(), plans(plan))
    assert [c.assignee for c in outcome.contacts] == ["ann", "ben", "cho"]


def test_immediate_events_happen_now_in_sequence_order() -> None:
    plan = Plan("IMM", events=(
        PlanEvent(3, EventType.MODE, "closed"),
        PlanEvent(1, EventType.NOTE, "Plan IMM started"),
        PlanEvent(2, EventType.TRANSACTION, "fee", amount_cents=2500),
        PlanEvent(4, EventType.OPERATOR, "cho"),
        PlanEvent(5, EventType.COMMISSION, "12.5"),
        PlanEvent(6, EventType.STATUS_CHANGE, "LEGAL", record_event_history=False),
    ))  # fmt: skip
    outcome = schedule_plan(request("IMM"), account(), plans(plan))
    assert [type(e).__name__ for e in outcome.effects] == [
        "Note", "Posting", "ModeChange", "OperatorAssignment", "CommissionRate", "StatusChange",
    ]  # fmt: skip
    note, posting, mode, operator, commission = outcome.effects[:5]
    assert isinstance(note, Note) and note.text == "Plan IMM started"
    assert isinstance(posting, Posting) and posting.amount_cents == 2500
    assert isinstance(mode, ModeChange) and mode.mode == "closed"
    assert isinstance(operator, OperatorAssignment) and operator.operator == "cho"
    assert isinstance(commission, CommissionRate) and commission.basis_points == 1250
    # every contact is done (history); the status change without record event history leaves none
    assert [(c.type.value, c.status.value, c.recorded) for c in outcome.contacts] == [
        ("note", "done", True), ("transaction", "done", True), ("mode", "done", True), ("operator", "done", True),
        ("commission", "done", True), ("status_change", "done", False),
    ]  # fmt: skip


def test_mark_done_immediately_is_history_only() -> None:
    talked = PlanEvent(1, EventType.PHONE_CALL, "Talked to the guarantor", mark_done_immediately=True)
    plan = Plan("H", events=(talked,))
    outcome = schedule_plan(request("H"), account(), plans(plan))
    assert [(c.status.value, c.release_now) for c in outcome.contacts] == [("done", False)]
    assert outcome.effects == []


def test_a_promise_event_is_a_percentage_of_the_amount_owing() -> None:
    plan = Plan("PRM", events=(
        PlanEvent(1, EventType.PROMISE, timing=Timing.NEXT_MONTH_SAME_DAY, promise_percent=25,
                  repeat=RepeatPeriod.MONTHLY, advance_promise_on_overpayment=True),
    ))  # fmt: skip
    outcome = schedule_plan(request("PRM"), account(owing_cents=120_001), plans(plan))
    [promise] = outcome.contacts
    assert (promise.type, promise.due, promise.amount_cents, promise.status) == (
        EventType.PROMISE, date(2026, 4, 10), 30_000, ActivityStatus.SCHEDULED,
    )  # fmt: skip
    assert promise_amount(33, 10_001) == 3300


# ------------------------------------------------------------------------------------------ schedule if


def test_a_range_condition_is_inclusive_at_both_ends() -> None:
    plan = Plan("R", events=(
        PlanEvent(1, EventType.REVIEW, schedule_if=ScheduleIf("balance", "..", "100", "200")),
    ))  # fmt: skip
    scheduled = {
        cents: bool(schedule_plan(request("R"), account(fields={"balance": cents}), plans(plan)).contacts)
        for cents in (9_999, 10_000, 20_000, 20_001)
    }
    assert scheduled == {9_999: False, 10_000: True, 20_000: True, 20_001: False}
    assert plan.events[0].schedule_if is not None
    assert plan.events[0].schedule_if.condition() == "balance BETWEEN 100 AND 200"


def test_every_schedule_if_operator_compiles_into_the_condition_language() -> None:
    for operator, text in (("=", "days_past_due = 30"), (">", "days_past_due > 30"), ("<", "days_past_due < 30"),
                           ("<>", "days_past_due <> 30"), (">=", "days_past_due >= 30"),
                           ("<=", "days_past_due <= 30")):  # fmt: skip
        assert ScheduleIf("days_past_due", operator, 30).condition() == text


# ------------------------------------------------------------------------------------------ access


def test_user_levels_at_the_edges_of_the_access_ranges() -> None:
    plan = Plan("ACC", access=(LevelRange(10, 20), LevelRange(50, 50), LevelRange(90, 99)))
    admitted = {level: plan.admits(level) for level in (9, 10, 20, 21, 49, 50, 51, 89, 90, 99)}
    assert admitted == {9: False, 10: True, 20: True, 21: False, 49: False, 50: True, 51: False, 89: False,
                        90: True, 99: True}  # fmt: skip
    assert Plan("OPEN").admits(0) and Plan("OPEN").admits(99)


# ------------------------------------------------------------------------------------------ deleting


def test_delete_all_pending_keeps_metro_and_do_not_autodelete_and_marks_a_repeating_promise_done() -> None:
    promise_plan = Plan("PRM", events=(PlanEvent(1, EventType.PROMISE, promise_percent=10, repeat=RepeatPeriod.MONTHLY,
                                                 timing=Timing.NEXT_MONTH_SAME_DAY),))  # fmt: skip
    copied_plan = Plan("PRC", events=(PlanEvent(1, EventType.PROMISE, promise_percent=10, repeat=RepeatPeriod.MONTHLY,
                                                copy_on_repeat=True, timing=Timing.NEXT_MONTH_SAME_DAY),))  # fmt: skip
    wipe = Plan("WIPE", delete_all_pending=True, events=(PlanEvent(1, EventType.NOTE, "wiped"),))
    work = (
        pending("metro", "credit_report"),
        pending("keep", "review", no_auto_delete=True),
        pending("promise", "promise", origin=PlanEventOrigin("PRM", 1, "x")),
        pending("promise-copy", "promise", origin=PlanEventOrigin("PRC", 1, "x")),
        pending("call", "phone_call", status=ActivityStatus.OPEN),
        pending("letter", "letter", "G30"),
    )
    outcome = schedule_plan(request("WIPE"), account(pending=work), plans(wipe, promise_plan, copied_plan))
    assert [(r.key, r.event.value, r.status.value) for r in outcome.removals] == [
        ("promise", "perform", "done"),
        ("promise-copy", "cancel", "cancelled"),
        ("call", "cancel", "cancelled"),
        ("letter", "cancel", "cancelled"),
    ]


def test_delete_all_pending_ends_the_promises_that_stand_as_their_contacts_are_ended() -> None:
    """Seed 002 "Promises": a repeating promise without create copy on repeat is marked done, a promise without
    a repeat or with a copy on repeat is deleted (cancelled); a promise taken on a call has no contact and no
    copy, so it is done when it repeats; a do-not-autodelete promise event keeps its promise open."""
    monthly = {"repeat": RepeatPeriod.MONTHLY, "timing": Timing.NEXT_MONTH_SAME_DAY, "promise_percent": 10}
    plain = Plan("PRM", events=(PlanEvent(1, EventType.PROMISE, **monthly),))  # type: ignore[arg-type]
    copied = Plan("PRC", events=(PlanEvent(1, EventType.PROMISE, copy_on_repeat=True, **monthly),))  # type: ignore[arg-type]
    kept = Plan("PRK", events=(PlanEvent(1, EventType.PROMISE, no_autodelete=True, **monthly),))  # type: ignore[arg-type]
    wipe = Plan("WIPE", delete_all_pending=True, events=(PlanEvent(1, EventType.NOTE, "wiped"),))
    work = (
        pending("p-plain", "promise", origin=PlanEventOrigin("PRM", 1, "x")),
        pending("p-copy", "promise", origin=PlanEventOrigin("PRC", 1, "x")),
        pending("p-kept", "promise", origin=PlanEventOrigin("PRK", 1, "x"), no_auto_delete=True),
    )
    since = date(2026, 3, 1)
    standing = (
        StandingPromise(1, since, "p-plain", repeats=True), StandingPromise(2, since, "p-copy", repeats=True),
        StandingPromise(3, since, "p-kept", repeats=True), StandingPromise(4, since, "call:9", repeats=True),
        StandingPromise(5, since, "call:10", repeats=False),
    )  # fmt: skip
    outcome = schedule_plan(request("WIPE"), account(pending=work, promises=standing),
                            plans(wipe, plain, copied, kept))  # fmt: skip
    assert [(r.promise.promise_id, r.status.value) for r in outcome.promise_removals] == [
        (1, "done"), (2, "cancelled"), (4, "done"), (5, "cancelled")]  # fmt: skip
    assert [(r.key, r.status.value) for r in outcome.removals] == [("p-plain", "done"), ("p-copy", "cancelled")]
    assert outcome.promise_removals[0].reason == (
        "marked done: deleted by plan WIPE (delete all pending contacts) on 2026-03-10 (a repeating promise is kept)")
    as_sub_plan = schedule_plan(request("WIPE"), account(pending=work, promises=standing),
                                plans(wipe, plain, copied, kept), sub_plan=True)  # fmt: skip
    assert as_sub_plan.promise_removals == []


def test_the_same_plan_as_a_sub_plan_deletes_nothing() -> None:
    wipe = Plan("WIPE", delete_all_pending=True, events=(PlanEvent(1, EventType.NOTE, "wiped"),))
    caller = Plan("MAIN", events=(PlanEvent(1, EventType.RUN_PLAN, "WIPE"),))
    work = (pending("letter", "letter", "G30"),)
    sub = schedule_plan(request("MAIN"), account(pending=work), plans(wipe, caller))
    assert sub.removals == []
    assert [(c.origin.plan, c.type.value) for c in sub.contacts] == [("MAIN", "run_plan"), ("WIPE", "note")]
    assert sub.contacts[1].origin.run == "manual:1>MAIN.1"
    primary = schedule_plan(request("WIPE"), account(pending=work), plans(wipe, caller))
    assert [r.key for r in primary.removals] == ["letter"]
    batch_of_scheduled = schedule_plan(request("WIPE", deletes=False), account(pending=work), plans(wipe, caller))
    assert batch_of_scheduled.removals == []


def test_delete_same_type_contacts_and_same_description_only() -> None:
    plan = Plan("LET", events=(
        PlanEvent(1, EventType.LETTER, "G60", delete_same_type=True, same_description_only=True),
        PlanEvent(2, EventType.PHONE_CALL, delete_same_type=True, timing=Timing.DELAY_DAYS, days=1),
    ))  # fmt: skip
    work = (pending("g30", "letter", "G30"), pending("g60", "letter", "G60"), pending("call", "phone_call"),
            pending("kept-call", "phone_call", no_auto_delete=True))  # fmt: skip
    outcome = schedule_plan(request("LET"), account(pending=work), plans(plan))
    assert [r.key for r in outcome.removals] == ["g60", "call"]


def test_delete_same_type_ends_the_promise_whose_contact_it_deletes_by_the_rule_of_delete_all() -> None:
    """A promise event with delete same type contacts (same description only) replaces the pending promise
    contacts of that description, and their promises end as delete all pending contacts ends them: the
    repeating one without a copy is marked done, the copied one cancelled; a do-not-autodelete contact, one of
    another description and a promise taken on a call (no contact) stand."""
    monthly = {"repeat": RepeatPeriod.MONTHLY, "timing": Timing.NEXT_MONTH_SAME_DAY, "promise_percent": 10}
    plain = Plan("PRM", events=(PlanEvent(1, EventType.PROMISE, "Monthly", **monthly),))  # type: ignore[arg-type]
    copied = Plan("PRC", events=(PlanEvent(1, EventType.PROMISE, "Monthly", copy_on_repeat=True, **monthly),))  # type: ignore[arg-type]
    again = Plan("AGAIN", events=(PlanEvent(1, EventType.PROMISE, "Monthly", delete_same_type=True,
                                            same_description_only=True, **monthly),))  # type: ignore[arg-type]  # fmt: skip
    work = (
        pending("p-plain", "promise", "Monthly", origin=PlanEventOrigin("PRM", 1, "x")),
        pending("p-copy", "promise", "Monthly", origin=PlanEventOrigin("PRC", 1, "x")),
        pending("p-kept", "promise", "Monthly", origin=PlanEventOrigin("PRM", 1, "y"), no_auto_delete=True),
        pending("p-other", "promise", "Weekly", origin=PlanEventOrigin("PRM", 1, "z")),
    )
    since = date(2026, 3, 1)
    keys = ("p-plain", "p-copy", "p-kept", "p-other", "call:9")
    standing = tuple(StandingPromise(n, since, key, repeats=True) for n, key in enumerate(keys, start=1))
    outcome = schedule_plan(request("AGAIN"), account(pending=work, promises=standing), plans(plain, copied, again))
    assert [(r.key, r.status.value) for r in outcome.removals] == [("p-plain", "done"), ("p-copy", "cancelled")]
    assert [(r.promise.promise_id, r.status.value) for r in outcome.promise_removals] == [(1, "done"), (2, "cancelled")]
    assert outcome.promise_removals[0].reason == (
        "marked done: replaced by plan AGAIN event 1 (delete same type contacts) on 2026-03-10 (a repeating promise "
        "is kept)")  # fmt: skip
    (made,) = outcome.contacts  # the new promise contact: 10% of $1,200.00, next month same day
    assert (made.amount_cents, made.due) == (12_000, date(2026, 4, 10))


def test_closed_accounts_are_skipped_when_the_plan_says_so() -> None:
    plan = Plan("NC", do_not_run_on_closed=True, events=(PlanEvent(1, EventType.NOTE, "hello"),))
    outcome = schedule_plan(request("NC"), account(closed=True), plans(plan))
    assert outcome.contacts == [] and outcome.refused == "plan NC does not run on closed accounts: account 7 skipped"
    runs_anyway = schedule_plan(request("NC"), account(closed=True), plans(replace_skip(plan)))
    assert len(runs_anyway.contacts) == 1


def replace_skip(plan: Plan) -> Plan:
    from dataclasses import replace

    return replace(plan, do_not_run_on_closed=False)


def test_closing_an_account_marks_promises_and_transactions_done_regardless_of_do_not_autodelete() -> None:
    why = "account closed"
    assert close_disposition(pending("p", "promise", no_auto_delete=True), why) is not None
    assert close_disposition(pending("t", "transaction", no_auto_delete=True), why).status is ActivityStatus.DONE  # type: ignore[union-attr]
    assert close_disposition(pending("r", "review", no_auto_delete=True), why) is None
    assert close_disposition(pending("r", "review"), why).event is ActivityEvent.CANCEL  # type: ignore[union-attr]


# ------------------------------------------------------------------------------------------ repeat


def test_a_repeat_with_copy_and_log_to_notes() -> None:
    event = PlanEvent(1, EventType.LETTER, "G30", repeat=RepeatPeriod.MONTHLY, copy_on_repeat=True,
                      log_repeat_to_notes=True, timing=Timing.DAY_OF_MONTH, day_of_month=31)  # fmt: skip
    origin = PlanEventOrigin("MON", 1, "manual:1")
    forwarded = forward_contact(event, "k", origin, date(2026, 1, 31), None, "ann", date(2026, 1, 31), "arrears",
                                "plan MON")  # fmt: skip
    assert forwarded is not None
    assert forwarded.due == date(2026, 2, 28)
    assert forwarded.copy is not None and forwarded.copy.status is ActivityStatus.DONE
    assert forwarded.copy.due == date(2026, 1, 31)
    assert forwarded.note is not None
    assert forwarded.note.text == "Letter type contact G30, due 2026-01-31 processed by arrears"


def test_a_repeat_without_copy_or_log_only_moves_the_contact() -> None:
    event = PlanEvent(1, EventType.REVIEW, repeat=RepeatPeriod.WEEKLY, timing=Timing.DELAY_DAYS, days=0)
    moment = datetime(2026, 3, 10, 16, 0, tzinfo=UTC)
    forwarded = forward_contact(event, "k", PlanEventOrigin("W", 1, "r"), date(2026, 3, 10), moment, "ann",
                                date(2026, 3, 10), "arrears", "")  # fmt: skip
    assert forwarded is not None
    assert (forwarded.due, forwarded.due_at, forwarded.copy, forwarded.note) == (
        date(2026, 3, 17), datetime(2026, 3, 17, 16, 0, tzinfo=UTC), None, None,
    )  # fmt: skip
    assert forward_contact(PlanEvent(1, EventType.REVIEW), "k", PlanEventOrigin("W", 1, "r"), date(2026, 3, 10),
                           None, "ann", date(2026, 3, 10), "arrears", "") is None  # fmt: skip


# ------------------------------------------------------------------------------------------ validation


def problems(*items: Plan) -> list[str]:
    return [f"{path}: {rule}" for path, rule in plan_problems(items, frozenset({"G30"}), frozenset({"ann", "cho"}))]


def test_plan_codes_are_1_to_7_letters_or_digits_and_unique() -> None:
    event = (PlanEvent(1, EventType.NOTE, "x"),)
    assert problems(Plan("R14", events=event), Plan("C1", events=event)) == []
    assert problems(Plan("TOOLONG8", events=event)) == ["plans[TOOLONG8].code: must be at most 7 letters or digits"]
    assert problems(Plan("R-14", events=event)) == ["plans[R-14].code: must be 1 to 7 letters or digits"]
    assert problems(Plan("R14", events=event), Plan("R14", events=event)) == ["plans[R14]: is defined more than once"]


def test_every_field_is_checked_with_its_path() -> None:
    plan = Plan("BAD", prompt_before_deleting=True, access=(LevelRange(30, 20), LevelRange(0, 100),
                LevelRange(1, 2), LevelRange(3, 4)), events=(
        PlanEvent(1, EventType.LETTER, "G99", priority=100),
        PlanEvent(1, EventType.REVIEW, timing=Timing.DELAY_DAYS, record_event_history=False),
        PlanEvent(3, EventType.NOTE, "", timing=Timing.DAY_OF_MONTH, day_of_month=32, copy_on_repeat=True),
        PlanEvent(4, EventType.RUN_PLAN, "BAD"),
        PlanEvent(5, EventType.PROMISE, promise_percent=0, same_description_only=True),
        PlanEvent(6, EventType.OPERATOR, "zed", assign_to=AssignTo.SPECIFIC_OPERATOR),
        PlanEvent(7, EventType.COMMISSION, "150"),
        PlanEvent(8, EventType.TRANSACTION, "gift"),
        PlanEvent(9, EventType.MODE, "open", schedule_if=ScheduleIf("balanse", ">", "10")),
    ))  # fmt: skip
    found = problems(plan)
    assert found[:5] == [
        "plans[BAD].prompt_before_deleting: is only used when delete_all_pending is set",
        "plans[BAD].access: must have at most 3 ranges",
        "plans[BAD].access[1]: low (30) must not be greater than high (20)",
        "plans[BAD].access[2].high: must be a user level between 0 and 99",
        "plans[BAD].events[1].priority: must be between 1 and 99",
    ]
    assert "plans[BAD].events[1].description: names an unknown letter template 'G99'" in found
    assert "plans[BAD].events[1]: sequence is used by another event of the plan" in found
    assert "plans[BAD].events[1].days: is required when timing is delay_days" in found
    assert any(line.startswith("plans[BAD].events[1].record_event_history: must stay on") for line in found)
    assert "plans[BAD].events[3].day_of_month: must be between 1 and 31" in found
    assert "plans[BAD].events[3].description: must be the note text" in found
    assert "plans[BAD].events[3].copy_on_repeat: is only used when the event repeats" in found
    assert ("plans[BAD].events[4].description: a plan may call itself only later (next month same day, a delay), "
            "never immediately") in found  # fmt: skip
    assert "plans[BAD].events[5].promise_percent: must be between 1 and 100" in found
    assert "plans[BAD].events[5].same_description_only: only works when delete_same_type is set" in found
    assert "plans[BAD].events[6].operator: is required when assign_to is specific_operator" in found
    assert "plans[BAD].events[6].description: names an unknown collector or group 'zed'" in found
    assert "plans[BAD].events[7].description: must be a commission rate from 0 to 100 percent (e.g. 12.5)" in found
    assert any(line.startswith("plans[BAD].events[8].description: must be the ledger kind") for line in found)
    assert "plans[BAD].events[8].amount: is required for a transaction and must be greater than 0" in found
    assert "plans[BAD].events[9].description: must be one of active, closed" in found
    assert any(line.startswith("plans[BAD].events[9].schedule_if: unknown field 'balanse'") for line in found)


def test_plans_that_call_each_other_immediately_are_refused_but_later_calls_repeat() -> None:
    a = Plan("A", events=(PlanEvent(1, EventType.RUN_PLAN, "B"),))
    b = Plan("B", events=(PlanEvent(1, EventType.RUN_PLAN, "A"),))
    assert problems(a, b) == ["plans[A].events: plans call each other immediately in a cycle: A → B → A"]
    monthly = Plan("MONTHLY", events=(PlanEvent(1, EventType.RUN_PLAN, "MONTHLY",
                                                timing=Timing.NEXT_MONTH_SAME_DAY),))  # fmt: skip
    assert problems(monthly) == []


def test_running_the_same_fact_again_deletes_none_of_its_own_contacts() -> None:
    wipe = Plan("WIPE", delete_all_pending=True, events=(
        PlanEvent(1, EventType.REVIEW, timing=Timing.DELAY_DAYS, days=5, delete_same_type=True),
    ))  # fmt: skip
    own = pending("own", "review", origin=PlanEventOrigin("WIPE", 1, "line:7"))
    sub = pending("sub", "note", origin=PlanEventOrigin("X", 1, "line:7>WIPE.2"))
    other = pending("other", "review", origin=PlanEventOrigin("WIPE", 1, "line:6"))
    rerun = PlanRequest("WIPE", "line:7", date(2026, 3, 10), RUN_AT)
    outcome = schedule_plan(rerun, account(pending=(own, sub, other)), plans(wipe))
    assert [r.key for r in outcome.removals] == ["other"]
