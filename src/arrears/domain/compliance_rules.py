"""The compliance rules: holds, call frequency, time of day, state windows and caps, the validation period,
credit reporting, medical debt and nonprofit-hospital (501(r)) limits — each a pure function of an
:class:`~arrears.domain.compliance.Outbound` request and its parameters.

Every number is a parameter (:class:`ComplianceParams`, US defaults) and every rule can be switched off; a
portfolio overrides any parameter of the enterprise's (:class:`CompliancePolicy`). :func:`rule_set` turns the
parameters into the :class:`~arrears.domain.compliance.RuleSet` the release gate asks. Rule ids:

====  ============================================================================================
H01   bankruptcy: nothing at all (no contact, fee, credit report or referral); the case is held
H02   deceased: letters only, addressed to the estate representative on file; everything else held
H03   cease communication: only the notices a cease allows (template flag ``cease_notice``)
H04   attorney represented: letters to the attorney on file; no direct contact
H05   disputed: everything held until the verification is recorded
H06   do not call: no phone calls
R01   Reg F call frequency (12 CFR 1006.14(b)): at most 7 attempts in any rolling 7 days
R02   Reg F: no call in the 7 days after a telephone conversation (the conversation day is day 1)
R03   time of day: calls, e-mail, SMS 08:00–21:00 in every candidate zone of the party (and state windows)
R04   state call caps (Massachusetts: 2 calls in 7 days to home or mobile)
V01   validation period (1006.34): no payment demand before the period ends
V02   validation notice (1006.34(a)(1)): sent within 5 days of a guarantor case's first contact, else no other
      contact until it is
C01   credit reporting (1006.30(a)): not before the party was spoken to or 14 days after a letter
M01   medical debt: not reported before 365 days past first delinquency, under $500, or once paid
N01   nonprofit hospital (501(r)): extraordinary collection actions 120 days after the first bill and
      30 days after the ECA notice, never while a financial-assistance application is pending
====  ============================================================================================
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache, partial
from typing import Any
from zoneinfo import ZoneInfo

from arrears.domain.compliance import (
    ALLOW,
    CALL_CLASSES,
    CONTACT_CHANNELS,
    AttemptClass,
    CallAttempt,
    ContactFacts,
    Defer,
    Hold,
    LetterFlags,
    Outbound,
    OutboundChannel,
    PartyRole,
    Redirect,
    RuleSet,
    SentLetter,
    Verdict,
    zone_info,
)
from arrears.domain.money import format_cents

# ------------------------------------------------------------------------------------------ parameters

US_ZONES = (
    "America/New_York", "America/Chicago", "America/Denver", "America/Phoenix", "America/Los_Angeles",
    "America/Anchorage", "Pacific/Honolulu",
)  # fmt: skip
"""Candidate zones of a party whose zone is unknown (calls only in the overlap of them all)."""

COUNTED_ATTEMPTS = (AttemptClass.CONNECTED_CONVERSATION, AttemptClass.VOICEMAIL, AttemptClass.NO_ANSWER)
"""Attempts that count towards the Reg F limit: those that reached the party's line (a call that did not
connect, or reached a wrong number, is no attempt to reach the party)."""

TIMED_CHANNELS = (OutboundChannel.PHONE, OutboundChannel.EMAIL, OutboundChannel.SMS)
EXTRAORDINARY_CHANNELS = (OutboundChannel.CREDIT_REPORT, OutboundChannel.REFERRAL)


@dataclass(frozen=True, slots=True)
class HoldRules:
    """Which party flags hold outbound work (each can be switched off)."""

    bankruptcy: bool = True
    deceased: bool = True
    cease_communication: bool = True
    attorney: bool = True
    dispute: bool = True
    do_not_call: bool = True


@dataclass(frozen=True, slots=True)
class CallFrequency:
    """Reg F 1006.14(b)(2): ``attempts`` per ``days`` rolling; none for ``conversation_days`` after a talk."""

    enabled: bool = True
    attempts: int = 7
    days: int = 7
    conversation_days: int = 7
    counted: tuple[AttemptClass, ...] = COUNTED_ATTEMPTS


@dataclass(frozen=True, slots=True)
class StateWindow:
    """A state's own calling window; ``zone`` fixes the zone it is read in (else the party's zones)."""

    state: str
    start: time
    end: time
    zone: str = ""


@dataclass(frozen=True, slots=True)
class TimeOfDay:
    """Contact only between ``start`` and ``end`` (both included, to the second) in every candidate zone."""

    enabled: bool = True
    start: time = time(8)
    end: time = time(21)
    channels: tuple[OutboundChannel, ...] = TIMED_CHANNELS
    unknown_zones: tuple[str, ...] = US_ZONES
    state_windows: tuple[StateWindow, ...] = (
        StateWindow("WA", time(7, 30), time(21)),
        StateWindow("MA", time(8), time(21), "America/New_York"),
    )


@dataclass(frozen=True, slots=True)
class StateCallCap:
    """At most ``calls`` counted call attempts in ``days`` rolling days to the phone types listed."""

    state: str
    calls: int
    days: int
    phone_types: tuple[str, ...] = ("home", "mobile")


@dataclass(frozen=True, slots=True)
class StateCaps:
    enabled: bool = True
    caps: tuple[StateCallCap, ...] = (StateCallCap("MA", 2, 7),)


@dataclass(frozen=True, slots=True)
class ValidationPeriod:
    """1006.34: receipt assumed ``receipt_business_days`` after sending; the period ends ``period_days`` later."""

    enabled: bool = True
    receipt_business_days: int = 5
    period_days: int = 30
    first_contact_days: int = 5
    """The validation notice goes out within this many days of the case's first contact (V02, at release)."""


