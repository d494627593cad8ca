"""Compliance use cases: the contact facts the release gate reads, recording a call attempt with the rule it
broke, if any, at the moment it was made, and the compliance report of a period."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time
from typing import Any

from arrears.domain.cases import Track
from arrears.domain.compliance import (
    Allow,
    ContactFacts,
    Defer,
    Hold,
    LetterFlags,
    Outbound,
    OutboundChannel,
    Redirect,
    release_gate,
    zone_info,
)
from arrears.domain.compliance_rules import CompliancePolicy
from arrears.domain.errors import Problem, ValidationFailed
from arrears.domain.strategy import Strategy
from arrears.services.stored_strategy import load_strategy
from arrears.store.compliance import (
    EngineContact,
    add_call_attempt,
    add_history_line,
    call_records,
    engine_contacts,
    gate_counts,
    read_contact_facts,
)
from arrears.store.db import Connection, Database


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
    """An activity's outcome must be a configured outcome code (free text is refused): each maps to the class
    the call rules count."""
    if policy.outcome_class(outcome) is not None:
        return []
    known = ", ".join(f"{o.code} ({o.outcome_class.value.replace('_', ' ')})" for o in policy.call_outcomes)
    return [Problem("outcome", f"is not an outcome code (known: {known})", outcome)]


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
    local_time: time | None = None,
) -> str | None:
    """Record a call attempt (of ``activity``: id and key) made at ``at`` — else at ``local_time`` of ``on`` in
    the party's zone, noon when neither is given — and return every rule it broke when it was made ("R01: …;
    R03: …"), or None. A call that happened is recorded either way (a record refused would hide the breach, and
    every call must be kept, 12 CFR 1006.100): the breach is stored with it and the compliance report lists it."""
    policy = strategy.compliance
    outcome_class = policy.outcome_class(outcome)
    if outcome_class is None:
        raise ValueError(f"call outcome {outcome!r} is not configured: check it with outcome_problems first")
    facts = facts_for(connection, strategy, [account_id], on)[account_id]
    request = Outbound(account_id, portfolio, OutboundChannel.PHONE, activity[1] if activity else "", on, None, "",
                       facts)  # fmt: skip
    moment = at or datetime.combine(on, local_time or time(12), tzinfo=request.moment().tzinfo)
    request = replace(request, at=moment, on=moment.astimezone(request.moment().tzinfo).date())
    verdicts = (rule(request) for rule in policy.rules(portfolio).rules)
    broken = [v for v in verdicts if not isinstance(v, Allow | Redirect)]
    breach = "; ".join(f"{v.rule}: {v.reason}" for v in broken) or None
    add_call_attempt(connection, account_id, activity[0] if activity else None, moment, outcome, outcome_class,
                     actor, breach)  # fmt: skip
    if breach is not None:  # on the account's page and in explain, not only in the report
        local = moment.astimezone(request.moment().tzinfo)
        add_history_line(connection, account_id, f"{account_id}/call-breach/{moment.astimezone(UTC).isoformat()}",
                         local.date(), "call-breach", f"call {outcome} at {local:%H:%M %Z} by {actor} broke: {breach}")
    return breach


# ------------------------------------------------------------------------------------------- the report

LETTER_CHANNELS = frozenset({OutboundChannel.LETTER, OutboundChannel.EMAIL, OutboundChannel.SMS})
"""The channels whose contact carries a template (a referral or a credit report carries none)."""
DATED_FLAGS = (("bankruptcy", "bankruptcy_filed"), ("deceased", "deceased_notified"),
               ("cease_communication", "cease_requested"))  # fmt: skip
"""Flags with the day they took effect: a contact made before that day did not break the flag's rule."""


def facts_on(facts: ContactFacts, day: date) -> ContactFacts:
    """``facts`` as they stood on ``day`` as far as the dates tell: a flag dated after ``day`` was not yet
    in force, nor a dispute made after it."""
    changes: dict[str, object] = {
        flag: False for flag, since in DATED_FLAGS if (when := getattr(facts, since)) is not None and when > day
    }
    if facts.disputed_on is not None and facts.disputed_on > day:
        changes["disputed_on"] = None
    return replace(facts, **changes) if changes else facts  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class Breach:
    """A contact made in breach of a rule: by the engine (which must never happen) or by a collector."""

    on: date
    portfolio: str
    account: str
    channel: str
    made_by: str
    """``engine`` or the collector who recorded the call."""
    rule: str
    reason: str


@dataclass(slots=True)
class PortfolioFigures:
    """One portfolio's figures of the period."""

    contacts: Counter[str] = field(default_factory=Counter)
    """Contacts made, per channel (letters, e-mail, SMS, referrals and credit reports by the run; calls by
    collectors)."""
    held: Counter[str] = field(default_factory=Counter)
    deferred: Counter[str] = field(default_factory=Counter)
    redirected: Counter[str] = field(default_factory=Counter)
    """Per rule id."""


