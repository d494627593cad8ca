"""What decisions do to the world, as typed, frozen values.

The engine returns these; the run's writer dispatches on them with ``match`` and ``assert_never``, so an
effect kind without a writer is a type error rather than a silently dropped row. Every effect carries the
idempotency key of the activity (or fact) that caused it: writing it twice changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class Channel(StrEnum):
    """How a message reaches the party."""

    LETTER = "letter"
    EMAIL = "email"
    SMS = "sms"


class PostingKind(StrEnum):
    """Ledger lines the engine may post (a subset of the ledger's kinds)."""

    FEE = "fee"
    PENALTY = "penalty"
    DEPOSIT = "deposit"
    CHARGE = "charge"


@dataclass(frozen=True, slots=True)
class Message:
    """A letter, e-mail or SMS from a template, queued with the account's merge data of that day."""

    key: str
    channel: Channel
    template: str
    addressee: str = ""
    """The representative it is addressed to (``attorney``, ``estate_representative``); empty: the party."""


@dataclass(frozen=True, slots=True)
class Note:
    """A collection action note; ``to_account`` also shows it as an account note (seed 003). Without
    ``collection_action`` it is the account note alone (the record of an automatic activity, which is
    itself the collection action's record)."""

    key: str
    text: str
    to_account: bool = False
    collection_action: bool = True


@dataclass(frozen=True, slots=True)
class Posting:
    """A ledger line posted on the account (a fee, a penalty, a deposit demand, a one-off charge)."""

    key: str
    kind: PostingKind
    amount_cents: int
    description: str


@dataclass(frozen=True, slots=True)
class StatusChange:
    """The account's status code becomes ``status_code``."""

    key: str
    status_code: str


@dataclass(frozen=True, slots=True)
class ModeChange:
    """The account's mode becomes ``mode`` (``active`` or ``closed``)."""

    key: str
    mode: str


@dataclass(frozen=True, slots=True)
class Referral:
    """The account is placed with an outside agency (external collections)."""

    key: str
    agency: str


@dataclass(frozen=True, slots=True)
class Alert:
    """An alert shown on the account and its worklist rows until cleared."""

    key: str
    text: str


@dataclass(frozen=True, slots=True)
class ServiceRequest:
    """A request of a type for a collector or group to act on."""

    key: str
    text: str
    assignee: str


@dataclass(frozen=True, slots=True)
class CreditPoints:
    """Credit-rating points added to the account's primary party (more points, worse rating; seed 004)."""

    key: str
    points: int


@dataclass(frozen=True, slots=True)
class CreditReport:
    """The account is reported to the credit bureaus with its balance of the day (the release gate allowed it:
    the party was spoken to or written to long enough ago, the medical-debt and 501(r) limits are met)."""

    key: str
    balance_cents: int


@dataclass(frozen=True, slots=True)
class PlanRun:
    """A contact plan is to run on the account (its events are scheduled by the plan's own pass)."""

    key: str
    plan: str


@dataclass(frozen=True, slots=True)
class OperatorAssignment:
    """The account is assigned to ``operator`` (a collector or group): its open collections case takes it."""

    key: str
    operator: str


@dataclass(frozen=True, slots=True)
class CommissionRate:
    """The account's commission rate becomes ``basis_points`` (1250 is 12.5%)."""

    key: str
    basis_points: int


@dataclass(frozen=True, slots=True)
class StatementHold:
    """The account's billing statements are held (``True``) or released (``False``)."""

    key: str
    hold: bool


@dataclass(frozen=True, slots=True)
class PromiseMade:
    """A plan's promise event made a promise to pay (``key``: its contact's key, so a replay makes none)."""

    key: str
    amount_cents: int
    due: date
    repeat: str | None
    """A repeat period of the plans (``monthly`` …), or None."""
    grace_days: int
    advance: bool
    collector: str


@dataclass(frozen=True, slots=True)
class PromiseUpdate:
    """A promise judged today: its new state, written only over the state it was judged from (``was``: status,
    installment, paid), the payments counted toward it and the counted payments reversed."""

    key: str
    promise_id: int
    status: str
    installment: int
    paid_cents: int
    due: date
    ended: bool
    """Kept for good, broken or completed (its end day is written; a reopened promise's is cleared)."""
    was: tuple[str, int, int]
    counted: tuple[tuple[int, int, int], ...] = ()
    """(ledger line, cents, installment) of each payment counted today."""
    reversed_lines: tuple[int, ...] = ()
    ended_by: str = ""
    """What ended it without a verdict: ``close`` (the account's closing: reopening it revives the promise),
    ``plan`` (a plan's delete all pending contacts); empty when judged."""


ENDED_BY_CLOSE, ENDED_BY_PLAN = "close", "plan"


Effect = (
    Message
    | Note
    | Posting
    | StatusChange
    | ModeChange
    | Referral
    | Alert
    | ServiceRequest
    | CreditPoints
    | CreditReport
    | PlanRun
    | OperatorAssignment
    | CommissionRate
    | StatementHold
    | PromiseMade
    | PromiseUpdate
)
"""Every effect a decision can have."""
