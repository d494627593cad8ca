"""What a collector does on an account by hand: notes, follow-ups, reassigning, placing an account in
guarantor collections and recalling it (seed 003: accounts go to guarantor collections "either manually or
automatically").

Each use case is one transaction, audited with the user, and refused with the reason when the account's state
does not allow it; every state change goes through the transition table of :mod:`arrears.domain.cases`.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from arrears.domain.cases import (
    OPEN_CASE,
    PENDING_ACTIVITY,
    WORKED_CASE,
    ActionOrigin,
    ActivityEvent,
    ActivityStatus,
    CaseEvent,
    CaseStatus,
    Origin,
    SeriesStepOrigin,
    Track,
    activity_transition,
    cancelled_when_case_ends,
    case_transition,
    origin_reference,
    origin_tag,
)
from arrears.domain.engine import activity_key
from arrears.domain.errors import Conflict, NotFound, Problem, ValidationFailed
from arrears.domain.model import Mode
from arrears.domain.priority import DEFAULT_PRIORITY
from arrears.domain.strategy import ActionKind
from arrears.services.features import features_frame
from arrears.services.stored_strategy import load_strategy
from arrears.store.account_work import (
    account_for_update,
    activity_for_update,
    add_activity,
    add_history,
    add_note,
    current_cases,
    last_episode,
    open_case_new_episode,
    pending_activities,
)
from arrears.store.audit import append_audit
from arrears.store.db import Database
from arrears.store.models import AccountRow, ActivityRow, CollectionsCaseRow
from arrears.store.uow import UnitOfWork

if TYPE_CHECKING:
    from arrears.store.db import Session

NOTE_LIMIT = 4000
"""The longest note a collector may write (characters)."""
FOLLOW_UP_KINDS = (ActionKind.REVIEW, ActionKind.PHONE_CALL)
"""The kinds of work a collector schedules by hand: operator-assisted work that shows in a worklist."""
FOLLOW_UP = "Follow-up"
"""The action name of a collector's own follow-up (it is no configured action: the run never performs it)."""


def _account(session: Session, external_id: str) -> AccountRow:
    row = account_for_update(session, external_id)
    if row is None:
        raise NotFound(f"no account {external_id!r}")
    return row


def _refuse(location: str, rule: str, value: str = "") -> ValidationFailed:
    return ValidationFailed([Problem(location, rule, value)])


def _open_case(session: Session, account: AccountRow, track: Track = Track.GUARANTOR) -> CollectionsCaseRow | None:
    return next(
        (c for c in current_cases(session, account.id) if c.track == track.value and CaseStatus(c.status) in OPEN_CASE),
        None,
    )


def _describe(case: CollectionsCaseRow) -> str:
    return f"{case.status} since {case.entered_on}, collector {case.assignee}"


# ---------------------------------------------------------------------------------------------- notes


def note_add(db: Database, external_id: str, text: str, *, on: date, actor: str) -> int:
    """Write a note on the account (type collections); returns its id."""
    body = text.strip()
    if not body or len(body) > NOTE_LIMIT:
        raise _refuse("text", f"is required, at most {NOTE_LIMIT:,} characters", body)
    with UnitOfWork(db) as uow:
        session = uow.session
        account = _account(session, external_id)
        note_id = add_note(session, account.id, on, body, actor)
        append_audit(session, actor=actor, entity="note", key=str(note_id), action="added", before=None,
                     after={"account": external_id, "on": on.isoformat(), "text": body})  # fmt: skip
        uow.commit()
    return note_id


# ---------------------------------------------------------------------------------------------- activities


@dataclass(frozen=True, slots=True)
class FollowUp:
    """A follow-up a collector schedules: a call or a review, due on a day (at a time in the party's zone)."""

    kind: ActionKind
    due: date
    at: time | None = None
    priority: int = DEFAULT_PRIORITY
    collector: str | None = None
    """Who does it; the case's collector when not given."""
    reason: str = ""
    no_auto_delete: bool = False
    """Survives closing the account (seed 002's "do not autodelete")."""


