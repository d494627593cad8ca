"""The release gate: every outbound activity passes one pure function before it is released.

An outbound activity is one that reaches the party or someone else about the debt: a letter, a phone call,
an e-mail, an SMS, a credit report, a referral (or any action that carries a collection letter). The gate
answers :class:`Allow`, :class:`Redirect` (release it, addressed to a representative of the party on file),
:class:`Defer` until a moment, or :class:`Hold` with a rule id and a reason in words.

The rules are data: a :class:`RuleSet` is an ordered tuple of rules, each a pure function of the
:class:`Outbound` request, which carries every fact a rule may read (:class:`ContactFacts`: the party's flags
and representatives, its zones, the account's contact history, the debt). A hold outranks everything; else
the latest deferral wins, and the request is asked again at that moment, so that a deferral by one rule (say,
the day after a conversation) lands in a window every other rule allows (say, 08:00 local); else a redirect;
else allow. The default rule set is empty and allows everything; :mod:`arrears.domain.compliance_rules` fills
it from the configuration.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from enum import StrEnum
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class OutboundChannel(StrEnum):
    """How an outbound activity reaches someone."""

    LETTER = "letter"
    PHONE = "phone"
    EMAIL = "email"
    SMS = "sms"
    CREDIT_REPORT = "credit_report"
    REFERRAL = "referral"


CONTACT_CHANNELS = frozenset({OutboundChannel.LETTER, OutboundChannel.PHONE, OutboundChannel.EMAIL,
                              OutboundChannel.SMS})  # fmt: skip
"""The channels that address the party directly (a credit report or a referral addresses a third party)."""


class AttemptClass(StrEnum):
    """The class of an outcome code (every configured code maps to one): what a call reached, or how a
    conversation with the party ended.

    The first five are what the call rules (Reg F) count; each of the others counts as one of them
    (:attr:`reached`): a promise, a refusal, a dispute and a payment were said in a conversation with the
    party, and *other* counts as an attempt without a conversation, as *no answer* does (it counts towards
    the 7-in-7 limit and starts no 7-day wait)."""

    CONNECTED_CONVERSATION = "connected_conversation"
    """A conversation with the party."""
    VOICEMAIL = "voicemail"
    NO_ANSWER = "no_answer"
    NOT_CONNECTED = "not_connected"
    """Busy, not in service: the call did not connect."""
    WRONG_NUMBER = "wrong_number"
    PROMISE = "promise"
    """A conversation in which the party promised to pay."""
    REFUSED = "refused"
    """A conversation in which the party refused to pay."""
    DISPUTE = "dispute"
    """A conversation in which the party disputed the debt."""
    PAID = "paid"
    """A conversation in which the party paid, or said the debt is paid."""
    OTHER = "other"
    """Any other outcome (a third party answered, a call back asked for): an attempt, no conversation."""

    @property
    def reached(self) -> AttemptClass:
        """What the call reached, as the call rules count it: one of the first five classes."""
        return _REACHED.get(self, self)

    @property
    def conversation(self) -> bool:
        """True when the call was a conversation with the party (it starts the 7-day wait)."""
        return self.reached is AttemptClass.CONNECTED_CONVERSATION


_REACHED = {
    AttemptClass.PROMISE: AttemptClass.CONNECTED_CONVERSATION,
    AttemptClass.REFUSED: AttemptClass.CONNECTED_CONVERSATION,
    AttemptClass.DISPUTE: AttemptClass.CONNECTED_CONVERSATION,
    AttemptClass.PAID: AttemptClass.CONNECTED_CONVERSATION,
    AttemptClass.OTHER: AttemptClass.NO_ANSWER,
}
CALL_CLASSES = tuple(cls for cls in AttemptClass if cls.reached is cls)
"""What a call can reach: the classes the call rules count, each of which needs an outcome code."""
CONVERSATIONS = frozenset(cls for cls in AttemptClass if cls.conversation)
"""The classes of an outcome said in a conversation with the party."""



class PartyRole(StrEnum):
    """Someone on file who may be addressed instead of the party."""

    ATTORNEY = "attorney"
    ESTATE_REPRESENTATIVE = "estate_representative"


@dataclass(frozen=True, slots=True)
class CallAttempt:
    """One call attempt made to the party about this debt: when (timezone-aware), what it reached, to which
    kind of phone (``home``, ``mobile``, ``work``, ``other``; empty when not recorded)."""

    at: datetime
    outcome: AttemptClass
    phone_type: str = ""


@dataclass(frozen=True, slots=True)
class SentLetter:
    """Letters of one template sent to the party and not returned as undeliverable: the first and last day."""

    template: str
    first_on: date
    last_on: date
    validation_notice: bool = False
    eca_notice: bool = False


@dataclass(frozen=True, slots=True)
class LetterFlags:
    """What a letter template says about itself (template flags)."""

    template: str
    validation_notice: bool = False
    """The validation notice (12 CFR 1006.34): the first letter of a guarantor case."""
    demands_payment: bool = False
    """It demands payment: not before the validation period ends."""
    cease_notice: bool = False
    """A notice allowed after a cease-communication request (collection stops, or a specific remedy)."""
    eca_notice: bool = False
    """The notice of extraordinary collection actions of a nonprofit hospital (IRS 501(r))."""


@dataclass(frozen=True, slots=True)
class ContactFacts:
    """Every fact the compliance rules may read about an account, its party and its contact history.

    Built by :func:`arrears.domain.compliance_rules.contact_facts` from what the store holds; the flags are
    in force when true, with the date they took effect where one is recorded.
    """

    state: str = ""
    """The party's address state (two letters)."""
    time_zones: tuple[str, ...] = ()
    """Candidate IANA zones of the party (address and phones); empty when unknown."""
    bankruptcy: bool = False
    bankruptcy_filed: date | None = None
    deceased: bool = False
    deceased_notified: date | None = None
    cease_communication: bool = False
    cease_requested: date | None = None
    attorney_represented: bool = False
    disputed_on: date | None = None
    dispute_verified_on: date | None = None
    do_not_call: bool = False
    roles: frozenset[PartyRole] = frozenset()
    """Representatives on file (an attorney, an estate representative)."""
    attempts: tuple[CallAttempt, ...] = ()
    """Call attempts of the recent past (enough for every frequency window), oldest first."""
    last_conversation: datetime | None = None
    """The last call that reached a conversation with the party, at any time."""
    first_conversation: datetime | None = None
    """The first call of the current guarantor case that reached a conversation (its first contact, when no letter
    went out before it)."""
    letters: tuple[SentLetter, ...] = ()
    case_entered_on: date | None = None
    """The day the current guarantor case began (its validation notice is sent after it)."""
    medical: bool = False
    balance_cents: int = 0
    original_balance_cents: int | None = None
    first_delinquency: date | None = None
    first_bill_on: date | None = None
    """The first post-discharge billing statement (501(r))."""
    assistance_applied_on: date | None = None
    """A financial-assistance application (501(r)), pending until it is decided."""
    assistance_decided_on: date | None = None

    @property
    def disputed(self) -> bool:
        """Disputed and not verified since the dispute."""
        if self.disputed_on is None:
            return False
        return self.dispute_verified_on is None or self.dispute_verified_on < self.disputed_on

    @property
    def assistance_pending(self) -> bool:
        """A financial-assistance application not yet decided."""
        if self.assistance_applied_on is None:
            return False
        return self.assistance_decided_on is None or self.assistance_decided_on < self.assistance_applied_on


