"""The outbox of e-mail and SMS: a message's states, when to try again, and what stops a channel for a party.

A message is queued, then sent (the provider accepted it), then delivered, or it fails (every attempt used, or
refused for good), or bounces (the address does not exist). A temporary failure waits before the next attempt:
exponential backoff (``base × factor^(attempt − 1)``, at most ``cap``) spread by a jitter derived from the
message's idempotency key, so retries after an outage do not all arrive at once yet a schedule can be
reproduced; a provider's ``Retry-After`` is a floor. An opt-out or a hard bounce recorded on the party stops the
channel for it.

Pure: no I/O.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final


class OutboxStatus(StrEnum):
    """Where an outbound e-mail or SMS stands."""

    QUEUED = "queued"
    SENDING = "sending"
    """An attempt is under way: the provider may have the message; a crash here is resolved by asking it."""
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"
    BOUNCED = "bounced"


FINAL: Final = frozenset({OutboxStatus.DELIVERED, OutboxStatus.FAILED, OutboxStatus.BOUNCED})
"""States nothing moves a message out of."""


class StopReason(StrEnum):
    """Why a channel is stopped for a party."""

    OPT_OUT = "opt_out"
    """A STOP reply, an unsubscribe, or the party's request recorded by a collector."""
    HARD_BOUNCE = "hard_bounce"
    """The address or number does not exist."""


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how long a temporary failure is retried."""

    max_attempts: int = 5
    base: timedelta = timedelta(minutes=1)
    factor: float = 2.0
    cap: timedelta = timedelta(hours=6)
    jitter: float = 0.2
    """The delay is spread by ±jitter (0.2: between 80 % and 120 % of the backoff)."""


RETRY: Final = RetryPolicy()


def _spread(key: str, attempt: int) -> float:
    """A number in [0, 1) fixed by the message and the attempt: the jitter, reproducible."""
    digest = hashlib.sha256(f"{key}:{attempt}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def backoff(attempt: int, key: str, policy: RetryPolicy = RETRY) -> timedelta:
    """The wait after failed attempt number ``attempt`` (1 for the first) of the message ``key``."""
    raw = policy.base.total_seconds() * policy.factor ** (attempt - 1)
    delay = min(raw, policy.cap.total_seconds())
    spread = 1 - policy.jitter + 2 * policy.jitter * _spread(key, attempt)
    return timedelta(seconds=round(delay * spread, 3))


@dataclass(frozen=True, slots=True)
class Retry:
    """Try again at ``at``."""

    at: datetime


@dataclass(frozen=True, slots=True)
class GiveUp:
    """Every attempt is used: the message failed."""

    reason: str


def after_temporary_failure(
    attempts: int,
    key: str,
    now: datetime,
    reason: str,
    retry_after: timedelta | None = None,
    policy: RetryPolicy = RETRY,
) -> Retry | GiveUp:
    """What follows a temporary failure of attempt number ``attempts``: another attempt after the backoff (and
    no sooner than the provider's ``retry_after``), or the end when ``policy.max_attempts`` are used."""
    if attempts >= policy.max_attempts:
        return GiveUp(f"{reason} (after {attempts} attempts)")
    wait = backoff(attempts, key, policy)
    if retry_after is not None and retry_after > wait:
        wait = retry_after
    return Retry(now + wait)


def stopped_by(stops: frozenset[StopReason]) -> str | None:
    """Why a channel with ``stops`` recorded for the party may not be used, or None when it may."""
    if StopReason.OPT_OUT in stops:
        return "the party opted out of this channel"
    if StopReason.HARD_BOUNCE in stops:
        return "an earlier message to this address bounced"
    return None


OPT_OUT_WORDS: Final = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"})
"""SMS replies that opt out (the carriers' standard keywords)."""


def is_opt_out_reply(text: str) -> bool:
    """Whether an SMS reply opts out: one of :data:`OPT_OUT_WORDS`, alone, in any case."""
    return text.strip().strip(".!").upper() in OPT_OUT_WORDS


SMS_OPT_OUT: Final = "Reply STOP to opt out."


def with_sms_opt_out(text: str) -> str:
    """The SMS text with its opt-out line (added once)."""
    body = text.strip()
    return body if "STOP" in body.upper() else f"{body} {SMS_OPT_OUT}"
