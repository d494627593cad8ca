"""Decisions of the daily run for one account: pure, given a snapshot, the strategy and the as-of date.

Calculate → decide → apply: the run builds one :class:`Snapshot` per account that has a transition or due
work (entry, resolution and assignment are evaluated vectorized beforehand and arrive here as typed
:data:`Trigger` facts); :func:`decide` returns :class:`Decisions`; the writer applies them, every row keyed,
so deciding twice on the same facts writes nothing new.

:func:`decide` runs small pure passes in a fixed order:

1. **resolve** — cases whose debt is gone are resolved (:class:`Resolved`);
2. **enter** — accounts that qualify open a new episode and start their work (:class:`Entered`);
3. **milestones** — milestone targets (:class:`MilestoneTarget`; the milestone schemes fill it);
4. **triggers** — facts of the day: payments posted and reversed, imports, closed accounts, plan runs;
5. **due work** — every activity due on or before the date, in due order: automatic ones are performed
   (their effects), operator-assisted ones are opened into a worklist, and the successor of each is
   scheduled (its origin's successor rule), dated from the day the predecessor actually ran;
6. **guard** — each outbound activity of the due-work pass asks the release gate
   (:func:`arrears.domain.compliance.release_gate`) before it is released: allowed, deferred to a moment,
   or held with the rule and reason. It is asked at the moment of release, so a held letter starts no
   successor.

States change only through :mod:`arrears.domain.cases`. Work is scheduled lazily: a successor is created
when its predecessor runs, which keeps action cycles finite and keeps a series' spacing after a gap in runs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import assert_never
from zoneinfo import ZoneInfo

from arrears.domain.cases import (
    PENDING_ACTIVITY,
    WORKED_CASE,
    ActionOrigin,
    ActivityEvent,
    ActivityStatus,
    CaseEvent,
    CaseStatus,
    MilestoneActionOrigin,
    Origin,
    PlanEventOrigin,
    SeriesStepOrigin,
    Track,
    activity_transition,
    cancelled_when_case_ends,
    case_transition,
)
from arrears.domain.compliance import (
    ALLOW_ALL,
    NO_FACTS,
    Allow,
    ContactFacts,
    Defer,
    Hold,
    LetterFlags,
    Outbound,
    OutboundChannel,
    Redirect,
    RuleSet,
    SentLetter,
    case_hold,
    held_by_compliance,
    release_gate,
)
from arrears.domain.conditions import account_condition, evaluate
from arrears.domain.effects import (
    ENDED_BY_PLAN,
    Alert,
    Channel,
    CreditPoints,
    CreditReport,
    Effect,
    Message,
    Note,
    PlanRun,
    Posting,
    PostingKind,
    PromiseMade,
    PromiseUpdate,
    Referral,
    ServiceRequest,
    StatementHold,
    StatusChange,
)
from arrears.domain.money import format_cents
from arrears.domain.plans import (
    AWAITED_TYPES,
    DONE_ON_CLOSE,
    WORKLIST_TYPES,
    AccountView,
    EventType,
    PendingContact,
    PlanError,
    PlanRequest,
    PromiseRemoval,
    contact_key,
    event_effects,
    find_event,
    forward_contact,
    schedule_plan,
)
from arrears.domain.priority import DEFAULT_PRIORITY
from arrears.domain.promises import Outcome, StandingPromise
from arrears.domain.strategy import OPERATOR_KINDS, Action, ActionKind, FinalAction, Series, Strategy
from arrears.domain.strategy.schemes import (
    JumpActions,
    Milestone,
    MilestoneAction,
    MilestoneActionKind,
    Move,
    PerformOn,
    Scheme,
)

__all__ = [
    "MAX_STEPS_PER_DAY",
    "Activity",
    "ActivityChange",
    "Case",
    "CaseChange",
    "CaseOpened",
    "Closed",
    "Decisions",
    "EngineError",
    "Entered",
    "GateDecision",
    "HistoryEntry",
    "Imported",
    "MilestoneChange",
    "MilestoneTarget",
    "PaymentPosted",
    "PaymentReversed",
    "PlanRunRequested",
    "PromiseJudged",
    "Reschedule",
    "Resolved",
    "Snapshot",
    "StandingPromise",
    "Trigger",
    "activity_key",
    "activity_kind",
    "decide",
]

OUTBOUND_KINDS: Mapping[ActionKind, OutboundChannel] = {
    ActionKind.LETTER: OutboundChannel.LETTER,
    ActionKind.PHONE_CALL: OutboundChannel.PHONE,
    ActionKind.EMAIL: OutboundChannel.EMAIL,
    ActionKind.SMS: OutboundChannel.SMS,
    ActionKind.EXTERNAL_REFERRAL: OutboundChannel.REFERRAL,
    ActionKind.CREDIT_REPORT: OutboundChannel.CREDIT_REPORT,
}
"""Kinds that reach someone about the debt, and so pass the release gate."""
MESSAGE_KINDS = frozenset({ActionKind.LETTER, ActionKind.EMAIL, ActionKind.SMS})

EXTERNAL_COLLECTIONS_AGENCY = "external collections"
MAX_STEPS_PER_DAY = 100
"""Guard against a strategy whose zero-day steps would schedule work forever on one day."""


class EngineError(ValueError):
    """The account cannot be decided (bad or missing configuration); it becomes an error of the run."""


_ACTION_KINDS = frozenset(kind.value for kind in ActionKind)


def activity_kind(value: str) -> ActionKind | EventType:
    """The kind of a stored activity: an action's kind, or a contact plan event's type (promise, mode …)."""
    return ActionKind(value) if value in _ACTION_KINDS else EventType(value)


# ------------------------------------------------------------------------------------------- snapshot


@dataclass(frozen=True, slots=True)
class Case:
    """The current episode of an account's collections case on one track."""

    track: Track
    episode: int
    status: CaseStatus
    entered_on: date
    assignee: str
    work: str
    hold_reason: str = ""
    """Why a held case is held (``"H01: bankruptcy …"`` for a compliance hold)."""


@dataclass(frozen=True, slots=True)
class Activity:
    """An activity of the account as the engine sees it."""

    key: str
    track: Track
    episode: int
    kind: ActionKind | EventType
    action: str
    """The action performed (empty for a series' referral to external collections); for a plan-made contact,
    its event's description (the letter template, the note text, the plan code …)."""
    origin: Origin
    assignee: str
    due: date
    reason: str
    status: ActivityStatus = ActivityStatus.SCHEDULED
    due_at: datetime | None = None
    """The moment it is due, timezone-aware, for timed work; None when a day is meant."""
    no_auto_delete: bool = False
    priority: int = DEFAULT_PRIORITY
    amount_cents: int | None = None
    """A plan promise's amount."""


@dataclass(frozen=True, slots=True)
class Entered:
    """The account qualifies today (vectorized entry and assignment), with the rule values that caused it."""

    track: Track
    assignee: str
    work: str
    rule_index: int | None
    reason: Mapping[str, object]
    statement_hold: bool = False
    explanation: str = ""
    """The reason in words, for the account's history; the raw values when empty."""
    anchor_due: date | None = None
    """The earliest unpaid due date at entry (an anchor of the case)."""


