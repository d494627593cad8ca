"""Writing one chunk of the daily run's decisions in bulk, idempotently, in the caller's transaction.

Every insert is keyed (case episode, activity, letter, note, history, fee external id, referral, alert …):
inserting a key that exists does nothing, and every state change is an ``UPDATE … WHERE status IN`` the
states the transition table allows the event from, so writing the same decisions twice changes nothing.
Effects are dispatched with ``match`` and ``assert_never``: an effect type without a writer is a type error.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, assert_never

import orjson
from sqlalchemy import Connection

from arrears.domain.cases import (
    OPEN_CASE,
    ActivityEvent,
    ActivityStatus,
    CaseEvent,
    SeriesStepOrigin,
    activity_sources,
    origin_reference,
    origin_tag,
)
from arrears.domain.effects import (
    Alert,
    CommissionRate,
    CreditPoints,
    CreditReport,
    Effect,
    Message,
    ModeChange,
    Note,
    OperatorAssignment,
    PlanRun,
    Posting,
    PromiseMade,
    PromiseUpdate,
    Referral,
    ServiceRequest,
    StatementHold,
    StatusChange,
)
from arrears.domain.engine import Activity, Decisions, GateDecision
from arrears.domain.money import format_cents
from arrears.store import milestones, summaries, tables
from arrears.store import promises as store_promises
from arrears.store.bulk import execute_many, insert_ignore, stored_keys, update_many

ACCOUNTS = tables.account
ACTIVITIES = tables.activity
CASES = tables.collections_case
LETTERS = tables.letter
NOTES = tables.note
HISTORY = tables.history
LEDGER = tables.ledger_line
REFERRALS = tables.referral
ALERTS = tables.alert
SERVICE_REQUESTS = tables.service_request
PLAN_REQUESTS = tables.plan_request
RUN_CHUNKS = tables.run_chunk
GATE_LOG = tables.compliance_event


def fee_external_id(key: str) -> str:
    """The ledger external id of the posting made by the activity ``key``: unique per key within 64
    characters (a long key is hashed rather than cut, so two postings never share an id)."""
    readable = f"fee:{key}"
    return readable if len(readable) <= 64 else f"fee:{hashlib.sha256(key.encode()).hexdigest()[:60]}"


@dataclass(slots=True)
class _Rows:
    """The rows of one chunk, table by table."""

    as_of: date
    run_id: int | None
    counts: Counter[str] = field(default_factory=Counter)
    letters: list[dict[str, Any]] = field(default_factory=list)
    notes: list[dict[str, Any]] = field(default_factory=list)
    postings: list[dict[str, Any]] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)
    referrals: list[dict[str, Any]] = field(default_factory=list)
    alerts: list[dict[str, Any]] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    plans: list[dict[str, Any]] = field(default_factory=list)
    points: list[tuple[Any, ...]] = field(default_factory=list)
    reports: list[tuple[Any, ...]] = field(default_factory=list)
    statuses: list[tuple[Any, ...]] = field(default_factory=list)
    modes: list[tuple[Any, ...]] = field(default_factory=list)
    holds: list[tuple[Any, ...]] = field(default_factory=list)
    gate: list[dict[str, Any]] = field(default_factory=list)
    operators: list[tuple[Any, ...]] = field(default_factory=list)
    commissions: list[tuple[Any, ...]] = field(default_factory=list)
    promises: list[dict[str, Any]] = field(default_factory=list)
    judged: list[dict[str, Any]] = field(default_factory=list)
    counted: list[dict[str, Any]] = field(default_factory=list)
    reversed_lines: list[tuple[int, int]] = field(default_factory=list)

    def history_line(self, key: str, account: int, event: str, detail: str) -> None:
        self.history.append(
            {"key": key, "account_id": account, "on": self.as_of, "event": event, "detail": detail,
             "run_id": self.run_id}
        )  # fmt: skip

    def effect(self, account: int, effect: Effect, merge: Mapping[int, Mapping[str, Any]]) -> None:
        """Turn one effect into its rows."""
        on = self.as_of
        match effect:
            case Message():
                channel = effect.channel.value
                self.letters.append(
                    {"key": f"{channel}:{effect.key}", "account_id": account, "template": effect.template,
                     "channel": channel, "queued_on": on, "status": "queued", "addressee": effect.addressee,
                     "merge_data": merge_data_text(merge.get(account, {}))}
                )  # fmt: skip
                self.counts[f"{channel}s_queued"] += 1
            case Note():
                wanted = (("collection_action", effect.collection_action), ("account", effect.to_account))
                for scope in (name for name, written in wanted if written):
                    self.notes.append(
                        {"key": f"{scope}:{effect.key}", "account_id": account, "on": on, "scope": scope,
                         "note_type": "collections", "text": effect.text, "author": "arrears"}
                    )  # fmt: skip
                self.counts["notes"] += 1
            case Posting():
                self.postings.append(
                    {"account_id": account, "external_id": fee_external_id(effect.key), "kind": effect.kind.value,
                     "amount_cents": effect.amount_cents, "posted_date": on, "due_date": on,
                     "description": effect.description[:200]}
                )  # fmt: skip
                self.counts["fees_posted"] += 1
            case StatusChange():
                self.statuses.append((effect.status_code, account))
            case ModeChange():
                self.modes.append((effect.mode, on if effect.mode == "closed" else None, account))
            case Referral():
                self.referrals.append({"key": effect.key, "account_id": account, "on": on, "agency": effect.agency})
                self.history_line(f"referral:{effect.key}", account, "referral", f"agency: {effect.agency}")
            case Alert():
                self.alerts.append({"key": effect.key, "account_id": account, "on": on, "text": effect.text})
                self.counts["alerts"] += 1
            case ServiceRequest():
                self.requests.append(
                    {"key": effect.key, "account_id": account, "on": on, "text": effect.text,
                     "assignee": effect.assignee, "status": "open"}
                )  # fmt: skip
                self.counts["service_requests"] += 1
            case CreditPoints():
                self.points.append((effect.key, on, effect.points, account))
                self.counts["credit_points"] += effect.points
            case CreditReport():
                self.reports.append((effect.key, on, effect.balance_cents, account))
                self.history_line(f"credit-report:{effect.key}", account, "credit-report",
                                  f"reported to the credit bureaus: balance {format_cents(effect.balance_cents)}")
                self.counts["credit_reports"] += 1
            case PlanRun():
                self.plans.append(
                    {"key": effect.key, "account_id": account, "plan": effect.plan, "requested_on": on,
                     "status": "run"}
                )  # fmt: skip
                self.counts["plan_runs_requested"] += 1
            case StatementHold():
                self.holds.append((effect.hold, account))
            case OperatorAssignment():
                self.operators.append((effect.operator, account))
                self.history_line(f"operator:{effect.key}", account, "operator", f"assigned to {effect.operator}")
            case CommissionRate():
                self.commissions.append((effect.basis_points, account))
                rate = f"{effect.basis_points // 100}.{effect.basis_points % 100:02d}%"
                self.history_line(f"commission:{effect.key}", account, "commission", f"commission rate {rate}")
            case PromiseMade():
                self.promises.append(
                    {"key": effect.key, "account_id": account, "amount_cents": effect.amount_cents,
                     "first_due": effect.due, "installment": 0, "due_date": effect.due,
                     "repeat_period": effect.repeat, "repeat_days": None, "grace_days": effect.grace_days,
                     "advance": effect.advance, "paid_cents": 0, "status": "open", "collector": effect.collector,
                     "channel": "phone", "source": "plan", "activity_id": None, "created_on": on,
                     "created_by": "arrears"}
                )  # fmt: skip
                self.counts["promises_made"] += 1
            case PromiseUpdate():
                was, installment, paid = effect.was
                self.judged.append(
                    {"id": effect.promise_id, "was": was, "was_installment": installment, "was_paid": paid,
                     "status": effect.status, "installment": effect.installment, "paid": effect.paid_cents,
                     "due": effect.due, "on": on, "ended_on": on if effect.ended else None,
                     "ended_by": effect.ended_by or None}
                )  # fmt: skip
                self.counted += [
                    {"promise_id": effect.promise_id, "line_id": line, "amount_cents": cents, "paid_on": on,
                     "installment": number, "reversed": False}
                    for line, cents, number in effect.counted
                ]  # fmt: skip
                self.reversed_lines += [(effect.promise_id, line) for line in effect.reversed_lines]
                self.counts[f"promises.{effect.status}"] += 1
            case _:
                assert_never(effect)

    def gate_decision(self, account: int, decision: GateDecision) -> None:
        """Log what the release gate did to an activity (once per activity, day and verdict)."""
        self.gate.append(
            {"key": f"{self.as_of.isoformat()}/{decision.verdict}/{decision.key}"[:340], "account_id": account,
             "on": self.as_of, "activity_key": decision.key[:300], "channel": decision.channel.value,
             "verdict": decision.verdict, "rule": decision.rule, "reason": decision.reason, "until": decision.until,
             "run_id": self.run_id}
        )  # fmt: skip
        self.counts[f"compliance.{decision.verdict}.{decision.rule}"] += 1


def _activity_row(account: int, activity: Activity, as_of: date, run_id: int | None) -> dict[str, Any]:
    origin = activity.origin
    series = origin if isinstance(origin, SeriesStepOrigin) else None
    return {
        "key": activity.key, "account_id": account, "track": activity.track.value, "episode": activity.episode,
        "kind": activity.kind.value, "action": activity.action, "origin": origin_tag(origin),
        "series": series.series if series else None, "step": series.step if series else None,
        "origin_ref": origin_reference(origin), "assignee": activity.assignee, "due_date": activity.due,
        "due_at": activity.due_at, "priority": activity.priority, "status": activity.status.value,
        "no_auto_delete": activity.no_auto_delete, "reason": activity.reason[:300], "created_on": as_of,
        "run_id": run_id, "amount_cents": activity.amount_cents, "released_on": None,
        "done_on": as_of if activity.status is ActivityStatus.DONE else None, "cancelled_on": None,
        "hold_reason": None,
    }  # fmt: skip


def merge_data_text(record: Mapping[str, Any]) -> str:
    """A letter's merge record (:func:`arrears.letters.records.merge_record`, JSON-ready) as the JSON text
    stored with it, keys sorted. orjson, not the standard library: a run encodes one per letter queued, some
    42,000 on the 1M-account benchmark day, at about 2 µs each instead of 17."""
    return orjson.dumps(record, default=str, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS).decode()


def _write_cases(connection: Connection, decisions: Sequence[Decisions], counts: Counter[str]) -> None:
    opened, closing = [], []
    for decision in decisions:
        account = decision.account_id
        for case in decision.opened:
            opened.append(
                {"account_id": account, "track": case.track.value, "episode": case.episode, "is_current": True,
                 "status": "internal", "entered_on": case.entered_on, "anchor_due": case.anchor_due,
                 "entry_reason": json.dumps(dict(case.reason), default=str, sort_keys=True),
                 "assignee": case.assignee, "assignment_rule": case.rule_index, "work": case.work}
            )  # fmt: skip
            counts["entered"] += 1
        for change in decision.cases:
            resolved = change.event is CaseEvent.RESOLVE
            referred = change.event is CaseEvent.REFER
            held = change.reason[:300] if change.event is CaseEvent.HOLD else None
            closing.append(
                (change.status.value, change.on if resolved else None, change.reason[:200] if resolved else None,
                 change.on if referred else None, held, account, change.track.value, change.episode)
            )  # fmt: skip
            counts[{CaseEvent.RESOLVE: "resolved", CaseEvent.REFER: "referred"}.get(change.event, change.event)] += 1
    # A new episode is the current one: the earlier episodes of the track stop being current first.
    update_many(
        connection,
        CASES,
        "UPDATE collections_case SET is_current = FALSE WHERE account_id = {} AND track = {} AND episode < {} "
        "AND is_current",
        ["account_id", "track", "episode"],
        [(c["account_id"], c["track"], c["episode"]) for c in opened],
    )
    insert_ignore(connection, CASES, opened, ["account_id", "track", "episode"])
    update_many(
        connection,
        CASES,
        "UPDATE collections_case SET status = {}, closed_on = COALESCE({}, closed_on), "
        "close_reason = COALESCE({}, close_reason), referred_on = COALESCE({}, referred_on), hold_reason = {} "
        "WHERE account_id = {} AND track = {} AND episode = {}",
        ["status", "closed_on", "close_reason", "referred_on", "hold_reason", "account_id", "track", "episode"],
        closing,
    )


_Update = tuple[Any, ...]
"""One activity update's parameters, its key last."""


