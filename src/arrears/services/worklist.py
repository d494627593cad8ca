"""Collectors' work: the worklist in Collect!'s order, and completing an activity."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from arrears.domain.cases import (
    ActivityEvent,
    ActivityStatus,
    PlanEventOrigin,
    TransitionRefused,
    activity_transition,
    completion_day_problem,
    origin_from_columns,
)
from arrears.domain.compliance import Defer, Hold, Outbound, OutboundChannel, release_gate
from arrears.domain.errors import Conflict, NotFound, Problem, ValidationFailed
from arrears.domain.flags import shown_flags
from arrears.domain.plans import PlanError, contact_key, find_event, next_period_on_completion
from arrears.domain.priority import priority_band
from arrears.domain.strategy import OPERATOR_KINDS, ActionKind, Strategy
from arrears.services.compliance import facts_for, outcome_problems, record_call
from arrears.services.promises import PromiseRequest, is_promise_outcome, make_promise, request_problems
from arrears.services.stored_strategy import load_strategy
from arrears.store.accounts import guarantor_flag_columns
from arrears.store.activities import (
    activity_by_id,
    add_collection_note,
    add_next_period,
    forward_in_place,
    record_completion,
    worklist_candidates,
    worklist_lines,
)
from arrears.store.audit import append_audit
from arrears.store.compliance import accounts_of_activities, portfolio_of
from arrears.store.db import Connection, Database
from arrears.store.models import AccountRow, ActivityRow
from arrears.store.uow import UnitOfWork

if TYPE_CHECKING:
    from arrears.store.db import Session


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
    not_before: datetime | None = None
    """A call that may not be made now: the first moment it may (None: held, or callable now)."""
    blocked: str = ""
    """Why a call may not be made now: the rule id and reason (empty: it may)."""
    flags: tuple[str, ...] = ()
    """The guarantor's flags, as the account page shows them (bankruptcy, attorney represented, disputed …)."""

    @property
    def callable_now(self) -> bool:
        """True unless a contact rule forbids making this call now."""
        return not self.blocked

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


def worklist_assignees(strategy: Strategy, collector: str | None, group: str | None) -> set[str] | None:
    """:func:`assignees_for` the worklist someone asked for by name: a collector or group this configuration
    does not know is refused (:class:`ValidationFailed`), not shown as an empty worklist."""
    named = (("collector", collector), ("group", group))
    problems = [problem for location, code in named if code
                if (problem := strategy.assignee_problem(code, location)) is not None]  # fmt: skip
    if problems:
        raise ValidationFailed(problems)
    return assignees_for(strategy, collector, group)


def worklist(
    db: Database, on: date, assignees: set[str] | None = None, limit: int = 500, now: datetime | None = None,
    portfolios: frozenset[str] | None = None,
) -> list[WorkItem]:
    """Operator-assisted work released by the run and still pending on ``on``, in Collect!'s WIP order:
    due today first, then oldest to newest; ties by priority (high first), guarantor name, type; timed
    activities last, by time. Given ``now`` (timezone-aware), each call asks the contact rules whether it may
    be made at that moment: one that may not carries the rule (``blocked``) and the first moment it may
    (``not_before``), so that the worklist can hide it until then. Given ``portfolios``, only the work on their
    accounts is listed."""
    with db.engine.connect() as connection:
        kinds = {kind.value for kind in OPERATOR_KINDS}
        candidates = worklist_candidates(connection, on, kinds, assignees, portfolios, limit)
        chosen = [row[0] for row in sorted(candidates, key=lambda row: _place(row, on))[:limit]]
        lines = {row[0]: row for row in worklist_lines(connection, chosen)}
        page = [lines[id_] for id_ in chosen]
        checked = _call_verdicts(connection, load_strategy(db), page, on, now) if now is not None else {}
        flags = guarantor_flag_columns(connection, {row[1] for row in page})
    items = [
        WorkItem(id_, external_id, _guarantor(last, first), kind, action, assignee, due, _aware(due_at), priority,
                 reason, flags=tuple(shown_flags(flags.get(external_id, {}))))
        for id_, external_id, last, first, kind, action, assignee, due, due_at, priority, reason in page
    ]  # fmt: skip
    return [replace(item, not_before=checked[item.id][0], blocked=checked[item.id][1]) if item.id in checked
            else item for item in items]  # fmt: skip


