"""Compliance use cases: the contact facts the release gate reads, and recording a call attempt with the rule
it broke, if any, at the moment it was made."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime, time

from arrears.domain.compliance import Allow, ContactFacts, Outbound, OutboundChannel, Redirect
from arrears.domain.compliance_rules import CompliancePolicy
from arrears.domain.errors import Problem
from arrears.domain.strategy import Strategy
from arrears.store.compliance import add_call_attempt, read_contact_facts
from arrears.store.db import Connection


def facts_for(
    connection: Connection, strategy: Strategy, account_ids: Sequence[int], as_of: date
) -> dict[int, ContactFacts]:
    """The contact facts of ``account_ids`` on ``as_of`` (what the release gate reads)."""
    templates = {template.code: template.flags() for template in strategy.letters}
    return read_contact_facts(connection, account_ids, as_of, templates, strategy.compliance.lookback_days())


def guarded_facts(
    connection: Connection, strategy: Strategy, accounts: Mapping[int, str], as_of: date
) -> dict[int, ContactFacts]:
    """The contact facts of the ``accounts`` (id → portfolio code) whose portfolio has a compliance rule in
    force: a portfolio with every rule switched off reads nothing."""
    policy = strategy.compliance
    guarded = [account for account, portfolio in accounts.items() if policy.rules(portfolio).guards]
    return facts_for(connection, strategy, guarded, as_of) if guarded else {}


def outcome_problems(policy: CompliancePolicy, outcome: str) -> list[Problem]:
    """A call's outcome must be a configured code: each maps to the class the call rules count."""
    if policy.outcome_class(outcome) is not None:
        return []
    known = ", ".join(f"{code} ({cls.value.replace('_', ' ')})" for code, cls in policy.call_outcomes)
    return [Problem("outcome", f"is not a call outcome code (known: {known})", outcome)]


def record_call(
    connection: Connection,
    strategy: Strategy,
    *,
    account_id: int,
    portfolio: str,
    activity: tuple[int, str] | None,
    outcome: str,
    on: date,
    at: datetime | None,
    actor: str,
) -> str | None:
    """Record a call attempt (of ``activity``: id and key) made at ``at`` — noon of ``on`` in the party's zone
    when no time is given — and return every rule it broke when it was made ("R01: …; R03: …"), or None. A
    call that happened is recorded either way: the compliance report lists the breaches."""
    policy = strategy.compliance
    outcome_class = policy.outcome_class(outcome)
    if outcome_class is None:
        raise ValueError(f"call outcome {outcome!r} is not configured: check it with outcome_problems first")
    facts = facts_for(connection, strategy, [account_id], on)[account_id]
    request = Outbound(account_id, portfolio, OutboundChannel.PHONE, activity[1] if activity else "", on, None, "",
                       facts)  # fmt: skip
    moment = at or datetime.combine(on, time(12), tzinfo=request.moment().tzinfo)
    request = replace(request, at=moment, on=moment.astimezone(request.moment().tzinfo).date())
    verdicts = (rule(request) for rule in policy.rules(portfolio).rules)
    broken = [v for v in verdicts if not isinstance(v, Allow | Redirect)]
    breach = "; ".join(f"{v.rule}: {v.reason}" for v in broken) or None
    add_call_attempt(connection, account_id, activity[0] if activity else None, moment, outcome, outcome_class,
                     actor, breach)  # fmt: skip
    return breach
