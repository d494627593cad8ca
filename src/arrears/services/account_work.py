"""Changing an account by hand: update its fields, close it, reopen it. Each is one transaction, audited
with the user who did it (one audit row per changed field, before and after)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from arrears.domain.cases import (
    ActivityEvent,
    ActivityStatus,
    CaseEvent,
    CaseStatus,
    PlanEventOrigin,
    activity_transition,
    cancelled_when_case_ends,
    case_transition,
    origin_from_columns,
)
from arrears.domain.errors import NotFound, Problem, ValidationFailed
from arrears.domain.model import Mode, PhoneType
from arrears.domain.plans import PendingContact, Plan, close_disposition, revived_with_promise
from arrears.domain.promises import OPEN_PROMISE, ClosedPromise, PromiseState, revive
from arrears.services.accounts import time_zone_problem
from arrears.services.promises import terms_of
from arrears.services.stored_strategy import load_strategy
from arrears.store import summaries
from arrears.store.account_work import (
    account_for_update,
    active_plans,
    add_history,
    current_cases,
    pending_activities,
    set_first_phone,
)
from arrears.store.audit import append_audit
from arrears.store.db import Database
from arrears.store.models import AccountRow
from arrears.store.promises import (
    cancel_open_promises,
    closing_cancelled,
    count_payments,
    done_promise_contacts,
    uncounted_payments,
)
from arrears.store.uow import UnitOfWork

if TYPE_CHECKING:
    from arrears.store.db import Session

TEXT_FIELDS: Mapping[str, int] = {
    "first_name": 100,
    "last_name": 100,
    "address1": 200,
    "address2": 200,
    "city": 100,
    "state": 40,
    "postal_code": 20,
    "email": 200,
}
"""The guarantor's text fields and their longest value."""
FLAG_FIELDS = ("deceased", "bankruptcy", "attorney_represented", "cease_communication", "do_not_call")
"""The guarantor's flags (true/false)."""
ACCOUNT_FIELDS: Mapping[str, int] = {"status_code": 20}
"""Fields of the account itself (not its guarantor)."""
EDITABLE_FIELDS = (
    *TEXT_FIELDS, "time_zone", "phone", "phone_type", *FLAG_FIELDS, "dispute_date", *ACCOUNT_FIELDS,
)  # fmt: skip
"""Every field ``update_account`` changes, in the order they are shown."""
_TRUE, _FALSE = frozenset({"true", "yes", "y", "1", "t"}), frozenset({"false", "no", "n", "0", "f"})


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One field of an account that changed: its value before and after (JSON-ready)."""

    field: str
    before: Any
    after: Any


def _account(session: Session, external_id: str) -> AccountRow:
    row = account_for_update(session, external_id)
    if row is None:
        raise NotFound(f"no account {external_id!r}")
    return row


def parse_field(name: str, text: str) -> tuple[Any, Problem | None]:
    """The value of field ``name`` given as ``text`` (an empty text clears an optional field), or a problem."""
    value = text.strip()
    if name in TEXT_FIELDS or name in ACCOUNT_FIELDS:
        limit = TEXT_FIELDS.get(name) or ACCOUNT_FIELDS[name]
        if len(value) > limit:
            return None, Problem(name, f"is longer than {limit} characters", value)
        if name == "last_name" and not value:
            return None, Problem(name, "is required and cannot be cleared")
        return value, None
    if name in FLAG_FIELDS:
        if value.lower() in _TRUE:
            return True, None
        if value.lower() in _FALSE or not value:
            return False, None
        return None, Problem(name, "must be true or false", value)
    if name == "dispute_date":
        if not value:
            return None, None
        try:
            return date.fromisoformat(value), None
        except ValueError:
            return None, Problem(name, "is not a date (YYYY-MM-DD)", value)
    if name == "time_zone":
        return value, time_zone_problem(value)
    if name == "phone":
        if len(value) > 40:
            return None, Problem(name, "is longer than 40 characters", value)
        return value, None
    if name == "phone_type":
        try:
            return PhoneType(value.lower()).value, None
        except ValueError:
            return None, Problem(name, f"must be one of {', '.join(t.value for t in PhoneType)}", value)
    return None, Problem(name, f"is not a field that can be updated (fields: {', '.join(EDITABLE_FIELDS)})")


def stored_fields(account: AccountRow) -> dict[str, Any]:
    """The editable fields of ``account`` as stored (the guarantor's first phone stands for ``phone``)."""
    party = account.guarantor
    values: dict[str, Any] = {name: getattr(party, name) for name in (*TEXT_FIELDS, "time_zone", *FLAG_FIELDS)}
    values["dispute_date"] = party.dispute_date
    first = party.phones[0] if party.phones else None
    values["phone"] = first.number if first else ""
    values["phone_type"] = first.type if first else ""
    values["status_code"] = account.status_code
    return values


def apply_fields(session: Session, account: AccountRow, values: Mapping[str, Any]) -> None:
    """Write ``values`` (parsed, field → value) onto the account and its guarantor."""
    party = account.guarantor
    for name, value in values.items():
        if name in ACCOUNT_FIELDS:
            setattr(account, name, value)
        elif name not in ("phone", "phone_type"):
            setattr(party, name, value)
    if "phone" in values or "phone_type" in values:
        first = party.phones[0] if party.phones else None
        number = values.get("phone", first.number if first else "")
        kind = values.get("phone_type") or (first.type if first else PhoneType.HOME.value)
        set_first_phone(session, party, number, kind)


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def audit_changes(session: Session, actor: str, external_id: str, changes: list[FieldChange], action: str) -> None:
    """One audit row per changed field of the account ``external_id``."""
    for change in changes:
        append_audit(
            session, actor=actor, entity="account", key=external_id, action=action,
            before={change.field: change.before}, after={change.field: change.after},
        )  # fmt: skip


def field_changes(stored: Mapping[str, Any], values: Mapping[str, Any]) -> list[FieldChange]:
    """The fields whose new value differs from the stored one, in :data:`EDITABLE_FIELDS` order."""
    changes = []
    for name in EDITABLE_FIELDS:
        if name in values and _plain(values[name]) != _plain(stored.get(name)):
            if name == "phone_type" and not values.get("phone", stored.get("phone")):
                continue  # a type without a number is nothing to store
            changes.append(FieldChange(name, _plain(stored.get(name)), _plain(values[name])))
    return changes


def update_account(db: Database, external_id: str, fields: Mapping[str, str], *, actor: str) -> list[FieldChange]:
    """Change the given fields of the account (text as typed; an empty text clears an optional field).

    Every field is checked before anything is written; unchanged fields are not audited. Returns the changes.
    """
    if not fields:
        raise ValidationFailed([Problem("fields", "name at least one field to change")])
    values: dict[str, Any] = {}
    problems = []
    for name, text in fields.items():
        value, problem = parse_field(name, text)
        if problem is not None:
            problems.append(problem)
        else:
            values[name] = value
    if problems:
        raise ValidationFailed(problems)
    with UnitOfWork(db) as uow:
        session = uow.session
        account = _account(session, external_id)
        changes = field_changes(stored_fields(account), values)
        apply_fields(session, account, {change.field: values[change.field] for change in changes})
        audit_changes(session, actor, external_id, changes, "updated")
        uow.commit()
    return changes


@dataclass(frozen=True, slots=True)
class Closing:
    """What closing an account did."""

    cases_resolved: int
    activities_cancelled: int
    activities_kept: int
    """Pending activities marked do-not-autodelete, left as they were."""
    plans_ended: int
    promises_ended: int = 0
    """Promises to pay that still stood, cancelled."""


def close_account(db: Database, external_id: str, on: date, reason: str = "", *, actor: str = "arrears") -> Closing:
    """Close the account on ``on`` (seed 002): its open collections cases are resolved, its pending work is
    cancelled except what is marked do-not-autodelete, its payment plans (promises) are marked done and the
    promises to pay that still stand are cancelled; the ledger stays. Refused when the account is already
    closed."""
    with UnitOfWork(db) as uow:
        session = uow.session
        row = _account(session, external_id)
        if row.mode == Mode.CLOSED:
            raise ValidationFailed([Problem("mode", f"the account is already closed (since {row.closed_date})",
                                            external_id)])  # fmt: skip
        why = f"account closed on {on}" + (f": {reason}" if reason else "")
        resolved = 0
        for case in current_cases(session, row.id):
            status = CaseStatus(case.status)
            if status is CaseStatus.RESOLVED:
                continue
            case.status = case_transition(status, CaseEvent.RESOLVE).value
            case.closed_on, case.close_reason = on, why[:200]
            if case.track == "guarantor":
                row.statement_hold = False
            resolved += 1
        cancelled = kept = 0
        pending = {status.value for status in ActivityStatus if cancelled_when_case_ends(status, False)}
        for activity in pending_activities(session, row.id, pending):
            # Seed 002: promises and transactions are marked done regardless of do not autodelete.
            contact = PendingContact(activity.key, activity.kind, activity.action, ActivityStatus(activity.status),
                                     activity.no_auto_delete)  # fmt: skip
            disposition = close_disposition(contact, why)
            if disposition is None:
                kept += 1
                continue
            activity.status = activity_transition(contact.status, disposition.event).value
            if disposition.status is ActivityStatus.DONE:
                activity.done_on = on
            else:
                activity.cancelled_on = on
                cancelled += 1
        plans = active_plans(session, row.id)
        for plan in plans:
            plan.active = False
        ended = cancel_open_promises(session, row.id, on)
        for promise_id in ended:
            add_history(session, row.id, on, "promise_cancelled", f"promise {promise_id} cancelled: {why}")
        before = {"mode": row.mode, "closed_date": None}
        row.mode, row.closed_date = Mode.CLOSED.value, on
        add_history(session, row.id, on, "closed", f"{why} by {actor}")
        append_audit(session, actor=actor, entity="account", key=external_id, action="closed", before=before,
                     after={"mode": Mode.CLOSED.value, "closed_date": on.isoformat(), "reason": reason})  # fmt: skip
        session.flush()
        if plans:
            summaries.refresh(session.connection(), [row.id])
        uow.commit()
    return Closing(resolved, cancelled, kept, len(plans), len(ended))


@dataclass(frozen=True, slots=True)
class Reopening:
    """What reopening an account did to the promises its closing cancelled."""

    promises_reopened: int = 0
    """Standing again (or kept by a payment made while the account was closed)."""
    promises_left_cancelled: int = 0
    """Their window ended while the account was closed."""


def reopen_account(
    db: Database, external_id: str, on: date, reason: str = "", *, actor: str = "arrears"
) -> Reopening:
    """Make a closed account active again from ``on``; the next run decides whether it enters collections.
    What reopening makes happen is :func:`reopened` (the promises its closing cancelled judged again). Refused
    when the account is not closed."""
    with UnitOfWork(db) as uow:
        session = uow.session
        row = _account(session, external_id)
        if row.mode != Mode.CLOSED:
            raise ValidationFailed([Problem("mode", f"the account is {row.mode}, not closed: nothing to reopen",
                                            external_id)])  # fmt: skip
        before = {"mode": row.mode, "closed_date": row.closed_date.isoformat() if row.closed_date else None}
        row.mode, row.closed_date = Mode.ACTIVE.value, None
        why = f"account reopened on {on}" + (f": {reason}" if reason else "") + f" by {actor}"
        reopening = reopened(session, row.id, on, why, load_strategy(session).plan_index())
        after: dict[str, Any] = {"mode": Mode.ACTIVE.value, "closed_date": None, "reason": reason}
        if reopening != Reopening():
            after |= {"promises_reopened": reopening.promises_reopened,
                      "promises_left_cancelled": reopening.promises_left_cancelled}  # fmt: skip
        append_audit(session, actor=actor, entity="account", key=external_id, action="reopened", before=before,
                     after=after)  # fmt: skip
        uow.commit()
    return reopening


def reopened(session: Session, account_id: int, on: date, why: str, plans: Mapping[str, Plan]) -> Reopening:
    """What reopening a closed account on ``on`` makes happen, however it is reopened — by hand
    (:func:`reopen_account`) or by an accounts import that sets its mode back to active
    (:func:`reopen_imported`); the caller has made it active. A line of history (``why``), and the promises its
    closing cancelled judged again (:func:`arrears.domain.promises.revive`): those whose window is still open
    stand again, with the guarantor payments made while the account was closed counted toward them, and the
    contact of a plan-made one is scheduled again with it (:func:`arrears.domain.plans.revived_with_promise`:
    its event's switches, do not autodelete among them, hold as they did before the closing); those whose window
    ended meanwhile stay cancelled. A line of history each."""
    add_history(session, account_id, on, "reopened", why)
    rows = closing_cancelled(session, account_id)
    if not rows:
        return Reopening()
    closed = [ClosedPromise(r.id, terms_of(r), PromiseState(r.installment, r.paid_cents)) for r in rows]
    since = min(r.ended_on or on for r in rows)
    payments = uncounted_payments(session, account_id, since, on)
    day_of = {line: day for line, day, _ in payments}
    by_id = {r.id: r for r in rows}
    contacts = done_promise_contacts(session, account_id, (r.key for r in rows))
    revived = left = 0
    for revival in revive(closed, payments, on):
        row, state = by_id[revival.promise_id], revival.judgement.state
        count_payments(session, row.id, revival.counted, day_of)
        if not revival.revived:
            left += 1
            add_history(session, account_id, on, "promise_cancelled",
                        f"promise {row.id} {revival.judgement.detail}")  # fmt: skip
            continue
        revived += 1
        ended = state.status not in OPEN_PROMISE
        contact = contacts.get(row.key)
        if contact is not None and not ended:
            origin = origin_from_columns(contact.origin, contact.action, contact.series, contact.step,
                                         contact.origin_ref)  # fmt: skip
            made_by = origin if isinstance(origin, PlanEventOrigin) else None
            if revived_with_promise(contact.done_on, row.ended_on, made_by, plans):
                contact.status = activity_transition(ActivityStatus.DONE, ActivityEvent.REVIVE).value
                contact.done_on = None
        row.status, row.installment, row.paid_cents = state.status.value, state.installment, state.paid_cents
        row.due_date, row.judged_on = terms_of(row).due(state.installment), on
        row.ended_on, row.ended_by = (on if ended else None), None
        add_history(session, account_id, on, "promise_reopened", f"promise {row.id} {revival.judgement.detail}")
    return Reopening(revived, left)


def reopen_imported(session: Session, external_ids: Sequence[str], on: date, *, actor: str) -> Counter[str]:
    """What reopening makes happen (:func:`reopened`) for each account an accounts import set back to active
    from closed on ``on`` (the import has written its mode), in the import's transaction: how many accounts were
    reopened and how many of their promises stand again or stay cancelled."""
    counts: Counter[str] = Counter()
    if not external_ids:
        return counts
    plans = load_strategy(session).plan_index()
    for external_id in external_ids:
        row = _account(session, external_id)
        reopening = reopened(session, row.id, on, f"account reopened on {on} by an import ({actor})", plans)
        counts["accounts reopened"] += 1
        counts["promises reopened"] += reopening.promises_reopened
        counts["promises left cancelled"] += reopening.promises_left_cancelled
    return +counts