def worklist_holds_until(items: Sequence[WorkItem], now: datetime | None) -> datetime | None:
    """Until when a :func:`worklist` computed at ``now`` is the one it would be, were nothing written meanwhile
    (None: for as long as nothing is): a day's list without ``now`` depends on the data only; today's until
    the first call on it may be made again (its ``not_before``) or the next whole minute, whichever is first
    (and not past ``now`` itself when ``now`` is a whole minute). The contact rules forbid a call only from a
    whole minute on or just after one (a calling window's inclusive end, a day's start, in time zones whose
    offsets are whole minutes), or once something is written (a call recorded, a flag set)."""
    if now is None:
        return None
    minute = now.replace(second=0, microsecond=0)
    if minute == now:
        return now
    allowed_again = (item.not_before for item in items if item.not_before and item.not_before > now)
    return min([minute + timedelta(minutes=1), *allowed_again])


def _guarantor(last: str, first: str) -> str:
    return f"{last}, {first}".strip(", ")


def _aware(moment: datetime | None) -> datetime | None:
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


def _place(candidate: Sequence[Any], on: date) -> tuple[Any, ...]:
    """Where a worklist candidate goes: due today first, then oldest to newest; ties by priority (high first),
    guarantor name, type; timed activities last, by time."""
    id_, last, first, kind, due, due_at, priority = candidate
    moment = _aware(due_at)
    return (moment is not None, moment or datetime.min.replace(tzinfo=UTC), due != on, due, -priority,
            _guarantor(last, first).lower(), kind, id_)  # fmt: skip


def _call_verdicts(
    connection: Connection, strategy: Strategy, rows: Sequence[Sequence[Any]], on: date, now: datetime
) -> dict[int, tuple[datetime | None, str]]:
    """Activity id → (first moment it may, rule and reason) of every call that may not be made at ``now``."""
    calls = [row[0] for row in rows if row[4] == ActionKind.PHONE_CALL.value]
    owners = accounts_of_activities(connection, calls)
    facts = facts_for(connection, strategy, sorted({account for account, _ in owners.values()}), on)
    found: dict[int, tuple[datetime | None, str]] = {}
    for activity_id, (account_id, portfolio) in owners.items():
        request = Outbound(account_id, portfolio, OutboundChannel.PHONE, "", on, now, "", facts[account_id])
        verdict = release_gate(request, strategy.compliance.rules(portfolio))
        if isinstance(verdict, Defer):
            found[activity_id] = (verdict.until, f"{verdict.rule}: {verdict.reason}")
        elif isinstance(verdict, Hold):
            found[activity_id] = (None, f"{verdict.rule}: {verdict.reason}")
    return found