@dataclass(frozen=True, slots=True)
class Resolved:
    """The track's debt is gone today (balance ≤ 0 for guarantor; no unpaid claim for insurance)."""

    track: Track


@dataclass(frozen=True, slots=True)
class PaymentPosted:
    """A guarantor payment posted on the run date."""

    key: str
    amount_cents: int
    posted_on: date


@dataclass(frozen=True, slots=True)
class PaymentReversed:
    """A payment reversed (NSF) on the run date."""

    key: str
    amount_cents: int
    posted_on: date


@dataclass(frozen=True, slots=True)
class Imported:
    """The account arrived by import (``key``: the import row that brought it), with the contact plan the import
    runs on each new account (``arrears import accounts --plan``), if any."""

    key: str
    on: date
    plan: str | None = None
    at: datetime | None = None
    """The moment of the import (the base of the plan's delay minutes)."""
    user: str = ""
    """Who imported (the plan's current operator); empty: the system."""
    start_date: date | None = None
    """The start date given for a plan that prompts for one (the reference of its delay days)."""


@dataclass(frozen=True, slots=True)
class Closed:
    """The account is closed (mode ``closed``) while it still has an open case."""

    on: date


@dataclass(frozen=True, slots=True)
class PlanRunRequested:
    """A contact plan is to run on the account (``key``: the fact that asked for it: a transaction, an import
    row, a close, a batch, a user's request), so a replayed fact never runs it twice."""

    key: str
    plan: str
    start_date: date | None = None
    at: datetime | None = None
    """The moment it was asked for (the base of delay minutes); None: the start of the run date in the party's
    time zone."""
    user: str = ""
    """The current operator; empty: the system (``arrears``)."""
    deletes: bool = True
    """False when the plan runs as a sub-plan or from the batch of previously scheduled contacts."""


@dataclass(frozen=True, slots=True)
class MilestoneTarget:
    """Where the account moves in a scheme today (the vectorized milestone rule), and from where."""

    scheme: str
    milestone: str | None
    """The milestone after the move (None: before the first, or resolved)."""
    move: Move = Move.ENTER
    previous: str | None = None
    """The milestone before the move."""
    passed: tuple[str, ...] = ()
    """The milestones entered, in order (their entry actions may run)."""
    reason: str = ""
    facts: Mapping[str, object] = field(default_factory=dict)
    """The account's feature row: what the milestone actions' conditions read."""
    entered_on: date | None = None
    """The day the account entered the scheme (None: it enters today)."""
    entry_balance_cents: int | None = None
    assignee: str = ""
    """Who the account's work goes to by the task assignment (for the actions of an account without a case)."""


@dataclass(frozen=True, slots=True)
class PromiseJudged:
    """A promise to pay judged today (vectorized before deciding, by :mod:`arrears.domain.promises`): what
    happened to it, in order, why, and its new state to write."""

    promise_id: int
    key: str
    """The promise's key (a plan-made promise's is its contact's)."""
    outcomes: tuple[Outcome, ...]
    """Empty when the promise ends without a verdict (cancelled: the account is closed)."""
    detail: str
    update: PromiseUpdate
    created_on: date
    """The day it was taken (a pause of the account's series and action steps runs from then)."""
    fact: str = ""
    """The posting that judged it (``line:ID``), when a payment or a reversal judged it as it posted: part of the
    keys of its history and of its outcome's plan run, so two postings of a day are two verdicts. Empty in the
    daily run."""


Trigger = (
    Entered | Resolved | PaymentPosted | PaymentReversed | Imported | Closed | PlanRunRequested | MilestoneTarget
    | PromiseJudged
)  # fmt: skip
"""Every fact that can start a decision."""


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Every fact :func:`decide` may read about one account on the as-of date."""

    account_id: int
    portfolio: str
    balance_cents: int
    external_id: str = ""
    time_zone: str = "America/New_York"
    """The party's IANA time zone."""
    cases: Mapping[Track, Case] = field(default_factory=dict)
    triggers: tuple[Trigger, ...] = ()
    due: tuple[Activity, ...] = ()
    """Pending activities not yet released (scheduled or held) whose due date is on or before the date."""
    pending: tuple[Activity, ...] = ()
    """Every pending activity (needed only when a case closes or is referred)."""
    notes_to_account: bool = False
    """Seed 003 "Force Collection Action Notes to show as Account Notes"."""
    contact: ContactFacts = NO_FACTS
    """The facts the compliance rules read: the party's flags, zones and representatives, the contact history."""
    closed: bool = False
    """The account's mode is closed (contact plans may refuse to run on it)."""
    fields: Mapping[str, object] = field(default_factory=dict)
    """The account's condition fields (a plan event's "schedule if" reads them)."""
    promises: tuple[StandingPromise, ...] = ()
    """The account's promises that still stand after today's judging: while there is one, its series and action
    steps wait (the strategy's ``promises.pause_series``)."""


# ------------------------------------------------------------------------------------------ decisions


@dataclass(frozen=True, slots=True)
class CaseOpened:
    """A new episode of a case."""

    track: Track
    episode: int
    entered_on: date
    assignee: str
    work: str
    rule_index: int | None = None
    reason: Mapping[str, object] = field(default_factory=dict)
    anchor_due: date | None = None


@dataclass(frozen=True, slots=True)
class CaseChange:
    """An episode moved by an event of the transition table."""

    track: Track
    episode: int
    event: CaseEvent
    status: CaseStatus
    on: date
    reason: str


@dataclass(frozen=True, slots=True)
class ActivityChange:
    """An activity moved by an event of the transition table."""

    key: str
    event: ActivityEvent
    status: ActivityStatus
    on: date
    reason: str = ""
    """Why (for a hold: the rule id and the reason)."""


@dataclass(frozen=True, slots=True)
class Reschedule:
    """A scheduled activity deferred by the release gate to a later moment, or a repeating plan contact
    forwarded to its next period (``forwarded``; its ``due_at`` None when it is timeless), or a series or action
    step moved on by the length of a promise's pause (``resumed``)."""

    key: str
    due: date
    due_at: datetime | None
    reason: str
    forwarded: bool = False
    resumed: bool = False


@dataclass(frozen=True, slots=True)
class GateDecision:
    """What the release gate did to an activity other than allow it: held, deferred, or redirected."""

    key: str
    channel: OutboundChannel
    verdict: str
    """``held``, ``deferred`` or ``redirected``."""
    rule: str
    reason: str
    until: datetime | None = None


@dataclass(frozen=True, slots=True)
class MilestoneChange:
    """The account's new milestone state in a scheme."""

    scheme: str
    milestone: str | None
    move: str
    on: date
    entered_on: date
    reached_on: date
    entry_balance_cents: int
    resolved: bool
    reason: str


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One line of the account's collections history."""

    key: str
    event: str
    detail: str


