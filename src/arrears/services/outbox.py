"""The outbox of e-mail and SMS: moving the run's queued messages in, sending what is due, and recording
deliveries, bounces and opt-outs.

``send_outbox`` is what ``arrears outbox send`` (and later the server's scheduler) runs; it never runs inside the
daily run's transaction. Each message is rendered when it enters the outbox, with the merge data recorded when
it was queued. An attempt is claimed and committed (``sending``) before the provider is called and its outcome
committed after, so a crash between the two is found on the next call and resolved by the sent-before check:
the provider is asked for the message's idempotency key (an SMS provider knows it; SMTP cannot tell, so the
e-mail counts as sent rather than risk a second one). A party without an e-mail address (or mobile phone) gets
the action's ``fallback_letter`` instead, queued for the next print batch; an opt-out or a hard bounce on the
party stops the channel before anything is sent.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from arrears.domain.errors import NotFound, Problem, ValidationFailed
from arrears.domain.outbox import (
    RETRY,
    GiveUp,
    OutboxStatus,
    RetryPolicy,
    StopReason,
    after_temporary_failure,
    is_opt_out_reply,
    stopped_by,
    with_sms_opt_out,
)
from arrears.domain.strategy import LetterTemplate, Strategy
from arrears.letters.channels import (
    Channel,
    HttpSmsChannel,
    OutboundMessage,
    Permanent,
    Sent,
    SmsSettings,
    SmtpChannel,
    SmtpSettings,
    Temporary,
)
from arrears.letters.records import merge_data_from_record
from arrears.letters.render import LetterError, letter_context, render_letter
from arrears.services.stored_strategy import load_strategy
from arrears.store.db import Database
from arrears.store.outbox import (
    OutboxMessage,
    QueuedMessage,
    activity_key,
    add_stop,
    claim,
    due_messages,
    message_by_provider_id,
    move_to_outbox,
    outbox_counts,
    parties_with_mobile,
    party_of_account,
    queued_messages,
    record,
    stops_of,
)
from arrears.store.uow import UnitOfWork

CHANNELS = ("email", "sms")
INTERRUPTED_AFTER = timedelta(minutes=5)
"""An attempt still ``sending`` this long after it started was interrupted (a send takes at most the
channel's timeout, seconds): the sent-before check resolves it."""


@dataclass(frozen=True, slots=True)
class OutboxRun:
    """What one ``send_outbox`` did: messages moved in, fallback letters queued, attempts by outcome."""

    moved_in: int
    fallback_letters: int
    outcomes: Mapping[str, int]


def _fallback(strategy: Strategy, message: QueuedMessage) -> str | None:
    action = next((a for a in strategy.actions if a.name == message.action), None)
    return None if action is None else action.params.fallback_letter


def _outbox_row(message: QueuedMessage, strategy: Strategy, now: datetime) -> dict[str, Any]:
    recipient = message.email if message.channel == "email" else message.mobile
    row: dict[str, Any] = {
        "key": message.key, "account_id": message.account_id, "party_id": message.party_id,
        "channel": message.channel, "template": message.template, "recipient": recipient, "subject": "", "body": "",
        "status": OutboxStatus.QUEUED.value, "attempts": 0, "next_attempt_at": now, "last_attempt_at": None,
        "last_error": None, "provider_message_id": None, "queued_on": message.queued_on, "sent_at": None,
    }  # fmt: skip
    template: LetterTemplate | None = strategy.letter(message.template)
    try:
        if template is None:
            raise LetterError(f"no letter template '{message.template}'")
        data = merge_data_from_record(json.loads(message.merge_data))
        rendered = render_letter(template, letter_context(data, template))
    except LetterError as error:
        return {**row, "status": OutboxStatus.FAILED.value, "next_attempt_at": None, "last_error": str(error)}
    body = with_sms_opt_out(rendered.body) if message.channel == "sms" else rendered.body
    row.update(subject=rendered.subject, body=body)
    if not recipient:
        what = "e-mail address" if message.channel == "email" else "mobile phone"
        return {**row, "status": OutboxStatus.FAILED.value, "next_attempt_at": None,
                "last_error": f"the party has no {what}"}  # fmt: skip
    return row


def move_in(db: Database, now: datetime, strategy: Strategy | None = None) -> tuple[int, int]:
    """Move every e-mail and SMS the daily run queued into the outbox, rendered (a party without an address
    gets the action's fallback letter); returns (messages moved, fallback letters queued). One transaction."""
    strategy = strategy or load_strategy(db)
    with UnitOfWork(db) as uow:
        connection = uow.session.connection()
        messages = queued_messages(connection)
        rows, letters = [], []
        for message in messages:
            row = _outbox_row(message, strategy, now)
            fallback = _fallback(strategy, message)
            if not row["recipient"] and fallback:
                letters.append({"key": f"letter:{activity_key(message.key)}#fallback", "account_id": message.account_id,
                                "template": fallback, "channel": "letter", "queued_on": now.date(),
                                "merge_data": message.merge_data, "status": "queued", "addressee": ""})  # fmt: skip
                row["last_error"] = f"{row['last_error']}: letter {fallback} queued instead"
            rows.append(row)
        move_to_outbox(connection, [m.id for m in messages], rows, letters)
        uow.commit()
    return len(messages), len(letters)


def _attempt(db: Database, message: OutboxMessage, channel: Channel, now: datetime, policy: RetryPolicy) -> str:
    """One message: the stop check, the sent-before check of an interrupted attempt, then one attempt."""
    with UnitOfWork(db) as uow:
        connection = uow.session.connection()
        why = stopped_by(stops_of(connection, [message.party_id]).get((message.party_id, message.channel),
                                                                      frozenset()))  # fmt: skip
        if why is not None:
            record(connection, message.id, status=OutboxStatus.FAILED.value, next_attempt_at=None, last_error=why)
            uow.commit()
            return "stopped"
        if message.status == OutboxStatus.SENDING.value:
            known = channel.already_sent(message.key)
            if known is not None:
                provider_id = known.provider_message_id if isinstance(known, Sent) else None
                error = None if isinstance(known, Sent) else "unconfirmed: an attempt was interrupted; not sent again"
                record(connection, message.id, status=OutboxStatus.SENT.value, next_attempt_at=None,
                       provider_message_id=provider_id, sent_at=now, last_error=error)  # fmt: skip
                uow.commit()
                return "sent before"
        if not claim(connection, message.id, message.status, now):
            return "taken"  # another sender has it
        uow.commit()
    outbound = OutboundMessage(message.key, message.recipient, message.subject, message.body,
                               html=message.channel == "email" and message.body.lstrip().startswith("<"))  # fmt: skip
    result = channel.send(outbound)
    attempts = message.attempts + 1
    with UnitOfWork(db) as uow:
        connection = uow.session.connection()
        match result:
            case Sent():
                record(connection, message.id, status=OutboxStatus.SENT.value, next_attempt_at=None,
                       provider_message_id=result.provider_message_id, sent_at=now, last_error=None)  # fmt: skip
                outcome = "sent"
            case Temporary():
                after = after_temporary_failure(attempts, message.key, now, result.reason, result.retry_after, policy)
                if isinstance(after, GiveUp):
                    record(connection, message.id, status=OutboxStatus.FAILED.value, next_attempt_at=None,
                           last_error=after.reason)  # fmt: skip
                    outcome = "failed"
                else:
                    record(connection, message.id, status=OutboxStatus.QUEUED.value, next_attempt_at=after.at,
                           last_error=result.reason)  # fmt: skip
                    outcome = "retry"
            case Permanent():
                status = OutboxStatus.BOUNCED if result.bounced else OutboxStatus.FAILED
                record(connection, message.id, status=status.value, next_attempt_at=None, last_error=result.reason)
                if result.bounced:
                    add_stop(connection, message.party_id, message.channel, StopReason.HARD_BOUNCE, now.date(),
                             f"{message.key}: {result.reason}")  # fmt: skip
                outcome = status.value
        uow.commit()
    return outcome


def send_outbox(
    db: Database,
    channels: Mapping[str, Channel],
    now: datetime,
    *,
    limit: int = 1000,
    policy: RetryPolicy = RETRY,
) -> OutboxRun:
    """Move the queued messages in, then send every due message of a configured channel (``channels``:
    ``email`` / ``sms`` → its channel) once; a channel without settings keeps its messages queued."""
    moved, fallbacks = move_in(db, now)
    with db.engine.connect() as connection:
        due = due_messages(connection, now, limit, INTERRUPTED_AFTER)
    outcomes: Counter[str] = Counter()
    for message in due:
        channel = channels.get(message.channel)
        if channel is None:
            outcomes["waiting (channel not configured)"] += 1
            continue
        outcomes[_attempt(db, message, channel, now, policy)] += 1
    return OutboxRun(moved, fallbacks, dict(outcomes))


def channels_from_environment(env: Mapping[str, str]) -> dict[str, Channel]:
    """The channels configured in ``env`` (see :mod:`arrears.letters.channels`): ``email`` when an SMTP host is
    set, ``sms`` when a provider URL is; a bad setting is a :class:`ValidationFailed` naming the variable."""
    channels: dict[str, Channel] = {}
    try:
        smtp, sms = SmtpSettings.from_environment(env), SmsSettings.from_environment(env)
    except ValueError as error:
        raise ValidationFailed([Problem("environment", str(error))]) from error
    if smtp is not None:
        channels["email"] = SmtpChannel(smtp)
    if sms is not None:
        channels["sms"] = HttpSmsChannel(sms)
    return channels


def record_delivery(db: Database, provider_message_id: str, status: str, on: date, detail: str = "") -> None:
    """A provider's report on a sent message: ``delivered`` or ``bounced`` (a bounce stops the channel)."""
    if status not in (OutboxStatus.DELIVERED.value, OutboxStatus.BOUNCED.value):
        raise ValidationFailed([Problem("status", "must be delivered or bounced", status)])
    with UnitOfWork(db) as uow:
        connection = uow.session.connection()
        found = message_by_provider_id(connection, provider_message_id)
        if found is None:
            raise NotFound(f"no message with provider id {provider_message_id!r}")
        message_id, party_id, channel = found
        record(connection, message_id, status=status, last_error=detail or None)
        if status == OutboxStatus.BOUNCED.value:
            add_stop(connection, party_id, channel, StopReason.HARD_BOUNCE, on, f"{provider_message_id}: {detail}")
        uow.commit()


def record_opt_out(db: Database, account_external_id: str, channel: str, on: date, source: str) -> None:
    """The guarantor of an account opts out of ``channel`` (an unsubscribe, or a request taken by a collector)."""
    if channel not in CHANNELS:
        raise ValidationFailed([Problem("channel", "must be email or sms", channel)])
    with UnitOfWork(db) as uow:
        connection = uow.session.connection()
        party = party_of_account(connection, account_external_id)
        if party is None:
            raise NotFound(f"no account {account_external_id!r}")
        add_stop(connection, party, channel, StopReason.OPT_OUT, on, source)
        uow.commit()


def record_sms_reply(db: Database, number: str, text: str, on: date) -> int:
    """An SMS reply from ``number``: STOP (and the other opt-out words) stops SMS for every party with that
    mobile number; returns how many parties opted out."""
    if not is_opt_out_reply(text):
        return 0
    with UnitOfWork(db) as uow:
        connection = uow.session.connection()
        parties = parties_with_mobile(connection, number)
        for party in parties:
            add_stop(connection, party, "sms", StopReason.OPT_OUT, on, f"reply {text.strip()[:20]!r} from {number}")
        uow.commit()
    return len(parties)


def outbox_summary(db: Database) -> dict[tuple[str, str], int]:
    """How many messages per (channel, status)."""
    with db.engine.connect() as connection:
        return outbox_counts(connection)