@dataclass(frozen=True, slots=True)
class CreditReporting:
    """1006.30(a): report only after speaking to the party, or ``letter_wait_days`` after a letter."""

    enabled: bool = True
    letter_wait_days: int = 14


@dataclass(frozen=True, slots=True)
class MedicalDebt:
    """Medical debt is reported only ``min_age_days`` after first delinquency, from ``min_original_cents``."""

    enabled: bool = True
    min_age_days: int = 365
    min_original_cents: int = 50_000


@dataclass(frozen=True, slots=True)
class NonprofitHospital:
    """IRS 501(r) for a nonprofit hospital's portfolio (off unless the portfolio is one)."""

    enabled: bool = False
    days_after_first_bill: int = 120
    days_after_notice: int = 30
    application_days: int = 240
    extraordinary: tuple[OutboundChannel, ...] = EXTRAORDINARY_CHANNELS
    """Which channels are extraordinary collection actions (a referral for sale is one)."""


@dataclass(frozen=True, slots=True)
class ComplianceParams:
    """Every parameter of every rule, for one portfolio (the US defaults unless configured)."""

    holds: HoldRules = HoldRules()
    call_frequency: CallFrequency = CallFrequency()
    time_of_day: TimeOfDay = TimeOfDay()
    state_caps: StateCaps = StateCaps()
    validation: ValidationPeriod = ValidationPeriod()
    credit_reporting: CreditReporting = CreditReporting()
    medical: MedicalDebt = MedicalDebt()
    nonprofit_hospital: NonprofitHospital = NonprofitHospital()


BLOCKS: tuple[str, ...] = tuple(f.name for f in fields(ComplianceParams))
"""The parameter blocks, one per rule family, in document order."""

@dataclass(frozen=True, slots=True)
class CallOutcome:
    """An outcome code a collector records when completing a call or a review: the code, its class (what the
    call rules count, :class:`AttemptClass`) and what it means in words."""

    code: str
    outcome_class: AttemptClass
    description: str = ""


OUTCOME_CODE = re.compile(r"[A-Z0-9][A-Z0-9_-]{0,19}")
"""An outcome code: up to 20 capital letters, digits, ``_`` or ``-`` (a code, not a sentence)."""
OUTCOME_DESCRIPTION_MAX = 200

DEFAULT_OUTCOMES: tuple[CallOutcome, ...] = (
    CallOutcome("CONNECTED", AttemptClass.CONNECTED_CONVERSATION, "spoke with the party"),
    CallOutcome("PROMISE", AttemptClass.PROMISE, "the party promised to pay"),
    CallOutcome("REFUSED", AttemptClass.REFUSED, "the party refused to pay"),
    CallOutcome("DISPUTE", AttemptClass.DISPUTE, "the party disputes the debt"),
    CallOutcome("PAID", AttemptClass.PAID, "the party paid or says it is paid"),
    CallOutcome("LEFTMSG", AttemptClass.VOICEMAIL, "left a voicemail"),
    CallOutcome("NOANSWER", AttemptClass.NO_ANSWER, "no answer"),
    CallOutcome("BUSY", AttemptClass.NOT_CONNECTED, "line busy"),
    CallOutcome("NOTINSERVICE", AttemptClass.NOT_CONNECTED, "number not in service"),
    CallOutcome("WRONGNUMBER", AttemptClass.WRONG_NUMBER, "not the party's number"),
    CallOutcome("REVIEWED", AttemptClass.OTHER, "a review done; say what in the note"),
    CallOutcome("OTHER", AttemptClass.OTHER, "anything else; say what in the note"),
)
"""Outcome codes and their classes, unless the configuration names its own."""


@dataclass(frozen=True, slots=True)
class PortfolioCompliance:
    """A portfolio's parameters: the enterprise's with the portfolio's own values for ``overridden`` ones."""

    portfolio: str
    params: ComplianceParams
    overridden: frozenset[str] = frozenset()
    """The parameters the portfolio sets itself, as ``block.name`` (the rest follow the enterprise)."""


@dataclass(frozen=True, slots=True)
class CompliancePolicy:
    """The compliance configuration: enterprise parameters, portfolio overrides, call outcome codes."""

    enterprise: ComplianceParams = ComplianceParams()
    portfolios: tuple[PortfolioCompliance, ...] = ()
    call_outcomes: tuple[CallOutcome, ...] = DEFAULT_OUTCOMES
    _rules: dict[str, RuleSet] = field(default_factory=dict, init=False, repr=False, compare=False, hash=False)

    def params(self, portfolio: str) -> ComplianceParams:
        """The parameters in force for ``portfolio``."""
        found = next((p for p in self.portfolios if p.portfolio == portfolio), None)
        return found.params if found is not None else self.enterprise

    def rules(self, portfolio: str) -> RuleSet:
        """The rule set of ``portfolio`` (built once per portfolio)."""
        built = self._rules.get(portfolio)
        if built is None:
            built = self._rules[portfolio] = rule_set(self.params(portfolio))
        return built

    def lookback_days(self) -> int:
        """How many days of call attempts any portfolio's rules read (the longest rolling window)."""
        every = (self.enterprise, *(p.params for p in self.portfolios))
        return max(max(p.call_frequency.days, *(c.days for c in p.state_caps.caps)) for p in every)

    def outcome_class(self, code: str) -> AttemptClass | None:
        """The class of an outcome code (None when the code is not configured)."""
        return next((o.outcome_class for o in self.call_outcomes if o.code == code), None)