@dataclass(slots=True)
class _ActivityUpdates:
    """A chunk's activity updates, in the order they are written: deferrals (a call deferred to later today is
    then released with that moment as its due time), each event's status changes, repeats forwarded, steps
    resumed after a promise. Tuples as the statements of :func:`_write_activity_updates` bind them."""

    deferred: list[_Update] = field(default_factory=list)
    by_event: dict[ActivityEvent, list[_Update]] = field(default_factory=dict)
    forwarded: list[_Update] = field(default_factory=list)
    resumed: list[_Update] = field(default_factory=list)


_EVENT_NAMES = {ActivityEvent.OPEN: "released", ActivityEvent.PERFORM: "released", ActivityEvent.CANCEL: "cancelled",
                ActivityEvent.HOLD: "held", ActivityEvent.COMPLETE: "completed"}  # fmt: skip
_SOURCES = {event: frozenset(status.value for status in activity_sources(event)) for event in _EVENT_NAMES}
"""The statuses each event moves an activity from (the transition table's)."""
_DEFERRABLE = frozenset({ActivityStatus.SCHEDULED.value, ActivityStatus.HELD.value})


def _activity_updates(decisions: Sequence[Decisions], counts: Counter[str]) -> _ActivityUpdates:
    updates = _ActivityUpdates()
    for decision in decisions:
        for change in decision.changes:
            event, on = change.event, change.on
            released = on if event in (ActivityEvent.OPEN, ActivityEvent.PERFORM) else None
            done = on if event in (ActivityEvent.PERFORM, ActivityEvent.COMPLETE) else None
            cancelled = on if event is ActivityEvent.CANCEL else None
            held = change.reason[:300] if event is ActivityEvent.HOLD else None
            updates.by_event.setdefault(event, []).append(
                (change.status.value, released, done, cancelled, held, change.key)
            )
        for r in decision.rescheduled:
            if r.forwarded:
                updates.forwarded.append((r.due, r.due_at, r.key))
            elif r.resumed:
                updates.resumed.append((r.due, r.due_at, r.key))
            else:
                updates.deferred.append((r.due, r.due_at, r.reason[:300], r.key))
    counts["deferred"] += len(updates.deferred)
    for event, rows in updates.by_event.items():
        counts[_EVENT_NAMES[event]] += len(rows)
    counts["repeats_forwarded"] += len(updates.forwarded)
    counts["resumed_after_promise"] += len(updates.resumed)
    return updates


