"""Repository of what an account page shows beside the ledger: its plans and claims, all its activities,
letters, notes and history (plain rows, read in one connection)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Connection, select

from arrears.store import tables


@dataclass(frozen=True, slots=True)
class ActivityLine:
    """One activity of the account, whatever its state."""

    id: int
    kind: str
    action: str
    assignee: str
    due_date: date
    due_at: datetime | None
    priority: int
    status: str
    reason: str
    created_on: date | None
    done_on: date | None
    cancelled_on: date | None
    hold_reason: str | None
    outcome: str | None
    note: str | None
    no_auto_delete: bool


@dataclass(frozen=True, slots=True)
class PageRows:
    """Everything of the account's page that is not the ledger or the cases."""

    plans: list[dict[str, object]]
    claims: list[dict[str, object]]
    activities: list[ActivityLine]
    letters: list[dict[str, object]]
    notes: list[dict[str, object]]
    history: list[dict[str, object]]


def page_rows(connection: Connection, account_id: int) -> PageRows:
    """The account's payment plans, claims, activities, letters, notes and history, oldest first."""
    p, c, a = tables.payment_plan.c, tables.claim.c, tables.activity.c
    letter, note, history = tables.letter.c, tables.note.c, tables.history.c
    plans = connection.execute(
        select(p.external_id, p.installment_cents, p.frequency, p.first_due_date, p.grace_days, p.active)
        .where(p.account_id == account_id)
        .order_by(p.id)
    )
    claims = connection.execute(
        select(c.external_id, c.payer, c.billed_date, c.amount_cents, c.paid_cents, c.status)
        .where(c.account_id == account_id)
        .order_by(c.billed_date, c.id)
    )
    activities = connection.execute(
        select(
            a.id, a.kind, a.action, a.assignee, a.due_date, a.due_at, a.priority, a.status, a.reason, a.created_on,
            a.done_on, a.cancelled_on, a.hold_reason, a.outcome, a.note, a.no_auto_delete,
        )
        .where(a.account_id == account_id)
        .order_by(a.due_date, a.id)
    )  # fmt: skip
    letters = connection.execute(
        select(letter.id, letter.template, letter.channel, letter.queued_on, letter.status, letter.printed_on,
               letter.addressee)
        .where(letter.account_id == account_id)
        .order_by(letter.queued_on, letter.id)
    )  # fmt: skip
    notes = connection.execute(
        select(note.id, note.on, note.scope, note.text, note.author)
        .where(note.account_id == account_id)
        .order_by(note.on, note.id)
    )
    events = connection.execute(
        select(history.id, history.on, history.event, history.detail)
        .where(history.account_id == account_id)
        .order_by(history.on, history.id)
    )
    return PageRows(
        plans=[dict(row._mapping) for row in plans],
        claims=[dict(row._mapping) for row in claims],
        activities=[ActivityLine(**row._mapping) for row in activities],
        letters=[dict(row._mapping) for row in letters],
        notes=[dict(row._mapping) for row in notes],
        history=[dict(row._mapping) for row in events],
    )
