"""Collections cases and activities: their states, the one transition table, and where activities come from.

Every module that asks whether a case is open, whether work is pending, or moves a case or an activity from
one state to the next (the engine, the vectorized rules, the run's writer, the worklist, completing an
activity) reads it here; nothing else restates what "open" means.

Case states (one row per episode: a relapse opens a new episode, the earlier one keeps its dates and reasons)::

    internal ──refer──▶ pending_external ──resolve──▶ resolved
       │  ▲                                            ▲
     hold release                                      │
       ▼  │                                            │
      held ───────────────────resolve──────────────────┘
    internal ──resolve / recall──▶ resolved

Activity states::

    scheduled ──perform──▶ done           (automatic kinds: the effect happens when it falls due)
    scheduled ──open────▶ open ──complete──▶ done   (operator kinds: released into a worklist)
    scheduled | open ──hold──▶ held ──open / perform / cancel──▶ …
    scheduled | open | held ──cancel──▶ cancelled
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from arrears.domain.calendar import EARLIEST_DAY


class Track(StrEnum):
    """Which collections a case belongs to."""

    GUARANTOR = "guarantor"
    INSURANCE = "insurance"


class CaseStatus(StrEnum):
    """Where one episode of an account's collections case stands."""

    INTERNAL = "internal"
    """Worked in house: its actions, series and plans run."""
    PENDING_EXTERNAL = "pending_external"
    """Referred to external collections; it stays open until the balance is resolved."""
    HELD = "held"
    """Open but frozen (a compliance or manual hold): nothing is released for it."""
    RESOLVED = "resolved"
    """Closed: paid, no unpaid claim, account closed, or recalled."""


class CaseEvent(StrEnum):
    """What can happen to an open case."""

    REFER = "refer"
    RESOLVE = "resolve"
    HOLD = "hold"
    RELEASE = "release"


class ActivityStatus(StrEnum):
    """Where one activity stands."""

    SCHEDULED = "scheduled"
    """Created, not yet due (or due and not yet processed by a run)."""
    OPEN = "open"
    """Released into a worklist: an operator-assisted activity waiting for a collector."""
    HELD = "held"
    """Due but stopped by the release gate or a hold; the reason is recorded with it."""
    DONE = "done"
    CANCELLED = "cancelled"


class ActivityEvent(StrEnum):
    """What can happen to an activity."""

    PERFORM = "perform"
    """An automatic activity falls due and its effect happens."""
    OPEN = "open"
    """An operator-assisted activity falls due and is released into a worklist."""
    COMPLETE = "complete"
    """A collector records the outcome of an open activity."""
    HOLD = "hold"
    CANCEL = "cancel"
    REVIVE = "revive"
    """A promise's contact that the account's closing marked done is scheduled again when reopening the account
    revives its promise."""
    REPEAT = "repeat"
    """A completed contact of a repeating plan event that keeps no copy is scheduled again for its next period
    (seed 002 "Repeat"); its outcome stays in the collection note written when it was completed."""


class TransitionRefused(ValueError):
    """A state change that the transition table does not allow."""


CASE_TRANSITIONS: Final[Mapping[tuple[CaseStatus, CaseEvent], CaseStatus]] = MappingProxyType(
    {
        (CaseStatus.INTERNAL, CaseEvent.REFER): CaseStatus.PENDING_EXTERNAL,
        (CaseStatus.INTERNAL, CaseEvent.RESOLVE): CaseStatus.RESOLVED,
        (CaseStatus.INTERNAL, CaseEvent.HOLD): CaseStatus.HELD,
        (CaseStatus.HELD, CaseEvent.RELEASE): CaseStatus.INTERNAL,
        (CaseStatus.HELD, CaseEvent.RESOLVE): CaseStatus.RESOLVED,
        (CaseStatus.PENDING_EXTERNAL, CaseEvent.RESOLVE): CaseStatus.RESOLVED,
    }
)

ACTIVITY_TRANSITIONS: Final[Mapping[tuple[ActivityStatus, ActivityEvent], ActivityStatus]] = MappingProxyType(
    {
        (ActivityStatus.SCHEDULED, ActivityEvent.PERFORM): ActivityStatus.DONE,
        (ActivityStatus.SCHEDULED, ActivityEvent.OPEN): ActivityStatus.OPEN,
        (ActivityStatus.SCHEDULED, ActivityEvent.HOLD): ActivityStatus.HELD,
        (ActivityStatus.SCHEDULED, ActivityEvent.CANCEL): ActivityStatus.CANCELLED,
        (ActivityStatus.OPEN, ActivityEvent.COMPLETE): ActivityStatus.DONE,
        (ActivityStatus.OPEN, ActivityEvent.HOLD): ActivityStatus.HELD,
        (ActivityStatus.OPEN, ActivityEvent.CANCEL): ActivityStatus.CANCELLED,
        (ActivityStatus.HELD, ActivityEvent.PERFORM): ActivityStatus.DONE,
        (ActivityStatus.HELD, ActivityEvent.OPEN): ActivityStatus.OPEN,
        (ActivityStatus.HELD, ActivityEvent.CANCEL): ActivityStatus.CANCELLED,
        (ActivityStatus.DONE, ActivityEvent.REVIVE): ActivityStatus.SCHEDULED,
        (ActivityStatus.DONE, ActivityEvent.REPEAT): ActivityStatus.SCHEDULED,
    }
)

OPEN_CASE: Final = frozenset(status for status, _ in CASE_TRANSITIONS)
"""A case is open in every state an event can leave: internal, pending external, held."""