@dataclass(slots=True)
class Decisions:
    """What the run must write for one account."""

    account_id: int
    opened: list[CaseOpened] = field(default_factory=list)
    cases: list[CaseChange] = field(default_factory=list)
    created: list[Activity] = field(default_factory=list)
    changes: list[ActivityChange] = field(default_factory=list)
    rescheduled: list[Reschedule] = field(default_factory=list)
    effects: list[Effect] = field(default_factory=list)
    history: list[HistoryEntry] = field(default_factory=list)
    gate: list[GateDecision] = field(default_factory=list)
    milestones: list[MilestoneChange] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        """True when nothing is to be written."""
        return not (
            self.opened or self.cases or self.created or self.changes or self.rescheduled or self.effects
            or self.history or self.gate or self.milestones
        )  # fmt: skip


def activity_key(account_id: int, track: Track, episode: int, origin: Origin, due: date) -> str:
    """The idempotency key of an activity: account, track, episode, where it comes from, due date."""
    return f"{account_id}/{track.value}/{episode}/{origin.key}/{due.isoformat()}"


# -------------------------------------------------------------------------------------------- decide


@dataclass(slots=True)
class _Day:
    """The working state of one :func:`decide` call."""

    snapshot: Snapshot
    strategy: Strategy
    as_of: date
    rules: RuleSet
    decisions: Decisions
    cases: dict[Track, Case]
    facts: ContactFacts = NO_FACTS
    """The snapshot's contact facts, with the letters sent today that :meth:`contact` has folded in."""
    sent: list[SentLetter] = field(default_factory=list)
    """Letters sent today that are not in ``facts`` yet."""
    queue: list[Activity] = field(default_factory=list)
    performed: set[str] = field(default_factory=set)
    """Keys of the activities released or performed today (never cancelled by a close on the same day)."""
    ended_promises: list[PromiseUpdate] = field(default_factory=list)
    """Standing promises a plan's delete all pending contacts ended today (written after the day's judging)."""

    def standing(self) -> tuple[StandingPromise, ...]:
        """The promises that still stand: the snapshot's, less those a plan ended today."""
        ended = {update.promise_id for update in self.ended_promises}
        return tuple(p for p in self.snapshot.promises if p.promise_id not in ended)

    def contact(self) -> ContactFacts:
        """The contact facts with every letter sent so far today. Letters are folded in when a rule next asks,
        not as each goes out: rebuilding the facts costs as much as the rest of a decision, and most accounts
        send one letter and ask nothing after it."""
        if self.sent:
            self.facts = replace(self.facts, letters=(*self.facts.letters, *self.sent))
            self.sent.clear()
        return self.facts


def decide(snapshot: Snapshot, strategy: Strategy, as_of: date, rules: RuleSet = ALLOW_ALL) -> Decisions:
    """Everything the run does to one account on ``as_of`` (see the module docstring for the passes)."""
    day = _Day(snapshot, strategy, as_of, rules, Decisions(snapshot.account_id), dict(snapshot.cases),
               snapshot.contact)  # fmt: skip
    day.queue = sorted(snapshot.due, key=lambda a: (a.due, a.key))
    _resolve_pass(day)
    _enter_pass(day)
    _case_hold_pass(day)
    _milestone_pass(day)
    _trigger_pass(day)
    _due_work_pass(day)
    day.decisions.effects.extend(day.ended_promises)  # after the judging of the day, which they follow
    return day.decisions


def _resolve_pass(day: _Day) -> None:
    for trigger in day.snapshot.triggers:
        if not isinstance(trigger, Resolved):
            continue
        case = day.cases.get(trigger.track)
        if case is None or case.status is CaseStatus.RESOLVED:
            continue
        balance = day.snapshot.balance_cents
        owed = f"credit balance {format_cents(-balance)}" if balance < 0 else f"balance {format_cents(balance)}"
        why = (
            f"{owed} on {day.as_of}: paid in full"
            if trigger.track is Track.GUARANTOR
            else f"no unpaid insurance claim on {day.as_of}"
        )
        _move_case(day, case, CaseEvent.RESOLVE, why)


def _enter_pass(day: _Day) -> None:
    for trigger in day.snapshot.triggers:
        if not isinstance(trigger, Entered):
            continue
        previous = day.cases.get(trigger.track)
        if previous is not None and previous.status is not CaseStatus.RESOLVED:
            continue  # already in collections on this track
        episode = previous.episode + 1 if previous is not None else 1
        case = Case(trigger.track, episode, CaseStatus.INTERNAL, day.as_of, trigger.assignee, trigger.work)
        day.cases[trigger.track] = case
        day.decisions.opened.append(
            CaseOpened(
                trigger.track, episode, day.as_of, trigger.assignee, trigger.work, trigger.rule_index,
                trigger.reason, trigger.anchor_due,
            )
        )  # fmt: skip
        day.decisions.history.append(
            HistoryEntry(f"{_case_key(day, case)}/entered", "entered", _describe(trigger))
        )
        if trigger.statement_hold:
            day.decisions.effects.append(StatementHold(f"{_case_key(day, case)}/statement-hold", True))
        first = _start_work(day, case, trigger.work, f"entered {trigger.track.value} collections")
        day.decisions.created.append(first)
        day.queue.append(first)


def _case_hold_pass(day: _Day) -> None:
    """Hold the guarantor case while a compliance case rule (bankruptcy) applies; release it when none does."""
    case = day.cases.get(Track.GUARANTOR)
    if case is None:
        return
    held = case_hold(day.contact(), day.rules)
    if held is not None and case.status is CaseStatus.INTERNAL:
        _move_case(day, case, CaseEvent.HOLD, f"{held.rule}: {held.reason}")
    elif held is None and case.status is CaseStatus.HELD and held_by_compliance(case.hold_reason):
        rule = case.hold_reason.split(":", 1)[0]
        _move_case(day, case, CaseEvent.RELEASE, f"{rule} no longer applies on {day.as_of}: case released")


_MILESTONE_EVENTS: Mapping[Move, PerformOn] = {
    Move.ENTER: PerformOn.ENTRY, Move.INCREMENT: PerformOn.ENTRY, Move.REVERSAL: PerformOn.ENTRY,
    Move.DECREMENT: PerformOn.DECREMENT, Move.RESOLVE_FULL_PAYMENT: PerformOn.FULL_PAYMENT,
    Move.RESOLVE_FORMULA: PerformOn.FORMULA,
}  # fmt: skip
"""Which actions a move performs: the entry actions of the milestones entered, or the decrement or resolve
actions of the milestone left."""

MILESTONE_ACTION_KINDS: Mapping[MilestoneActionKind, ActionKind] = {
    MilestoneActionKind.SERVICE_REQUEST: ActionKind.SERVICE_REQUEST,
    MilestoneActionKind.ONE_OFF_CHARGE: ActionKind.FEE,
    MilestoneActionKind.DEPOSIT_DEMAND: ActionKind.FEE,
    MilestoneActionKind.ONE_OFF_PENALTY: ActionKind.FEE,
    MilestoneActionKind.ALERT: ActionKind.ALERT,
    MilestoneActionKind.NOTICE: ActionKind.LETTER,
    MilestoneActionKind.LOG: ActionKind.NOTE,
    MilestoneActionKind.CREDIT_RATING: ActionKind.CREDIT_POINTS,
}
"""The activity kind of each milestone action (a notice is a letter, and so passes the release gate)."""


