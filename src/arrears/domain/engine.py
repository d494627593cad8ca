"""Decisions of the daily run for one account: pure, given a snapshot, the strategy and the as-of date.

Calculate → decide → apply: the batch layer builds a :class:`Snapshot` per account that has a transition
or due work (entry, assignment and resolution are evaluated vectorized beforehand and arrive here as
facts); :func:`decide` returns :class:`Decisions`; the service writes them, each effect carrying a
deterministic idempotency key, so deciding twice on the same facts writes nothing new.

Work is scheduled lazily: an activity's successor (the next action of an action, the following step of
a series, a series' final action) is created when the activity falls due, ``follow_up_days`` or the
step's days after it. This keeps action cycles finite and makes every date recomputable from anchors.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from enum import StrEnum

from arrears.domain.strategy import Action, ActionKind, FinalAction, Series, Strategy


class Track(StrEnum):
    """Which collections a case belongs to."""

    GUARANTOR = "guarantor"
    INSURANCE = "insurance"


class CaseStatus(StrEnum):
    """Where an account's collections case stands."""

    INTERNAL = "internal"
    PENDING_EXTERNAL = "pending_external"
    RESOLVED = "resolved"


OPERATOR_KINDS = frozenset({ActionKind.PHONE_CALL, ActionKind.REVIEW})
"""Operator-assisted kinds stay pending in a collector's worklist; every other kind runs automatically."""

EXTERNAL_COLLECTIONS = "external_collections"
"""Kind of the activity that ends a guarantor series with a referral to external collections."""

DEFAULT_PRIORITY = 50
MAX_STEPS_PER_DAY = 100
"""Guard against a strategy whose zero-day steps would schedule work forever on one day."""


@dataclass(frozen=True, slots=True)
class Case:
    """An open (or resolved) collections case of an account on one track."""

    track: Track
    episode: int
    status: CaseStatus
    entered_on: date
    assignee: str
    work: str


@dataclass(frozen=True, slots=True)
class Activity:
    """An activity of the account as the engine sees it."""

    key: str
    track: Track
    episode: int
    kind: str
    action: str
    series: str | None
    step: int | None
    """0-based series step; ``len(steps)`` is the series' final action; None outside a series."""
    assignee: str
    due: date
    reason: str
    released: bool = False
    status: str = "pending"
    no_auto_delete: bool = False
    priority: int = DEFAULT_PRIORITY


