"""Repository of the outbox: queued e-mail and SMS messages to move in, attempts to claim and record, and the
channels stopped for a party. Nothing here commits; the service commits each step on its own."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, func, select, update

from arrears.domain.outbox import OutboxStatus, StopReason
from arrears.store.bulk import insert_ignore
from arrears.store.models import (
    AccountRow,
    ActivityRow,
    ChannelStopRow,
    LetterRow,
    OutboxRow,
    PartyRow,
    PhoneRow,
)

MESSAGE_CHANNELS = ("email", "sms")
MOVED = "outboxed"
"""The status of a queued e-mail or SMS once it is in the outbox."""


@dataclass(frozen=True, slots=True)
class QueuedMessage:
    """An e-mail or SMS the daily run queued, with what sending it needs."""

    id: int
    key: str
    account_id: int
    party_id: int
    channel: str
    template: str
    queued_on: date
    merge_data: str
    action: str | None
    email: str
    mobile: str


def queued_messages(connection: Connection) -> list[QueuedMessage]:
    """Every e-mail and SMS queued by the daily run and not yet in the outbox, by id."""
    rows = connection.execute(
        select(
            LetterRow.id, LetterRow.key, LetterRow.account_id, AccountRow.guarantor_id, LetterRow.channel,
            LetterRow.template, LetterRow.queued_on, LetterRow.merge_data, PartyRow.email,
        )
        .join(AccountRow, AccountRow.id == LetterRow.account_id)
        .join(PartyRow, PartyRow.id == AccountRow.guarantor_id)
        .where(LetterRow.channel.in_(MESSAGE_CHANNELS), LetterRow.status == "queued")
        .order_by(LetterRow.id)
    ).all()  # fmt: skip
    if not rows:
        return []
    party_ids = sorted({row.guarantor_id for row in rows})
    mobiles: dict[int, str] = {}
    for party_id, number in connection.execute(
        select(PhoneRow.party_id, PhoneRow.number)
        .where(PhoneRow.party_id.in_(party_ids), PhoneRow.type == "mobile")
        .order_by(PhoneRow.id)
    ):
        mobiles.setdefault(party_id, number)
    keys = [activity_key(row.key) for row in rows]
    actions = dict(
        connection.execute(select(ActivityRow.key, ActivityRow.action).where(ActivityRow.key.in_(keys))).all()
    )
    return [
        QueuedMessage(
            row.id,
            row.key,
            row.account_id,
            row.guarantor_id,
            row.channel,
            row.template,
            row.queued_on,
            row.merge_data,
            actions.get(activity_key(row.key)),
            row.email or "",
            mobiles.get(row.guarantor_id, ""),
        )
        for row in rows
    ]


def activity_key(message_key: str) -> str:
    """The activity that queued a message: its key is ``CHANNEL:`` and the activity's key."""
    return message_key.split(":", 1)[1] if ":" in message_key else message_key


def move_to_outbox(
    connection: Connection,
    moved: Sequence[int],
    messages: Sequence[Mapping[str, Any]],
    letters: Sequence[Mapping[str, Any]],
) -> None:
    """Put ``messages`` in the outbox and ``letters`` (fallbacks) in the print queue, both keyed, and mark the
    queued messages ``moved`` as in the outbox."""
    insert_ignore(connection, OutboxRow.__table__, list(messages), ["key"])
    insert_ignore(connection, LetterRow.__table__, list(letters), ["key"])
    for start in range(0, len(moved), 500):
        connection.execute(update(LetterRow).where(LetterRow.id.in_(moved[start : start + 500])).values(status=MOVED))


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    """One message of the outbox as stored."""

    id: int
    key: str
    party_id: int
    channel: str
    recipient: str
    subject: str
    body: str
    status: str
    attempts: int


_COLUMNS = (OutboxRow.id, OutboxRow.key, OutboxRow.party_id, OutboxRow.channel, OutboxRow.recipient,
            OutboxRow.subject, OutboxRow.body, OutboxRow.status, OutboxRow.attempts)  # fmt: skip


