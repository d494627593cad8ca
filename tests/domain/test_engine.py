"""The engine's decisions for one account, day by day, without a database.

A tiny in-memory "store" applies each day's decisions the way the run writer does (cases upserted,
activities inserted by key, released, cancelled), so the lazy successors can be followed over weeks.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

import pytest

from arrears.domain.engine import (
    EXTERNAL_COLLECTIONS,
    MAX_STEPS_PER_DAY,
    Activity,
    Case,
    CaseStatus,
    Decisions,
    EngineError,
    Entry,
    Snapshot,
    Track,
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
    """What the store knows of one account, updated with each day's decisions."""

    account_id: int = 7
    balance_cents: int = 10_000
    cases: dict[Track, Case] = field(default_factory=dict)
    activities: dict[str, Activity] = field(default_factory=dict)
    effects: list[tuple[date, str, dict[str, object]]] = field(default_factory=list)
    history: list[tuple[str, str, str]] = field(default_factory=list)
    hold: bool = False
    notes_to_account: bool = False

    def snapshot(self, on: date, entries: Iterable[Entry] = (), resolve: Iterable[Track] = ()) -> Snapshot:
        pending = [a for a in self.activities.values() if a.status == "pending"]
        return Snapshot(
            account_id=self.account_id,
            portfolio="NORTH",
            balance_cents=self.balance_cents,
            cases=dict(self.cases),
            entries=tuple(entries),
            resolve=tuple(resolve),
            due=tuple(a for a in pending if not a.released and a.due <= on),
            pending=tuple(pending),
            notes_to_account=self.notes_to_account,
        )

    def apply(self, decisions: Decisions, on: date) -> Decisions:
        for change in decisions.cases:
            self.cases[change.track] = Case(
                change.track, change.episode, change.status, change.entered_on, change.assignee, change.work
            )
        for created in decisions.created:
            self.activities.setdefault(created.key, created)
        for release in decisions.released:
            current = self.activities[release.key]
            if not current.released:
                self.activities[release.key] = replace(current, released=True, status=release.status)
        for key in decisions.cancelled:
            if self.activities[key].status == "pending":
                self.activities[key] = replace(self.activities[key], status="cancelled")
        self.effects += [(on, e.kind, dict(e.values)) for e in decisions.effects]
        self.history += decisions.history
        if decisions.statement_hold is not None:
            self.hold = decisions.statement_hold
        return decisions

    def day(
        self, on: date, entries: Iterable[Entry] = (), resolve: Iterable[Track] = (), strategy: Strategy = STRATEGY
    ) -> Decisions:
        return self.apply(decide(self.snapshot(on, entries, resolve), strategy, on), on)

    def through(self, first: date, last: date) -> None:
        on = first
        while on <= last:
            self.day(on)
            on += timedelta(days=1)

    def shown(self) -> list[str]:
        """Every activity as ``due action (kind) status``, in due order."""
        ordered = sorted(self.activities.values(), key=lambda a: (a.due, a.key))
        return [f"{a.due} {a.action} ({a.kind}) {a.status} e{a.episode}" for a in ordered]


def entry(work: str, track: Track = Track.GUARANTOR, hold: bool = False) -> Entry:
    reason = {"balance": 10_000, "balance_over": 2_500, "days_past_due": 46, "days_over": 45}
    return Entry(track, "AL", work, 0, reason, statement_hold=hold)


# ------------------------------------------------------------------------------------------- entry


def test_entry_starts_step_1_of_a_series_on_the_entry_date() -> None:
    account = Account()
    decisions = account.day(d("2026-03-01"), [entry("Guarantor Letters", hold=True)])
    (change,) = decisions.cases
    assert (change.track, change.episode, change.status, change.entered_on) == (
        Track.GUARANTOR,
        1,
        CaseStatus.INTERNAL,
        d("2026-03-01"),
    )
    assert change.reason["days_past_due"] == 46 and change.rule_index == 0
    first, second = decisions.created
    assert first.key == "7/guarantor/1/series:Guarantor Letters:0/2026-03-01"
    assert (first.action, first.kind, first.step, first.due, first.assignee) == (
        "Letter 30",
        "letter",
        0,
        d("2026-03-01"),
        "AL",
    )
    # step 1 is automatic: done today, the letter is queued, and step 2 is scheduled 30 days later
    assert [(r.key, r.status, r.done_on) for r in decisions.released] == [(first.key, "done", d("2026-03-01"))]
    assert (second.action, second.step, second.due) == ("Letter 60", 1, d("2026-03-31"))
    assert ("letter", {"template": "L30"}) in [(e.kind, dict(e.values)) for e in decisions.effects]
    assert decisions.history[0][:2] == ("7/guarantor/1/entered", "entered")
    assert "days_past_due=46" in decisions.history[0][2] and "rule 1" in decisions.history[0][2]
    assert decisions.statement_hold is True