NO_FACTS = ContactFacts()


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
    """The moment it would happen, timezone-aware, when it has a time; None: some time during ``on``."""
    time_zone: str
    """The party's IANA time zone as recorded (the first candidate when ``facts`` has none)."""
    facts: ContactFacts = NO_FACTS
    letter: LetterFlags | None = None
    """The template flags of the letter, e-mail or SMS it sends."""
    guarantor: bool = True
    """Work of the guarantor's collections (False: the insurance track's, which writes to the payer)."""

    @property
    def zones(self) -> tuple[str, ...]:
        """The candidate zones: the facts' when known, else the recorded one (possibly empty)."""
        return self.facts.time_zones or ((self.time_zone,) if zone_info(self.time_zone) else ())

    def moment(self) -> datetime:
        """The moment asked about: ``at``, or the start of ``on`` in the party's (first) zone."""
        if self.at is not None:
            return self.at
        zone = next((z for z in map(zone_info, self.zones) if z is not None), ZoneInfo("UTC"))
        return datetime.combine(self.on, time(0), tzinfo=zone)


@lru_cache(maxsize=1024)
def zone_info(name: str) -> ZoneInfo | None:
    """The zone of an IANA name, or None when the name is empty or unknown."""
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


@dataclass(frozen=True, slots=True)
class Allow:
    """Release it now."""