def due_messages(connection: Connection, now: datetime, limit: int, stale: timedelta) -> list[OutboxMessage]:
    """Messages to work on now: queued ones whose next attempt is due, and attempts started more than ``stale``
    ago and never recorded (a crash interrupted them; a younger one may still be under way elsewhere)."""
    rows = connection.execute(
        select(*_COLUMNS)
        .where(
            ((OutboxRow.status == OutboxStatus.QUEUED.value) & (OutboxRow.next_attempt_at <= now))
            | ((OutboxRow.status == OutboxStatus.SENDING.value) & (OutboxRow.last_attempt_at <= now - stale))
        )
        .order_by(OutboxRow.next_attempt_at, OutboxRow.id)
        .limit(limit)
    )
    return [OutboxMessage(*row) for row in rows]


def claim(connection: Connection, message_id: int, status: str, now: datetime) -> bool:
    """Start an attempt: the message becomes ``sending`` with one more attempt, if it is still ``status``."""
    result = connection.execute(
        update(OutboxRow)
        .where(OutboxRow.id == message_id, OutboxRow.status == status)
        .values(status=OutboxStatus.SENDING.value, attempts=OutboxRow.attempts + 1, last_attempt_at=now)
    )
    return bool(result.rowcount)


def record(connection: Connection, message_id: int, **values: Any) -> None:
    """Write the outcome of an attempt (status, next attempt, error, provider id, sent moment)."""
    connection.execute(update(OutboxRow).where(OutboxRow.id == message_id).values(**values))


def stops_of(connection: Connection, party_ids: Iterable[int]) -> dict[tuple[int, str], frozenset[StopReason]]:
    """The stopped channels of ``party_ids``: (party, channel) → the reasons recorded."""
    found: dict[tuple[int, str], set[StopReason]] = defaultdict(set)
    ids = sorted(set(party_ids))
    for start in range(0, len(ids), 500):
        for party_id, channel, reason in connection.execute(
            select(ChannelStopRow.party_id, ChannelStopRow.channel, ChannelStopRow.reason).where(
                ChannelStopRow.party_id.in_(ids[start : start + 500])
            )
        ):
            found[(party_id, channel)].add(StopReason(reason))
    return {key: frozenset(reasons) for key, reasons in found.items()}


def add_stop(connection: Connection, party_id: int, channel: str, reason: StopReason, on: date, source: str) -> None:
    """Stop ``channel`` for the party (once per reason)."""
    insert_ignore(connection, ChannelStopRow.__table__, [
        {"party_id": party_id, "channel": channel, "reason": reason.value, "on": on, "source": source[:200]}
    ], ["party_id", "channel", "reason"])  # fmt: skip


def message_by_provider_id(connection: Connection, provider_message_id: str) -> tuple[int, int, str] | None:
    """(outbox id, party, channel) of the message the provider knows as ``provider_message_id``."""
    row = connection.execute(
        select(OutboxRow.id, OutboxRow.party_id, OutboxRow.channel).where(
            OutboxRow.provider_message_id == provider_message_id
        )
    ).first()
    return None if row is None else (row[0], row[1], row[2])


def party_of_account(connection: Connection, external_id: str) -> int | None:
    """The guarantor of the account ``external_id``."""
    party: int | None = connection.scalar(select(AccountRow.guarantor_id).where(AccountRow.external_id == external_id))
    return party


def parties_with_mobile(connection: Connection, number: str) -> list[int]:
    """The parties whose mobile phone is ``number``."""
    return list(connection.scalars(select(PhoneRow.party_id).where(PhoneRow.number == number).distinct()))


def outbox_counts(connection: Connection) -> dict[tuple[str, str], int]:
    """(channel, status) → how many messages."""
    query = select(OutboxRow.channel, OutboxRow.status, func.count()).group_by(OutboxRow.channel, OutboxRow.status)
    return {(channel, status): count for channel, status, count in connection.execute(query)}