def override(base: ComplianceParams, values: Mapping[str, Mapping[str, Any]]) -> ComplianceParams:
    """``base`` with the given ``{block: {name: value}}`` values replaced."""
    blocks = {name: replace(getattr(base, name), **dict(given)) for name, given in values.items() if given}
    return replace(base, **blocks)


# ------------------------------------------------------------------------------------------ the facts

US_STATE_ZONES: Mapping[str, tuple[str, ...]] = {
    "AL": ("America/Chicago",), "AK": ("America/Anchorage", "America/Adak"), "AZ": ("America/Phoenix",),
    "AR": ("America/Chicago",), "CA": ("America/Los_Angeles",), "CO": ("America/Denver",),
    "CT": ("America/New_York",), "DE": ("America/New_York",), "DC": ("America/New_York",),
    "FL": ("America/New_York", "America/Chicago"), "GA": ("America/New_York",), "HI": ("Pacific/Honolulu",),
    "ID": ("America/Boise", "America/Los_Angeles"), "IL": ("America/Chicago",),
    "IN": ("America/Indiana/Indianapolis", "America/Chicago"), "IA": ("America/Chicago",),
    "KS": ("America/Chicago", "America/Denver"), "KY": ("America/New_York", "America/Chicago"),
    "LA": ("America/Chicago",), "ME": ("America/New_York",), "MD": ("America/New_York",),
    "MA": ("America/New_York",), "MI": ("America/Detroit", "America/Menominee"), "MN": ("America/Chicago",),
    "MS": ("America/Chicago",), "MO": ("America/Chicago",), "MT": ("America/Denver",),
    "NE": ("America/Chicago", "America/Denver"), "NV": ("America/Los_Angeles",), "NH": ("America/New_York",),
    "NJ": ("America/New_York",), "NM": ("America/Denver",), "NY": ("America/New_York",),
    "NC": ("America/New_York",), "ND": ("America/Chicago", "America/Denver"), "OH": ("America/New_York",),
    "OK": ("America/Chicago",), "OR": ("America/Los_Angeles", "America/Boise"), "PA": ("America/New_York",),
    "RI": ("America/New_York",), "SC": ("America/New_York",), "SD": ("America/Chicago", "America/Denver"),
    "TN": ("America/Chicago", "America/New_York"), "TX": ("America/Chicago", "America/Denver"),
    "UT": ("America/Denver",), "VT": ("America/New_York",), "VA": ("America/New_York",),
    "WA": ("America/Los_Angeles",), "WV": ("America/New_York",), "WI": ("America/Chicago",),
    "WY": ("America/Denver",), "PR": ("America/Puerto_Rico",),
}  # fmt: skip
"""The zones a US state's addresses may be in (a state split between two zones lists both)."""

MAX_PHONE_ZONES = 3
"""A number that maps to more zones than this (toll-free, unknown) says nothing about where the party is."""


@lru_cache(maxsize=4096)
def _prefix_zones(prefix: str) -> tuple[str, ...]:
    import phonenumbers  # imported when first needed: it is large, and most commands never ask
    from phonenumbers import timezone as phone_timezone

    try:
        number = phonenumbers.parse(prefix + "0" * (10 - len(prefix)), "US")
    except phonenumbers.NumberParseException:
        return ()
    zones = tuple(z for z in phone_timezone.time_zones_for_number(number) if zone_info(z) is not None)
    return zones if len(zones) <= MAX_PHONE_ZONES else ()


def phone_zones(number: str) -> tuple[str, ...]:
    """The zones a US phone number's area code (and exchange) is in; empty when it says nothing."""
    digits = "".join(ch for ch in number if ch.isdigit())
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    if len(digits) != 10:
        return ()
    return _prefix_zones(digits[:6])


def candidate_zones(recorded: str, state: str, phones: Iterable[str]) -> tuple[str, ...]:
    """Every zone the party may be in: the recorded zone (else its state's), and the zones of its phones
    when they disagree. Empty when nothing is known (the rules then use every US zone)."""
    found: list[str] = [recorded] if zone_info(recorded) is not None else list(US_STATE_ZONES.get(state.upper(), ()))
    for number in phones:
        for zone in phone_zones(number):
            if zone not in found:
                found.append(zone)
    return tuple(found)


_NO_ROLES: frozenset[PartyRole] = frozenset()


def _moment_of(attempt: CallAttempt) -> datetime:
    return attempt.at


def contact_facts(
    *,
    time_zone: str = "",
    state: str = "",
    phones: Sequence[str] = (),
    flags: Mapping[str, Any] | None = None,
    roles: Iterable[str] = (),
    attempts: Iterable[CallAttempt] = (),
    last_conversation: datetime | None = None,
    first_conversation: datetime | None = None,
    letters: Iterable[tuple[str, date, date]] = (),
    templates: Mapping[str, LetterFlags] | None = None,
    case_entered_on: date | None = None,
    balance_cents: int = 0,
    debt: Mapping[str, Any] | None = None,
) -> ContactFacts:
    """The facts of one account as the store holds them: the party's zone, state, phones, flags (the
    :class:`ContactFacts` field names) and roles; its call attempts, last conversation and letters sent
    (``(template, first day, last day)``, flagged by the strategy's ``templates``), the first conversation of the
    current case; the current case's start, the balance and the debt's facts (medical, original balance, first
    delinquency, first bill, assistance)."""
    templates = templates or {}
    sent = tuple(
        SentLetter(code, first, last) if t is None else SentLetter(code, first, last, t.validation_notice, t.eca_notice)
        for code, first, last in letters
        for t in (templates.get(code),)
    )
    flag_values = {k: v for k, v in (flags or {}).items() if v is not None}
    return ContactFacts(
        state=state.upper(),
        time_zones=candidate_zones(time_zone, state, phones),
        roles=frozenset(map(PartyRole, roles)) if roles else _NO_ROLES,
        attempts=tuple(sorted(attempts, key=_moment_of)) if attempts else (),
        last_conversation=last_conversation,
        first_conversation=first_conversation,
        letters=sent,
        case_entered_on=case_entered_on,
        balance_cents=balance_cents,
        **flag_values,
        **{k: v for k, v in (debt or {}).items() if v is not None},
    )