@dataclass(frozen=True, slots=True)
class Entry:
    """The vectorized entry decision: the account qualifies today, with the rule values that caused it."""

    track: Track
    assignee: str
    work: str
    rule_index: int | None
    reason: Mapping[str, object]
    statement_hold: bool = False
    explanation: str = ""
    """The reason in words, for the account's history; the raw values when empty."""


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Every fact :func:`decide` may read about one account on the as-of date."""

    account_id: int
    portfolio: str
    balance_cents: int
    cases: Mapping[Track, Case] = field(default_factory=dict)
    entries: tuple[Entry, ...] = ()
    resolve: tuple[Track, ...] = ()
    """Tracks whose case is resolved today (balance ≤ 0 for guarantor; no unpaid claim for insurance)."""
    due: tuple[Activity, ...] = ()
    """Activities not yet released whose due date is on or before the as-of date."""
    pending: tuple[Activity, ...] = ()
    """Every pending activity (needed only when a case closes or is referred)."""
    notes_to_account: bool = False
    """Seed 003 "Force Collection Action Notes to show as Account Notes"."""


@dataclass(frozen=True, slots=True)
class CaseChange:
    """A case to create or update."""

    track: Track
    episode: int
    status: CaseStatus
    entered_on: date
    assignee: str
    work: str
    rule_index: int | None = None
    reason: Mapping[str, object] = field(default_factory=dict)
    closed_on: date | None = None
    close_reason: str | None = None


@dataclass(frozen=True, slots=True)
class Release:
    """An activity that fell due and was processed: automatic kinds are done, operator kinds stay pending."""

    key: str
    status: str
    done_on: date | None


@dataclass(frozen=True, slots=True)
class Effect:
    """A side effect of an automatic activity, keyed by the activity that caused it."""

    key: str
    kind: str
    """``letter``, ``email``, ``sms``, ``note``, ``fee``, ``status``, ``referral``, ``alert``, ..."""
    values: Mapping[str, object]


@dataclass(slots=True)
class Decisions:
    """What the run must write for one account."""

    account_id: int
    cases: list[CaseChange] = field(default_factory=list)
    created: list[Activity] = field(default_factory=list)
    released: list[Release] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)
    effects: list[Effect] = field(default_factory=list)
    history: list[tuple[str, str, str]] = field(default_factory=list)
    """(key, event, detail)."""
    statement_hold: bool | None = None
    """New statement-hold flag of the account, when it changes."""

    @property
    def empty(self) -> bool:
        """True when nothing is to be written."""
        return not (self.cases or self.created or self.released or self.cancelled or self.effects or self.history)


class EngineError(ValueError):
    """The account cannot be decided (bad or missing configuration); it becomes an error of the run."""


def activity_key(account_id: int, track: Track, episode: int, origin: str, due: date) -> str:
    """The idempotency key of an activity: account, track, episode, where it comes from, due date."""
    return f"{account_id}/{track.value}/{episode}/{origin}/{due.isoformat()}"


def _origin(action: str, series: str | None, step: int | None) -> str:
    return f"series:{series}:{step}" if series is not None else f"action:{action}"


def _kind_of(action: Action) -> str:
    return action.kind.value


def _new_activity(
    snapshot: Snapshot,
    case: Case,
    action_name: str,
    kind: str,
    due: date,
    reason: str,
    series: str | None = None,
    step: int | None = None,
) -> Activity:
    key = activity_key(snapshot.account_id, case.track, case.episode, _origin(action_name, series, step), due)
    return Activity(key, case.track, case.episode, kind, action_name, series, step, case.assignee, due, reason)


def _start_work(snapshot: Snapshot, strategy: Strategy, case: Case, work: str, on: date, why: str) -> Activity:
    """The first activity of an action or series started on ``on``."""
    series = strategy.series_named(work)
    if series is not None:
        first = series.steps[0]
        action = _action(strategy, first.action)
        return _new_activity(
            snapshot,
            case,
            action.name,
            _kind_of(action),
            on,
            f"step 1 of series '{series.name}' ({why})",
            series.name,
            0,
        )
    action = _action(strategy, work)
    return _new_activity(snapshot, case, action.name, _kind_of(action), on, f"{why}: action '{action.name}'")


def _action(strategy: Strategy, name: str) -> Action:
    action = strategy.action(name)
    if action is None:
        raise EngineError(f"action {name!r} is not configured")
    return action


def _successor(snapshot: Snapshot, strategy: Strategy, case: Case, done: Activity) -> Activity | None:
    """What follows ``done``: the next action, the following series step, or the series' final action."""
    if done.series is None:
        if done.kind == EXTERNAL_COLLECTIONS:
            return None
        action = _action(strategy, done.action)
        if action.next_action is None or action.follow_up_days is None:
            return None
        follow = _action(strategy, action.next_action)
        due = done.due + timedelta(days=action.follow_up_days)
        return _new_activity(
            snapshot,
            case,
            follow.name,
            _kind_of(follow),
            due,
            f"next action of '{action.name}', {action.follow_up_days} follow-up days after {done.due}",
        )
    series = strategy.series_named(done.series)
    if series is None:
        raise EngineError(f"series {done.series!r} is not configured")
    step = done.step or 0
    if step >= len(series.steps):
        return None  # the final action has no successor
    due = done.due + timedelta(days=series.steps[step].days_until_next)
    if step + 1 < len(series.steps):
        following = _action(strategy, series.steps[step + 1].action)
        return _new_activity(
            snapshot,
            case,
            following.name,
            _kind_of(following),
            due,
            f"step {step + 2} of series '{series.name}', "
            f"{series.steps[step].days_until_next} days after step {step + 1}",
            series.name,
            step + 1,
        )
    return _final(snapshot, strategy, case, series, due)