@dataclass(frozen=True, slots=True)
class Redirect:
    """Release it, addressed to the party's representative of ``role`` (not to the party)."""

    role: PartyRole
    rule: str
    reason: str


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


Verdict = Allow | Redirect | Defer | Hold
Rule = Callable[[Outbound], Verdict]
CaseRule = Callable[[ContactFacts], Hold | None]
"""A rule that holds the whole case (no contact, no fees, no work at all) while it applies."""

ALLOW = Allow()
CASE_HOLD_RULES = frozenset({"H01"})
"""The rules that hold whole cases; a case held by one of them is released when the rule no longer holds it."""


def held_by_compliance(reason: str) -> bool:
    """True when a case's hold reason (``"H01: …"``) is that of a compliance case rule."""
    return reason.split(":", 1)[0] in CASE_HOLD_RULES

MAX_ROUNDS = 8
"""How often a deferred request is asked again at its new moment before the gate gives up and holds it."""


@dataclass(frozen=True, slots=True)
class RuleSet:
    """The compliance rules in force, in the order they are asked, and the rules that hold a whole case."""

    rules: tuple[Rule, ...] = ()
    case_rules: tuple[CaseRule, ...] = field(default=())
    scopes: tuple[frozenset[OutboundChannel] | None, ...] = ()
    """Per rule of ``rules``, the only channels it can answer anything but allow about (None: any channel); the
    gate asks a rule only about those. Empty: every rule is asked about every channel."""
    _by_channel: dict[OutboundChannel, tuple[Rule, ...]] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )

    def for_channel(self, channel: OutboundChannel) -> tuple[Rule, ...]:
        """The rules to ask about an activity of ``channel``, in order (worked out once per channel: most rules
        concern one or two channels, and the gate is asked for every outbound activity of a run)."""
        found = self._by_channel.get(channel)
        if found is None:
            scopes = self.scopes or (None,) * len(self.rules)
            found = self._by_channel[channel] = tuple(
                rule for rule, scope in zip(self.rules, scopes, strict=True) if scope is None or channel in scope
            )
        return found

    @property
    def guards(self) -> bool:
        """True when any rule is in force (an empty rule set needs no facts: it allows everything)."""
        return bool(self.rules or self.case_rules)


ALLOW_ALL = RuleSet()
"""No rule: every outbound activity is allowed."""


def release_gate(request: Outbound, rules: RuleSet = ALLOW_ALL) -> Verdict:
    """Ask every rule about ``request``: a hold wins; else the latest deferral, asked again at its moment until
    every rule allows it; else a redirect; else allow. A deferral's reason names every rule that moved it."""
    deferrals: list[Defer] = []
    for _ in range(MAX_ROUNDS):
        latest: Defer | None = None
        redirect: Redirect | None = None
        for rule in rules.for_channel(request.channel):
            verdict = rule(request)
            match verdict:
                case Hold():
                    return verdict
                case Defer() if request.at is not None and verdict.until <= request.at:
                    pass  # a moment already reached: this rule is satisfied
                case Defer() if latest is None or verdict.until > latest.until:
                    latest = verdict
                case Redirect() if redirect is None:
                    redirect = verdict
                case _:
                    pass
        if latest is None:
            if deferrals:
                first = deferrals[0]
                reason = "; then ".join(f"{d.rule} {d.reason}" if i else d.reason for i, d in enumerate(deferrals))
                return Defer(deferrals[-1].until, first.rule, reason)
            return redirect or ALLOW
        deferrals.append(latest)
        request = replace(request, at=latest.until)
    last = deferrals[-1]
    return Hold(last.rule, f"no moment found in {MAX_ROUNDS} tries that every rule allows: {last.reason}")


def case_hold(facts: ContactFacts, rules: RuleSet = ALLOW_ALL) -> Hold | None:
    """The first rule that holds the whole case, or None."""
    for rule in rules.case_rules:
        held = rule(facts)
        if held is not None:
            return held
    return None