# ------------------------------------------------------------------------------------------ helpers


def _zone(request: Outbound) -> ZoneInfo:
    """The zone times are shown in: the party's first candidate zone (UTC when none is known)."""
    return next((z for z in map(zone_info, request.zones) if z is not None), ZoneInfo("UTC"))


def _start_of(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone)


def _shown(moment: datetime, zone: ZoneInfo) -> str:
    local = moment.astimezone(zone)
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()}"


def _day_after(request: Outbound, day: date) -> datetime:
    """The start of the day after ``day`` in the party's zone."""
    return _start_of(day + timedelta(days=1), _zone(request))


@lru_cache(maxsize=64)
def federal_holidays(year: int) -> frozenset[date]:
    """US federal (legal public) holidays of ``year``, with their observed days."""
    import holidays  # imported when first needed: it loads every country's calendar (seconds without .pyc)

    return frozenset(holidays.country_holidays("US", years=year).keys())


def business_days_after(start: date, count: int) -> date:
    """The day ``count`` business days after ``start`` (weekends and federal holidays excluded)."""
    day, counted = start, 0
    while counted < count:
        day += timedelta(days=1)
        if day.weekday() < 5 and day not in federal_holidays(day.year):
            counted += 1
    return day


def validation_period_end(sent: date, params: ValidationPeriod = ValidationPeriod()) -> tuple[date, date]:
    """(assumed receipt, last day of the validation period) of a validation notice sent on ``sent``."""
    receipt = business_days_after(sent, params.receipt_business_days)
    return receipt, receipt + timedelta(days=params.period_days)


# ---------------------------------------------------------------------------------------------- holds


def bankruptcy_case_hold(params: HoldRules, facts: ContactFacts) -> Hold | None:
    """H01 for the whole case: no contact, no fees, no credit report, no referral while in bankruptcy."""
    if not (params.bankruptcy and facts.bankruptcy):
        return None
    filed = f" filed {facts.bankruptcy_filed}" if facts.bankruptcy_filed else ""
    return Hold("H01", f"bankruptcy{filed}: no contact, no fees, no credit report, no referral")


def bankruptcy(params: HoldRules, request: Outbound) -> Verdict:
    """H01: nothing goes out while the party is in bankruptcy."""
    held = bankruptcy_case_hold(params, request.facts)
    return held if held is not None else ALLOW


def deceased(params: HoldRules, request: Outbound) -> Verdict:
    """H02: a deceased party is written to only through the estate representative; nothing else goes out."""
    facts = request.facts
    if not (params.deceased and facts.deceased) or request.channel not in CONTACT_CHANNELS:
        return ALLOW
    notified = f" (notified {facts.deceased_notified})" if facts.deceased_notified else ""
    if request.channel is OutboundChannel.LETTER and PartyRole.ESTATE_REPRESENTATIVE in facts.roles:
        return Redirect(PartyRole.ESTATE_REPRESENTATIVE, "H02", f"party deceased{notified}: letter to the estate "
                        "representative")  # fmt: skip
    if request.channel is OutboundChannel.LETTER:
        return Hold("H02", f"party deceased{notified} and no estate representative on file")
    return Hold("H02", f"party deceased{notified}: contact only by letter to the estate representative")


def cease_communication(params: HoldRules, request: Outbound) -> Verdict:
    """H03: after a cease-communication request only the notices the rule allows go out."""
    facts = request.facts
    if not (params.cease_communication and facts.cease_communication):
        return ALLOW
    if request.channel is OutboundChannel.LETTER and request.letter is not None and request.letter.cease_notice:
        return ALLOW
    since = f" on {facts.cease_requested}" if facts.cease_requested else ""
    return Hold("H03", f"cease communication requested{since}: only a notice that collection stops or that a "
                "specific remedy may be invoked")  # fmt: skip


def attorney(params: HoldRules, request: Outbound) -> Verdict:
    """H04: no direct contact with a represented party; letters go to the attorney when one is on file."""
    facts = request.facts
    if not (params.attorney and facts.attorney_represented) or request.channel not in CONTACT_CHANNELS:
        return ALLOW
    if request.channel is OutboundChannel.LETTER and PartyRole.ATTORNEY in facts.roles:
        return Redirect(PartyRole.ATTORNEY, "H04", "represented by an attorney: letter to the attorney")
    if request.channel is OutboundChannel.LETTER:
        return Hold("H04", "represented by an attorney and no attorney on file to write to")
    return Hold("H04", "represented by an attorney: no direct contact")


def dispute(params: HoldRules, request: Outbound) -> Verdict:
    """H05: collection of a disputed debt waits until the verification is recorded."""
    facts = request.facts
    if not (params.dispute and facts.disputed):
        return ALLOW
    return Hold("H05", f"disputed on {facts.disputed_on}: held until the verification is recorded")


