"""Repository of the day-to-day work on one account: its current cases, pending work, notes and history.

Every function works in the caller's session (one transaction per use case); rows that the caller changes
are locked for update where the database can lock them, so two collectors acting on the same account at
once are serialised instead of overwriting each other.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Collection, Mapping, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, delete, insert, select, update

from arrears.store import tables
from arrears.store.models import (
    AccountRow,
    ActivityRow,
    CollectionsCaseRow,
    HistoryRow,
    NoteRow,
    PartyRow,
    PaymentPlanRow,
    PhoneRow,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


def account_for_update(session: Session, external_id: str) -> AccountRow | None:
    """The account ``external_id``, locked for update; None when there is none."""
    return session.scalar(select(AccountRow).where(tables.account.c.external_id == external_id).with_for_update())


def set_first_phone(session: Session, party: PartyRow, number: str, kind: str) -> None:
    """Make ``number`` (of type ``kind``) the party's first phone; an empty number removes the first phone."""
    phones: list[PhoneRow] = party.phones
    if not number:
        if phones:
            session.delete(phones[0])
            phones.pop(0)
        return
    if phones:
        phones[0].number, phones[0].type = number, kind
    else:
        phones.append(PhoneRow(number=number, type=kind))


def current_cases(session: Session, account_id: int) -> list[CollectionsCaseRow]:
    """The latest episode of each track of the account (guarantor first), locked for update."""
    return list(
        session.scalars(
            select(CollectionsCaseRow)
            .where(tables.collections_case.c.account_id == account_id, tables.collections_case.c.is_current.is_(True))
            .order_by(tables.collections_case.c.track)
            .with_for_update()
        )
    )


def open_case_new_episode(session: Session, row: CollectionsCaseRow) -> None:
    """Add ``row`` as the account's current episode of its track (the previous one stops being current)."""
    session.flush()
    for earlier in session.scalars(
        select(CollectionsCaseRow).where(
            tables.collections_case.c.account_id == row.account_id,
            tables.collections_case.c.track == row.track,
            tables.collections_case.c.is_current.is_(True),
        )
    ):
        earlier.is_current = False
    session.flush()
    session.add(row)
    session.flush()


def last_episode(session: Session, account_id: int, track: str) -> int:
    """The highest episode number of the account's track (0 when it never was in collections)."""
    episodes = session.scalars(
        select(tables.collections_case.c.episode).where(
            tables.collections_case.c.account_id == account_id, tables.collections_case.c.track == track
        )
    )
    return max(episodes, default=0)


def pending_activities(session: Session, account_id: int, statuses: Collection[str]) -> list[ActivityRow]:
    """The account's activities in ``statuses``, by due date, locked for update."""
    return list(
        session.scalars(
            select(ActivityRow)
            .where(tables.activity.c.account_id == account_id, tables.activity.c.status.in_(sorted(statuses)))
            .order_by(tables.activity.c.due_date, tables.activity.c.id)
            .with_for_update()
        )
    )


def activity_for_update(session: Session, activity_id: int) -> ActivityRow | None:
    """The activity ``activity_id``, locked for update; None when there is none."""
    return session.get(ActivityRow, activity_id, with_for_update=True)


def add_activity(session: Session, row: ActivityRow) -> int:
    """Insert a new activity; return its id."""
    session.add(row)
    session.flush()
    return row.id


def active_plans(session: Session, account_id: int) -> list[PaymentPlanRow]:
    """The account's active payment plans (its promises to pay)."""
    plan = tables.payment_plan.c
    return list(session.scalars(select(PaymentPlanRow).where(plan.account_id == account_id, plan.active.is_(True))))


def add_note(session: Session, account_id: int, on: date, text: str, author: str, scope: str = "account") -> int:
    """Write a note on the account; return its id."""
    row = NoteRow(account_id=account_id, on=on, scope=scope, note_type="collections", text=text, author=author)
    session.add(row)
    session.flush()
    return row.id


def add_history(session: Session, account_id: int, on: date, event: str, detail: str) -> None:
    """Add a line to the account's collections history (a manual event: its key is unique by construction)."""
    session.add(
        HistoryRow(key=f"{account_id}/manual/{event}/{uuid.uuid4().hex}", account_id=account_id, on=on,
                   event=event, detail=detail)
    )  # fmt: skip


ACCOUNT_COLUMNS = frozenset({"mode", "status_code", "opened_date", "closed_date"})
"""Columns of the account itself that an import may update (the rest are its guarantor's)."""


def update_imported_accounts(
    connection: Connection, changes: Sequence[tuple[str, Mapping[str, Any]]], *, actor: str, at: datetime
) -> None:
    """Write the changed fields of accounts updated by an import: ``(external id, {column: (before, after)})``
    where a column is an account column (:data:`ACCOUNT_COLUMNS`), a guarantor column, or ``phone`` /
    ``phone_type`` (the guarantor's first phone; an empty number removes it). One audit row per field."""
    accounts, parties, phones = tables.account, tables.party, tables.phone
    audit = tables.audit
    audit_rows = []
    for external_id, fields in changes:
        account_id, party_id = connection.execute(
            select(accounts.c.id, accounts.c.guarantor_id).where(accounts.c.external_id == external_id)
        ).one()
        own = {name: after for name, (_, after) in fields.items() if name in ACCOUNT_COLUMNS}
        party = {name: after for name, (_, after) in fields.items()
                 if name not in ACCOUNT_COLUMNS and name not in ("phone", "phone_type")}  # fmt: skip
        if own:
            connection.execute(update(accounts).where(accounts.c.id == account_id).values(**own))
        if party:
            connection.execute(update(parties).where(parties.c.id == party_id).values(**party))
        if "phone" in fields or "phone_type" in fields:
            first = connection.execute(
                select(phones.c.id, phones.c.number, phones.c.type)
                .where(phones.c.party_id == party_id)
                .order_by(phones.c.id)
                .limit(1)
            ).first()
            number = fields["phone"][1] if "phone" in fields else (first.number if first else None)
            kind = fields["phone_type"][1] if "phone_type" in fields else (first.type if first else "home")
            if not number:
                if first is not None:
                    connection.execute(delete(phones).where(phones.c.id == first.id))
            elif first is None:
                connection.execute(insert(phones).values(party_id=party_id, number=number, type=kind or "home"))
            else:
                connection.execute(
                    update(phones).where(phones.c.id == first.id).values(number=number, type=kind or first.type)
                )
        for name, (before, after) in fields.items():
            audit_rows.append({
                "at": at, "actor": actor, "entity": "account", "entity_key": external_id, "action": "imported",
                "before": json.dumps({name: _plain(before)}), "after": json.dumps({name: _plain(after)}),
            })  # fmt: skip
    if audit_rows:
        connection.execute(insert(audit), audit_rows)


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date | datetime) else value