def test_entry_with_an_action_creates_it_for_the_collector() -> None:
    account = Account()
    decisions = account.day(d("2026-03-01"), [entry("Call 1")])
    call_1, call_2 = decisions.created
    assert call_1.key == "7/guarantor/1/action:Call 1/2026-03-01"
    # a call is operator-assisted: released to the worklist, still pending
    assert [(r.key, r.status, r.done_on) for r in decisions.released] == [(call_1.key, "pending", None)]
    assert (call_2.action, call_2.due, call_2.assignee) == ("Call 2", d("2026-03-08"), "AL")
    assert "7 follow-up days after 2026-03-01" in call_2.reason
    assert decisions.effects == [] and decisions.statement_hold is None


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
        "2026-03-01 Call 1 (phone_call) pending e1",
        "2026-03-08 Call 2 (phone_call) pending e1",
    ]
    assert not account.activities["7/guarantor/1/action:Call 2/2026-03-08"].released
    decisions = account.day(d("2026-03-08"))
    assert [r.key for r in decisions.released] == ["7/guarantor/1/action:Call 2/2026-03-08"]
    assert decisions.created == []  # Call 2 has no next action
    assert account.day(d("2026-03-09")).empty


def test_series_steps_30_then_30_days_then_external_collections() -> None:
    account = Account()
    pinned = Activity(
        "7/guarantor/1/manual:promise/2026-05-15", Track.GUARANTOR, 1, "review", "Promise review", None, None,
        "AL", d("2026-05-15"), "manual", no_auto_delete=True,
    )  # fmt: skip
    manual_call = replace(pinned, key="7/guarantor/1/manual:call/2026-05-20", due=d("2026-05-20"), no_auto_delete=False)
    account.day(d("2026-03-01"), [entry("Guarantor Letters")])
    account.activities[pinned.key] = pinned
    account.activities[manual_call.key] = manual_call
    account.through(d("2026-03-02"), d("2026-03-30"))
    assert account.cases[Track.GUARANTOR].status is CaseStatus.INTERNAL
    decisions = account.day(d("2026-03-31"))
    assert [(a.action, a.step, a.due) for a in decisions.created] == [(EXTERNAL_COLLECTIONS, 2, d("2026-04-30"))]
    assert [e.values for e in decisions.effects if e.kind == "letter"] == [{"template": "L60"}]
    account.through(d("2026-04-01"), d("2026-04-29"))
    assert account.cases[Track.GUARANTOR].status is CaseStatus.INTERNAL
    decisions = account.day(d("2026-04-30"))
    assert account.cases[Track.GUARANTOR].status is CaseStatus.PENDING_EXTERNAL
    assert ("referral", {"agency": "external collections"}) in [(e.kind, dict(e.values)) for e in decisions.effects]
    assert decisions.cancelled == [manual_call.key]  # the no-auto-delete one stays
    assert decisions.history[-1][:2] == ("7/guarantor/1/referred", "referred")
    assert account.shown() == [
        "2026-03-01 Letter 30 (letter) done e1",
        "2026-03-31 Letter 60 (letter) done e1",
        "2026-04-30 external_collections (external_collections) done e1",
        "2026-05-15 Promise review (review) pending e1",
        "2026-05-20 Promise review (review) cancelled e1",
    ]
    # off the internal worklists: nothing more happens, not even when the pinned activity falls due
    account.through(d("2026-05-01"), d("2026-06-30"))
    assert account.activities[pinned.key].status == "pending" and not account.activities[pinned.key].released


def test_custom_final_action_runs_its_action() -> None:
    account = Account()
    account.day(d("2026-03-01"), [entry("Fee Series")])
    account.through(d("2026-03-02"), d("2026-03-15"))
    assert account.shown() == [
        "2026-03-01 Letter 30 (letter) done e1",
        "2026-03-11 Collections Note (note) done e1",
        "2026-03-16 Late Fee (fee) pending e1",
    ]
    decisions = account.day(d("2026-03-16"))
    fee = [e for e in decisions.effects if e.kind == "fee"]
    assert [dict(e.values) for e in fee] == [{"amount_cents": 1500, "description": "Collection fee"}]
    assert fee[0].key == "7/guarantor/1/series:Fee Series:2/2026-03-16"
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
    assert ("status", {"status_code": "COLL"}) in [(e.kind, dict(e.values)) for e in decisions.effects]


def test_too_many_zero_day_steps_in_one_day_is_an_engine_error() -> None:
    steps = tuple(SeriesStep("Collections Note", 0) for _ in range(MAX_STEPS_PER_DAY + 1))
    endless = Series("Endless", G, steps, FinalAction.CUSTOM, custom_action="Collections Note", all_portfolios=True)
    strategy = replace(STRATEGY, series=(*SERIES, endless))
    with pytest.raises(EngineError, match=f"more than {MAX_STEPS_PER_DAY} activities fell due on 2026-03-01"):
        Account().day(d("2026-03-01"), [entry("Endless")], strategy=strategy)
    fits = replace(endless, steps=steps[: MAX_STEPS_PER_DAY - 1])
    decisions = Account().day(d("2026-03-01"), [entry("Endless")], strategy=replace(STRATEGY, series=(fits,)))
    assert len(decisions.released) == MAX_STEPS_PER_DAY


def test_missing_action_is_an_engine_error() -> None:
    with pytest.raises(EngineError, match="action 'Nowhere' is not configured"):
        Account().day(d("2026-03-01"), [entry("Nowhere")])


