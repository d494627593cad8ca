"""The release gate: every outbound activity passes one pure function before it is released.

An outbound activity is one that reaches the party or someone else about the debt: a letter, a phone call,
an e-mail, an SMS, a credit report, a referral (or any action that carries a collection letter). The gate
answers :class:`Allow`, :class:`Defer` until a moment, or :class:`Hold` with a rule id and a reason in words.

The rules are data: a :class:`RuleSet` is an ordered tuple of rules, each a pure function of the
:class:`Outbound` request. The first rule that does not allow decides; a hold outranks a deferral. The default
rule set is empty and allows everything; the compliance rules (holds, call caps, quiet hours …) fill it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum


class OutboundChannel(StrEnum):
    """How an outbound activity reaches someone."""

    LETTER = "letter"
    PHONE = "phone"
    EMAIL = "email"
    SMS = "sms"
    CREDIT_REPORT = "credit_report"
    REFERRAL = "referral"


@dataclass(frozen=True, slots=True)
class Outbound:
    """One activity asking to be released: what it is, for whom, and when."""

    account_id: int
    portfolio: str
    channel: OutboundChannel
    activity_key: str
    on: date
    """The run date (the day it would be released)."""
    at: datetime | None
    """The moment it would happen, timezone-aware, when it has a time."""
    time_zone: str
    """The party's IANA time zone."""


@dataclass(frozen=True, slots=True)
class Allow:
    """Release it now."""


@dataclass(frozen=True, slots=True)
class Defer:
    """Not now: release it at ``until`` (timezone-aware) at the earliest."""

    until: datetime
    rule: str
    reason: str


@dataclass(frozen=True, slots=True)
class Hold:
    """Not at all while the rule applies: the activity is held with the rule id and the reason."""

    rule: str
    reason: str


Verdict = Allow | Defer | Hold
Rule = Callable[[Outbound], Verdict]

ALLOW = Allow()


@dataclass(frozen=True, slots=True)
class RuleSet:
    """The compliance rules in force, in the order they are asked."""

    rules: tuple[Rule, ...] = ()


ALLOW_ALL = RuleSet()
"""No rule: every outbound activity is allowed."""


def release_gate(request: Outbound, rules: RuleSet = ALLOW_ALL) -> Verdict:
    """Ask every rule about ``request``: the first hold wins, else the latest deferral, else allow."""
    deferral: Defer | None = None
    for rule in rules.rules:
        verdict = rule(request)
        match verdict:
            case Hold():
                return verdict
            case Defer() if deferral is None or verdict.until > deferral.until:
                deferral = verdict
            case _:
                pass
    return deferral or ALLOW