def do_not_call(params: HoldRules, request: Outbound) -> Verdict:
    """H06: no phone calls to a do-not-call party (letters are allowed)."""
    if params.do_not_call and request.facts.do_not_call and request.channel is OutboundChannel.PHONE:
        return Hold("H06", "do not call: no phone calls")
    return ALLOW


# ---------------------------------------------------------------------------------------------- calls


def _rolling_cap(
    request: Outbound, limit: int, days: int, counts: Callable[[CallAttempt], bool]
) -> tuple[int, datetime] | None:
    """(attempts counted, next allowed moment) when ``limit`` attempts fall in the ``days`` before the moment."""
    # Elapsed time in UTC: aware datetimes of one zone would otherwise compare and add as wall-clock times.
    moment, window = request.moment().astimezone(UTC), timedelta(days=days)
    inside = sorted(
        a.at.astimezone(UTC) for a in request.facts.attempts if counts(a) and moment - window < a.at <= moment
    )
    if len(inside) < limit:
        return None
    return len(inside), (inside[len(inside) - limit] + window).astimezone(_zone(request))


def call_frequency(params: CallFrequency, request: Outbound) -> Verdict:
    """R01: at most ``attempts`` counted call attempts in any rolling ``days`` days (to the moment)."""
    if request.channel is not OutboundChannel.PHONE:
        return ALLOW
    capped = _rolling_cap(request, params.attempts, params.days, lambda a: a.outcome.reached in params.counted)
    if capped is None:
        return ALLOW
    count, until = capped
    zone = _zone(request)
    return Defer(until, "R01", f"{count} calls in the {params.days} days to {_shown(request.moment(), zone)} "
                 f"(limit {params.attempts}): next allowed {_shown(until, zone)}")  # fmt: skip


def conversation(params: CallFrequency, request: Outbound) -> Verdict:
    """R02: no call within ``conversation_days`` days after a telephone conversation (its day is day 1)."""
    last = request.facts.last_conversation
    if request.channel is not OutboundChannel.PHONE or last is None:
        return ALLOW
    zone = _zone(request)
    day_one = last.astimezone(zone).date()
    free = day_one + timedelta(days=params.conversation_days)
    if request.moment().astimezone(zone).date() >= free:
        return ALLOW
    until = _start_of(free, zone)
    return Defer(until, "R02", f"telephone conversation on {day_one} (day 1): no calls through "
                 f"{free - timedelta(days=1)} (day {params.conversation_days}): next allowed {free}")  # fmt: skip


def state_caps(params: StateCaps, frequency: CallFrequency, request: Outbound) -> Verdict:
    """R04: a state's own cap on calls per debt in rolling days, to the phone types it names."""
    if request.channel is not OutboundChannel.PHONE:
        return ALLOW
    cap = next((c for c in params.caps if c.state == request.facts.state), None)
    if cap is None:
        return ALLOW
    counted = frequency.counted
    capped = _rolling_cap(
        request, cap.calls, cap.days,
        lambda a: a.outcome.reached in counted and (not a.phone_type or a.phone_type in cap.phone_types),
    )  # fmt: skip
    if capped is None:
        return ALLOW
    count, until = capped
    zone = _zone(request)
    reason = (f"{cap.state}: {count} calls in the {cap.days} days to {_shown(request.moment(), zone)} "
              f"(state limit {cap.calls}): next allowed {_shown(until, zone)}")  # fmt: skip
    return Defer(until, "R04", reason)


# ------------------------------------------------------------------------------------------ time of day

Window = tuple[ZoneInfo, time, time]


def _windows(params: TimeOfDay, request: Outbound) -> list[Window]:
    """Every (zone, start, end) a moment must fall in: each candidate zone, narrowed by the state's window."""
    names = request.zones or params.unknown_zones
    windows = [(z, params.start, params.end) for z in map(zone_info, names) if z is not None]
    state = next((w for w in params.state_windows if w.state == request.facts.state), None)
    if state is not None:
        start, end = max(params.start, state.start), min(params.end, state.end)
        fixed = zone_info(state.zone)
        if fixed is not None:
            windows.append((fixed, start, end))
        else:
            windows = [(z, start, end) for z, _, _ in windows]
    return windows


def _inside(moment: datetime, window: Window) -> bool:
    zone, start, end = window
    local = moment.astimezone(zone).time()
    return start <= local <= end


def _next_start(moment: datetime, window: Window) -> datetime:
    zone, start, _ = window
    local = moment.astimezone(zone)
    day = local.date() if local.time() < start else local.date() + timedelta(days=1)
    return datetime.combine(day, start, tzinfo=zone)


def next_lawful_moment(params: TimeOfDay, request: Outbound, moment: datetime) -> datetime | None:
    """The first moment from ``moment`` that every window allows (None when the windows never overlap)."""
    windows = _windows(params, request)
    for _ in range(4 * len(windows) + 4):
        outside = [w for w in windows if not _inside(moment, w)]
        if not outside:
            return moment
        moment = max(_next_start(moment, w) for w in outside)
    return None


