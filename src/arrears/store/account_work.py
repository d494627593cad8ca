"""Repository of the day-to-day work on one account: its current cases, pending work, notes and history.

Every function works in the caller's session (one transaction per use case); rows that the caller changes
are locked for update where the database can lock them, so two collectors acting on the same account at
once are serialised instead of overwriting each other.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

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


def account_for_update(session: Session, external_id: str) -> AccountRow | None:
    """The account ``external_id``, locked for update; None when there is none."""
    return session.scalar(select(AccountRow).where(AccountRow.external_id == external_id).with_for_update())


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
            .where(CollectionsCaseRow.account_id == account_id, CollectionsCaseRow.is_current.is_(True))
            .order_by(CollectionsCaseRow.track)
            .with_for_update()
        )
    )


def open_case_new_episode(session: Session, row: CollectionsCaseRow) -> None:
    """Add ``row`` as the account's current episode of its track (the previous one stops being current)."""
    session.flush()
    for earlier in session.scalars(
        select(CollectionsCaseRow).where(
            CollectionsCaseRow.account_id == row.account_id,
            CollectionsCaseRow.track == row.track,
            CollectionsCaseRow.is_current.is_(True),
        )
    ):
        earlier.is_current = False
    session.flush()
    session.add(row)
    session.flush()


def last_episode(session: Session, account_id: int, track: str) -> int:
    """The highest episode number of the account's track (0 when it never was in collections)."""
    episodes = session.scalars(
        select(CollectionsCaseRow.episode).where(
            CollectionsCaseRow.account_id == account_id, CollectionsCaseRow.track == track
        )
    )
    return max(episodes, default=0)


def pending_activities(session: Session, account_id: int, statuses: Collection[str]) -> list[ActivityRow]:
    """The account's activities in ``statuses``, by due date, locked for update."""
    return list(
        session.scalars(
            select(ActivityRow)
            .where(ActivityRow.account_id == account_id, ActivityRow.status.in_(sorted(statuses)))
            .order_by(ActivityRow.due_date, ActivityRow.id)
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
    return list(
        session.scalars(
            select(PaymentPlanRow).where(PaymentPlanRow.account_id == account_id, PaymentPlanRow.active.is_(True))
        )
    )


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
