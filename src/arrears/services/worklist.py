"""Collectors' work: the worklist in Collect!'s order, and completing an activity."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from arrears.domain.cases import (
    ActivityEvent,
    ActivityStatus,
    TransitionRefused,
    activity_transition,
    completion_day_problem,
)
from arrears.domain.engine import OPERATOR_KINDS
from arrears.domain.errors import NotFound, Problem, ValidationFailed
from arrears.domain.plans import priority_band
from arrears.domain.strategy import ActionKind, Strategy
from arrears.services.compliance import outcome_problems, record_call
from arrears.services.config import load_strategy
from arrears.store.activities import activity_by_id, record_completion, worklist_rows
from arrears.store.audit import append_audit
from arrears.store.compliance import portfolio_of
from arrears.store.db import Database
from arrears.store.models import ActivityRow
from arrears.store.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class WorkItem:
    """One line of a collector's worklist."""

    id: int
    account: str
    guarantor: str
    kind: str
    action: str
    assignee: str
    due: date
    due_at: datetime | None
    """The moment a timed activity is due (its time is shown in the party's time zone); None when untimed."""
    priority: int
    reason: str

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready view."""
        return {name: getattr(self, name) for name in self.__slots__} | {"band": priority_band(self.priority)}


def assignees_for(strategy: Strategy, collector: str | None, group: str | None) -> set[str] | None:
    """Which assignee codes a worklist covers: a collector and their groups, or a group and its members."""
    if collector:
        found = strategy.collector(collector)
        return {collector, *(found.groups if found else ())}
    if group:
        return {group, *(c.code for c in strategy.collectors if group in c.groups)}
    return None


def worklist(db: Database, on: date, assignees: set[str] | None = None, limit: int = 500) -> list[WorkItem]:
    """Operator-assisted work released by the run and still pending on ``on``, in Collect!'s WIP order:
    due today first, then oldest to newest; ties by priority (high first), guarantor name, type; timed
    activities last, by time."""
    with db.engine.connect() as connection:
        rows = worklist_rows(connection, on, {kind.value for kind in OPERATOR_KINDS}, assignees)
    items = [
        WorkItem(id_, external_id, f"{last}, {first}".strip(", "), kind, action, assignee, due, due_at, priority,
                 reason)
        for id_, external_id, last, first, kind, action, assignee, due, due_at, priority, reason in rows
    ]  # fmt: skip
    items.sort(
        key=lambda i: (
            i.due_at is not None,
            i.due_at or datetime.min.replace(tzinfo=UTC),
            i.due != on,
            i.due,
            -i.priority,
            i.guarantor.lower(),
            i.kind,
            i.id,
        )
    )
    return items[:limit]


def complete_activity(
    db: Database, activity_id: int, outcome: str, note: str = "", *, on: date, actor: str = "cli",
    at: datetime | None = None, today: date | None = None,
) -> str | None:
    """Mark a pending activity done with an outcome code; the note goes to the account's collection notes.

    A phone call's outcome must be a configured call outcome code; the call is recorded as an attempt made
    ``at`` (timezone-aware; noon of ``on`` in the party's zone when not given), and the rule it broke then, if
    any, is returned (the call is recorded all the same, and the compliance report lists it). ``on`` is not
    before the day the activity was released nor after ``today`` (default: the clock's)."""
    problems = []
    if not outcome.strip() or len(outcome) > 40:
        problems.append(Problem("outcome", "is required, at most 40 characters", outcome))
    with UnitOfWork(db) as uow:
        session = uow.session
        activity = activity_by_id(session, activity_id)
        if activity is None:
            raise NotFound(f"no activity {activity_id}")
        try:
            done = activity_transition(ActivityStatus(activity.status), ActivityEvent.COMPLETE)
        except TransitionRefused:
            problems.append(Problem("activity", _not_completable(activity), str(activity_id)))
        else:
            wrong_day = completion_day_problem(on, activity.released_on, today or date.today())
            if wrong_day:
                problems.append(Problem("date", wrong_day, on.isoformat()))
        call = activity.kind == ActionKind.PHONE_CALL.value
        strategy = load_strategy(session) if call else None
        if strategy is not None:
            problems += outcome_problems(strategy.compliance, outcome.strip())
        if problems:
            raise ValidationFailed(problems)
        breach = None
        if strategy is not None:
            connection = session.connection()
            breach = record_call(
                connection, strategy, account_id=activity.account_id,
                portfolio=portfolio_of(connection, activity.account_id), activity=(activity.id, activity.key),
                outcome=outcome.strip(), on=on, at=at, actor=actor,
            )  # fmt: skip
        before = {"status": activity.status, "outcome": activity.outcome, "note": activity.note}
        text = f"{activity.action} ({activity.kind}) completed: {outcome}" + (f" — {note}" if note else "")
        record_completion(session, activity, done, outcome, note or None, on, note_text=text, author=actor)
        after = {"status": done.value, "outcome": outcome, "note": note or None}
        append_audit(session, actor=actor, entity="activity", key=str(activity_id), action="completed",
                     before=before, after=after)  # fmt: skip
        uow.commit()
    return breach


def _not_completable(activity: ActivityRow) -> str:
    """Why an activity cannot be completed, in words."""
    if activity.status == ActivityStatus.SCHEDULED.value:
        return (
            f"is scheduled for {activity.due_date} and not released yet: only released calls and reviews "
            "can be completed"
        )
    if activity.status == ActivityStatus.HELD.value:
        return f"is held ({activity.hold_reason or 'no reason recorded'}) and cannot be completed"
    return f"is {activity.status}: only released calls and reviews waiting in a worklist can be completed"
