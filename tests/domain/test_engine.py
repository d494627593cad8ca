"""The engine's decisions for one account, day by day, without a database.

A tiny in-memory "store" applies each day's decisions the way the run writer does (cases upserted,
activities inserted by key, released, cancelled), so the lazy successors can be followed over weeks.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta

import pytest

from arrears.domain.cases import (
    ActionOrigin,
    ActivityEvent,
    ActivityStatus,
    CaseStatus,
    SeriesStepOrigin,
    Track,
)
from arrears.domain.compliance import ALLOW_ALL, Defer, Hold, Outbound, OutboundChannel, RuleSet
from arrears.domain.effects import Channel, Message, Note, Posting, PostingKind, Referral, StatementHold, StatusChange
from arrears.domain.engine import (
    MAX_STEPS_PER_DAY,
    Activity,
    Case,
    Closed,
    Decisions,
    EngineError,
    Entered,
    MilestoneTarget,
    PaymentPosted,
    Resolved,
    Snapshot,
    Trigger,
    decide,
)
from arrears.domain.strategy import (
    Action,
    ActionKind,
    ActionParams,
    CollectionType,
    FinalAction,
    Series,
    SeriesStep,
    Strategy,
)
from tests.notation import d

G, INS = CollectionType.GUARANTOR, CollectionType.INSURANCE


def action(name: str, kind: ActionKind, ctype: CollectionType = G, **params: object) -> Action:
    nxt = params.pop("next_action", None)
    days = params.pop("follow_up_days", None)
    return Action(
        name,
        ctype,
        kind,
        ActionParams(**params),  # type: ignore[arg-type]
        next_action=nxt,  # type: ignore[arg-type]
        follow_up_days=days,  # type: ignore[arg-type]
        all_portfolios=True,
    )


ACTIONS = (
    action("Letter 30", ActionKind.LETTER, template_code="L30"),
    action("Letter 60", ActionKind.LETTER, template_code="L60"),
    action("Call 1", ActionKind.PHONE_CALL, next_action="Call 2", follow_up_days=7),
    action("Call 2", ActionKind.PHONE_CALL),
    action("Late Fee", ActionKind.FEE, amount_cents=1500, description="Collection fee"),
    action("Collections Note", ActionKind.NOTE, text="Account sent to collections"),
    action("Status COLL", ActionKind.STATUS_CHANGE, status_code="COLL"),
    action("Refer", ActionKind.EXTERNAL_REFERRAL, agency="Acme Agency"),
    action("Claim Review", ActionKind.REVIEW, INS),
)
SERIES = (
    Series(
        "Guarantor Letters",
        G,
        (SeriesStep("Letter 30", 30), SeriesStep("Letter 60", 30)),
        FinalAction.EXTERNAL_COLLECTIONS,
        all_portfolios=True,
    ),
    Series(
        "Fee Series",
        G,
        (SeriesStep("Letter 30", 10), SeriesStep("Collections Note", 5)),
        FinalAction.CUSTOM,
        custom_action="Late Fee",
        all_portfolios=True,
    ),
    Series(
        "Same Day",
        G,
        (SeriesStep("Letter 30", 0), SeriesStep("Collections Note", 0)),
        FinalAction.CUSTOM,
        custom_action="Status COLL",
        all_portfolios=True,
    ),
)
STRATEGY = Strategy(actions=ACTIONS, series=SERIES)


@dataclass
class Account:
    """What the store knows of one account, updated with each day's decisions as the run writer does."""

    account_id: int = 7
    balance_cents: int = 10_000
    cases: dict[Track, Case] = field(default_factory=dict)
    activities: dict[str, Activity] = field(default_factory=dict)
    effects: list[tuple[date, object]] = field(default_factory=list)
    history: list[tuple[str, str, str]] = field(default_factory=list)
    hold: bool = False
    notes_to_account: bool = False
    rules: RuleSet = ALLOW_ALL

    def snapshot(self, on: date, triggers: Iterable[Trigger] = ()) -> Snapshot:
        pending = [a for a in self.activities.values() if a.status in (ActivityStatus.SCHEDULED,
                                                                      ActivityStatus.OPEN, ActivityStatus.HELD)]
        return Snapshot(
            account_id=self.account_id,
            portfolio="NORTH",
            balance_cents=self.balance_cents,
            cases=dict(self.cases),
            triggers=tuple(triggers),
            due=tuple(a for a in pending if a.status is not ActivityStatus.OPEN and a.due <= on),
            pending=tuple(pending),
            notes_to_account=self.notes_to_account,
        )

    def apply(self, decisions: Decisions, on: date) -> Decisions:
        for opened in decisions.opened:
            self.cases[opened.track] = Case(
                opened.track, opened.episode, CaseStatus.INTERNAL, opened.entered_on, opened.assignee, opened.work
            )
        for change in decisions.cases:
            self.cases[change.track] = replace(self.cases[change.track], status=change.status)
        for created in decisions.created:
            self.activities.setdefault(created.key, created)
        for moved in decisions.changes:
            self.activities[moved.key] = replace(self.activities[moved.key], status=moved.status)
        for deferred in decisions.rescheduled:
            self.activities[deferred.key] = replace(self.activities[deferred.key], due=deferred.due,
                                                    due_at=deferred.due_at)
        self.effects += [(on, e) for e in decisions.effects]
        self.history += [(h.key, h.event, h.detail) for h in decisions.history]
        for effect in decisions.effects:
            if isinstance(effect, StatementHold):
                self.hold = effect.hold
        return decisions

    def day(self, on: date, triggers: Iterable[Trigger] = (), strategy: Strategy = STRATEGY) -> Decisions:
        return self.apply(decide(self.snapshot(on, triggers), strategy, on, self.rules), on)

    def through(self, first: date, last: date) -> None:
        on = first
        while on <= last:
            self.day(on)
            on += timedelta(days=1)

    def shown(self) -> list[str]:
        """Every activity as ``due action (kind) status``, in due order."""
        ordered = sorted(self.activities.values(), key=lambda a: (a.due, a.key))
        return [f"{a.due} {a.action} ({a.kind.value}) {a.status.value} e{a.episode}" for a in ordered]


