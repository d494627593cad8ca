"""Where the milestone rule sends an account (seed 004), with the issue's numbers: milestones at 30/60/90 days
past due and a 10-day duration; the peer cases at 30/40/50 days from an invoice of $249.95 on 2012-05-31."""

from __future__ import annotations

from datetime import date, timedelta

from arrears.domain.calendar import add_business_days
from arrears.domain.strategy.schemes import (
    CreditRating,
    DurationUnit,
    Milestone,
    MilestoneState,
    Move,
    Scheme,
    milestone_step,
    next_allowed,
)

SCHEME = Scheme(
    "WATER", "Water collections",
    (
        Milestone("30 days", days_past_due=30, duration_days=10, resolve_below_cents=1_000),
        Milestone("60 days", days_past_due=60, duration_days=10),
        Milestone("90 days", days_past_due=90, reversal_milestone="60 days"),
    ),
    min_entry_cents=5_000,
)  # fmt: skip
AS_OF = date(2026, 3, 1)


def row(days_past_due: int, balance_cents: int = 20_000) -> dict[str, object]:
    return {"balance": balance_cents, "days_past_due": days_past_due}


def at(milestone: int | None, reached_on: date, entry_balance: int = 20_000) -> MilestoneState:
    return MilestoneState("WATER", milestone, reached_on, entry_balance)


def test_an_account_45_days_past_due_enters_milestone_1() -> None:
    step = milestone_step(SCHEME, None, row(45), AS_OF)
    assert (step.move, step.milestone, step.passed) == (Move.ENTER, 0, (0,))


def test_a_minimum_entry_amount_exactly_equal_does_not_enter() -> None:
    assert milestone_step(SCHEME, None, row(45, 5_000), AS_OF).move is Move.STAY
    assert milestone_step(SCHEME, None, row(45, 5_001), AS_OF).move is Move.ENTER


def test_at_day_61_it_increments_once_the_10_day_duration_has_passed() -> None:
    entered = AS_OF - timedelta(days=16)  # entered at 45 days past due
    step = milestone_step(SCHEME, at(0, entered), row(61), AS_OF)
    assert (step.move, step.milestone) == (Move.INCREMENT, 1)
    too_soon = milestone_step(SCHEME, at(0, AS_OF - timedelta(days=9)), row(61), AS_OF)
    assert (too_soon.move, too_soon.milestone) == (Move.STAY, 0)


def test_one_step_per_run_unless_the_scheme_jumps() -> None:
    long_ago = AS_OF - timedelta(days=100)
    assert milestone_step(SCHEME, at(0, long_ago), row(95), AS_OF).milestone == 1
    jumping = Scheme(SCHEME.code, SCHEME.name, SCHEME.milestones, jump=True)
    step = milestone_step(jumping, at(0, long_ago), row(95), AS_OF)
    assert (step.move, step.milestone, step.passed) == (Move.INCREMENT, 2, (1, 2))


def test_a_partial_payment_back_under_60_days_decrements() -> None:
    step = milestone_step(SCHEME, at(1, AS_OF - timedelta(days=5)), row(50, 15_000), AS_OF)
    assert (step.move, step.milestone) == (Move.DECREMENT, 0)


def test_paying_in_full_resolves_by_full_payment_and_under_the_resolve_amount_by_formula() -> None:
    assert milestone_step(SCHEME, at(1, AS_OF), row(0, 0), AS_OF).move is Move.RESOLVE_FULL_PAYMENT
    assert milestone_step(SCHEME, at(0, AS_OF), row(40, 999), AS_OF).move is Move.RESOLVE_FORMULA
    assert milestone_step(SCHEME, at(0, AS_OF), row(40, 1_000), AS_OF).move is Move.STAY


def test_a_payment_reversal_returns_to_the_configured_milestone() -> None:
    step = milestone_step(SCHEME, at(2, AS_OF - timedelta(days=3)), row(95), AS_OF, reversed_payment=True)
    assert (step.move, step.milestone) == (Move.REVERSAL, 1)