def time_of_day(params: TimeOfDay, request: Outbound) -> Verdict:
    """R03: calls, e-mail and SMS only inside the window in every candidate zone of the party (the overlap
    when the zone is unknown or the address and the phone disagree), narrowed by the state's window."""
    if request.channel not in params.channels:
        return ALLOW
    moment = request.moment()
    lawful = next_lawful_moment(params, request, moment)
    zones = ", ".join(str(w[0]) for w in _windows(params, request))
    if lawful is None:
        return Hold("R03", f"no moment lies inside {params.start:%H:%M}–{params.end:%H:%M} in all of {zones}")
    if lawful == moment:
        return ALLOW
    if request.at is None and lawful.astimezone(_zone(request)).date() == request.on:
        return ALLOW  # untimed work of a day that has a lawful window: the worklist shows it from then
    shown = ", ".join(f"{moment.astimezone(w[0]):%H:%M:%S} in {w[0]}" for w in _windows(params, request))
    return Defer(lawful, "R03", f"{shown}: outside {params.start:%H:%M}–{params.end:%H:%M} local "
                 f"(every candidate zone: {zones}): next allowed {_shown(lawful, _zone(request))}")  # fmt: skip


# --------------------------------------------------------------------------------------- letters, reports


def _validation_notice_sent(facts: ContactFacts) -> date | None:
    """The day the current case's validation notice was sent (the latest one when unsure)."""
    found: list[date] = []
    for sent in facts.letters:
        if not sent.validation_notice:
            continue
        entered = facts.case_entered_on
        if entered is None or sent.first_on >= entered:
            found.append(sent.first_on)
        elif sent.last_on >= entered:
            found.append(sent.last_on)
    return min(found) if found else None


def validation(params: ValidationPeriod, request: Outbound) -> Verdict:
    """V01: a letter demanding payment waits until the validation period of the case's notice has ended."""
    if not params.enabled or request.letter is None or not request.letter.demands_payment:
        return ALLOW
    sent = _validation_notice_sent(request.facts)
    if sent is None:
        return Hold("V01", f"letter {request.letter.template} demands payment and no validation notice has been "
                    "sent in this case")  # fmt: skip
    receipt, end = validation_period_end(sent, params)
    if request.on <= end:
        return Defer(_day_after(request, end), "V01", f"validation notice sent {sent}, assumed received {receipt} "
                     f"({params.receipt_business_days} business days): the validation period ends {end}")  # fmt: skip
    return ALLOW


def _first_contact(facts: ContactFacts) -> date | None:
    """The day of the current case's first contact with the party: its first letter sent (a letter of a template
    sent before the case and again in it counts from the case's first day), or its first conversation."""
    entered = facts.case_entered_on
    if entered is None:
        return None
    days = [max(sent.first_on, entered) for sent in facts.letters if sent.last_on >= entered]
    if facts.first_conversation is not None:  # its day where the party is
        zone = next((z for z in map(zone_info, facts.time_zones) if z is not None), UTC)
        days.append(facts.first_conversation.astimezone(zone).date())
    return min(days) if days else None


def validation_notice_due(params: ValidationPeriod, request: Outbound) -> Verdict:
    """V02 (1006.34(a)(1)): the validation notice goes out with a guarantor case's first contact or within
    ``first_contact_days`` days after it; once that time has passed without it, no other contact goes out until it
    has been sent (the notice itself, and a cease notice, always may)."""
    facts = request.facts
    if not (params.enabled and request.guarantor) or request.channel not in CONTACT_CHANNELS:
        return ALLOW
    if facts.case_entered_on is None:
        return ALLOW
    if request.letter is not None and (request.letter.validation_notice or request.letter.cease_notice):
        return ALLOW
    if _validation_notice_sent(facts) is not None:
        return ALLOW
    first = _first_contact(facts)
    if first is None:
        return ALLOW  # this is the first contact: the notice is due within the days that follow
    due = first + timedelta(days=params.first_contact_days)
    if request.on <= due:
        return ALLOW
    return Hold("V02", f"first contact on {first} and no validation notice sent by {due} ({params.first_contact_days} "
                "days): no other contact until it is")  # fmt: skip


def credit_reporting(params: CreditReporting, request: Outbound) -> Verdict:
    """C01: a credit report only after the party was spoken to, or ``letter_wait_days`` after a letter."""
    if request.channel is not OutboundChannel.CREDIT_REPORT:
        return ALLOW
    facts = request.facts
    if facts.last_conversation is not None and facts.last_conversation <= request.moment():
        return ALLOW
    if not facts.letters:
        return Hold("C01", "the party has not been spoken to nor sent a letter")
    first = min(sent.first_on for sent in facts.letters)
    ready = first + timedelta(days=params.letter_wait_days)
    if request.on >= ready:
        return ALLOW
    return Defer(_start_of(ready, _zone(request)), "C01", f"first letter sent {first} and the party not spoken to: "
                 f"no credit report before {ready} ({params.letter_wait_days} days)")  # fmt: skip


def medical_debt(params: MedicalDebt, request: Outbound) -> Verdict:
    """M01: medical debt is never reported once paid, under the minimum, or before its minimum age."""
    facts = request.facts
    if request.channel is not OutboundChannel.CREDIT_REPORT or not facts.medical:
        return ALLOW
    if facts.balance_cents <= 0:
        return Hold("M01", "paid medical debt is never reported")
    original = facts.original_balance_cents if facts.original_balance_cents is not None else facts.balance_cents
    if original < params.min_original_cents:
        return Hold("M01", f"medical debt of original balance {format_cents(original)} is under "
                    f"{format_cents(params.min_original_cents)}")  # fmt: skip
    if facts.first_delinquency is None:
        return Hold("M01", "medical debt without a first delinquency date")
    age = (request.on - facts.first_delinquency).days
    if age >= params.min_age_days:
        return ALLOW
    ready = facts.first_delinquency + timedelta(days=params.min_age_days)
    return Defer(_start_of(ready, _zone(request)), "M01", f"medical debt {age} days past its first delinquency "
                 f"{facts.first_delinquency} (at least {params.min_age_days}): reportable from {ready}")  # fmt: skip