def entry(work: str, track: Track = Track.GUARANTOR, hold: bool = False) -> Entered:
    reason = {"balance": 10_000, "balance_over": 2_500, "days_past_due": 46, "days_over": 45}
    return Entered(track, "AL", work, 0, reason, statement_hold=hold)


def of_type(decisions: Decisions, kind: type) -> list:  # type: ignore[type-arg]
    return [e for e in decisions.effects if isinstance(e, kind)]


def manual(key: str, due: str, keep: bool) -> Activity:
    return Activity(f"7/guarantor/1/manual:{key}/{due}", Track.GUARANTOR, 1, ActionKind.REVIEW, "Promise review",
                    ActionOrigin("Promise review"), "AL", d(due), "manual", no_auto_delete=keep)  # fmt: skip


# ------------------------------------------------------------------------------------------- entry


def test_entry_starts_step_1_of_a_series_on_the_entry_date() -> None:
    account = Account()
    decisions = account.day(d("2026-03-01"), [entry("Guarantor Letters", hold=True)])
    (opened,) = decisions.opened
    assert (opened.track, opened.episode, opened.entered_on) == (Track.GUARANTOR, 1, d("2026-03-01"))
    assert opened.reason["days_past_due"] == 46 and opened.rule_index == 0
    first, second = decisions.created
    assert first.key == "7/guarantor/1/series:Guarantor Letters:0/2026-03-01"
    assert (first.action, first.kind, first.origin, first.due, first.assignee) == (
        "Letter 30",
        ActionKind.LETTER,
        SeriesStepOrigin("Guarantor Letters", 0),
        d("2026-03-01"),
        "AL",
    )
    # step 1 is automatic: performed today, the letter is queued, and step 2 is scheduled 30 days later
    assert [(c.key, c.event, c.status) for c in decisions.changes] == [
        (first.key, ActivityEvent.PERFORM, ActivityStatus.DONE)
    ]
    assert (second.action, second.origin.step, second.due) == ("Letter 60", 1, d("2026-03-31"))  # type: ignore[union-attr]
    assert Message(first.key, Channel.LETTER, "L30") in decisions.effects
    assert account.history[0][:2] == ("7/guarantor/1/entered", "entered")
    assert "days_past_due=46" in account.history[0][2] and "rule 1" in account.history[0][2]
    assert account.hold is True