def _milestone_pass(day: _Day) -> None:
    """Record each move in a scheme (its new state and a history line) and perform the actions it triggers."""
    for trigger in day.snapshot.triggers:
        if not isinstance(trigger, MilestoneTarget) or trigger.move is Move.STAY:
            continue
        scheme = day.strategy.scheme(trigger.scheme)
        if scheme is None:
            raise EngineError(f"scheme {trigger.scheme!r} is not configured")
        resolved = trigger.move in (Move.RESOLVE_FULL_PAYMENT, Move.RESOLVE_FORMULA)
        entered_on = day.as_of if trigger.move is Move.ENTER or trigger.entered_on is None else trigger.entered_on
        balance = trigger.entry_balance_cents
        entry_balance = day.snapshot.balance_cents if trigger.move is Move.ENTER or balance is None else balance
        day.decisions.milestones.append(
            MilestoneChange(scheme.code, trigger.milestone, trigger.move.value, day.as_of, entered_on, day.as_of,
                            entry_balance, resolved, trigger.reason)
        )  # fmt: skip
        shown_from = f"'{trigger.previous}'" if trigger.previous else "no milestone"
        shown_to = f"'{trigger.milestone}'" if trigger.milestone else ("resolved" if resolved else "no milestone")
        detail = f"scheme '{scheme.code}': {shown_from} → {shown_to} ({trigger.move.value}: {trigger.reason})"
        account = day.snapshot.account_id
        day.decisions.history.append(
            HistoryEntry(f"{account}/milestone/{scheme.code}/{day.as_of}", f"milestone_{trigger.move.value}", detail)
        )
        event = _MILESTONE_EVENTS[trigger.move]
        if event is PerformOn.ENTRY:
            names = trigger.passed[-1:] if scheme.jump and scheme.jump_actions is JumpActions.LAST else trigger.passed
        else:
            names = (trigger.previous,) if trigger.previous else ()
        for name in names:
            index = scheme.index(name)
            if index is None:
                raise EngineError(f"milestone {name!r} of scheme {scheme.code!r} is not configured")
            milestone = scheme.milestones[index]
            for number, action in milestone.actions_on(event):
                if action.condition is not None and not evaluate(account_condition(action.condition), trigger.facts):
                    continue
                origin = MilestoneActionOrigin(scheme.code, milestone.name, number, event.value)
                _perform_milestone_action(day, scheme, milestone, action, origin, trigger)


def _perform_milestone_action(
    day: _Day, scheme: Scheme, milestone: Milestone, action: MilestoneAction, origin: MilestoneActionOrigin,
    trigger: MilestoneTarget,
) -> None:
    """Create the activity of a milestone action and perform it now (a notice asks the release gate first); on a
    held case it is held, and performed by the due-work pass once the case is released."""
    case = day.cases.get(scheme.track)
    episode = case.episode if case is not None else 0
    assignee = action.assignee or (case.assignee if case is not None else trigger.assignee)
    key = activity_key(day.snapshot.account_id, scheme.track, episode, origin, day.as_of)
    why = f"{PerformOn(origin.perform_on).label} '{milestone.name}' of scheme '{scheme.code}' ({trigger.reason})"
    label = f"{milestone.name}: {action.describe()}"[:100]
    kind = MILESTONE_ACTION_KINDS[action.kind]
    activity = Activity(key, scheme.track, episode, kind, label, origin, assignee, day.as_of, why[:300])
    day.decisions.created.append(activity)
    if case is not None and case.status is CaseStatus.HELD:  # no contact, no fees while held: wait for release
        status = activity_transition(activity.status, ActivityEvent.HOLD)
        day.decisions.changes.append(ActivityChange(key, ActivityEvent.HOLD, status, day.as_of, case.hold_reason))
        return
    released, addressee = _guard(day, activity)
    if not released:
        return
    day.decisions.changes.append(
        ActivityChange(key, ActivityEvent.PERFORM, activity_transition(activity.status, ActivityEvent.PERFORM),
                       day.as_of)
    )  # fmt: skip
    day.performed.add(key)
    day.decisions.effects.extend(_effects(day, activity, addressee))
    day.decisions.history.append(HistoryEntry(f"{key}/performed", "milestone_action", f"{action.describe()}: {why}"))


def _milestone_action(day: _Day, origin: MilestoneActionOrigin) -> MilestoneAction:
    scheme = day.strategy.scheme(origin.scheme)
    index = scheme.index(origin.milestone) if scheme is not None else None
    if scheme is None or index is None or not 1 <= origin.action <= len(scheme.milestones[index].actions):
        raise EngineError(f"action {origin.action} of milestone {origin.milestone!r} of scheme "
                          f"{origin.scheme!r} is not configured")  # fmt: skip
    return scheme.milestones[index].actions[origin.action - 1]


_CHARGE_POSTINGS: Mapping[MilestoneActionKind, PostingKind] = {
    MilestoneActionKind.ONE_OFF_CHARGE: PostingKind.CHARGE,
    MilestoneActionKind.DEPOSIT_DEMAND: PostingKind.DEPOSIT,
    MilestoneActionKind.ONE_OFF_PENALTY: PostingKind.PENALTY,
}


def _milestone_effects(day: _Day, activity: Activity, origin: MilestoneActionOrigin, addressee: str) -> list[Effect]:
    """What a milestone action does when it is performed."""
    action = _milestone_action(day, origin)
    key = activity.key
    match action.kind:
        case MilestoneActionKind.SERVICE_REQUEST:
            return [ServiceRequest(key, action.request_type or "", activity.assignee)]
        case MilestoneActionKind.ONE_OFF_CHARGE | MilestoneActionKind.DEPOSIT_DEMAND | (
            MilestoneActionKind.ONE_OFF_PENALTY
        ):
            cents = action.charge_cents(day.snapshot.balance_cents)
            return [Posting(key, _CHARGE_POSTINGS[action.kind], cents, action.line_item_type or action.kind.value)]
        case MilestoneActionKind.ALERT:
            return [Alert(key, action.text or "")]
        case MilestoneActionKind.NOTICE:
            return [Message(key, Channel.LETTER, action.template or "", addressee)]
        case MilestoneActionKind.LOG:
            return [Note(key, action.text or "", day.snapshot.notes_to_account)]
        case MilestoneActionKind.CREDIT_RATING:
            return [CreditPoints(key, action.points or 0)]
        case _:
            assert_never(action.kind)


