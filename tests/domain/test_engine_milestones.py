"""The engine's milestones pass (seed 004): each kind of milestone action, on its event, with its condition."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from arrears.domain.compliance import Allow, Hold, Outbound, OutboundChannel, RuleSet
from arrears.domain.effects import Alert, Channel, CreditPoints, Message, Note, Posting, PostingKind, ServiceRequest
from arrears.domain.engine import MilestoneTarget, Snapshot, decide
from arrears.domain.strategy import Collector, LetterTemplate, Strategy
from arrears.domain.strategy.schemes import (
    JumpActions,
    Milestone,
    MilestoneAction,
    MilestoneActionKind,
    Move,
    PerformOn,
    Scheme,
)

K, ON = MilestoneActionKind, PerformOn
AS_OF = date(2026, 3, 1)
WATER = Scheme(
    "WATER", "Water",
    (
        Milestone("30 days", days_past_due=30, actions=(
            MilestoneAction(K.SERVICE_REQUEST, request_type="Meter check", assignee="AL"),
            MilestoneAction(K.ONE_OFF_CHARGE, line_item_type="Late fee", amount_cents=2_500),
            MilestoneAction(K.ALERT, text="Call before any arrangement"),
            MilestoneAction(K.NOTICE, template="N30"),
            MilestoneAction(K.LOG, text="Reached 30 days"),
            MilestoneAction(K.DEPOSIT_DEMAND, line_item_type="Deposit", amount_cents=15_000),
            MilestoneAction(K.ONE_OFF_PENALTY, line_item_type="Penalty", percent_of_balance=10),
            MilestoneAction(K.CREDIT_RATING, points=50, condition="balance > 1000"),
            MilestoneAction(K.LOG, ON.DECREMENT, text="Left 30 days"),
            MilestoneAction(K.LOG, ON.FULL_PAYMENT, text="Paid in full"),
            MilestoneAction(K.ALERT, ON.FORMULA, text="Small balance"),
        )),
        Milestone("60 days", days_past_due=60, actions=(MilestoneAction(K.CREDIT_RATING, points=50),)),
    ),
)  # fmt: skip
STRATEGY = Strategy(collectors=(Collector("AL", "Al"),), letters=(LetterTemplate("N30", "Notice"),), schemes=(WATER,))


def effects(move: Move, milestone: str | None, previous: str | None, passed: tuple[str, ...] = (),
            balance: int = 20_001, strategy: Strategy = STRATEGY, rules: RuleSet | None = None) -> list[object]:
    target = MilestoneTarget("WATER", milestone, move, previous, passed, "test", {"balance": balance})
    snapshot = Snapshot(7, "OUTPT", balance, triggers=(target,))
    decisions = decide(snapshot, strategy, AS_OF, rules) if rules else decide(snapshot, strategy, AS_OF)
    return [replace(effect, key="") for effect in decisions.effects]  # type: ignore[type-var]


def test_entry_performs_each_kind_of_action_of_the_milestone() -> None:
    assert effects(Move.ENTER, "30 days", None, ("30 days",)) == [
        ServiceRequest("", "Meter check", "AL"),
        Posting("", PostingKind.CHARGE, 2_500, "Late fee"),
        Alert("", "Call before any arrangement"),
        Message("", Channel.LETTER, "N30"),
        Note("", "Reached 30 days"),
        Posting("", PostingKind.DEPOSIT, 15_000, "Deposit"),
        Posting("", PostingKind.PENALTY, 2_001, "Penalty"),  # 10% of $200.01, rounded up to the cent
    ]  # the credit rating's condition, balance > $1,000, does not hold


def test_an_action_whose_condition_fails_is_not_performed() -> None:
    kinds = [type(e).__name__ for e in effects(Move.ENTER, "30 days", None, ("30 days",), balance=20_001)]
    assert "CreditPoints" not in kinds  # balance > $1,000.00 does not hold for $200.01
    rich = effects(Move.ENTER, "30 days", None, ("30 days",), balance=100_001)
    assert CreditPoints("", 50) in rich


def test_decrement_full_payment_and_formula_perform_the_actions_of_the_milestone_left() -> None:
    assert effects(Move.DECREMENT, None, "30 days") == [Note("", "Left 30 days")]
    assert effects(Move.RESOLVE_FULL_PAYMENT, None, "30 days", balance=0) == [Note("", "Paid in full")]
    assert effects(Move.RESOLVE_FORMULA, None, "30 days", balance=500) == [Alert("", "Small balance")]


def test_a_jump_performs_the_entry_actions_of_each_milestone_passed_or_only_the_last() -> None:
    each = effects(Move.INCREMENT, "60 days", None, ("30 days", "60 days"), balance=100_001)
    assert each.count(CreditPoints("", 50)) == 2
    last = replace(STRATEGY, schemes=(replace(WATER, jump=True, jump_actions=JumpActions.LAST),))
    assert effects(Move.INCREMENT, "60 days", None, ("30 days", "60 days"), strategy=last) == [CreditPoints("", 50)]


def test_a_notice_passes_the_release_gate() -> None:
    def hold_letters(request: Outbound) -> Hold | Allow:
        return Hold("T01", "letters held") if request.channel is OutboundChannel.LETTER else Allow()

    rules = RuleSet((hold_letters,))
    kinds = [type(e).__name__ for e in effects(Move.ENTER, "30 days", None, ("30 days",), rules=rules)]
    assert "Message" not in kinds and "Posting" in kinds