def test_entry_with_an_action_creates_it_for_the_collector() -> None:
    account = Account()
    decisions = account.day(d("2026-03-01"), [entry("Call 1")])
    call_1, call_2 = decisions.created
    assert call_1.key == "7/guarantor/1/action:Call 1/2026-03-01"
    # a call is operator-assisted: opened into the worklist, not performed
    assert [(c.key, c.status) for c in decisions.changes] == [(call_1.key, ActivityStatus.OPEN)]
    assert (call_2.action, call_2.due, call_2.assignee) == ("Call 2", d("2026-03-08"), "AL")
    assert "7 follow-up days after 2026-03-01" in call_2.reason
    assert decisions.effects == []


def test_entering_twice_while_in_collections_does_nothing() -> None:
    account = Account()
    account.day(d("2026-03-01"), [entry("Call 1")])
    assert account.day(d("2026-03-02"), [entry("Call 1")]).empty


# -------------------------------------------------------------------------------- lazy successors


def test_call_1_then_call_2_after_7_follow_up_days() -> None:
    account = Account()
    account.day(d("2026-03-01"), [entry("Call 1")])
    account.through(d("2026-03-02"), d("2026-03-07"))
    assert account.shown() == [
        "2026-03-01 Call 1 (phone_call) open e1",
        "2026-03-08 Call 2 (phone_call) scheduled e1",
    ]
    decisions = account.day(d("2026-03-08"))
    assert [c.key for c in decisions.changes] == ["7/guarantor/1/action:Call 2/2026-03-08"]
    assert decisions.created == []  # Call 2 has no next action
    assert account.day(d("2026-03-09")).empty


def test_series_steps_30_then_30_days_then_external_collections() -> None:
    account = Account()
    pinned, manual_call = manual("promise", "2026-05-15", keep=True), manual("call", "2026-05-20", keep=False)
    account.day(d("2026-03-01"), [entry("Guarantor Letters")])
    account.activities[pinned.key] = pinned
    account.activities[manual_call.key] = manual_call
    account.through(d("2026-03-02"), d("2026-03-30"))
    assert account.cases[Track.GUARANTOR].status is CaseStatus.INTERNAL
    decisions = account.day(d("2026-03-31"))
    (final,) = decisions.created
    assert (final.kind, final.action, final.origin, final.due) == (
        ActionKind.EXTERNAL_REFERRAL,
        "",
        SeriesStepOrigin("Guarantor Letters", 2),
        d("2026-04-30"),
    )
    assert [m.template for m in of_type(decisions, Message)] == ["L60"]
    account.through(d("2026-04-01"), d("2026-04-29"))
    assert account.cases[Track.GUARANTOR].status is CaseStatus.INTERNAL
    decisions = account.day(d("2026-04-30"))
    assert account.cases[Track.GUARANTOR].status is CaseStatus.PENDING_EXTERNAL
    assert of_type(decisions, Referral) == [Referral(final.key, "external collections")]
    cancelled = [c.key for c in decisions.changes if c.event is ActivityEvent.CANCEL]
    assert cancelled == [manual_call.key]  # the no-auto-delete one stays
    assert account.history[-1][:2] == ("7/guarantor/1/referred", "referred")
    assert account.shown() == [
        "2026-03-01 Letter 30 (letter) done e1",
        "2026-03-31 Letter 60 (letter) done e1",
        "2026-04-30  (external_referral) done e1",
        "2026-05-15 Promise review (review) scheduled e1",
        "2026-05-20 Promise review (review) cancelled e1",
    ]
    # off the internal worklists: nothing more happens, not even when the pinned activity falls due
    account.through(d("2026-05-01"), d("2026-06-30"))
    assert account.activities[pinned.key].status is ActivityStatus.SCHEDULED