def _final(snapshot: Snapshot, strategy: Strategy, case: Case, series: Series, due: date) -> Activity:
    last = len(series.steps)
    why = f"final action of series '{series.name}', {series.steps[-1].days_until_next} days after its last step"
    if series.final_action is FinalAction.EXTERNAL_COLLECTIONS:
        return _new_activity(snapshot, case, EXTERNAL_COLLECTIONS, EXTERNAL_COLLECTIONS, due, why, series.name, last)
    custom = _action(strategy, series.custom_action or "")
    return _new_activity(snapshot, case, custom.name, _kind_of(custom), due, why, series.name, last)


def _effects(snapshot: Snapshot, strategy: Strategy, activity: Activity, on: date) -> list[Effect]:
    """What an automatic activity does when it falls due."""
    if activity.kind == EXTERNAL_COLLECTIONS:
        return [Effect(activity.key, "referral", {"agency": "external collections"})]
    action = _action(strategy, activity.action)
    params, kind = action.params, action.kind
    effects: list[Effect] = []
    if kind in (ActionKind.LETTER, ActionKind.EMAIL, ActionKind.SMS):
        effects.append(Effect(activity.key, kind.value, {"template": params.template_code or ""}))
    elif kind is ActionKind.NOTE:
        effects.append(Effect(activity.key, "note", {"text": params.text or "", "account": snapshot.notes_to_account}))
    elif kind is ActionKind.FEE:
        effects.append(
            Effect(
                activity.key,
                "fee",
                {"amount_cents": params.amount_cents or 0, "description": params.description or action.name},
            )
        )
    elif kind is ActionKind.STATUS_CHANGE:
        effects.append(Effect(activity.key, "status", {"status_code": params.status_code or ""}))
    elif kind is ActionKind.EXTERNAL_REFERRAL:
        effects.append(Effect(activity.key, "referral", {"agency": params.agency or ""}))
    elif kind is ActionKind.CREDIT_POINTS:
        effects.append(Effect(activity.key, "credit_points", {"points": params.points or 0}))
    elif kind in (ActionKind.SERVICE_REQUEST, ActionKind.ALERT):
        effects.append(Effect(activity.key, kind.value, {"text": params.text or ""}))
    elif kind is ActionKind.RUN_PLAN:
        effects.append(Effect(activity.key, "run_plan", {"plan": params.plan_code or ""}))
    if action.letter and kind is not ActionKind.LETTER:
        effects.append(Effect(activity.key, "letter", {"template": action.letter}))
    if action.kind is not ActionKind.NOTE:
        text = f"{action.name} ({action.kind.value}) performed by the daily run on {on}"
        effects.append(Effect(activity.key, "note", {"text": text, "account": snapshot.notes_to_account}))
    return effects


def _close(snapshot: Snapshot, decisions: Decisions, case: Case, on: date, status: CaseStatus, why: str) -> None:
    """Close or refer a case: cancel its pending work (except no-auto-delete) and record why."""
    decisions.cases.append(
        CaseChange(
            case.track,
            case.episode,
            status,
            case.entered_on,
            case.assignee,
            case.work,
            closed_on=on if status is CaseStatus.RESOLVED else None,
            close_reason=why if status is CaseStatus.RESOLVED else None,
        )
    )
    done = {release.key for release in decisions.released if release.status == "done"}
    for activity in [*snapshot.pending, *decisions.created]:
        cancel = activity.track is case.track and activity.status == "pending" and not activity.no_auto_delete
        if cancel and activity.key not in done and activity.key not in decisions.cancelled:
            decisions.cancelled.append(activity.key)
    event = "resolved" if status is CaseStatus.RESOLVED else "referred"
    decisions.history.append((f"{snapshot.account_id}/{case.track.value}/{case.episode}/{event}", event, why))