def test_a_hold_freezes_it_unless_the_scheme_lets_holds_resolve() -> None:
    state = at(0, AS_OF - timedelta(days=30))
    assert milestone_step(SCHEME, state, row(65), AS_OF, held=True).move is Move.STAY
    assert milestone_step(SCHEME, state, row(0, 0), AS_OF, held=True).move is Move.STAY
    lenient = Scheme(SCHEME.code, SCHEME.name, SCHEME.milestones, holds_auto_resolve=True)
    assert milestone_step(lenient, state, row(0, 0), AS_OF, held=True).move is Move.RESOLVE_FULL_PAYMENT
    assert milestone_step(lenient, state, row(65), AS_OF, held=True).move is Move.STAY  # never up while held


def test_a_business_day_duration_skips_a_federal_holiday() -> None:
    """Reached on Friday 2026-11-06: ten business days skip Veterans Day (Wednesday 11-11)."""
    business = Milestone("30 days", days_past_due=30, duration_days=10, duration_unit=DurationUnit.BUSINESS)
    scheme = Scheme("WATER", "Water", (business, SCHEME.milestones[1]))
    assert next_allowed(scheme, business, date(2026, 11, 6)) == date(2026, 11, 23)
    assert add_business_days(date(2026, 11, 6), 10, "US", "") == date(2026, 11, 23)
    assert milestone_step(scheme, at(0, date(2026, 11, 6)), row(61), date(2026, 11, 20)).move is Move.STAY
    assert milestone_step(scheme, at(0, date(2026, 11, 6)), row(61), date(2026, 11, 23)).move is Move.INCREMENT


def test_stages_at_30_40_50_days_checked_every_10_days_from_an_invoice_of_249_95() -> None:
    stages = Scheme("PEER", "Peer stages", tuple(Milestone(f"stage {n}", days_past_due=d) for n, d in
                                                 ((1, 30), (2, 40), (3, 50))))  # fmt: skip
    invoice = date(2012, 5, 31)
    state: MilestoneState | None = None
    reached: dict[int, date] = {}
    day = invoice
    while day <= date(2012, 8, 31):
        step = milestone_step(stages, state, row((day - invoice).days, 24_995), day)
        if step.milestone is not None and (state is None or step.milestone != state.milestone):
            reached[step.milestone + 1] = day
            state = MilestoneState("PEER", step.milestone, day, 24_995)
        day += timedelta(days=10)
    assert reached == {1: date(2012, 6, 30), 2: date(2012, 7, 10), 3: date(2012, 7, 20)}


def test_paying_the_two_oldest_charges_re_anchors_and_does_not_skip_a_stage() -> None:
    """Stages at 5/7/11 days; charges due 01-01, 01-03, 01-06. On 01-10 the account is at stage 2 (9 days); the
    two oldest are paid, so it re-anchors on 01-06 (4 days: no stage applies); it then climbs 1, 2, 3 in turn."""
    stages = Scheme("PEER", "Peer stages", tuple(Milestone(f"stage {n}", days_past_due=d) for n, d in
                                                 ((1, 5), (2, 7), (3, 11))))  # fmt: skip
    state = MilestoneState("PEER", 1, date(2026, 1, 8), 30_000)
    anchor = date(2026, 1, 6)
    step = milestone_step(stages, state, row((date(2026, 1, 10) - anchor).days, 10_000), date(2026, 1, 10))
    assert (step.move, step.milestone) == (Move.DECREMENT, None)
    state = MilestoneState("PEER", None, date(2026, 1, 10), 30_000)
    seen = []
    for offset in range(1, 12):
        day = date(2026, 1, 10) + timedelta(days=offset)
        step = milestone_step(stages, state, row((day - anchor).days, 10_000), day)
        if step.move is Move.INCREMENT:
            seen.append((day, step.milestone))
            state = MilestoneState("PEER", step.milestone, day, 30_000)
    assert seen == [(date(2026, 1, 11), 0), (date(2026, 1, 13), 1), (date(2026, 1, 17), 2)]


def test_points_older_than_the_730_day_look_back_do_not_count() -> None:
    rating = CreditRating()
    today = date(2026, 3, 1)
    awards = [(today - timedelta(days=730), 50), (today - timedelta(days=729), 50)]
    counted = sum(points for on, points in awards if rating.counted(on, today))
    assert (counted, rating.level(counted)) == (50, "Silver")
    assert rating.level(sum(points for _, points in awards)) == "Bronze"