def test_a_catch_up_after_a_gap_keeps_the_series_spacing() -> None:
    """A run months after the previous one does not fire the 60-day letter, the final notice and the
    referral on one day: each step is dated from the day its predecessor actually ran."""
    account = Account()
    account.day(d("2026-03-01"), [entry("Guarantor Letters")])
    decisions = account.day(d("2026-07-01"))  # no run for four months
    assert [m.template for m in of_type(decisions, Message)] == ["L60"]
    assert of_type(decisions, Referral) == []
    (final,) = decisions.created
    assert (final.kind, final.due) == (ActionKind.EXTERNAL_REFERRAL, d("2026-07-31"))
    assert "30 days after its last step ran on 2026-07-01" in final.reason
    assert account.day(d("2026-07-30")).empty
    assert of_type(account.day(d("2026-07-31")), Referral) != []


def test_custom_final_action_runs_its_action() -> None:
    account = Account()
    account.day(d("2026-03-01"), [entry("Fee Series")])
    account.through(d("2026-03-02"), d("2026-03-15"))
    assert account.shown() == [
        "2026-03-01 Letter 30 (letter) done e1",
        "2026-03-11 Collections Note (note) done e1",
        "2026-03-16 Late Fee (fee) scheduled e1",
    ]
    decisions = account.day(d("2026-03-16"))
    key = "7/guarantor/1/series:Fee Series:2/2026-03-16"
    assert of_type(decisions, Posting) == [Posting(key, PostingKind.FEE, 1500, "Collection fee")]
    assert decisions.created == []  # nothing follows a final action
    assert account.cases[Track.GUARANTOR].status is CaseStatus.INTERNAL
    assert account.day(d("2026-03-17")).empty


def test_zero_day_steps_are_processed_the_same_day() -> None:
    account = Account()
    decisions = account.day(d("2026-03-01"), [entry("Same Day")])
    assert account.shown() == [
        "2026-03-01 Letter 30 (letter) done e1",
        "2026-03-01 Collections Note (note) done e1",
        "2026-03-01 Status COLL (status_change) done e1",
    ]
    assert [s.status_code for s in of_type(decisions, StatusChange)] == ["COLL"]


def test_too_many_zero_day_steps_in_one_day_is_an_engine_error() -> None:
    steps = tuple(SeriesStep("Collections Note", 0) for _ in range(MAX_STEPS_PER_DAY + 1))
    endless = Series("Endless", G, steps, FinalAction.CUSTOM, custom_action="Collections Note", all_portfolios=True)
    strategy = replace(STRATEGY, series=(*SERIES, endless))
    with pytest.raises(EngineError, match=f"more than {MAX_STEPS_PER_DAY} activities fell due on 2026-03-01"):
        Account().day(d("2026-03-01"), [entry("Endless")], strategy=strategy)
    fits = replace(endless, steps=steps[: MAX_STEPS_PER_DAY - 1])
    decisions = Account().day(d("2026-03-01"), [entry("Endless")], strategy=replace(STRATEGY, series=(fits,)))
    assert len(decisions.changes) == MAX_STEPS_PER_DAY


def test_missing_action_and_empty_series_are_engine_errors() -> None:
    with pytest.raises(EngineError, match="action 'Nowhere' is not configured"):
        Account().day(d("2026-03-01"), [entry("Nowhere")])
    empty = replace(STRATEGY, series=(Series("Empty", G, (), FinalAction.CUSTOM),))
    with pytest.raises(EngineError, match="series 'Empty' has no steps"):
        Account().day(d("2026-03-01"), [entry("Empty")], strategy=empty)


# ----------------------------------------------------------------------------------- effects


def test_note_effects_are_flagged_for_account_notes_only_with_the_flag() -> None:
    plain = Account()
    decisions = plain.day(d("2026-03-01"), [entry("Collections Note")])
    assert [(n.text, n.to_account) for n in of_type(decisions, Note)] == [("Account sent to collections", False)]
    assert of_type(plain.day(d("2026-03-01"), [entry("Letter 30")]), Note) == []  # the activity is the record
    flagged = Account(notes_to_account=True)
    decisions = flagged.day(d("2026-03-01"), [entry("Letter 30")])
    assert [(n.text, n.to_account, n.collection_action) for n in of_type(decisions, Note)] == [
        ("Letter 30 (letter) performed by the daily run on 2026-03-01", True, False)
    ]