def nonprofit_hospital(params: NonprofitHospital, request: Outbound) -> Verdict:
    """N01: an extraordinary collection action only after max(first bill + 120 days, ECA notice + 30 days),
    never while a financial-assistance application made within 240 days of the first bill is pending."""
    if request.channel not in params.extraordinary:
        return ALLOW
    facts = request.facts
    if facts.first_bill_on is None:
        return Hold("N01", "no first post-discharge bill date recorded")
    last_day = facts.first_bill_on + timedelta(days=params.application_days)
    applied = facts.assistance_applied_on
    if facts.assistance_pending and applied is not None and applied <= last_day:
        return Hold("N01", f"financial-assistance application of {applied} pending")
    notices = [sent.first_on for sent in facts.letters if sent.eca_notice]
    if not notices:
        return Hold("N01", "no notice of extraordinary collection actions sent")
    notice = min(notices)
    after_bill = facts.first_bill_on + timedelta(days=params.days_after_first_bill)
    after_notice = notice + timedelta(days=params.days_after_notice)
    ready = max(after_bill, after_notice)
    if request.on >= ready:
        return ALLOW
    return Defer(_start_of(ready, _zone(request)), "N01", f"first bill {facts.first_bill_on} + "
                 f"{params.days_after_first_bill} days = {after_bill}, ECA notice {notice} + "
                 f"{params.days_after_notice} days = {after_notice}: not before {ready}")  # fmt: skip


# ------------------------------------------------------------------------------------------ the rule set


def rule_set(params: ComplianceParams) -> RuleSet:
    """The release gate's rules for these parameters (a rule switched off is left out)."""
    holds = params.holds
    # Each rule with the channels it can say anything but allow about (None: any): the gate asks it only those.
    scoped: list[tuple[Callable[[Outbound], Verdict], frozenset[OutboundChannel] | None]] = [
        (partial(rule, holds), scope) for rule, on, scope in (
            (bankruptcy, holds.bankruptcy, None), (deceased, holds.deceased, CONTACT_CHANNELS),
            (cease_communication, holds.cease_communication, None), (attorney, holds.attorney, CONTACT_CHANNELS),
            (dispute, holds.dispute, None), (do_not_call, holds.do_not_call, PHONE_ONLY),
        ) if on
    ]  # fmt: skip
    if params.call_frequency.enabled:
        scoped += [(partial(call_frequency, params.call_frequency), PHONE_ONLY),
                   (partial(conversation, params.call_frequency), PHONE_ONLY)]  # fmt: skip
    if params.state_caps.enabled and params.state_caps.caps:
        scoped.append((partial(state_caps, params.state_caps, params.call_frequency), PHONE_ONLY))
    if params.time_of_day.enabled:
        scoped.append((partial(time_of_day, params.time_of_day), frozenset(params.time_of_day.channels)))
    if params.validation.enabled:
        scoped += [(partial(validation, params.validation), None),
                   (partial(validation_notice_due, params.validation), CONTACT_CHANNELS)]  # fmt: skip
    if params.credit_reporting.enabled:
        scoped.append((partial(credit_reporting, params.credit_reporting), REPORT_ONLY))
    if params.medical.enabled:
        scoped.append((partial(medical_debt, params.medical), REPORT_ONLY))
    if params.nonprofit_hospital.enabled:
        scoped.append((partial(nonprofit_hospital, params.nonprofit_hospital),
                       frozenset(params.nonprofit_hospital.extraordinary)))  # fmt: skip
    case_rules = (partial(bankruptcy_case_hold, holds),) if holds.bankruptcy else ()
    return RuleSet(tuple(rule for rule, _ in scoped), case_rules, tuple(scope for _, scope in scoped))


PHONE_ONLY = frozenset({OutboundChannel.PHONE})
REPORT_ONLY = frozenset({OutboundChannel.CREDIT_REPORT})


SWITCHED_OFF = ComplianceParams(
    holds=HoldRules(False, False, False, False, False, False),
    call_frequency=CallFrequency(enabled=False),
    time_of_day=TimeOfDay(enabled=False),
    state_caps=StateCaps(enabled=False),
    validation=ValidationPeriod(enabled=False),
    credit_reporting=CreditReporting(enabled=False),
    medical=MedicalDebt(enabled=False),
    nonprofit_hospital=NonprofitHospital(enabled=False),
)
"""Every rule switched off: the run without guardrails (for comparison; no portfolio should run so)."""


# ------------------------------------------------------------------------------------------ validation

PHONE_TYPES = ("home", "mobile", "work", "other")
"""The kinds of phone a call attempt may be made to (a state cap names some of them)."""


def _count_problems(block: object, names: Sequence[str], minimum: int = 1) -> list[tuple[str, str]]:
    return [(name, f"must be a whole number, {minimum} or more") for name in names if getattr(block, name) < minimum]