def _trigger_pass(day: _Day) -> None:
    account = day.snapshot.account_id
    guarantor = day.cases.get(Track.GUARANTOR)
    in_collections = guarantor is not None and guarantor.status is not CaseStatus.RESOLVED
    for trigger in day.snapshot.triggers:
        match trigger:
            case Entered() | Resolved() | MilestoneTarget():
                pass  # decided by the earlier passes
            case PaymentPosted() if in_collections:
                detail = f"guarantor payment ${trigger.amount_cents / 100:,.2f} posted on {trigger.posted_on}"
                day.decisions.history.append(HistoryEntry(f"{account}/payment/{trigger.key}", "payment", detail))
            case PaymentReversed() if in_collections:
                detail = f"payment ${trigger.amount_cents / 100:,.2f} reversed on {trigger.posted_on}"
                day.decisions.history.append(HistoryEntry(f"{account}/reversal/{trigger.key}", "reversal", detail))
            case PaymentPosted() | PaymentReversed():
                pass  # outside collections a payment is the ledger's business only
            case Imported():
                day.decisions.history.append(
                    HistoryEntry(f"{account}/imported/{trigger.key}", "imported", f"imported on {trigger.on}")
                )
                if trigger.plan is not None:  # once per import row: its key is in every contact's key
                    _run_plan(day, PlanRunRequested(f"import:{trigger.key}", trigger.plan, trigger.start_date,
                                                    at=trigger.at, user=trigger.user))  # fmt: skip
            case Closed():
                _close_plan_contacts(day, trigger.on)
                for case in list(day.cases.values()):
                    if case.status is not CaseStatus.RESOLVED:
                        _move_case(day, case, CaseEvent.RESOLVE, f"account closed on {trigger.on}")
            case PlanRunRequested():
                _run_plan(day, trigger)
            case PromiseJudged():
                _promise_judged(day, trigger)
            case _:
                assert_never(trigger)


SYSTEM_OPERATOR = "arrears"
"""The current operator of plans run by the system (the daily run, triggers)."""


def _plan_contacts(day: _Day) -> tuple[PendingContact, ...]:
    """The account's pending work as a plan sees it: stored, and created today, less what today removed."""
    gone = {change.key for change in day.decisions.changes} | day.performed
    return tuple(
        PendingContact(a.key, a.kind.value, a.action, a.status, a.no_auto_delete,
                       a.origin if isinstance(a.origin, PlanEventOrigin) else None)
        for a in [*day.snapshot.pending, *day.decisions.created]
        if a.status in PENDING_ACTIVITY and a.key not in gone
    )  # fmt: skip


def _run_plan(day: _Day, trigger: PlanRunRequested) -> None:
    """Run a contact plan on the account: its deletions, its contacts (those due now released in the due-work
    pass, through the release gate), its immediate effects, and a line of history."""
    snapshot = day.snapshot
    guarantor = day.cases.get(Track.GUARANTOR)
    working = guarantor is not None and guarantor.status is not CaseStatus.RESOLVED
    operator = guarantor.assignee if guarantor is not None and working else ""
    view = AccountView(snapshot.account_id, snapshot.balance_cents, operator, snapshot.closed, snapshot.fields,
                       _plan_contacts(day), day.standing())  # fmt: skip
    at = trigger.at or datetime.combine(day.as_of, time(0), tzinfo=ZoneInfo(snapshot.time_zone))
    request = PlanRequest(trigger.plan, trigger.key, day.as_of, at, trigger.user or SYSTEM_OPERATOR,
                          trigger.start_date, trigger.deletes)  # fmt: skip
    try:
        outcome = schedule_plan(request, view, day.strategy.plan_index(), sub_plan=not trigger.deletes)
    except PlanError as error:
        raise EngineError(str(error)) from error
    history = f"{snapshot.account_id}/plan/{trigger.key}/{trigger.plan}"
    if outcome.refused:
        day.decisions.history.append(HistoryEntry(history, "plan-skipped", outcome.refused))
        return
    for removed in outcome.removals:
        change = ActivityChange(removed.key, removed.event, removed.status, day.as_of, removed.reason)
        day.decisions.changes.append(change)
    _end_promises(day, outcome.promise_removals)
    episode = guarantor.episode if guarantor is not None else 0
    for contact in outcome.contacts:
        activity = Activity(
            contact.key, Track.GUARANTOR, episode, contact.type, contact.description, contact.origin,
            contact.assignee, contact.due, contact.reason[:300], contact.status, contact.due_at,
            contact.no_auto_delete, contact.priority, contact.amount_cents,
        )  # fmt: skip
        if contact.recorded:
            day.decisions.created.append(activity)
        if contact.type is EventType.PROMISE and contact.amount_cents:
            _promise_made(day, contact.key, contact.origin, contact.amount_cents, contact.due, contact.assignee)
        if contact.release_now:
            day.queue.append(activity)
        elif contact.status is ActivityStatus.DONE:
            day.performed.add(contact.key)
    day.decisions.effects.extend(outcome.effects)
    skipped = f"; not scheduled: {'; '.join(outcome.skipped)}" if outcome.skipped else ""
    detail = (f"plan {trigger.plan} run on {day.as_of}: {len(outcome.contacts)} contacts, "
              f"{outcome.deletions} pending deleted{skipped}")  # fmt: skip
    day.decisions.history.append(HistoryEntry(history, "plan", detail))


def _end_promises(day: _Day, removals: Sequence[PromiseRemoval]) -> None:
    """Promises a plan's delete all pending contacts ended: their new state (written over the state they stand
    in after the day's judging), a line of history each, and the end of the pause of the series and action
    steps when none stands any more."""
    if not removals:
        return
    account = day.snapshot.account_id
    for removal in removals:
        promise, state = removal.promise, removal.promise.state
        day.ended_promises.append(PromiseUpdate(
            f"promise:{promise.promise_id}:{day.as_of}", promise.promise_id, removal.status.value, state.installment,
            state.paid_cents, promise.due or promise.since, True, (state.status.value, state.installment,
                                                                   state.paid_cents), ended_by=ENDED_BY_PLAN,
        ))  # fmt: skip
        day.decisions.history.append(HistoryEntry(
            f"{account}/promise/{promise.promise_id}/{removal.status.value}/{day.as_of}",
            f"promise_{removal.status.value}", f"promise {promise.promise_id} {removal.reason}",
        ))  # fmt: skip
    if not day.standing() and day.strategy.promises.pause_series:
        first = min(removals, key=lambda r: r.promise.since).promise
        _resume(day, first.promise_id, first.since)


def _promise_judged(day: _Day, judged: PromiseJudged) -> None:
    """A promise judged today: a line of history, its new state, the contact of a plan-made promise done once the
    promise has ended, the contact plan each outcome runs (per portfolio), and the end of the pause of the
    account's series and action steps when no promise stands any more."""
    account = day.snapshot.account_id
    names = "+".join(outcome.value for outcome in judged.outcomes) or judged.update.status
    event = f"promise_{judged.outcomes[-1].value}" if judged.outcomes else f"promise_{judged.update.status}"
    fact = f"/{judged.fact}" if judged.fact else ""
    day.decisions.history.append(HistoryEntry(
        f"{account}/promise/{judged.promise_id}/{names}/{day.as_of}{fact}", event,
        f"promise {judged.promise_id}: {judged.detail}",
    ))  # fmt: skip
    day.decisions.effects.append(judged.update)
    if judged.update.ended:
        for activity in day.snapshot.pending:
            if activity.key == judged.key and activity.kind is EventType.PROMISE and activity.key not in day.performed:
                status = activity_transition(activity.status, ActivityEvent.PERFORM)
                day.decisions.changes.append(ActivityChange(activity.key, ActivityEvent.PERFORM, status, day.as_of,
                                                            f"promise {judged.update.status}"))  # fmt: skip
                day.performed.add(activity.key)
        if not day.standing() and day.strategy.promises.pause_series:
            _resume(day, judged.promise_id, judged.created_on)
    for outcome in judged.outcomes:
        plan = day.strategy.promises.plan(day.snapshot.portfolio, outcome)
        if plan:
            key = f"promise:{judged.promise_id}:{outcome.value}:{day.as_of}{fact.replace('/', ':')}"
            _run_plan(day, PlanRunRequested(key, plan, user=SYSTEM_OPERATOR))