# ----------------------------------------------------------------------------------- effects


def test_note_effects_are_flagged_for_account_notes_only_with_the_flag() -> None:
    plain = Account()
    plain.day(d("2026-03-01"), [entry("Collections Note")])
    assert [(k, v) for _, k, v in plain.effects] == [
        ("note", {"text": "Account sent to collections", "account": False})
    ]
    flagged = Account(notes_to_account=True)
    flagged.day(d("2026-03-01"), [entry("Letter 30")])
    notes = [v for _, k, v in flagged.effects if k == "note"]
    assert notes == [{"text": "Letter 30 (letter) performed by the daily run on 2026-03-01", "account": True}]


def test_fee_status_and_referral_effects() -> None:
    fee = Account().day(d("2026-03-01"), [entry("Late Fee")])
    assert [dict(e.values) for e in fee.effects if e.kind == "fee"] == [
        {"amount_cents": 1500, "description": "Collection fee"}
    ]
    status = Account().day(d("2026-03-01"), [entry("Status COLL")])
    assert [dict(e.values) for e in status.effects if e.kind == "status"] == [{"status_code": "COLL"}]
    referred = Account()
    decisions = referred.day(d("2026-03-01"), [entry("Refer")])
    assert [dict(e.values) for e in decisions.effects if e.kind == "referral"] == [{"agency": "Acme Agency"}]
    assert referred.cases[Track.GUARANTOR].status is CaseStatus.PENDING_EXTERNAL


# -------------------------------------------------------------------------------- resolution


def test_resolution_cancels_pending_work_except_no_auto_delete_and_records_why() -> None:
    account = Account()
    account.day(d("2026-03-01"), [entry("Call 1", hold=True)])
    keep = Activity(
        "7/guarantor/1/manual:keep/2026-03-20", Track.GUARANTOR, 1, "review", "Keep", None, None, "AL",
        d("2026-03-20"), "manual", no_auto_delete=True,
    )  # fmt: skip
    account.activities[keep.key] = keep
    account.balance_cents = 0
    decisions = account.day(d("2026-03-05"), resolve=[Track.GUARANTOR])
    assert sorted(decisions.cancelled) == [
        "7/guarantor/1/action:Call 1/2026-03-01",
        "7/guarantor/1/action:Call 2/2026-03-08",
    ]
    (change,) = decisions.cases
    assert (change.status, change.closed_on, change.close_reason) == (
        CaseStatus.RESOLVED,
        d("2026-03-05"),
        "balance $0.00 on 2026-03-05: paid in full",
    )
    assert decisions.history == [("7/guarantor/1/resolved", "resolved", "balance $0.00 on 2026-03-05: paid in full")]
    assert decisions.statement_hold is False and account.hold is False
    assert account.activities[keep.key].status == "pending"
    # Call 2's date passes: nothing happens to a resolved case
    assert account.day(d("2026-03-08")).released == []


def test_relapse_starts_afresh_with_episode_2() -> None:
    account = Account()
    account.day(d("2026-03-01"), [entry("Guarantor Letters")])
    account.balance_cents = -500
    account.day(d("2026-03-10"), resolve=[Track.GUARANTOR])
    account.balance_cents = 8_000
    decisions = account.day(d("2026-05-01"), [entry("Guarantor Letters")])
    (change,) = decisions.cases
    assert (change.episode, change.status, change.entered_on) == (2, CaseStatus.INTERNAL, d("2026-05-01"))
    assert decisions.created[0].key == "7/guarantor/2/series:Guarantor Letters:0/2026-05-01"
    assert decisions.history[0][0] == "7/guarantor/2/entered"
    assert account.shown() == [
        "2026-03-01 Letter 30 (letter) done e1",
        "2026-03-31 Letter 60 (letter) cancelled e1",
        "2026-05-01 Letter 30 (letter) done e2",
        "2026-05-31 Letter 60 (letter) pending e2",
    ]


def test_insurance_case_runs_beside_the_guarantor_case() -> None:
    account = Account()
    account.day(d("2026-03-01"), [entry("Call 1"), entry("Claim Review", Track.INSURANCE)])
    assert set(account.cases) == {Track.GUARANTOR, Track.INSURANCE}
    assert "7/insurance/1/action:Claim Review/2026-03-01" in account.activities
    decisions = account.day(d("2026-03-02"), resolve=[Track.INSURANCE])
    assert decisions.cancelled == ["7/insurance/1/action:Claim Review/2026-03-01"]
    assert decisions.history == [("7/insurance/1/resolved", "resolved", "no unpaid insurance claim on 2026-03-02")]
    assert decisions.statement_hold is None
    assert account.cases[Track.GUARANTOR].status is CaseStatus.INTERNAL


def test_deciding_the_same_facts_twice_gives_the_same_keys() -> None:
    snapshot = Account().snapshot(d("2026-03-01"), [entry("Guarantor Letters")])
    first, second = decide(snapshot, STRATEGY, d("2026-03-01")), decide(snapshot, STRATEGY, d("2026-03-01"))
    assert first == second