def test_fee_status_and_referral_effects() -> None:
    fee = Account().day(d("2026-03-01"), [entry("Late Fee")])
    assert [(p.kind, p.amount_cents, p.description) for p in of_type(fee, Posting)] == [
        (PostingKind.FEE, 1500, "Collection fee")
    ]
    status = Account().day(d("2026-03-01"), [entry("Status COLL")])
    assert [s.status_code for s in of_type(status, StatusChange)] == ["COLL"]
    referred = Account()
    decisions = referred.day(d("2026-03-01"), [entry("Refer")])
    assert [r.agency for r in of_type(decisions, Referral)] == ["Acme Agency"]
    assert referred.cases[Track.GUARANTOR].status is CaseStatus.PENDING_EXTERNAL


# -------------------------------------------------------------------------------- resolution


def test_resolution_cancels_pending_work_except_no_auto_delete_and_records_why() -> None:
    account = Account()
    account.day(d("2026-03-01"), [entry("Call 1", hold=True)])
    keep = manual("keep", "2026-03-20", keep=True)
    account.activities[keep.key] = keep
    account.balance_cents = 0
    decisions = account.day(d("2026-03-05"), [Resolved(Track.GUARANTOR)])
    assert sorted(c.key for c in decisions.changes if c.event is ActivityEvent.CANCEL) == [
        "7/guarantor/1/action:Call 1/2026-03-01",
        "7/guarantor/1/action:Call 2/2026-03-08",
    ]
    (change,) = decisions.cases
    assert (change.status, change.on, change.reason) == (
        CaseStatus.RESOLVED,
        d("2026-03-05"),
        "balance $0.00 on 2026-03-05: paid in full",
    )
    assert account.history[-1] == ("7/guarantor/1/resolved", "resolved", "balance $0.00 on 2026-03-05: paid in full")
    assert account.hold is False
    assert account.activities[keep.key].status is ActivityStatus.SCHEDULED
    # Call 2's date passes: nothing happens to a resolved case
    assert account.day(d("2026-03-08")).changes == []


def test_relapse_starts_afresh_with_episode_2() -> None:
    account = Account()
    account.day(d("2026-03-01"), [entry("Guarantor Letters")])
    account.balance_cents = -500
    account.day(d("2026-03-10"), [Resolved(Track.GUARANTOR)])
    account.balance_cents = 8_000
    decisions = account.day(d("2026-05-01"), [entry("Guarantor Letters")])
    (opened,) = decisions.opened
    assert (opened.episode, opened.entered_on) == (2, d("2026-05-01"))
    assert decisions.created[0].key == "7/guarantor/2/series:Guarantor Letters:0/2026-05-01"
    assert decisions.history[0].key == "7/guarantor/2/entered"
    assert account.shown() == [
        "2026-03-01 Letter 30 (letter) done e1",
        "2026-03-31 Letter 60 (letter) cancelled e1",
        "2026-05-01 Letter 30 (letter) done e2",
        "2026-05-31 Letter 60 (letter) scheduled e2",
    ]


def test_insurance_case_runs_beside_the_guarantor_case() -> None:
    account = Account()
    account.day(d("2026-03-01"), [entry("Call 1"), entry("Claim Review", Track.INSURANCE)])
    assert set(account.cases) == {Track.GUARANTOR, Track.INSURANCE}
    assert "7/insurance/1/action:Claim Review/2026-03-01" in account.activities
    decisions = account.day(d("2026-03-02"), [Resolved(Track.INSURANCE)])
    assert [c.key for c in decisions.changes] == ["7/insurance/1/action:Claim Review/2026-03-01"]
    assert [(h.key, h.detail) for h in decisions.history] == [
        ("7/insurance/1/resolved", "no unpaid insurance claim on 2026-03-02")
    ]
    assert of_type(decisions, StatementHold) == []
    assert account.cases[Track.GUARANTOR].status is CaseStatus.INTERNAL