def _paused(day: _Day, activity: Activity) -> bool:
    """True when a promise stands and the strategy pauses series and action steps: the step waits, and the pause
    is a line of history (once per promise)."""
    promises = day.standing()
    if not promises or not day.strategy.promises.pause_series:
        return False
    if not isinstance(activity.origin, ActionOrigin | SeriesStepOrigin) or activity.track is not Track.GUARANTOR:
        return False
    standing = promises[0]
    day.decisions.history.append(HistoryEntry(
        f"{day.snapshot.account_id}/promise/{standing.promise_id}/pause", "promise_pause",
        f"series and action steps paused while promise {standing.promise_id} (taken {standing.since}) stands",
    ))  # fmt: skip
    return True


def _resume(day: _Day, promise_id: int, since: date) -> None:
    """The promise that paused the account's series and action steps (taken on ``since``) has ended: each
    scheduled step moves on by the days the pause lasted, so the spacing of the series is kept."""
    shift = timedelta(days=(day.as_of - since).days)
    if not shift:
        return
    why = f"paused by promise {promise_id} from {since} to {day.as_of}: {shift.days} days later"
    moved: dict[str, Activity] = {}
    for activity in [*day.snapshot.pending, *day.snapshot.due]:
        if activity.key in moved or activity.status is not ActivityStatus.SCHEDULED:
            continue
        if not isinstance(activity.origin, ActionOrigin | SeriesStepOrigin) or activity.track is not Track.GUARANTOR:
            continue
        at = activity.due_at + shift if activity.due_at is not None else None
        moved[activity.key] = replace(activity, due=activity.due + shift, due_at=at)
        day.decisions.rescheduled.append(Reschedule(activity.key, activity.due + shift, at, why, resumed=True))
    day.queue = [moved.get(activity.key, activity) for activity in day.queue]
    steps = ", ".join(f"{a.action} → {a.due}" for a in moved.values()) or "no step was waiting"
    day.decisions.history.append(HistoryEntry(
        f"{day.snapshot.account_id}/promise/{promise_id}/resume", "promise_resume",
        f"series and action steps resumed on {day.as_of} after promise {promise_id} "
        f"({shift.days} days paused): {steps}",
    ))  # fmt: skip


def _promise_made(day: _Day, key: str, origin: PlanEventOrigin, amount: int, due: date, assignee: str) -> None:
    """A plan's promise event makes a promise to pay, with the event's repeat and advance on overpayment and the
    portfolio's grace."""
    try:
        event = find_event(day.strategy.plan_index(), origin)
    except PlanError as error:
        raise EngineError(str(error)) from error
    repeat = event.repeat.value if event.repeat is not None else None
    grace = day.strategy.promises.grace(day.snapshot.portfolio)
    collector = assignee or SYSTEM_OPERATOR
    day.decisions.effects.append(
        PromiseMade(key, amount, due, repeat, grace, event.advance_promise_on_overpayment, collector)
    )


def _close_plan_contacts(day: _Day, on: date) -> None:
    """Seed 002: closing an account marks its promises and transactions done, regardless of do not autodelete
    (the case's close cancels the rest of its pending work)."""
    why = f"account closed on {on}"
    for contact in _plan_contacts(day):
        if contact.kind in DONE_ON_CLOSE:
            event = ActivityEvent.COMPLETE if contact.status is ActivityStatus.OPEN else ActivityEvent.PERFORM
            day.decisions.changes.append(ActivityChange(contact.key, event, ActivityStatus.DONE, on, why))
            day.performed.add(contact.key)


def _due_work_pass(day: _Day) -> None:
    processed = 0
    while day.queue:
        activity = day.queue.pop(0)
        if isinstance(activity.origin, PlanEventOrigin):
            if activity.due <= day.as_of and activity.key not in day.performed:
                processed += 1
                if processed > MAX_STEPS_PER_DAY:
                    raise EngineError(f"more than {MAX_STEPS_PER_DAY} activities fell due on {day.as_of}")
                _perform_plan_contact(day, activity, activity.origin)
            continue
        case = day.cases.get(activity.track)
        if case is None or case.episode != activity.episode or case.status not in WORKED_CASE:
            continue  # work of a closed, referred or held case
        if activity.due > day.as_of or _paused(day, activity):
            continue
        processed += 1
        if processed > MAX_STEPS_PER_DAY:
            raise EngineError(
                f"more than {MAX_STEPS_PER_DAY} activities fell due on {day.as_of}: check zero-day steps"
            )
        released, addressee = _guard(day, activity)
        if not released:
            continue
        operator = activity.kind in OPERATOR_KINDS
        event = ActivityEvent.OPEN if operator else ActivityEvent.PERFORM
        status = activity_transition(activity.status, event)
        day.decisions.changes.append(ActivityChange(activity.key, event, status, day.as_of))
        day.performed.add(activity.key)
        if not operator:
            day.decisions.effects.extend(_effects(day, activity, addressee))
        if activity.kind is ActionKind.RUN_PLAN and not operator:
            plan_code = _action(day.strategy, activity.action).params.plan_code or ""
            _run_plan(day, PlanRunRequested(activity.key, plan_code, user=SYSTEM_OPERATOR))
        if activity.kind is ActionKind.EXTERNAL_REFERRAL:
            who = _origin_label(activity.origin)
            _move_case(day, case, CaseEvent.REFER, f"referred to external collections by {who} on {day.as_of}")
            continue
        following = _successor(day, case, activity)
        if following is not None:
            day.decisions.created.append(following)
            if following.due <= day.as_of:
                day.queue.append(following)


def _perform_plan_contact(day: _Day, activity: Activity, origin: PlanEventOrigin) -> None:
    """A plan-made contact falls due: a worklist contact opens, an automatic one happens (a plan event runs its
    plan as a sub-plan), a promise waits for payments; a repeating one is forwarded to its next period, with a
    completed copy and a line in the notes when the event says so."""
    if activity.key in {change.key for change in day.decisions.changes}:
        return  # deleted or settled today (a plan's deletion, a close)
    kind = EventType(activity.kind.value)
    if kind in AWAITED_TYPES:
        return
    try:
        event = find_event(day.strategy.plan_index(), origin)
    except PlanError as error:
        raise EngineError(str(error)) from error
    released, addressee = _guard(day, activity)
    if not released:
        return
    day.performed.add(activity.key)
    operator = kind in WORKLIST_TYPES
    forward = None if operator else forward_contact(
        event, activity.key, origin, activity.due, activity.due_at, activity.assignee, day.as_of, SYSTEM_OPERATOR,
        activity.reason,
    )  # fmt: skip
    occurrence = f"{activity.key}@{activity.due.isoformat()}" if event.repeat is not None else activity.key
    if not operator:
        day.decisions.effects.extend(event_effects(event, occurrence, day.snapshot.balance_cents, addressee))
        if kind is EventType.RUN_PLAN:
            _run_plan(day, PlanRunRequested(occurrence, activity.action, user=SYSTEM_OPERATOR, deletes=False))
    if forward is not None and activity.status is ActivityStatus.SCHEDULED:
        why = f"repeat: forwarded from {activity.due} to {forward.due}"
        day.decisions.rescheduled.append(Reschedule(activity.key, forward.due, forward.due_at, why, forwarded=True))
    else:
        event_name = ActivityEvent.OPEN if operator else ActivityEvent.PERFORM
        status = activity_transition(activity.status, event_name)
        day.decisions.changes.append(ActivityChange(activity.key, event_name, status, day.as_of))
        if forward is not None:  # a held contact released today: its next period is a contact of its own
            key = contact_key(day.snapshot.account_id, origin, forward.due)
            day.decisions.created.append(replace(activity, key=key, due=forward.due, due_at=forward.due_at,
                                                 status=ActivityStatus.SCHEDULED))  # fmt: skip
    if forward is not None and forward.copy is not None:
        copy = forward.copy
        day.decisions.created.append(
            replace(activity, key=copy.key, status=ActivityStatus.DONE, reason=copy.reason[:300])
        )
    if forward is not None and forward.note is not None:
        day.decisions.effects.append(replace(forward.note, to_account=day.snapshot.notes_to_account))