@dataclass(slots=True)
class ComplianceReport:
    """Contacts made, held and deferred per rule and portfolio from ``first`` to ``last``, and every contact
    made in breach of a rule."""

    first: date
    last: date
    portfolios: dict[str, PortfolioFigures] = field(default_factory=dict)
    breaches: list[Breach] = field(default_factory=list)

    @property
    def engine_breaches(self) -> int:
        """Contacts the engine made in breach (zero, or the engine has a bug)."""
        return sum(1 for b in self.breaches if b.made_by == "engine")

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready view."""
        return {
            "from": self.first.isoformat(),
            "to": self.last.isoformat(),
            "portfolios": {
                code: {name: dict(sorted(getattr(f, name).items())) for name in PortfolioFigures.__slots__}
                for code, f in sorted(self.portfolios.items())
            },
            "engine_breaches": self.engine_breaches,
            "manual_breaches": len(self.breaches) - self.engine_breaches,
            "breaches": [{name: getattr(b, name) for name in Breach.__slots__} for b in self.breaches],
        }


def _guarantor_work(contact: EngineContact) -> bool:
    """False for a letter of the insurance track: the activity key after the letter's ``channel:``
    (``account/track/episode/…``) names the track."""
    if OutboundChannel(contact.channel) not in LETTER_CHANNELS:
        return True
    return contact.key.split(":", 1)[-1].split("/")[1:2] != [Track.INSURANCE.value]


def _recheck(connection: Connection, strategy: Strategy, contacts: Sequence[EngineContact]) -> list[Breach]:
    """Ask the release gate again about every contact the engine made, with the facts of its day: a contact
    the gate would not have released as it went out is a breach."""
    templates = {template.code: template.flags() for template in strategy.letters}
    by_day: dict[date, list[EngineContact]] = {}
    for contact in contacts:
        by_day.setdefault(contact.on, []).append(contact)
    found: list[Breach] = []
    for day, made in sorted(by_day.items()):
        facts = facts_for(connection, strategy, sorted({c.account_id for c in made}), day)
        for contact in made:
            channel = OutboundChannel(contact.channel)
            letter = templates.get(contact.template) or LetterFlags(contact.template)
            then = facts_on(facts[contact.account_id], day)
            if contact.balance_cents is not None:  # a credit report: the balance it reported, not today's
                then = replace(then, balance_cents=contact.balance_cents)
            request = Outbound(contact.account_id, contact.portfolio, channel, contact.key, day, None, "", then,
                               letter if channel in LETTER_CHANNELS else None, _guarantor_work(contact))  # fmt: skip
            verdict = release_gate(request, strategy.compliance.rules(contact.portfolio))
            match verdict:
                case Allow() if not contact.addressee:
                    continue
                case Redirect() if verdict.role.value == contact.addressee:
                    continue
                case Allow():
                    rule, reason = "", f"addressed to the {contact.addressee} though the party may be written to"
                case Redirect():
                    rule, reason = verdict.rule, f"{verdict.reason}, but it was addressed to the party"
                case Defer() | Hold():
                    rule, reason = verdict.rule, verdict.reason
            found.append(Breach(day, contact.portfolio, contact.account, contact.channel, "engine", rule, reason))
    return found


def compliance_report(db: Database, first: date, last: date, strategy: Strategy | None = None) -> ComplianceReport:
    """The compliance report from ``first`` to ``last`` (see :class:`ComplianceReport`); the engine's contacts
    are checked again against the release gate, the collectors' calls carry the rule they broke."""
    if last < first:
        raise ValidationFailed([Problem("to", f"is before --from {first}", last.isoformat())])
    with db.engine.connect() as connection:
        chosen = strategy or load_strategy(db)
        contacts = engine_contacts(connection, first, last)
        calls = call_records(connection, first, last)
        counts = gate_counts(connection, first, last)
        breaches = _recheck(connection, chosen, contacts)
    report = ComplianceReport(first, last)
    figures = lambda code: report.portfolios.setdefault(code, PortfolioFigures())  # noqa: E731
    for contact in contacts:
        figures(contact.portfolio).contacts[contact.channel] += 1
    for call in calls:
        day = call.at.astimezone(zone_info(call.time_zone) or UTC).date()
        if not first <= day <= last:
            continue
        figures(call.portfolio).contacts["phone"] += 1
        if call.breach:
            rule = call.breach.split(":", 1)[0]
            breaches.append(Breach(day, call.portfolio, call.account, "phone", call.actor, rule, call.breach))
    for code, verdict, rule, count in counts:
        getattr(figures(code), verdict)[rule] += count
    report.breaches = sorted(breaches, key=lambda b: (b.on, b.portfolio, b.account))
    return report