def test_a_referred_case_still_resolves() -> None:
    account = Account()
    account.day(d("2026-03-01"), [entry("Refer", Track.INSURANCE)])
    assert account.cases[Track.INSURANCE].status is CaseStatus.PENDING_EXTERNAL
    account.day(d("2026-03-09"), [Resolved(Track.INSURANCE)])
    assert account.cases[Track.INSURANCE].status is CaseStatus.RESOLVED


def test_deciding_the_same_facts_twice_gives_the_same_keys() -> None:
    snapshot = Account().snapshot(d("2026-03-01"), [entry("Guarantor Letters")])
    first, second = decide(snapshot, STRATEGY, d("2026-03-01")), decide(snapshot, STRATEGY, d("2026-03-01"))
    assert first == second


# ------------------------------------------------------------------------------------- triggers


def test_closing_the_account_resolves_its_cases_and_cancels_pending_work() -> None:
    account = Account()
    account.day(d("2026-03-01"), [entry("Call 1")])
    decisions = account.day(d("2026-03-04"), [Closed(d("2026-03-04"))])
    assert [(c.status, c.reason) for c in decisions.cases] == [(CaseStatus.RESOLVED, "account closed on 2026-03-04")]
    assert account.shown() == [
        "2026-03-01 Call 1 (phone_call) cancelled e1",
        "2026-03-08 Call 2 (phone_call) cancelled e1",
    ]


def test_a_payment_posted_in_collections_is_history_and_outside_it_nothing() -> None:
    outside = Account().day(d("2026-03-01"), [PaymentPosted("line:9", 2_500, d("2026-03-01"))])
    assert outside.empty
    account = Account()
    account.day(d("2026-03-01"), [entry("Call 1")])
    decisions = account.day(d("2026-03-02"), [PaymentPosted("line:9", 2_500, d("2026-03-02"))])
    assert [(h.event, h.detail) for h in decisions.history] == [
        ("payment", "guarantor payment $25.00 posted on 2026-03-02")
    ]


def test_a_milestone_target_without_a_scheme_is_an_engine_error() -> None:
    with pytest.raises(EngineError, match="scheme 'UTIL' is not configured"):
        Account().day(d("2026-03-01"), [MilestoneTarget("UTIL", "M1")])


# ---------------------------------------------------------------------------------- release gate


def _hold_letters(request: Outbound) -> Hold | Defer:
    if request.channel is OutboundChannel.LETTER:
        return Hold("T01", "letters are held in this test")
    return Defer(datetime(2026, 3, 3, 13, 0, tzinfo=UTC), "T02", "calls wait until the 3rd")


def test_the_release_gate_holds_a_letter_and_its_series_does_not_advance() -> None:
    account = Account(rules=RuleSet((_hold_letters,)))
    decisions = account.day(d("2026-03-01"), [entry("Guarantor Letters")])
    assert len(decisions.created) == 1  # step 1 only: a held letter starts no successor
    assert [(c.event, c.status, c.reason) for c in decisions.changes] == [
        (ActivityEvent.HOLD, ActivityStatus.HELD, "T01: letters are held in this test")
    ]
    assert of_type(decisions, Message) == []
    assert account.day(d("2026-03-02")).empty  # still held: asked again, nothing new recorded
    account.rules = RuleSet()
    released = account.day(d("2026-03-05"))
    assert [m.template for m in of_type(released, Message)] == ["L30"]
    assert [a.due for a in released.created] == [d("2026-04-04")]


def test_the_release_gate_defers_a_call_to_a_moment() -> None:
    account = Account(rules=RuleSet((_hold_letters,)))
    decisions = account.day(d("2026-03-01"), [entry("Call 1")])
    (deferred,) = decisions.rescheduled
    assert (deferred.due, deferred.due_at, deferred.reason) == (
        d("2026-03-03"),
        datetime(2026, 3, 3, 13, 0, tzinfo=UTC),
        "T02: calls wait until the 3rd",
    )
    assert decisions.changes == [] and len(decisions.created) == 1
    account.rules = RuleSet()
    assert account.day(d("2026-03-02")).empty
    opened = account.day(d("2026-03-03"))
    assert [c.status for c in opened.changes] == [ActivityStatus.OPEN]