def activity_add(db: Database, external_id: str, follow_up: FollowUp, *, on: date, actor: str) -> int:
    """Schedule a follow-up on an account whose guarantor case is worked in house; returns the activity's id.

    The follow-up is released into the worklist of its collector at once (it shows from its due day): it is the
    collector's own work, so there is no configured action for a run to perform."""
    problems = []
    if follow_up.kind not in FOLLOW_UP_KINDS:
        problems.append(Problem("kind", "must be review or phone_call", str(follow_up.kind)))
    if not 1 <= follow_up.priority <= 99:
        problems.append(Problem("priority", "must be 1 to 99 (66–99 high, 34–65 medium, 1–33 low)",
                                str(follow_up.priority)))  # fmt: skip
    if follow_up.due < on:
        problems.append(Problem("due", f"is before today ({on})", follow_up.due.isoformat()))
    with UnitOfWork(db) as uow:
        session = uow.session
        account = _account(session, external_id)
        case = _open_case(session, account)
        conflict = case is None or CaseStatus(case.status) not in WORKED_CASE
        if case is None:
            problems.append(Problem("account", "is not in guarantor collections: place it first "
                                    "(arrears collections place)", external_id))  # fmt: skip
        elif CaseStatus(case.status) not in WORKED_CASE:
            why = f" ({case.hold_reason})" if case.hold_reason else ""
            problems.append(Problem("account", f"its case is {case.status}{why}: no new work is scheduled for it",
                                    external_id))  # fmt: skip
        assignee = follow_up.collector or (case.assignee if case is not None else "")
        if follow_up.collector and (unknown := load_strategy(session).assignee_problem(follow_up.collector)):
            problems.append(unknown)
        if problems:
            raise Conflict(problems) if conflict else ValidationFailed(problems)
        assert case is not None
        due_at = None
        if follow_up.at is not None:
            zone = ZoneInfo(account.guarantor.time_zone or "America/New_York")
            # stored in UTC: SQLite keeps no offset, so every moment is written as UTC (as the run does)
            due_at = datetime.combine(follow_up.due, follow_up.at, tzinfo=zone).astimezone(UTC)
        origin = ActionOrigin(f"{FOLLOW_UP}:{uuid.uuid4().hex[:12]}")
        status = activity_transition(ActivityStatus.SCHEDULED, ActivityEvent.OPEN)
        reason = follow_up.reason or f"follow-up scheduled by {actor} on {on}"
        row = ActivityRow(
            key=activity_key(account.id, Track.GUARANTOR, case.episode, origin, follow_up.due), account_id=account.id,
            track=case.track, episode=case.episode, kind=follow_up.kind.value, action=FOLLOW_UP,
            origin=origin_tag(origin), origin_ref=None, assignee=assignee, due_date=follow_up.due, due_at=due_at,
            priority=follow_up.priority, status=status.value, no_auto_delete=follow_up.no_auto_delete,
            reason=reason[:300], created_on=on, released_on=on,
        )  # fmt: skip
        activity_id = add_activity(session, row)
        append_audit(session, actor=actor, entity="activity", key=str(activity_id), action="added", before=None,
                     after={"account": external_id, "kind": row.kind, "due": follow_up.due.isoformat(),
                            "at": due_at.isoformat() if due_at else None, "priority": row.priority,
                            "assignee": assignee, "no_auto_delete": row.no_auto_delete})  # fmt: skip
        uow.commit()
    return activity_id


def activity_reassign(db: Database, activity_id: int, collector: str, *, actor: str) -> str:
    """Give a pending activity to another collector or group; returns the previous assignee."""
    with UnitOfWork(db) as uow:
        session = uow.session
        activity = activity_for_update(session, activity_id)
        if activity is None:
            raise NotFound(f"no activity {activity_id}")
        problems = []
        conflict = ActivityStatus(activity.status) not in PENDING_ACTIVITY
        if conflict:
            problems.append(Problem("activity", f"is {activity.status}: only pending work can be reassigned",
                                    str(activity_id)))  # fmt: skip
        if unknown := load_strategy(session).assignee_problem(collector):
            problems.append(unknown)
        if problems:
            raise Conflict(problems) if conflict else ValidationFailed(problems)
        before = activity.assignee
        activity.assignee = collector
        append_audit(session, actor=actor, entity="activity", key=str(activity_id), action="reassigned",
                     before={"assignee": before}, after={"assignee": collector})  # fmt: skip
        uow.commit()
    return before