def params_problems(params: ComplianceParams) -> list[tuple[str, str]]:
    """Every rule a set of compliance parameters breaks, as (path within the parameters, rule)."""
    found: list[tuple[str, str]] = []

    def add(block: str, problems: Iterable[tuple[str, str]]) -> None:
        found.extend((f"{block}.{path}", rule) for path, rule in problems)

    add("call_frequency", _count_problems(params.call_frequency, ("attempts", "days", "conversation_days")))
    window = params.time_of_day
    if window.start >= window.end:
        found.append(("time_of_day.end", f"must be after start ({window.start:%H:%M})"))
    for number, state in enumerate(window.state_windows, start=1):
        where = f"time_of_day.state_windows[{state.state or number}]"
        found += _state_problems(where, state.state)
        if state.start >= state.end:
            found.append((f"{where}.end", f"must be after start ({state.start:%H:%M})"))
        if state.zone and zone_info(state.zone) is None:
            found.append((f"{where}.zone", f"{state.zone!r} is not an IANA time zone (e.g. America/New_York)"))
    for number, cap in enumerate(params.state_caps.caps, start=1):
        where = f"state_caps.caps[{cap.state or number}]"
        found += _state_problems(where, cap.state)
        found += [(f"{where}.{path}", rule) for path, rule in _count_problems(cap, ("calls", "days"))]
        unknown = [kind for kind in cap.phone_types if kind not in PHONE_TYPES]
        if unknown or not cap.phone_types:
            found.append((f"{where}.phone_types", f"must list phone types of {', '.join(PHONE_TYPES)}"))
    add("validation", _count_problems(params.validation, ("receipt_business_days", "period_days",
                                                          "first_contact_days"), 0))  # fmt: skip
    add("credit_reporting", _count_problems(params.credit_reporting, ("letter_wait_days",), 0))
    add("medical", _count_problems(params.medical, ("min_age_days", "min_original_cents"), 0))
    add("nonprofit_hospital", _count_problems(params.nonprofit_hospital, ("days_after_first_bill",
                                              "days_after_notice", "application_days"), 0))  # fmt: skip
    return found


def _state_problems(where: str, state: str) -> list[tuple[str, str]]:
    if len(state) == 2 and state.isalpha() and state.isupper():
        return []
    return [(f"{where}.state", "must be a state's two capital letters (e.g. MA)")]


def policy_problems(policy: CompliancePolicy, portfolios: Iterable[str] | None = None) -> list[tuple[str, str]]:
    """Every rule the compliance configuration breaks, as (path, rule): its parameters, its portfolios (each
    once, known when ``portfolios`` is given) and its call outcome codes (each once, every class named)."""
    inherited = params_problems(policy.enterprise)
    found = [(f"enterprise.{path}", rule) for path, rule in inherited]
    known = None if portfolios is None else set(portfolios)
    seen: set[str] = set()
    for settings in policy.portfolios:
        where = f"portfolios[{settings.portfolio}]"
        if settings.portfolio in seen:
            found.append((where, "is given twice"))
        seen.add(settings.portfolio)
        if known is not None and settings.portfolio not in known:
            found.append((f"{where}.portfolio", f"names an unknown portfolio '{settings.portfolio}'"))
        # A portfolio's own values only: what it takes from the enterprise is reported there once.
        found += [(f"{where}.{p}", rule) for p, rule in params_problems(settings.params) if (p, rule) not in inherited]
    codes: set[str] = set()
    for number, outcome in enumerate(policy.call_outcomes, start=1):
        code = outcome.code
        if not code.strip():
            found.append((f"call_outcomes[{number}].code", "is required"))
        elif not OUTCOME_CODE.fullmatch(code):
            found.append((f"call_outcomes[{number}].code",
                          f"must be a code of up to 20 capital letters, digits, _ or - (got {code!r})"))  # fmt: skip
        elif code in codes:
            found.append((f"call_outcomes[{code}]", "is given twice"))
        if len(outcome.description) > OUTCOME_DESCRIPTION_MAX:
            found.append((f"call_outcomes[{number}].description",
                          f"must be at most {OUTCOME_DESCRIPTION_MAX} characters"))  # fmt: skip
        codes.add(code)
    missing = [cls.value for cls in CALL_CLASSES if cls not in {o.outcome_class for o in policy.call_outcomes}]
    if missing:
        found.append(("call_outcomes", f"must give a code for every class of call (missing: {', '.join(missing)})"))
    return found


def own_values(settings: PortfolioCompliance) -> dict[str, dict[str, Any]]:
    """The values a portfolio sets itself, as ``{block: {name: value}}`` (the rest follow the enterprise)."""
    found: dict[str, dict[str, Any]] = {}
    for overridden in sorted(settings.overridden):
        block, _, name = overridden.partition(".")
        found.setdefault(block, {})[name] = getattr(getattr(settings.params, block), name)
    return found


def with_enterprise(policy: CompliancePolicy, params: ComplianceParams) -> CompliancePolicy:
    """``policy`` with new enterprise parameters: each portfolio keeps its own values and follows the new
    enterprise values in the rest."""
    portfolios = tuple(replace(p, params=override(params, own_values(p))) for p in policy.portfolios)
    return replace(policy, enterprise=params, portfolios=portfolios)


def with_portfolio(policy: CompliancePolicy, portfolio: str, own: Mapping[str, Mapping[str, Any]]) -> CompliancePolicy:
    """``policy`` with ``portfolio``'s own values ``{block: {name: value}}`` (none: it follows the enterprise in
    everything, and has no settings of its own)."""
    given = {block: dict(values) for block, values in own.items() if values}
    names = frozenset(f"{block}.{name}" for block, values in given.items() for name in values)
    settings = PortfolioCompliance(portfolio, override(policy.enterprise, given), names)
    portfolios = [p for p in policy.portfolios if p.portfolio != portfolio]
    if names:
        at = next((i for i, p in enumerate(policy.portfolios) if p.portfolio == portfolio), len(portfolios))
        portfolios.insert(at, settings)
    return replace(policy, portfolios=tuple(portfolios))
