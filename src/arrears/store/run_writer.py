"""Writing one chunk of the daily run's decisions in bulk, idempotently, in the caller's transaction.

Every insert is keyed (activity, letter, note, history, fee external id): inserting a key that exists
does nothing, so writing the same decisions twice changes nothing.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import Connection

from arrears.domain.engine import CaseStatus, Decisions
from arrears.store import summaries
from arrears.store.bulk import execute_many, insert_ignore, upsert
from arrears.store.models import (
    ActivityRow,
    CollectionsCaseRow,
    HistoryRow,
    LedgerLineRow,
    LetterRow,
    NoteRow,
    RunChunkRow,
)

ACTIVITIES = ActivityRow.__table__
CASES = CollectionsCaseRow.__table__
LETTERS = LetterRow.__table__
NOTES = NoteRow.__table__
HISTORY = HistoryRow.__table__
LEDGER = LedgerLineRow.__table__

HISTORY_EFFECTS = {"referral", "alert", "service_request", "credit_points", "run_plan"}


def fee_external_id(key: str) -> str:
    """The ledger external id of the fee posted by the activity ``key``: unique per key within 64 characters
    (a long key is hashed rather than cut, so two fees never share an id)."""
    readable = f"fee:{key}"
    return readable if len(readable) <= 64 else f"fee:{hashlib.sha256(key.encode()).hexdigest()[:60]}"


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
    counts: Counter[str] = Counter()
    cases, created, released, cancelled, history = [], [], [], [], []
    letters, notes, fees, statuses, holds = [], [], [], [], []
    closes: list[dict[str, Any]] = []
    for decision in decisions:
        account = decision.account_id
        for change in decision.cases:
            if change.status is not CaseStatus.INTERNAL:
                # A resolution or referral changes the case's standing only: the entry date, the rule values
                # that caused the entry and the assignment stay as they were recorded.
                closes.append(
                    {
                        "a": account,
                        "t": change.track.value,
                        "e": change.episode,
                        "s": change.status.value,
                        "c": change.closed_on,
                        "r": change.close_reason,
                    }
                )
                counts["resolved" if change.status is CaseStatus.RESOLVED else "referred"] += 1
                continue
            cases.append(
                {
                    "account_id": account,
                    "track": change.track.value,
                    "episode": change.episode,
                    "status": change.status.value,
                    "entered_on": change.entered_on,
                    "entry_reason": json.dumps(dict(change.reason), default=str, sort_keys=True),
                    "assignee": change.assignee,
                    "assignment_rule": change.rule_index,
                    "work": change.work,
                    "closed_on": change.closed_on,
                    "close_reason": change.close_reason,
                }
            )
            counts["entered"] += 1
        for activity in decision.created:
            created.append(
                {
                    "key": activity.key,
                    "account_id": account,
                    "track": activity.track.value,
                    "episode": activity.episode,
                    "kind": activity.kind,
                    "action": activity.action,
                    "series": activity.series,
                    "step": activity.step,
                    "assignee": activity.assignee,
                    "due_date": activity.due,
                    "priority": activity.priority,
                    "status": "pending",
                    "released": False,
                    "no_auto_delete": activity.no_auto_delete,
                    "reason": activity.reason[:300],
                    "run_id": run_id,
                }
            )
            counts[f"activities.{activity.kind}"] += 1
        released += [{"k": r.key, "s": r.status, "d": r.done_on} for r in decision.released]
        cancelled += [{"k": key} for key in decision.cancelled]
        history += [
            {"key": key, "account_id": account, "on": as_of, "event": event, "detail": detail, "run_id": run_id}
            for key, event, detail in decision.history
        ]
        if decision.statement_hold is not None:
            holds.append({"i": account, "h": decision.statement_hold})
        for effect in decision.effects:
            values = dict(effect.values)
            if effect.kind in ("letter", "email", "sms"):
                letters.append(
                    {
                        "key": f"{effect.kind}:{effect.key}",
                        "account_id": account,
                        "template": str(values["template"]),
                        "channel": effect.kind,
                        "queued_on": as_of,
                        "merge_data": json.dumps(merge.get(account, {}), default=str, sort_keys=True),
                        "status": "queued",
                    }
                )
                counts[f"{effect.kind}s_queued"] += 1
            elif effect.kind == "note":
                scopes = ["collection_action"] + (["account"] if values.get("account") else [])
                for scope in scopes:
                    notes.append(
                        {
                            "key": f"{scope}:{effect.key}",
                            "account_id": account,
                            "on": as_of,
                            "scope": scope,
                            "note_type": "collections",
                            "text": str(values["text"]),
                            "author": "arrears",
                        }
                    )
                counts["notes"] += 1
            elif effect.kind == "fee":
                fees.append(
                    {
                        "account_id": account,
                        "external_id": fee_external_id(effect.key),
                        "kind": "fee",
                        "amount_cents": int(str(values["amount_cents"])),
                        "posted_date": as_of,
                        "due_date": as_of,
                        "description": str(values["description"])[:200],
                    }
                )
                counts["fees_posted"] += 1
            elif effect.kind == "status":
                statuses.append({"i": account, "c": str(values["status_code"])})
            elif effect.kind in HISTORY_EFFECTS:
                detail = ", ".join(f"{name}: {value}" for name, value in values.items())
                history.append(
                    {
                        "key": f"{effect.kind}:{effect.key}",
                        "account_id": account,
                        "on": as_of,
                        "event": effect.kind,
                        "detail": detail,
                        "run_id": run_id,
                    }
                )
    upsert(connection, CASES, cases, ["account_id", "track"])
    if closes:
        execute_many(
            connection,
            "UPDATE collections_case SET status = {}, closed_on = {}, close_reason = {} "
            "WHERE account_id = {} AND track = {} AND episode = {}",
            ((c["s"], c["c"], c["r"], c["a"], c["t"], c["e"]) for c in closes),
            dates=[1],
        )
    insert_ignore(connection, ACTIVITIES, created, ["key"])
    if released:
        execute_many(
            connection,
            "UPDATE activity SET released = TRUE, status = {}, done_on = {} WHERE key = {} AND released = FALSE",
            ((r["s"], r["d"], r["k"]) for r in released),
            dates=[1],
        )
        counts["released"] += len(released)
    if cancelled:
        execute_many(
            connection,
            "UPDATE activity SET status = 'cancelled' WHERE key = {} AND status = 'pending'",
            ((c["k"],) for c in cancelled),
            dates=[],
        )
        counts["cancelled"] += len(cancelled)
    insert_ignore(connection, HISTORY, history, ["key"])
    insert_ignore(connection, LETTERS, letters, ["key"])
    insert_ignore(connection, NOTES, notes, ["key"])
    if fees:
        insert_ignore(connection, LEDGER, fees, ["external_id"])
        summaries.refresh(connection, sorted({fee["account_id"] for fee in fees}))
    execute_many(
        connection, "UPDATE account SET status_code = {} WHERE id = {}", ((s["c"], s["i"]) for s in statuses), []
    )
    execute_many(
        connection, "UPDATE account SET statement_hold = {} WHERE id = {}", ((h["h"], h["i"]) for h in holds), []
    )
    counts["errors"] += len(errors)
    connection.execute(
        RunChunkRow.__table__.insert(),
        {
            "run_id": run_id,
            "first_account": span[0],
            "last_account": span[1],
            "counts": json.dumps(dict(counts), sort_keys=True),
            "errors": json.dumps([{"account_id": a, "reason": r} for a, r in errors]),
        },
    )
    return counts