def _guard(day: _Day, activity: Activity) -> tuple[bool, str]:
    """Ask the release gate about an outbound activity and record what it did other than allow it.

    Returns (release it, the representative it is addressed to). A call deferred to a later moment of the
    same day is released into the worklist with that moment as its due time (it shows from then)."""
    plan_made = isinstance(activity.origin, PlanEventOrigin)
    milestone = isinstance(activity.origin, MilestoneActionOrigin)
    action = day.strategy.action(activity.action) if activity.action and not (plan_made or milestone) else None
    channel = OUTBOUND_KINDS.get(ActionKind(activity.kind.value)) if activity.kind.value in _ACTION_KINDS else None
    if channel is None and action is not None and action.letter:
        channel = OutboundChannel.LETTER
    if channel is None:
        return True, ""
    letter = _plan_letter_flags(day.strategy, activity, channel) if plan_made \
        else _letter_flags(day.strategy, action, channel)  # fmt: skip
    if isinstance(activity.origin, MilestoneActionOrigin) and channel is OutboundChannel.LETTER:
        template = _milestone_action(day, activity.origin).template or ""
        known = day.strategy.letter(template)
        letter = known.flags() if known is not None else LetterFlags(template)
    request = Outbound(
        day.snapshot.account_id, day.snapshot.portfolio, channel, activity.key, day.as_of, activity.due_at,
        day.snapshot.time_zone, day.contact(), letter, activity.track is Track.GUARANTOR,
    )  # fmt: skip
    verdict = release_gate(request, day.rules)
    gate = day.decisions.gate
    match verdict:
        case Allow() | Redirect():
            if channel is OutboundChannel.LETTER and letter is not None:
                day.sent.append(
                    SentLetter(letter.template, day.as_of, day.as_of, letter.validation_notice, letter.eca_notice)
                )
            if activity.status is ActivityStatus.HELD:
                day.decisions.history.append(HistoryEntry(
                    f"{activity.key}/hold-ended/{day.as_of}", "hold-ended",
                    f"{_activity_label(activity)}: no rule holds it on {day.as_of}: released",
                ))  # fmt: skip
            if isinstance(verdict, Redirect):
                gate.append(GateDecision(activity.key, channel, "redirected", verdict.rule, verdict.reason))
                return True, verdict.role.value
            return True, ""
        case Defer():
            reason = f"{verdict.rule}: {verdict.reason}"
            gate.append(GateDecision(activity.key, channel, "deferred", verdict.rule, verdict.reason, verdict.until))
            later_today = verdict.until.date() == day.as_of and activity.kind in OPERATOR_KINDS
            day.decisions.rescheduled.append(
                Reschedule(activity.key, verdict.until.date(), verdict.until, reason)
            )
            return later_today, ""
        case Hold():
            if activity.status is not ActivityStatus.HELD:
                status = activity_transition(activity.status, ActivityEvent.HOLD)
                why = f"{verdict.rule}: {verdict.reason}"
                day.decisions.changes.append(ActivityChange(activity.key, ActivityEvent.HOLD, status, day.as_of, why))
                gate.append(GateDecision(activity.key, channel, "held", verdict.rule, verdict.reason))
                day.decisions.history.append(
                    HistoryEntry(f"{activity.key}/held/{day.as_of}", "held", f"{_activity_label(activity)}: {why}")
                )
            return False, ""
        case _:
            assert_never(verdict)


def _plan_letter_flags(strategy: Strategy, activity: Activity, channel: OutboundChannel) -> LetterFlags | None:
    """The template flags of a plan-made letter, e-mail or SMS (its description names the template)."""
    if channel not in (OutboundChannel.LETTER, OutboundChannel.EMAIL, OutboundChannel.SMS):
        return None
    template = strategy.letter(activity.action)
    return template.flags() if template is not None else LetterFlags(activity.action)


def _activity_label(activity: Activity) -> str:
    """An activity as its history line names it: ``Letter 30 (letter)``."""
    return f"{activity.action or EXTERNAL_COLLECTIONS_AGENCY} ({activity.kind.value})"


def _letter_flags(strategy: Strategy, action: Action | None, channel: OutboundChannel) -> LetterFlags | None:
    """The template flags of the letter, e-mail or SMS an activity sends (None when it sends none)."""
    if action is None or channel not in (OutboundChannel.LETTER, OutboundChannel.EMAIL, OutboundChannel.SMS):
        return None
    code = action.params.template_code if action.kind in MESSAGE_KINDS else action.letter
    if not code:
        return None
    template = strategy.letter(code)
    return template.flags() if template is not None else LetterFlags(code)


# ------------------------------------------------------------------------------------------ the work


def _case_key(day: _Day, case: Case) -> str:
    return f"{day.snapshot.account_id}/{case.track.value}/{case.episode}"


def _action(strategy: Strategy, name: str) -> Action:
    action = strategy.action(name)
    if action is None:
        raise EngineError(f"action {name!r} is not configured")
    return action


def _series(strategy: Strategy, name: str) -> Series:
    series = strategy.series_named(name)
    if series is None:
        raise EngineError(f"series {name!r} is not configured")
    return series


def _new(day: _Day, case: Case, action: Action | None, origin: Origin, due: date, reason: str) -> Activity:
    kind = action.kind if action is not None else ActionKind.EXTERNAL_REFERRAL
    key = activity_key(day.snapshot.account_id, case.track, case.episode, origin, due)
    return Activity(key, case.track, case.episode, kind, action.name if action else "", origin, case.assignee, due,
                    reason)  # fmt: skip


def _start_work(day: _Day, case: Case, work: str, why: str) -> Activity:
    """The first activity of an action or series started today."""
    series = day.strategy.series_named(work)
    if series is not None:
        if not series.steps:
            raise EngineError(f"series {series.name!r} has no steps")
        first = _action(day.strategy, series.steps[0].action)
        reason = f"step 1 of series '{series.name}' ({why})"
        return _new(day, case, first, SeriesStepOrigin(series.name, 0), day.as_of, reason)
    action = _action(day.strategy, work)
    return _new(day, case, action, ActionOrigin(action.name), day.as_of, f"{why}: action '{action.name}'")