def _fold_into_new(updates: _ActivityUpdates, new: Mapping[str, dict[str, Any]]) -> _ActivityUpdates:
    """Apply the updates of activities created in this chunk (``new``: key → row, not yet inserted) to their
    rows, as the statements would after the insert, and return the updates left for stored activities.

    A third of a day's status changes are of activities created the same day (a letter queued and sent, a call
    opened): inserted in their final state, they spare an ``UPDATE`` and the index pages it moves the row
    between."""

    def stored(rows: list[_Update], apply: Callable[[dict[str, Any], _Update], None]) -> list[_Update]:
        left = []
        for update in rows:
            row = new.get(update[-1])
            if row is None:
                left.append(update)
            else:
                apply(row, update)
        return left

    def defer(row: dict[str, Any], update: _Update) -> None:
        if row["status"] in _DEFERRABLE:
            row["due_date"], row["due_at"], row["hold_reason"] = update[:3]

    def move(row: dict[str, Any], update: _Update) -> None:
        if row["status"] == ActivityStatus.SCHEDULED.value:
            row["due_date"], row["due_at"] = update[:2]

    def change(sources: frozenset[str]) -> Callable[[dict[str, Any], _Update], None]:
        def apply(row: dict[str, Any], update: _Update) -> None:
            if row["status"] not in sources:
                return
            status, released, done, cancelled, held = update[:5]
            row["status"], row["hold_reason"] = status, held
            for column, value in (("released_on", released), ("done_on", done), ("cancelled_on", cancelled)):
                if value is not None:
                    row[column] = value

        return apply

    return _ActivityUpdates(
        stored(updates.deferred, defer),
        {event: stored(rows, change(_SOURCES[event])) for event, rows in updates.by_event.items()},
        stored(updates.forwarded, move),
        stored(updates.resumed, move),
    )