# ---------------------------------------------------------------------------------------------- cases


def accounts_reassign(db: Database, external_id: str, collector: str, *, on: date, actor: str) -> int:
    """Give the account's open cases and their pending work to another collector or group; returns how many
    activities moved. Refused when the account is not in collections."""
    with UnitOfWork(db) as uow:
        session = uow.session
        account = _account(session, external_id)
        cases = [c for c in current_cases(session, account.id) if CaseStatus(c.status) in OPEN_CASE]
        problems = []
        if not cases:
            problems.append(Problem("account", "is not in collections: there is no case to reassign", external_id))
        if unknown := load_strategy(session).assignee_problem(collector):
            problems.append(unknown)
        if problems:
            raise ValidationFailed(problems)
        pending = {s.value for s in PENDING_ACTIVITY}
        moved = 0
        for case in cases:
            before = case.assignee
            case.assignee = collector
            for activity in pending_activities(session, account.id, pending):
                if activity.track == case.track and activity.episode == case.episode:
                    activity.assignee = collector
                    moved += 1
            add_history(session, account.id, on, "reassigned",
                        f"{case.track} case reassigned from {before} to {collector} by {actor}")  # fmt: skip
            append_audit(session, actor=actor, entity="case", key=f"{external_id}/{case.track}/{case.episode}",
                         action="reassigned", before={"assignee": before}, after={"assignee": collector})  # fmt: skip
        uow.commit()
    return moved


@dataclass(frozen=True, slots=True)
class Placement:
    """An account placed in guarantor collections by hand."""

    episode: int
    assignee: str
    work: str
    first_action: str
    statement_hold: bool