def _successor(day: _Day, case: Case, done: Activity) -> Activity | None:
    """What follows ``done`` by its origin's rule, dated from today (the day ``done`` actually ran)."""
    origin = done.origin
    match origin:
        case ActionOrigin():
            action = _action(day.strategy, origin.action)
            if action.next_action is None or action.follow_up_days is None:
                return None
            follow = _action(day.strategy, action.next_action)
            due = day.as_of + timedelta(days=action.follow_up_days)
            reason = f"next action of '{action.name}', {action.follow_up_days} follow-up days after {day.as_of}"
            return _new(day, case, follow, ActionOrigin(follow.name), due, reason)
        case SeriesStepOrigin():
            return _series_successor(day, case, origin)
        case PlanEventOrigin() | MilestoneActionOrigin():
            return None  # plan repeats and milestone actions are scheduled by their own passes
        case _:
            assert_never(origin)


def _series_successor(day: _Day, case: Case, origin: SeriesStepOrigin) -> Activity | None:
    series = _series(day.strategy, origin.series)
    step = origin.step
    if step >= len(series.steps):
        return None  # the final action has no successor
    gap = series.steps[step].days_until_next
    due = day.as_of + timedelta(days=gap)
    if step + 1 < len(series.steps):
        following = _action(day.strategy, series.steps[step + 1].action)
        reason = f"step {step + 2} of series '{series.name}', {gap} days after step {step + 1} ran on {day.as_of}"
        return _new(day, case, following, SeriesStepOrigin(series.name, step + 1), due, reason)
    reason = f"final action of series '{series.name}', {gap} days after its last step ran on {day.as_of}"
    final = SeriesStepOrigin(series.name, len(series.steps))
    if series.final_action is FinalAction.EXTERNAL_COLLECTIONS:
        return _new(day, case, None, final, due, reason)
    return _new(day, case, _action(day.strategy, series.custom_action or ""), final, due, reason)


def _effects(day: _Day, activity: Activity, addressee: str = "") -> list[Effect]:
    """What an automatic activity does when it is performed (its letters addressed to ``addressee`` when the
    release gate redirected them to a representative)."""
    key, to_account = activity.key, day.snapshot.notes_to_account
    if isinstance(activity.origin, MilestoneActionOrigin):
        return _milestone_effects(day, activity, activity.origin, addressee)
    if not activity.action:  # a series' referral to external collections
        return [Referral(key, EXTERNAL_COLLECTIONS_AGENCY)]
    action = _action(day.strategy, activity.action)
    params = action.params
    effects: list[Effect] = []
    match action.kind:
        case ActionKind.LETTER | ActionKind.EMAIL | ActionKind.SMS:
            effects.append(Message(key, Channel(action.kind.value), params.template_code or "", addressee))
        case ActionKind.NOTE:
            effects.append(Note(key, params.text or "", to_account))
        case ActionKind.FEE:
            effects.append(Posting(key, PostingKind.FEE, params.amount_cents or 0, params.description or action.name))
        case ActionKind.STATUS_CHANGE:
            effects.append(StatusChange(key, params.status_code or ""))
        case ActionKind.EXTERNAL_REFERRAL:
            effects.append(Referral(key, params.agency or ""))
        case ActionKind.CREDIT_POINTS:
            effects.append(CreditPoints(key, params.points or 0))
        case ActionKind.CREDIT_REPORT:
            effects.append(CreditReport(key, day.snapshot.balance_cents))
        case ActionKind.SERVICE_REQUEST:
            effects.append(ServiceRequest(key, params.text or "", activity.assignee))
        case ActionKind.ALERT:
            effects.append(Alert(key, params.text or ""))
        case ActionKind.RUN_PLAN:
            effects.append(PlanRun(key, params.plan_code or ""))
        case ActionKind.PHONE_CALL | ActionKind.REVIEW:
            raise EngineError(f"action {action.name!r} ({action.kind.value}) is operator-assisted, not automatic")
        case _:
            assert_never(action.kind)
    if action.letter and action.kind is not ActionKind.LETTER:
        effects.append(Message(key, Channel.LETTER, action.letter, addressee))
    if action.kind is not ActionKind.NOTE and to_account:
        # The activity itself (done on its day by the run, its action and kind) is the collection action's
        # record and the account page shows it; a note saying so again is written only where the portfolio
        # forces collection action notes onto the account's notes (seed 003).
        text = f"{action.name} ({action.kind.value}) performed by the daily run on {day.as_of}"
        effects.append(Note(key, text, to_account=True, collection_action=False))
    return effects


def _move_case(day: _Day, case: Case, event: CaseEvent, why: str) -> None:
    """Move a case by ``event``; resolving or referring it cancels its pending work (except no-auto-delete);
    a hold keeps the work, which waits until the case is released."""
    status = case_transition(case.status, event)
    day.cases[case.track] = replace(case, status=status, hold_reason=why if event is CaseEvent.HOLD else "")
    day.decisions.cases.append(CaseChange(case.track, case.episode, event, status, day.as_of, why))
    if event in (CaseEvent.HOLD, CaseEvent.RELEASE):
        name = "case-hold" if event is CaseEvent.HOLD else "case-release"
        day.decisions.history.append(HistoryEntry(f"{_case_key(day, case)}/{name}/{day.as_of}", name, why))
        return
    cancelled = {change.key for change in day.decisions.changes if change.event is ActivityEvent.CANCEL}
    for activity in [*day.snapshot.pending, *day.decisions.created]:
        if activity.track is not case.track or not cancelled_when_case_ends(activity.status, activity.no_auto_delete):
            continue
        if activity.key in day.performed or activity.key in cancelled:
            continue
        to = activity_transition(activity.status, ActivityEvent.CANCEL)
        day.decisions.changes.append(ActivityChange(activity.key, ActivityEvent.CANCEL, to, day.as_of, why))
        cancelled.add(activity.key)
    name = {CaseEvent.RESOLVE: "resolved", CaseEvent.REFER: "referred"}.get(event, event.value)
    day.decisions.history.append(HistoryEntry(f"{_case_key(day, case)}/{name}", name, why))
    if event is CaseEvent.RESOLVE and case.track is Track.GUARANTOR:
        day.decisions.effects.append(StatementHold(f"{_case_key(day, case)}/statement-release", False))


def _origin_label(origin: Origin) -> str:
    match origin:
        case ActionOrigin():
            return f"'{origin.action}'"
        case SeriesStepOrigin():
            return f"'{origin.series}'"
        case PlanEventOrigin():
            return f"plan '{origin.plan}'"
        case MilestoneActionOrigin():
            return f"scheme '{origin.scheme}'"
        case _:
            assert_never(origin)


def _describe(entry: Entered) -> str:
    reasons = entry.explanation or ", ".join(f"{name}={value}" for name, value in entry.reason.items())
    rule = f"rule {entry.rule_index + 1}" if entry.rule_index is not None else "defaults"
    return f"{reasons}; assigned to {entry.assignee} ({rule}), work '{entry.work}'"