def _write_activity_updates(connection: Connection, updates: _ActivityUpdates) -> None:
    update_many(
        connection,
        ACTIVITIES,
        "UPDATE activity SET due_date = {}, due_at = {}, hold_reason = {} WHERE key = {} "
        "AND status IN ('scheduled', 'held')",
        ["due_date", "due_at", "hold_reason", "key"],
        updates.deferred,
    )
    for event, rows in updates.by_event.items():
        sources = ", ".join(f"'{status}'" for status in sorted(_SOURCES[event]))
        update_many(
            connection,
            ACTIVITIES,
            "UPDATE activity SET status = {}, released_on = COALESCE({}, released_on), "
            "done_on = COALESCE({}, done_on), cancelled_on = COALESCE({}, cancelled_on), hold_reason = {} "
            f"WHERE key = {{}} AND status IN ({sources})",
            ["status", "released_on", "done_on", "cancelled_on", "hold_reason", "key"],
            rows,
        )
    for rows in (updates.forwarded, updates.resumed):
        update_many(
            connection,
            ACTIVITIES,
            "UPDATE activity SET due_date = {}, due_at = {} WHERE key = {} AND status = 'scheduled'",
            ["due_date", "due_at", "key"],
            rows,
        )


def _new_rows(connection: Connection, created: Sequence[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The rows of ``created`` that the insert will write: a key created once in the chunk and not stored yet
    (a stored key's row is left as it is, and its updates go to it)."""
    once = Counter(row["key"] for row in created)
    fresh = {row["key"]: row for row in created if once[row["key"]] == 1}
    for key in stored_keys(connection, "activity", "key", list(fresh)):
        del fresh[key]
    return fresh


def write_chunk(
    connection: Connection,
    run_id: int,
    as_of: date,
    decisions: Sequence[Decisions],
    merge: Mapping[int, Mapping[str, Any]],
    span: tuple[int, int],
    errors: Sequence[tuple[int, str]],
) -> Counter[str]:
    """Write ``decisions`` and the chunk's record; return what was done, counted."""
    counts = write_decisions(connection, run_id, as_of, decisions, merge)
    counts["errors"] += len(errors)
    connection.execute(
        RUN_CHUNKS.insert(),
        {
            "run_id": run_id,
            "first_account": span[0],
            "last_account": span[1],
            "counts": json.dumps(dict(counts), sort_keys=True),
            "errors": json.dumps([{"account_id": a, "reason": r} for a, r in errors]),
        },
    )
    return counts


def write_decisions(
    connection: Connection,
    run_id: int | None,
    as_of: date,
    decisions: Sequence[Decisions],
    merge: Mapping[int, Mapping[str, Any]],
) -> Counter[str]:
    """Write ``decisions`` (of a run's chunk, or of a plan run outside the daily run: ``run_id`` None) in the
    caller's transaction; return what was done, counted."""
    rows = _Rows(as_of, run_id)
    counts = rows.counts
    created = []
    for decision in decisions:
        account = decision.account_id
        for activity in decision.created:
            created.append(_activity_row(account, activity, as_of, run_id))
            counts[f"activities.{activity.kind.value}"] += 1
        for entry in decision.history:
            rows.history_line(entry.key, account, entry.event, entry.detail)
        for effect in decision.effects:
            rows.effect(account, effect, merge)
        for gated in decision.gate:
            rows.gate_decision(account, gated)
    _write_cases(connection, decisions, counts)
    counts["milestone_moves"] += milestones.write_changes(connection, decisions)
    updates = _fold_into_new(_activity_updates(decisions, counts), _new_rows(connection, created))
    insert_ignore(connection, ACTIVITIES, created, ["key"])
    _write_activity_updates(connection, updates)
    insert_ignore(connection, HISTORY, rows.history, ["key"])
    insert_ignore(connection, LETTERS, rows.letters, ["key"])
    insert_ignore(connection, NOTES, rows.notes, ["key"])
    insert_ignore(connection, REFERRALS, rows.referrals, ["key"])
    insert_ignore(connection, ALERTS, rows.alerts, ["key"])
    insert_ignore(connection, SERVICE_REQUESTS, rows.requests, ["key"])
    insert_ignore(connection, PLAN_REQUESTS, rows.plans, ["key"])
    insert_ignore(connection, GATE_LOG, rows.gate, ["key"])
    store_promises.insert_promises(connection, rows.promises)
    store_promises.write_judgements(connection, rows.judged, rows.counted, rows.reversed_lines)
    execute_many(
        connection,
        'INSERT INTO credit_point (key, party_id, account_id, "on", points) '
        "SELECT {}, guarantor_id, id, {}, {} FROM account WHERE id = {} ON CONFLICT (key) DO NOTHING",
        rows.points,
        dates=[1],
    )
    execute_many(
        connection,
        'INSERT INTO credit_report (key, account_id, party_id, "on", balance_cents) '
        "SELECT {}, id, guarantor_id, {}, {} FROM account WHERE id = {} ON CONFLICT (key) DO NOTHING",
        rows.reports,
        dates=[1],
    )
    if rows.postings:
        insert_ignore(connection, LEDGER, rows.postings, ["external_id"])
        summaries.refresh(connection, sorted({posting["account_id"] for posting in rows.postings}))
    update = "UPDATE account SET {} WHERE id = {{}}"
    update_many(connection, ACCOUNTS, update.format("status_code = {}"), ["status_code", "id"], rows.statuses)
    update_many(
        connection, ACCOUNTS, update.format("mode = {}, closed_date = {}"), ["mode", "closed_date", "id"], rows.modes
    )
    update_many(connection, ACCOUNTS, update.format("statement_hold = {}"), ["statement_hold", "id"], rows.holds)
    update_many(
        connection,
        ACCOUNTS,
        update.format("commission_basis_points = {}"),
        ["commission_basis_points", "id"],
        rows.commissions,
    )
    update_many(
        connection,
        CASES,
        "UPDATE collections_case SET assignee = {} WHERE account_id = {} AND track = 'guarantor' AND is_current "
        f"AND status IN ({', '.join(sorted(repr(status.value) for status in OPEN_CASE))})",
        ["assignee", "account_id"],
        rows.operators,
    )
    return counts
