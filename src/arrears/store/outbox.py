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
from arrears.store import tables
from arrears.store.bulk import insert_ignore

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
    letter, activity = tables.letter.c, tables.activity.c
    rows = connection.execute(
        select(
            letter.id, letter.key, letter.account_id, tables.account.c.guarantor_id, letter.channel,
            letter.template, letter.queued_on, letter.merge_data, tables.party.c.email,
        )
        .join(tables.account, tables.account.c.id == letter.account_id)
        .join(tables.party, tables.party.c.id == tables.account.c.guarantor_id)
        .where(letter.channel.in_(MESSAGE_CHANNELS), letter.status == "queued")
        .order_by(letter.id)
    ).all()  # fmt: skip
    if not rows:
        return []
    party_ids = sorted({row.guarantor_id for row in rows})
    mobiles: dict[int, str] = {}
    for party_id, number in connection.execute(
        select(tables.phone.c.party_id, tables.phone.c.number)
        .where(tables.phone.c.party_id.in_(party_ids), tables.phone.c.type == "mobile")
        .order_by(tables.phone.c.id)
    ):
        mobiles.setdefault(party_id, number)
    keys = [activity_key(row.key) for row in rows]
    actions = dict(
        connection.execute(select(activity.key, activity.action).where(activity.key.in_(keys))).all()
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
    insert_ignore(connection, tables.outbox, list(messages), ["key"])
    insert_ignore(connection, tables.letter, list(letters), ["key"])
    for start in range(0, len(moved), 500):
        batch = moved[start : start + 500]
        connection.execute(update(tables.letter).where(tables.letter.c.id.in_(batch)).values(status=MOVED))


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


_COLUMNS = (tables.outbox.c.id, tables.outbox.c.key, tables.outbox.c.party_id, tables.outbox.c.channel,
            tables.outbox.c.recipient, tables.outbox.c.subject, tables.outbox.c.body, tables.outbox.c.status,
            tables.outbox.c.attempts)  # fmt: skip


def due_messages(connection: Connection, now: datetime, limit: int, stale: timedelta) -> list[OutboxMessage]:
    """Messages to work on now: queued ones whose next attempt is due, and attempts started more than ``stale``
    ago and never recorded (a crash interrupted them; a younger one may still be under way elsewhere)."""
    outbox = tables.outbox.c
    rows = connection.execute(
        select(*_COLUMNS)
        .where(
            ((outbox.status == OutboxStatus.QUEUED.value) & (outbox.next_attempt_at <= now))
            | ((outbox.status == OutboxStatus.SENDING.value) & (outbox.last_attempt_at <= now - stale))
        )
        .order_by(outbox.next_attempt_at, outbox.id)
        .limit(limit)
    )
    return [OutboxMessage(*row) for row in rows]


def claim(connection: Connection, message_id: int, status: str, now: datetime) -> bool:
    """Start an attempt: the message becomes ``sending`` with one more attempt, if it is still ``status``."""
    result = connection.execute(
        update(tables.outbox)
        .where(tables.outbox.c.id == message_id, tables.outbox.c.status == status)
        .values(status=OutboxStatus.SENDING.value, attempts=tables.outbox.c.attempts + 1, last_attempt_at=now)
    )
    return bool(result.rowcount)


def record(connection: Connection, message_id: int, **values: Any) -> None:
    """Write the outcome of an attempt (status, next attempt, error, provider id, sent moment)."""
    connection.execute(update(tables.outbox).where(tables.outbox.c.id == message_id).values(**values))


def stops_of(connection: Connection, party_ids: Iterable[int]) -> dict[tuple[int, str], frozenset[StopReason]]:
    """The stopped channels of ``party_ids``: (party, channel) → the reasons recorded."""
    found: dict[tuple[int, str], set[StopReason]] = defaultdict(set)
    ids = sorted(set(party_ids))
    for start in range(0, len(ids), 500):
        for party_id, channel, reason in connection.execute(
            select(tables.channel_stop.c.party_id, tables.channel_stop.c.channel, tables.channel_stop.c.reason).where(
                tables.channel_stop.c.party_id.in_(ids[start : start + 500])
            )
        ):
            found[(party_id, channel)].add(StopReason(reason))
    return {key: frozenset(reasons) for key, reasons in found.items()}


def add_stop(connection: Connection, party_id: int, channel: str, reason: StopReason, on: date, source: str) -> None:
    """Stop ``channel`` for the party (once per reason)."""
    insert_ignore(connection, tables.channel_stop, [
        {"party_id": party_id, "channel": channel, "reason": reason.value, "on": on, "source": source[:200]}
    ], ["party_id", "channel", "reason"])  # fmt: skip


def message_by_provider_id(connection: Connection, provider_message_id: str) -> tuple[int, int, str] | None:
    """(outbox id, party, channel) of the message the provider knows as ``provider_message_id``."""
    row = connection.execute(
        select(tables.outbox.c.id, tables.outbox.c.party_id, tables.outbox.c.channel).where(
            tables.outbox.c.provider_message_id == provider_message_id
        )
    ).first()
    return None if row is None else (row[0], row[1], row[2])


def party_of_account(connection: Connection, external_id: str) -> int | None:
    """The guarantor of the account ``external_id``."""
    account = tables.account.c
    party: int | None = connection.scalar(select(account.guarantor_id).where(account.external_id == external_id))
    return party


def parties_with_mobile(connection: Connection, number: str) -> list[int]:
    """The parties whose mobile phone is ``number``."""
    return list(connection.scalars(select(tables.phone.c.party_id).where(tables.phone.c.number == number).distinct()))


def outbox_counts(connection: Connection) -> dict[tuple[str, str], int]:
    """(channel, status) → how many messages."""
    outbox = tables.outbox.c
    query = select(outbox.channel, outbox.status, func.count()).group_by(outbox.channel, outbox.status)
    return {(channel, status): count for channel, status, count in connection.execute(query)}
