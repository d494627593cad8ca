"""The engine with the US compliance rules: a bankrupt party's case is held (no letter, no fee) and released
when the bankruptcy is lifted; letters are redirected to the attorney; a payment demand waits for the end of
the validation period; a call capped until later in the day is released with that moment; do-not-call holds."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

from arrears.domain.cases import ActivityEvent, ActivityStatus, CaseEvent, CaseStatus, Track
from arrears.domain.compliance import (
    AttemptClass,
    CallAttempt,
    ContactFacts,
    OutboundChannel,
    PartyRole,
    SentLetter,
)
from arrears.domain.compliance_rules import CompliancePolicy
from arrears.domain.effects import Channel, Message, Posting
from arrears.domain.engine import Decisions, GateDecision, Snapshot, Trigger
from arrears.domain.strategy import FinalAction, LetterTemplate, Series, SeriesStep, Strategy
from tests.domain.test_engine import ACTIONS, SERIES, Account, entry, of_type
from tests.notation import d

NY = "America/New_York"
US_RULES = CompliancePolicy().rules("NORTH")
LETTERS = (
    LetterTemplate("L30", "Validation notice", validation_notice=True),
    LetterTemplate("L60", "Second notice", demands_payment=True),
)
NOTICE_THEN_DEMAND = Series("Notice Then Demand", ACTIONS[0].collection_type,
                            (SeriesStep("Letter 30", 30), SeriesStep("Letter 60", 30)), FinalAction.CUSTOM,
                            custom_action="Collections Note", all_portfolios=True)  # fmt: skip
STRATEGY = Strategy(letters=LETTERS, actions=ACTIONS, series=(*SERIES, NOTICE_THEN_DEMAND))


@dataclass
class Party(Account):
    """An account whose party has contact facts, with the US rules in force."""

    facts: ContactFacts = field(default_factory=lambda: ContactFacts(time_zones=(NY,)))

    def __post_init__(self) -> None:
        self.rules = US_RULES

    def snapshot(self, on: date, triggers: Iterable[Trigger] = ()) -> Snapshot:
        return replace(super().snapshot(on, triggers), contact=self.facts, time_zone=NY)

    def apply(self, decisions: Decisions, on: date) -> Decisions:
        super().apply(decisions, on)
        for change in decisions.cases:
            reason = change.reason if change.event is CaseEvent.HOLD else ""
            self.cases[change.track] = replace(self.cases[change.track], hold_reason=reason)
        for message in of_type(decisions, Message):  # the store's letter table, as the next snapshot reads it
            template = STRATEGY.letter(message.template)
            notice = template is not None and template.validation_notice
            sent = SentLetter(message.template, on, on, validation_notice=notice)
            self.facts = replace(self.facts, letters=(*self.facts.letters, sent))
        return decisions

    def run(self, on: str, triggers: Iterable[Trigger] = ()) -> Decisions:
        return self.day(d(on), triggers, STRATEGY)


BANKRUPT = ContactFacts(time_zones=(NY,), bankruptcy=True, bankruptcy_filed=d("2027-01-05"))
H01 = "H01: bankruptcy filed 2027-01-05: no contact, no fees, no credit report, no referral"


def test_a_bankrupt_party_enters_and_its_case_is_held_with_no_letter_and_no_fee() -> None:
    account = Party(facts=BANKRUPT)
    decisions = account.run("2027-02-01", [entry("Fee Series")])
    assert [(c.event, c.status, c.reason) for c in decisions.cases] == [(CaseEvent.HOLD, CaseStatus.HELD, H01)]
    assert of_type(decisions, Message) == [] and decisions.changes == []
    assert ("7/guarantor/1/case-hold/2027-02-01", "case-hold", H01) in account.history
    account.through(d("2027-02-02"), d("2027-03-01"))
    assert account.cases[Track.GUARANTOR].status is CaseStatus.HELD
    assert not any(isinstance(e, Message | Posting) for _, e in account.effects)
    account.facts = replace(BANKRUPT, bankruptcy=False)  # the bankruptcy is dismissed
    released = account.run("2027-03-02")
    assert [(c.event, c.status) for c in released.cases] == [(CaseEvent.RELEASE, CaseStatus.INTERNAL)]
    assert ("case-release", "H01 no longer applies on 2027-03-02: case released") in [
        h[1:] for h in account.history
    ]
    assert [m.template for m in of_type(released, Message)] == ["L30"]  # the held work goes on from today


def test_a_bankruptcy_filed_mid_case_stops_the_fee_that_falls_due() -> None:
    account = Party()
    account.run("2027-02-01", [entry("Fee Series")])  # Letter 30 today, the note in 10 days, the fee 5 later
    account.through(d("2027-02-02"), d("2027-02-11"))
    account.facts = BANKRUPT
    account.through(d("2027-02-12"), d("2027-03-31"))
    assert account.cases[Track.GUARANTOR].status is CaseStatus.HELD
    assert [e for _, e in account.effects if isinstance(e, Posting)] == []
    assert "2027-02-16 Late Fee (fee) scheduled e1" in account.shown()  # kept, not cancelled


def test_letters_of_a_represented_party_go_to_the_attorney() -> None:
    account = Party(facts=ContactFacts(time_zones=(NY,), attorney_represented=True,
                                       roles=frozenset({PartyRole.ATTORNEY})))  # fmt: skip
    decisions = account.run("2027-02-01", [entry("Guarantor Letters")])
    (letter,) = of_type(decisions, Message)
    assert (letter.template, letter.addressee) == ("L30", "attorney")
    assert decisions.gate == [GateDecision(letter.key, OutboundChannel.LETTER, "redirected", "H04",
                                           "represented by an attorney: letter to the attorney")]  # fmt: skip


def test_the_payment_demand_waits_for_the_end_of_the_validation_period() -> None:
    account = Party()
    account.run("2027-01-15", [entry("Notice Then Demand")])  # the notice goes out on Friday 2027-01-15
    assert [m.template for _, m in account.effects if isinstance(m, Message)] == ["L30"]
    demand = account.run("2027-02-14")  # 30 days later: the period ends 2027-02-24
    (deferred,) = demand.rescheduled
    assert (deferred.due, deferred.due_at) == (d("2027-02-25"), datetime(2027, 2, 25, tzinfo=ZoneInfo(NY)))
    assert deferred.reason.startswith("V01: validation notice sent 2027-01-15, assumed received 2027-01-25")
    account.through(d("2027-02-15"), d("2027-02-24"))
    assert [m.template for _, m in account.effects if isinstance(m, Message)] == ["L30"]
    sent = account.run("2027-02-25")
    assert [m.template for m in of_type(sent, Message)] == ["L60"]


def test_a_call_capped_until_later_today_is_released_with_that_moment() -> None:
    tz = ZoneInfo(NY)
    attempts = tuple(CallAttempt(datetime(2027, 3, day, 9, 14 + day, tzinfo=tz), AttemptClass.VOICEMAIL)
                     for day in range(3, 10))  # fmt: skip
    account = Party(facts=ContactFacts(time_zones=(NY,), attempts=attempts))
    decisions = account.run("2027-03-10", [entry("Call 1")])
    assert [(c.event, c.status) for c in decisions.changes] == [(ActivityEvent.OPEN, ActivityStatus.OPEN)]
    (moved,) = decisions.rescheduled
    assert (moved.due, moved.due_at) == (d("2027-03-10"), datetime(2027, 3, 10, 9, 17, tzinfo=tz))
    assert moved.reason.startswith("R01: 7 calls in the 7 days to 2027-03-10 00:00 EST (limit 7)")


def test_do_not_call_holds_the_call_and_its_successor_is_not_scheduled() -> None:
    account = Party(facts=ContactFacts(time_zones=(NY,), do_not_call=True))
    decisions = account.run("2027-03-10", [entry("Call 1")])
    held = [(c.event, c.reason) for c in decisions.changes]
    assert held == [(ActivityEvent.HOLD, "H06: do not call: no phone calls")]
    assert len(decisions.created) == 1 and decisions.gate[0].verdict == "held"
    assert account.run("2027-03-11").empty  # still held, nothing new
    letters = Party(facts=ContactFacts(time_zones=(NY,), do_not_call=True))
    assert [m.channel for m in of_type(letters.run("2027-03-10", [entry("Guarantor Letters")]), Message)] == [
        Channel.LETTER
    ]