def complete_activity(
    db: Database, activity_id: int, outcome: str, note: str = "", *, on: date, actor: str = "cli",
    at: datetime | None = None, today: date | None = None, local_time: time | None = None,
    promise: PromiseRequest | None = None,
) -> str | None:
    """Mark a pending activity done with an outcome code; the note goes to the account's collection notes.

    The outcome must be a configured outcome code, for a review as for a call (free text is refused; the note
    says the rest). A phone call is recorded as an attempt made ``at`` (timezone-aware; else ``local_time`` of
    ``on`` in the party's zone, noon when neither is given), and the rule it broke then, if any, is returned (the
    call is recorded all the same, flagged, and the compliance report lists it). ``on`` is not before the day
    the activity was released nor after ``today`` (default: the clock's).

    Given ``promise``, the outcome must be a promise outcome (class ``promise``), and the promise is taken in the
    same transaction (the call's collector took it)."""
    problems = []
    conflict = False
    if not outcome.strip():
        problems.append(Problem("outcome", "is required", outcome))
    with UnitOfWork(db) as uow:
        session = uow.session
        activity = activity_by_id(session, activity_id)
        if activity is None:
            raise NotFound(f"no activity {activity_id}")
        try:
            done = activity_transition(ActivityStatus(activity.status), ActivityEvent.COMPLETE)
        except TransitionRefused:
            problems.append(Problem("activity", _not_completable(activity), str(activity_id)))
            conflict = True
        else:
            wrong_day = completion_day_problem(on, activity.released_on, today or date.today())
            if wrong_day:
                problems.append(Problem("date", wrong_day, on.isoformat()))
        strategy = load_strategy(session)
        if outcome.strip():
            problems += outcome_problems(strategy.compliance, outcome.strip())
        if promise is not None:
            if not is_promise_outcome(strategy, outcome.strip()):
                problems.append(Problem("outcome", "is not a promise outcome: --amount and --due go with one",
                                        outcome))  # fmt: skip
            problems += request_problems(promise, strategy, on)
        if problems:
            raise Conflict(problems) if conflict else ValidationFailed(problems)
        breach = None
        if activity.kind == ActionKind.PHONE_CALL.value:
            connection = session.connection()
            breach = record_call(
                connection, strategy, account_id=activity.account_id,
                portfolio=portfolio_of(connection, activity.account_id), activity=(activity.id, activity.key),
                outcome=outcome.strip(), on=on, at=at, actor=actor, local_time=local_time,
            )  # fmt: skip
        before = {"status": activity.status, "outcome": activity.outcome, "note": activity.note}
        text = f"{activity.action} ({activity.kind}) completed: {outcome}" + (f" — {note}" if note else "")
        record_completion(session, activity, done, outcome, note or None, on, note_text=text, author=actor)
        after = {"status": done.value, "outcome": outcome, "note": note or None}
        append_audit(session, actor=actor, entity="activity", key=str(activity_id), action="completed",
                     before=before, after=after)  # fmt: skip
        if activity.origin == "plan_event":
            _repeat(session, strategy, activity, on, actor)
        if promise is not None:
            account = session.get(AccountRow, activity.account_id)
            assert account is not None
            request = promise if promise.collector else replace(promise, collector=activity.assignee)
            make_promise(session, strategy, account, request, on=on, actor=actor, key=f"activity:{activity.id}",
                         source="call", activity_id=activity.id)  # fmt: skip
        uow.commit()
    return breach


def _repeat(session: Session, strategy: Strategy, activity: ActivityRow, on: date, actor: str) -> None:
    """A completed plan contact whose event repeats: its next period is scheduled (seed 002 "Repeat"), the
    completed contact kept as the period's copy when the event creates copies, and the repeat logged to the
    notes when it says so."""
    origin = origin_from_columns(activity.origin, activity.action, activity.series, activity.step,
                                 activity.origin_ref)  # fmt: skip
    assert isinstance(origin, PlanEventOrigin)
    try:
        event = find_event(strategy.plan_index(), origin)
    except PlanError:
        return  # the event is no longer configured: nothing repeats
    due_at = activity.due_at.replace(tzinfo=UTC) if activity.due_at and activity.due_at.tzinfo is None \
        else activity.due_at  # fmt: skip
    following = next_period_on_completion(event, activity.due_date, due_at, on, actor)
    if following is None:
        return
    if following.keep_completed:
        key = contact_key(activity.account_id, origin, following.due)
        add_next_period(session, activity, key, following.due, following.due_at, on)
    else:
        forward_in_place(activity, following.due, following.due_at)
    if following.note is not None:
        add_collection_note(session, activity.account_id, on, following.note, actor)


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