def decide(snapshot: Snapshot, strategy: Strategy, as_of: date) -> Decisions:
    """Everything the run does to one account on ``as_of``: resolve, enter, process due work."""
    decisions = Decisions(snapshot.account_id)
    cases = dict(snapshot.cases)

    for track in snapshot.resolve:
        case = cases.get(track)
        if case is not None and case.status is not CaseStatus.RESOLVED:
            why = (
                f"balance ${snapshot.balance_cents / 100:,.2f} on {as_of}: paid in full"
                if track is Track.GUARANTOR
                else f"no unpaid insurance claim on {as_of}"
            )
            _close(snapshot, decisions, case, as_of, CaseStatus.RESOLVED, why)
            cases[track] = replace(case, status=CaseStatus.RESOLVED)
            if track is Track.GUARANTOR:
                decisions.statement_hold = False

    queue: list[Activity] = sorted(snapshot.due, key=lambda a: (a.due, a.key))
    for entry in snapshot.entries:
        previous = cases.get(entry.track)
        if previous is not None and previous.status is not CaseStatus.RESOLVED:
            continue  # already in collections on this track
        episode = previous.episode + 1 if previous is not None else 1
        case = Case(entry.track, episode, CaseStatus.INTERNAL, as_of, entry.assignee, entry.work)
        cases[entry.track] = case
        decisions.cases.append(
            CaseChange(
                entry.track,
                episode,
                CaseStatus.INTERNAL,
                as_of,
                entry.assignee,
                entry.work,
                entry.rule_index,
                entry.reason,
            )
        )
        decisions.history.append(
            (f"{snapshot.account_id}/{entry.track.value}/{episode}/entered", "entered", _describe(entry))
        )
        if entry.statement_hold:
            decisions.statement_hold = True
        first = _start_work(snapshot, strategy, case, entry.work, as_of, f"entered {entry.track.value} collections")
        decisions.created.append(first)
        queue.append(first)

    processed = 0
    while queue:
        activity = queue.pop(0)
        case = cases.get(activity.track)
        if case is None or case.episode != activity.episode or case.status is not CaseStatus.INTERNAL:
            continue  # work of a closed or referred case: cancelled with it
        if activity.due > as_of:
            continue
        processed += 1
        if processed > MAX_STEPS_PER_DAY:
            raise EngineError(f"more than {MAX_STEPS_PER_DAY} activities fell due on {as_of}: check zero-day steps")
        automatic = activity.kind == EXTERNAL_COLLECTIONS or ActionKind(activity.kind) not in OPERATOR_KINDS
        decisions.released.append(
            Release(activity.key, "done" if automatic else "pending", as_of if automatic else None)
        )
        if automatic:
            decisions.effects.extend(_effects(snapshot, strategy, activity, as_of))
        if activity.kind == EXTERNAL_COLLECTIONS or (
            automatic and ActionKind(activity.kind) is ActionKind.EXTERNAL_REFERRAL
        ):
            why = f"referred to external collections by '{activity.series or activity.action}' on {as_of}"
            _close(snapshot, decisions, case, as_of, CaseStatus.PENDING_EXTERNAL, why)
            cases[activity.track] = replace(case, status=CaseStatus.PENDING_EXTERNAL)
            continue
        following = _successor(snapshot, strategy, case, activity)
        if following is not None:
            decisions.created.append(following)
            if following.due <= as_of:
                queue.append(following)
    return decisions


def _describe(entry: Entry) -> str:
    reasons = entry.explanation or ", ".join(f"{name}={value}" for name, value in entry.reason.items())
    rule = f"rule {entry.rule_index + 1}" if entry.rule_index is not None else "defaults"
    return f"{reasons}; assigned to {entry.assignee} ({rule}), work '{entry.work}'"