WORKED_CASE: Final = frozenset({CaseStatus.INTERNAL})
"""The case states whose scheduled work a run processes."""

PENDING_ACTIVITY: Final = frozenset(
    status for (status, event) in ACTIVITY_TRANSITIONS if event is ActivityEvent.CANCEL
)
"""Pending work is what can still be cancelled: scheduled, open, held."""


def cancelled_when_case_ends(status: ActivityStatus, no_auto_delete: bool) -> bool:
    """Whether ending a case (resolved, referred, recalled, or its account closed) cancels an activity: pending
    work is, unless it is marked do-not-autodelete (seed 002: "contacts with Do not autodelete switched ON are not
    deleted")."""
    return status in PENDING_ACTIVITY and not no_auto_delete


def case_transition(status: CaseStatus, event: CaseEvent) -> CaseStatus:
    """The state a case in ``status`` moves to on ``event``; :class:`TransitionRefused` when not allowed."""
    target = CASE_TRANSITIONS.get((status, event))
    if target is None:
        raise TransitionRefused(f"a {status.value} case cannot {event.value}")
    return target


def activity_transition(status: ActivityStatus, event: ActivityEvent) -> ActivityStatus:
    """The state an activity in ``status`` moves to on ``event``; :class:`TransitionRefused` when not allowed."""
    target = ACTIVITY_TRANSITIONS.get((status, event))
    if target is None:
        raise TransitionRefused(f"a {status.value} activity cannot {event.value}")
    return target


def activity_sources(event: ActivityEvent) -> frozenset[ActivityStatus]:
    """Every state from which ``event`` is allowed (what a bulk ``UPDATE … WHERE status IN`` may touch)."""
    return frozenset(status for (status, e) in ACTIVITY_TRANSITIONS if e is event)


# ------------------------------------------------------------------------------------------------ origins


@dataclass(frozen=True, slots=True)
class ActionOrigin:
    """Started by an action (an entry's default action, or a next action after follow-up days)."""

    action: str

    @property
    def key(self) -> str:
        return f"action:{self.action}"


@dataclass(frozen=True, slots=True)
class SeriesStepOrigin:
    """Step ``step`` (0-based) of a series; ``step == len(series.steps)`` is the series' final action."""

    series: str
    step: int

    @property
    def key(self) -> str:
        return f"series:{self.series}:{self.step}"


@dataclass(frozen=True, slots=True)
class PlanEventOrigin:
    """Event ``event`` (its sequence number) of a contact plan run ``run`` (the fact that started the plan)."""

    plan: str
    event: int
    run: str

    @property
    def key(self) -> str:
        return f"plan:{self.plan}:{self.event}:{self.run}"


@dataclass(frozen=True, slots=True)
class MilestoneActionOrigin:
    """Action ``action`` (its position) of a milestone of a scheme, performed on ``perform_on``."""

    scheme: str
    milestone: str
    action: int
    perform_on: str

    @property
    def key(self) -> str:
        return f"milestone:{self.scheme}:{self.milestone}:{self.perform_on}:{self.action}"


Origin = ActionOrigin | SeriesStepOrigin | PlanEventOrigin | MilestoneActionOrigin
"""Where an activity comes from; each kind has its own successor rule and idempotency key."""

ORIGIN_TAGS: Final[Mapping[type[Origin], str]] = MappingProxyType(
    {
        ActionOrigin: "action",
        SeriesStepOrigin: "series_step",
        PlanEventOrigin: "plan_event",
        MilestoneActionOrigin: "milestone_action",
    }
)
"""The stored name of each origin kind (the ``origin`` column of an activity)."""


def origin_tag(origin: Origin) -> str:
    """The stored name of the origin's kind."""
    return ORIGIN_TAGS[type(origin)]


def origin_reference(origin: Origin) -> str | None:
    """What identifies a plan-event or milestone origin beyond its series columns (None for the others)."""
    match origin:
        case ActionOrigin() | SeriesStepOrigin():
            return None
        case PlanEventOrigin() | MilestoneActionOrigin():
            return origin.key


def origin_from_columns(tag: str, action: str, series: str | None, step: int | None, reference: str | None) -> Origin:
    """Rebuild an origin from an activity's stored columns (the inverse of :func:`origin_tag` and friends)."""
    if tag == "action":
        return ActionOrigin(action)
    if tag == "series_step" and series is not None and step is not None:
        return SeriesStepOrigin(series, step)
    parts = (reference or "").split(":")
    if tag == "plan_event" and len(parts) >= 4 and parts[2].isdigit():
        return PlanEventOrigin(parts[1], int(parts[2]), ":".join(parts[3:]))
    if tag == "milestone_action" and len(parts) >= 5 and parts[-1].isdigit():
        return MilestoneActionOrigin(parts[1], ":".join(parts[2:-2]), int(parts[-1]), parts[-2])
    raise ValueError(f"activity origin {tag!r} with reference {reference!r} cannot be read")


def completion_day_problem(done_on: date, released_on: date | None, today: date) -> str | None:
    """The rule a completion date breaks, or None: work is done on or after the day it was released to a
    worklist (it could not be done before anyone saw it) and not after today."""
    if done_on < (released_on or EARLIEST_DAY):
        earliest = released_on or EARLIEST_DAY
        what = "the day the activity was released" if released_on else "the earliest date Arrears accepts"
        return f"must not be before {earliest.isoformat()} ({what})"
    if done_on > today:
        return f"must not be after today ({today.isoformat()})"
    return None
