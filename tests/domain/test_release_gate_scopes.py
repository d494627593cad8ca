"""The release gate asks each rule only about the channels it concerns (``RuleSet.scopes``): a property test holds
the scoped gate to the gate that asks every rule about everything, over any party, history and request."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from arrears.domain.compliance import (
    AttemptClass,
    CallAttempt,
    ContactFacts,
    LetterFlags,
    Outbound,
    OutboundChannel,
    PartyRole,
    RuleSet,
    SentLetter,
    release_gate,
)
from arrears.domain.compliance_rules import ComplianceParams, override, rule_set

NY = ZoneInfo("America/New_York")
DAYS = st.dates(min_value=date(2026, 1, 1), max_value=date(2027, 12, 31))
MOMENTS = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(NY))
MAYBE_DAY = st.none() | DAYS

FACTS = st.builds(
    ContactFacts,
    state=st.sampled_from(["", "MA", "WA", "NY", "TX"]),
    time_zones=st.sampled_from([(), ("America/New_York",), ("America/New_York", "America/Chicago"),
                                ("Pacific/Honolulu",)]),
    bankruptcy=st.booleans(), deceased=st.booleans(), cease_communication=st.booleans(),
    attorney_represented=st.booleans(), do_not_call=st.booleans(), medical=st.booleans(),
    disputed_on=MAYBE_DAY, dispute_verified_on=MAYBE_DAY,
    roles=st.frozensets(st.sampled_from(list(PartyRole))),
    attempts=st.lists(st.builds(CallAttempt, at=MOMENTS, outcome=st.sampled_from(list(AttemptClass)),
                                phone_type=st.sampled_from(["", "home", "mobile", "work"])), max_size=9).map(tuple),
    last_conversation=st.none() | MOMENTS, first_conversation=st.none() | MOMENTS,
    letters=st.lists(st.builds(SentLetter, template=st.sampled_from(["G30", "G60", "ECA"]), first_on=DAYS,
                               last_on=DAYS, validation_notice=st.booleans(), eca_notice=st.booleans()),
                     max_size=3).map(tuple),
    case_entered_on=MAYBE_DAY, balance_cents=st.integers(-1000, 100_000),
    original_balance_cents=st.none() | st.integers(0, 100_000), first_delinquency=MAYBE_DAY,
    first_bill_on=MAYBE_DAY, assistance_applied_on=MAYBE_DAY, assistance_decided_on=MAYBE_DAY,
)  # fmt: skip
LETTERS = st.none() | st.builds(LetterFlags, template=st.just("G30"), validation_notice=st.booleans(),
                                demands_payment=st.booleans(), cease_notice=st.booleans(), eca_notice=st.booleans())
PARAMS = st.sampled_from([
    ComplianceParams(),
    override(ComplianceParams(), {"nonprofit_hospital": {"enabled": True}}),
    override(ComplianceParams(), {"time_of_day": {"channels": (OutboundChannel.PHONE,)}}),
])  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(params=PARAMS, channel=st.sampled_from(list(OutboundChannel)), on=DAYS, at=st.none() | MOMENTS,
       facts=FACTS, letter=LETTERS, guarantor=st.booleans())  # fmt: skip
def test_the_scoped_gate_answers_as_the_gate_that_asks_every_rule(
    params: ComplianceParams, channel: OutboundChannel, on: date, at: datetime | None, facts: ContactFacts,
    letter: LetterFlags | None, guarantor: bool,
) -> None:  # fmt: skip
    scoped = rule_set(params)
    every = RuleSet(scoped.rules, scoped.case_rules)
    assert len(scoped.for_channel(OutboundChannel.LETTER)) < len(every.rules)  # it does leave rules out
    request = Outbound(7, "NORTH", channel, "7/guarantor/1/action:X/2026-03-01", at.date() if at else on, at,
                       "America/New_York", facts, letter, guarantor)  # fmt: skip
    assert release_gate(request, scoped) == release_gate(request, every)