def collections_place(
    db: Database, external_id: str, reason: str, *, on: date, actor: str, work: str | None = None,
    collector: str | None = None,
) -> Placement:  # fmt: skip
    """Place the account in guarantor collections on ``on`` (seed 003, "manually"): a new case episode worked
    in house, assigned by the portfolio's task assignment rules unless ``collector`` and ``work`` (an action
    or series) say otherwise; its first activity is due at once (the run performs or releases it), and the
    statements are held when the portfolio suspends them and the account is not on a payment plan.

    Refused when the account is closed, owes nothing, or is already in guarantor collections."""
    problems = []
    if not reason.strip():
        problems.append(Problem("reason", "is required: say why the account is placed"))
    with UnitOfWork(db) as uow:
        session = uow.session
        account = _account(session, external_id)
        if account.mode == Mode.CLOSED:
            problems.append(Problem("account", "is closed: reopen it first", external_id))
        if (case := _open_case(session, account)) is not None:
            problems.append(Problem("account", f"is already in guarantor collections ({_describe(case)})",
                                    external_id))  # fmt: skip
        strategy = load_strategy(session)
        connection = session.connection()
        frame = features_frame(connection, strategy, on, account.id, account.id, None, details=True, assignment=True)
        (row,) = frame.iter_rows(named=True)
        if row["balance"] <= 0:
            problems.append(Problem("account", f"owes nothing (balance ${row['balance'] / 100:,.2f})", external_id))
        assignee = collector or row["assignee"] or ""
        chosen = work or row["work"] or ""
        if not assignee:
            problems.append(Problem("collector", "is required: the portfolio's collections assign no collector"))
        elif unknown := strategy.assignee_problem(assignee):
            problems.append(unknown)
        if not chosen:
            problems.append(Problem("work", "is required: the portfolio's collections name no default action"))
        elif strategy.work(chosen) is None:
            problems.append(Problem("work", "is not a configured action or series", chosen))
        if problems:
            raise ValidationFailed(problems)
        series = strategy.series_named(chosen)
        origin: Origin
        if series is not None:
            first = series.steps[0].action
            origin, why = SeriesStepOrigin(series.name, 0), f"step 1 of series '{series.name}'"
        else:
            first, origin, why = chosen, ActionOrigin(chosen), f"action '{chosen}'"
        action = strategy.action(first)
        if action is None:
            raise _refuse("work", f"starts with action {first!r}, which is not configured", chosen)
        episode = last_episode(session, account.id, Track.GUARANTOR.value) + 1
        overridden = collector is not None or work is not None
        entry = {"placed_by": actor, "reason": reason.strip()}
        open_case_new_episode(
            session,
            CollectionsCaseRow(
                account_id=account.id, track=Track.GUARANTOR.value, episode=episode, is_current=True,
                status=CaseStatus.INTERNAL.value, entered_on=on, anchor_due=row["oldest_unpaid_due_date"],
                entry_reason=json.dumps(entry, sort_keys=True), assignee=assignee,
                assignment_rule=None if overridden else row["rule_index"], work=chosen,
            ),
        )  # fmt: skip
        add_activity(
            session,
            ActivityRow(
                key=activity_key(account.id, Track.GUARANTOR, episode, origin, on), account_id=account.id,
                track=Track.GUARANTOR.value, episode=episode, kind=action.kind.value, action=action.name,
                origin=origin_tag(origin), series=series.name if series else None, step=0 if series else None,
                origin_ref=origin_reference(origin), assignee=assignee, due_date=on,
                status=ActivityStatus.SCHEDULED.value, reason=f"placed in collections by {actor}: {why}"[:300],
                created_on=on,
            ),
        )  # fmt: skip
        # Seed 003: statements are held when the account is sent to collections "either manually or
        # automatically", unless it is on a payment plan (as the run does at entry).
        hold = bool(row["suspend_statements"]) and not row["on_payment_plan"]
        if hold:
            account.statement_hold = True
        add_history(session, account.id, on, "entered",
                    f"placed in guarantor collections by {actor}: {reason.strip()} (collector {assignee}, "
                    f"work '{chosen}')")  # fmt: skip
        append_audit(session, actor=actor, entity="case", key=f"{external_id}/guarantor/{episode}", action="placed",
                     before=None, after={"assignee": assignee, "work": chosen, "reason": reason.strip(),
                                         "statement_hold": hold})  # fmt: skip
        uow.commit()
    return Placement(episode, assignee, chosen, action.name, hold)


def collections_recall(db: Database, external_id: str, reason: str, *, on: date, actor: str) -> int:
    """Take the account out of guarantor collections: the case is resolved (recalled), its pending work is
    cancelled except work marked do-not-autodelete, the statement hold is released. Returns how many
    activities were cancelled. Refused when the account is not in guarantor collections."""
    if not reason.strip():
        raise _refuse("reason", "is required: say why the account is recalled")
    with UnitOfWork(db) as uow:
        session = uow.session
        account = _account(session, external_id)
        case = _open_case(session, account)
        if case is None:
            raise _refuse("account", "is not in guarantor collections: nothing to recall", external_id)
        before = case.status
        case.status = case_transition(CaseStatus(case.status), CaseEvent.RESOLVE).value
        why = f"recalled on {on} by {actor}: {reason.strip()}"
        case.closed_on, case.close_reason = on, why[:200]
        cancelled = 0
        pending = {s.value for s in PENDING_ACTIVITY}
        for activity in pending_activities(session, account.id, pending):
            if activity.track != case.track or activity.episode != case.episode:
                continue
            if cancelled_when_case_ends(ActivityStatus(activity.status), activity.no_auto_delete):
                activity.status = activity_transition(ActivityStatus(activity.status), ActivityEvent.CANCEL).value
                activity.cancelled_on = on
                cancelled += 1
        account.statement_hold = False
        add_history(session, account.id, on, "recalled", why)
        append_audit(session, actor=actor, entity="case", key=f"{external_id}/guarantor/{case.episode}",
                     action="recalled", before={"status": before},
                     after={"status": case.status, "reason": reason.strip(), "cancelled": cancelled})  # fmt: skip
        uow.commit()
    return cancelled
