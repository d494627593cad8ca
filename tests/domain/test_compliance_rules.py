"""The compliance rules with the numbers of the regulations: each test gives a party, its contact history and
a moment, and expects the release gate's answer (allow, redirect, defer until a moment, hold with a rule)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from arrears.domain.compliance import (
    ALLOW,
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
    SentLetter,
    Verdict,
    case_hold,
    release_gate,
)
from arrears.domain.compliance_rules import (
    CallFrequency,
    ComplianceParams,
    CompliancePolicy,
    NonprofitHospital,
    PortfolioCompliance,
    business_days_after,
    candidate_zones,
    contact_facts,
    override,
    phone_zones,
    rule_set,
    validation_period_end,
)
from tests.notation import d

NY, CHICAGO, PHOENIX, HONOLULU = "America/New_York", "America/Chicago", "America/Phoenix", "Pacific/Honolulu"
US_DEFAULTS = rule_set(ComplianceParams())
PHONE, LETTER = OutboundChannel.PHONE, OutboundChannel.LETTER
CONVERSATION, VOICEMAIL, NO_ANSWER = (AttemptClass.CONNECTED_CONVERSATION, AttemptClass.VOICEMAIL,
                                      AttemptClass.NO_ANSWER)  # fmt: skip
NOT_CONNECTED, WRONG_NUMBER = AttemptClass.NOT_CONNECTED, AttemptClass.WRONG_NUMBER


def at(text: str, zone: str = NY) -> datetime:
    """A local moment: '2027-03-09 14:02' in ``zone``."""
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone))


def ask(
    channel: OutboundChannel,
    moment: datetime | date,
    facts: ContactFacts = ContactFacts(time_zones=(NY,)),
    letter: LetterFlags | None = None,
    params: ComplianceParams | None = None,
) -> Verdict:
    """The gate's answer for one outbound activity at a moment (or, given a date, some time that day)."""
    timed = isinstance(moment, datetime)
    on = moment.date() if isinstance(moment, datetime) else moment
    request = Outbound(
        7, "NORTH", channel, "7/guarantor/1/action:Call/2027-03-01", on, moment if timed else None,
        facts.time_zones[0] if facts.time_zones else "", facts, letter,
    )  # fmt: skip
    return release_gate(request, rule_set(params) if params is not None else US_DEFAULTS)


def calls(*attempts: tuple[str, AttemptClass], zone: str = NY) -> ContactFacts:
    """A New York party (or ``zone``) with these call attempts."""
    made = tuple(CallAttempt(at(moment, zone), outcome) for moment, outcome in attempts)
    talks = [a.at for a in made if a.outcome.conversation]
    return ContactFacts(time_zones=(zone,), attempts=made, last_conversation=max(talks) if talks else None)


SIX_ATTEMPTS = (
    ("2027-03-03 09:14", VOICEMAIL),
    ("2027-03-04 10:00", NO_ANSWER),
    ("2027-03-05 11:30", VOICEMAIL),
    ("2027-03-06 12:00", NO_ANSWER),
    ("2027-03-08 16:45", VOICEMAIL),
    ("2027-03-09 10:30", NO_ANSWER),
)

# ------------------------------------------------------------------------------------ call frequency


def test_the_seventh_call_in_seven_days_is_allowed() -> None:
    assert ask(PHONE, at("2027-03-09 14:02"), calls(*SIX_ATTEMPTS)) == ALLOW


def test_the_eighth_call_waits_until_the_first_leaves_the_window() -> None:
    seven = calls(*SIX_ATTEMPTS, ("2027-03-09 14:02", VOICEMAIL))
    assert ask(PHONE, at("2027-03-09 15:00"), seven) == Defer(
        at("2027-03-10 09:14"),
        "R01",
        "7 calls in the 7 days to 2027-03-09 15:00 EST (limit 7): next allowed 2027-03-10 09:14 EST",
    )
    assert ask(PHONE, at("2027-03-10 09:13:59"), seven).rule == "R01"  # type: ignore[union-attr]
    assert ask(PHONE, at("2027-03-10 09:14"), seven) == ALLOW


def test_calls_that_did_not_connect_or_reached_a_wrong_number_do_not_count() -> None:
    facts = calls(*SIX_ATTEMPTS, ("2027-03-09 14:02", NOT_CONNECTED), ("2027-03-09 14:05", WRONG_NUMBER))
    assert ask(PHONE, at("2027-03-09 15:00"), facts) == ALLOW


def test_a_promise_a_refusal_a_dispute_and_a_payment_are_conversations() -> None:
    for outcome in (AttemptClass.PROMISE, AttemptClass.REFUSED, AttemptClass.DISPUTE, AttemptClass.PAID):
        seventh = calls(*SIX_ATTEMPTS, ("2027-03-09 14:02", outcome))
        assert (outcome.reached, outcome.conversation) == (CONVERSATION, True)
        # the seventh attempt of the week, and a conversation: R02 waits the longer (day 7 is 2027-03-15)
        assert ask(PHONE, at("2027-03-10 09:14"), seventh).rule == "R02"  # type: ignore[union-attr]
        assert ask(PHONE, at("2027-03-16 08:00"), seventh) == ALLOW


def test_other_counts_as_an_attempt_without_a_conversation() -> None:
    seventh = calls(*SIX_ATTEMPTS, ("2027-03-09 14:02", AttemptClass.OTHER))
    assert (AttemptClass.OTHER.reached, AttemptClass.OTHER.conversation) == (NO_ANSWER, False)
    assert ask(PHONE, at("2027-03-09 15:00"), seventh).rule == "R01"  # type: ignore[union-attr]
    assert ask(PHONE, at("2027-03-10 09:14"), seventh) == ALLOW  # no 7-day wait


def test_a_conversation_on_day_one_blocks_calls_through_day_seven() -> None:
    talked = calls(("2027-03-01 15:00", CONVERSATION))
    day_seven = ask(PHONE, at("2027-03-07 10:00"), talked)
    assert day_seven == Defer(
        at("2027-03-08 08:00"),
        "R02",
        "telephone conversation on 2027-03-01 (day 1): no calls through 2027-03-07 (day 7): next allowed "
        "2027-03-08; then R03 00:00:00 in America/New_York: outside 08:00–21:00 local (every candidate zone: "
        "America/New_York): next allowed 2027-03-08 08:00 EST",
    )
    assert ask(PHONE, at("2027-03-08 08:00"), talked) == ALLOW
    assert ask(LETTER, d("2027-03-02"), talked) == ALLOW  # letters are no calls


def test_a_portfolio_can_set_its_own_limits_or_switch_the_rule_off() -> None:
    seven = calls(*SIX_ATTEMPTS, ("2027-03-09 14:02", VOICEMAIL))
    stricter = override(ComplianceParams(), {"call_frequency": {"attempts": 3}})
    off = override(ComplianceParams(), {"call_frequency": {"enabled": False}})
    strict = PortfolioCompliance("STRICT", stricter, frozenset({"call_frequency.attempts"}))
    policy = CompliancePolicy(portfolios=(strict, PortfolioCompliance("OFF", off)))
    assert policy.params("STRICT").call_frequency == CallFrequency(attempts=3)
    assert ask(PHONE, at("2027-03-07 09:00"), calls(*SIX_ATTEMPTS[:3]), params=stricter).rule == "R01"  # type: ignore[union-attr]
    assert ask(PHONE, at("2027-03-09 15:00"), seven, params=off) == ALLOW
    assert policy.rules("OTHER") is policy.rules("OTHER")  # the enterprise's rules, built once


# ---------------------------------------------------------------------------------------- time of day

ZONES_AND_DAYS = [
    (zone, day)
    for zone in (NY, CHICAGO, PHOENIX, HONOLULU)
    for day in ("2027-03-10", "2027-03-14", "2027-11-07")  # an ordinary day, both DST change days of 2027
]


@pytest.mark.parametrize(("zone", "day"), ZONES_AND_DAYS)
def test_calls_only_between_eight_and_nine_local(zone: str, day: str) -> None:
    party = ContactFacts(time_zones=(zone,))
    for allowed in ("08:00:00", "20:59:00", "21:00:00"):
        assert ask(PHONE, at(f"{day} {allowed}", zone), party) == ALLOW, allowed
    early = ask(PHONE, at(f"{day} 07:59", zone), party)
    late = ask(PHONE, at(f"{day} 21:00:01", zone), party)
    assert isinstance(early, Defer) and early.until == at(f"{day} 08:00", zone) and early.rule == "R03"
    next_day = (date.fromisoformat(day) + timedelta(days=1)).isoformat()
    assert isinstance(late, Defer) and late.until == at(f"{next_day} 08:00", zone)
    assert late.until.astimezone(ZoneInfo(zone)).hour == 8


def test_e_mail_and_sms_keep_the_window_and_letters_do_not() -> None:
    party = ContactFacts(time_zones=(CHICAGO,))
    assert ask(OutboundChannel.EMAIL, at("2027-03-10 22:00", CHICAGO), party).rule == "R03"  # type: ignore[union-attr]
    assert ask(OutboundChannel.SMS, at("2027-03-10 06:00", CHICAGO), party).rule == "R03"  # type: ignore[union-attr]
    assert ask(LETTER, at("2027-03-10 23:00", CHICAGO), party) == ALLOW


def test_an_unknown_zone_allows_only_the_overlap_of_every_us_zone() -> None:
    unknown = ContactFacts()
    # In January the overlap is 13:00–21:00 in New York (08:00 in Honolulu is 13:00 in New York).
    assert ask(PHONE, at("2027-01-12 12:59"), unknown) == Defer(
        at("2027-01-12 13:00"), "R03", ask(PHONE, at("2027-01-12 12:59"), unknown).reason  # type: ignore[union-attr]
    )
    assert ask(PHONE, at("2027-01-12 13:00"), unknown) == ALLOW
    assert ask(PHONE, at("2027-01-12 21:00"), unknown) == ALLOW
    late = ask(PHONE, at("2027-01-12 21:00:01"), unknown)
    assert isinstance(late, Defer) and late.until == at("2027-01-13 13:00")
    assert "07:59:00 in Pacific/Honolulu" in ask(PHONE, at("2027-01-12 12:59"), unknown).reason  # type: ignore[union-attr]


def test_address_and_phone_in_different_zones_allow_only_their_overlap() -> None:
    facts = contact_facts(time_zone=CHICAGO, state="IL", phones=["(808) 555-0100"])
    assert facts.time_zones == (CHICAGO, HONOLULU)
    # 08:00 in Honolulu is 12:00 in Chicago in January (10 h and 6 h behind UTC).
    early = ask(PHONE, at("2027-01-12 11:59", CHICAGO), facts)
    assert isinstance(early, Defer) and early.until == at("2027-01-12 12:00", CHICAGO)
    assert ask(PHONE, at("2027-01-12 20:59", CHICAGO), facts) == ALLOW


def test_state_windows_narrow_the_federal_one_and_a_wider_one_leaves_it() -> None:
    washington = ContactFacts(state="WA", time_zones=("America/Los_Angeles",))
    early = ask(PHONE, at("2027-03-10 07:45", "America/Los_Angeles"), washington)
    assert isinstance(early, Defer) and early.until == at("2027-03-10 08:00", "America/Los_Angeles")
    # A Massachusetts debtor living in Chicago: 20:30 there is 21:30 Eastern, outside Massachusetts' window.
    massachusetts = ContactFacts(state="MA", time_zones=(CHICAGO,))
    late = ask(PHONE, at("2027-03-10 20:30", CHICAGO), massachusetts)
    assert isinstance(late, Defer) and late.until == at("2027-03-11 08:00", CHICAGO)
    assert ask(PHONE, at("2027-03-10 19:59", CHICAGO), massachusetts) == ALLOW


def test_massachusetts_allows_two_calls_in_seven_days_to_home_or_mobile() -> None:
    two = replace(calls(("2027-03-01 10:00", VOICEMAIL), ("2027-03-03 10:00", NO_ANSWER)), state="MA")
    third = ask(PHONE, at("2027-03-05 10:00"), two)
    assert third == Defer(
        at("2027-03-08 10:00"),
        "R04",
        "MA: 2 calls in the 7 days to 2027-03-05 10:00 EST (state limit 2): next allowed 2027-03-08 10:00 EST",
    )
    to_work = replace(two, attempts=tuple(replace(a, phone_type="work") for a in two.attempts))
    assert ask(PHONE, at("2027-03-05 10:00"), to_work) == ALLOW
    assert ask(PHONE, at("2027-03-05 10:00"), replace(two, state="NY")) == ALLOW


def test_untimed_work_of_a_day_with_a_lawful_window_is_allowed_that_day() -> None:
    assert ask(PHONE, d("2027-03-10"), ContactFacts(time_zones=(HONOLULU,))) == ALLOW
    seven = calls(*SIX_ATTEMPTS, ("2027-03-09 14:02", VOICEMAIL))
    later_that_day = ask(PHONE, d("2027-03-10"), seven)
    assert isinstance(later_that_day, Defer) and later_that_day.until == at("2027-03-10 09:14")


# ------------------------------------------------------------------------------------------- holds

VALIDATION = LetterFlags("G30", validation_notice=True)
DEMAND = LetterFlags("G60", demands_payment=True)
FINAL_NOTICE = LetterFlags("STOP", cease_notice=True)
EVERY_CHANNEL = tuple(OutboundChannel)


def test_bankruptcy_holds_everything_and_the_case() -> None:
    bankrupt = ContactFacts(time_zones=(NY,), bankruptcy=True, bankruptcy_filed=d("2027-01-05"))
    reason = "bankruptcy filed 2027-01-05: no contact, no fees, no credit report, no referral"
    assert {ask(channel, d("2027-02-01"), bankrupt) for channel in EVERY_CHANNEL} == {Hold("H01", reason)}
    assert case_hold(bankrupt, US_DEFAULTS) == Hold("H01", reason)
    assert case_hold(replace(bankrupt, bankruptcy=False), US_DEFAULTS) is None


def test_a_deceased_party_is_written_to_only_through_the_estate_representative() -> None:
    deceased = ContactFacts(time_zones=(NY,), deceased=True, deceased_notified=d("2027-01-10"))
    with_estate = replace(deceased, roles=frozenset({PartyRole.ESTATE_REPRESENTATIVE}))
    assert ask(LETTER, d("2027-02-01"), with_estate) == Redirect(
        PartyRole.ESTATE_REPRESENTATIVE,
        "H02",
        "party deceased (notified 2027-01-10): letter to the estate representative",
    )
    assert ask(LETTER, d("2027-02-01"), deceased) == Hold(
        "H02", "party deceased (notified 2027-01-10) and no estate representative on file"
    )
    assert ask(PHONE, d("2027-02-01"), with_estate).rule == "H02"  # type: ignore[union-attr]


def test_after_a_cease_request_only_the_final_notice_goes_out() -> None:
    ceased = ContactFacts(time_zones=(NY,), cease_communication=True, cease_requested=d("2027-01-20"))
    assert ask(LETTER, d("2027-02-01"), ceased, FINAL_NOTICE) == ALLOW
    held = ask(LETTER, d("2027-02-01"), ceased, DEMAND)
    assert isinstance(held, Hold) and held.rule == "H03" and "requested on 2027-01-20" in held.reason
    assert ask(PHONE, d("2027-02-01"), ceased).rule == "H03"  # type: ignore[union-attr]


def test_a_represented_party_gets_letters_through_the_attorney_on_file() -> None:
    represented = ContactFacts(time_zones=(NY,), attorney_represented=True, roles=frozenset({PartyRole.ATTORNEY}))
    assert ask(LETTER, d("2027-02-01"), represented) == Redirect(
        PartyRole.ATTORNEY, "H04", "represented by an attorney: letter to the attorney"
    )
    assert ask(LETTER, d("2027-02-01"), replace(represented, roles=frozenset())).rule == "H04"  # type: ignore[union-attr]
    assert ask(PHONE, d("2027-02-01"), represented) == Hold("H04", "represented by an attorney: no direct contact")
    assert ask(OutboundChannel.REFERRAL, d("2027-02-01"), represented) == ALLOW


def test_a_disputed_debt_is_held_until_the_verification_is_recorded() -> None:
    disputed = ContactFacts(time_zones=(NY,), disputed_on=d("2027-02-01"))
    assert ask(LETTER, d("2027-02-03"), disputed) == Hold(
        "H05", "disputed on 2027-02-01: held until the verification is recorded"
    )
    assert ask(LETTER, d("2027-02-20"), replace(disputed, dispute_verified_on=d("2027-02-19"))) == ALLOW
    disputed_again = replace(disputed, dispute_verified_on=d("2027-02-19"), disputed_on=d("2027-03-01"))
    assert ask(LETTER, d("2027-03-02"), disputed_again).rule == "H05"  # type: ignore[union-attr]


def test_do_not_call_holds_calls_and_allows_letters() -> None:
    no_calls = ContactFacts(time_zones=(NY,), do_not_call=True)
    assert ask(PHONE, at("2027-02-01 10:00"), no_calls) == Hold("H06", "do not call: no phone calls")
    assert ask(LETTER, d("2027-02-01"), no_calls) == ALLOW


def test_every_hold_can_be_switched_off() -> None:
    everything = ContactFacts(time_zones=(NY,), bankruptcy=True, deceased=True, cease_communication=True,
                              attorney_represented=True, disputed_on=d("2027-01-01"), do_not_call=True)  # fmt: skip
    off = {name: False for name in ("bankruptcy", "deceased", "cease_communication", "attorney", "dispute",
                                    "do_not_call")}  # fmt: skip
    params = override(ComplianceParams(), {"holds": off})
    assert ask(PHONE, at("2027-02-01 10:00"), everything, params=params) == ALLOW
    assert case_hold(everything, rule_set(params)) is None


# ---------------------------------------------------------------------------------- validation period


def test_receipt_is_five_business_days_after_sending_without_weekends_or_federal_holidays() -> None:
    # Friday 2027-01-15; Monday 2027-01-18 is Martin Luther King Jr. Day.
    assert business_days_after(d("2027-01-15"), 5) == d("2027-01-25")
    assert validation_period_end(d("2027-01-15")) == (d("2027-01-25"), d("2027-02-24"))
    assert validation_period_end(d("2027-01-13")) == (d("2027-01-21"), d("2027-02-20"))  # a Wednesday


def test_no_payment_demand_before_the_validation_period_ends() -> None:
    notice = SentLetter("G30", d("2027-01-15"), d("2027-01-15"), validation_notice=True)
    sent = ContactFacts(time_zones=(NY,), case_entered_on=d("2027-01-15"), letters=(notice,))
    assert ask(LETTER, d("2027-02-24"), sent, DEMAND) == Defer(
        at("2027-02-25 00:00"),
        "V01",
        "validation notice sent 2027-01-15, assumed received 2027-01-25 (5 business days): the validation period "
        "ends 2027-02-24",
    )
    assert ask(LETTER, d("2027-02-25"), sent, DEMAND) == ALLOW
    assert ask(LETTER, d("2027-01-20"), sent, LetterFlags("INFO")) == ALLOW  # no demand: no wait


def test_a_payment_demand_without_a_validation_notice_in_the_case_is_held() -> None:
    notice = SentLetter("G30", d("2027-01-15"), d("2027-01-15"), validation_notice=True)
    earlier_case = ContactFacts(time_zones=(NY,), case_entered_on=d("2027-06-01"), letters=(notice,))
    assert ask(LETTER, d("2027-08-01"), earlier_case, DEMAND) == Hold(
        "V01", "letter G60 demands payment and no validation notice has been sent in this case"
    )


def test_the_validation_notice_goes_out_within_5_days_of_the_first_contact() -> None:
    """V02: a conversation on Monday 2027-03-01 is the case's first contact; the notice is due by 2027-03-06."""
    talked = ContactFacts(time_zones=(NY,), case_entered_on=d("2027-02-26"), first_conversation=at("2027-03-01 10:00"),
                          last_conversation=at("2027-03-01 10:00"))  # fmt: skip
    info = LetterFlags("INFO")
    assert ask(LETTER, d("2027-03-06"), talked, info) == ALLOW  # day 5 after the first contact
    assert ask(LETTER, d("2027-03-07"), talked, info) == Hold(
        "V02", "first contact on 2027-03-01 and no validation notice sent by 2027-03-06 (5 days): no other contact "
        "until it is"
    )  # fmt: skip
    assert ask(PHONE, at("2027-03-08 10:00"), talked).rule == "V02"  # type: ignore[union-attr]
    assert ask(LETTER, d("2027-03-09"), talked, VALIDATION) == ALLOW  # late, but the notice itself always may go
    assert ask(LETTER, d("2027-03-09"), talked, LetterFlags("STOP", cease_notice=True)) == ALLOW
    to_the_payer = Outbound(7, "NORTH", LETTER, "7/insurance/1/action:Claim/2027-03-09", d("2027-03-09"), None, NY,
                            talked, info, guarantor=False)  # fmt: skip
    assert release_gate(to_the_payer, US_DEFAULTS) == ALLOW  # the insurance track writes to the payer
    notice = SentLetter("G30", d("2027-03-09"), d("2027-03-09"), validation_notice=True)
    assert ask(LETTER, d("2027-03-10"), replace(talked, letters=(notice,)), info) == ALLOW  # sent: contact goes on


def test_a_first_letter_that_is_not_the_validation_notice_starts_the_5_days() -> None:
    info = SentLetter("INFO", d("2027-03-01"), d("2027-03-01"))
    written = ContactFacts(time_zones=(NY,), case_entered_on=d("2027-03-01"), letters=(info,))
    assert ask(PHONE, at("2027-03-06 12:00"), written) == ALLOW
    assert ask(PHONE, at("2027-03-07 12:00"), written).rule == "V02"  # type: ignore[union-attr]
    assert ask(PHONE, at("2027-03-07 12:00"), replace(written, case_entered_on=None)) == ALLOW  # no case: no rule
    earlier = replace(written, case_entered_on=d("2027-04-01"))  # a letter of an earlier case: no contact yet here
    assert ask(PHONE, at("2027-04-20 12:00"), earlier) == ALLOW
    assert ask(PHONE, at("2027-03-07 12:00"), ContactFacts(time_zones=(NY,), case_entered_on=d("2027-03-01"))) == ALLOW
    switched_off = override(ComplianceParams(), {"validation": {"enabled": False}})
    assert ask(PHONE, at("2027-03-07 12:00"), written, params=switched_off) == ALLOW


# ------------------------------------------------------------------------------- credit reports, medical

REPORT = OutboundChannel.CREDIT_REPORT


def test_a_credit_report_needs_a_conversation_or_fourteen_days_after_a_letter() -> None:
    nothing = ContactFacts(time_zones=(NY,))
    assert ask(REPORT, d("2027-03-20"), nothing) == Hold("C01", "the party has not been spoken to nor sent a letter")
    lettered = replace(nothing, letters=(SentLetter("G30", d("2027-03-01"), d("2027-03-01")),))
    assert ask(REPORT, d("2027-03-14"), lettered) == Defer(
        at("2027-03-15 00:00"), "C01",
        "first letter sent 2027-03-01 and the party not spoken to: no credit report before 2027-03-15 (14 days)",
    )  # fmt: skip
    assert ask(REPORT, d("2027-03-15"), lettered) == ALLOW
    assert ask(REPORT, d("2027-03-02"), calls(("2027-03-01 10:00", CONVERSATION))) == ALLOW


def medical(first_delinquency: str, original: int, balance: int = 80_000) -> ContactFacts:
    letter = SentLetter("G30", d("2026-01-01"), d("2026-01-01"))
    return ContactFacts(time_zones=(NY,), medical=True, first_delinquency=d(first_delinquency), balance_cents=balance,
                        original_balance_cents=original, letters=(letter,))  # fmt: skip


def test_medical_debt_is_reported_from_365_days_and_500_dollars_and_never_once_paid() -> None:
    debt = medical("2026-03-01", 80_000)
    day_364 = ask(REPORT, d("2027-02-28"), debt)
    assert isinstance(day_364, Defer) and day_364.rule == "M01" and day_364.until == at("2027-03-01 00:00")
    assert "364 days past its first delinquency 2026-03-01 (at least 365)" in day_364.reason
    assert ask(REPORT, d("2027-03-01"), debt) == ALLOW
    assert ask(REPORT, d("2027-03-01"), medical("2026-03-01", 49_999)) == Hold(
        "M01", "medical debt of original balance $499.99 is under $500.00"
    )
    assert ask(REPORT, d("2027-03-01"), medical("2026-03-01", 50_000)) == ALLOW
    assert ask(REPORT, d("2027-03-01"), medical("2026-03-01", 80_000, balance=0)) == Hold(
        "M01", "paid medical debt is never reported"
    )
    assert ask(REPORT, d("2026-04-01"), replace(debt, medical=False)) == ALLOW  # not medical: no age limit


# ------------------------------------------------------------------------------------------ 501(r)

HOSPITAL = override(ComplianceParams(), {"nonprofit_hospital": {"enabled": True}})
REFERRAL = OutboundChannel.REFERRAL


def hospital(first_bill: str, notice: str, **facts: object) -> ContactFacts:
    letters = (SentLetter("ECA", d(notice), d(notice), eca_notice=True),)
    return replace(ContactFacts(time_zones=(NY,), first_bill_on=d(first_bill), letters=letters), **facts)  # type: ignore[arg-type]


def test_extraordinary_actions_wait_120_days_after_the_first_bill() -> None:
    account = hospital("2027-01-01", "2027-01-10")
    day_119 = ask(REFERRAL, d("2027-01-01") + timedelta(days=119), account, params=HOSPITAL)
    assert isinstance(day_119, Defer) and day_119.until == at("2027-05-01 00:00")
    assert day_119.reason == ("first bill 2027-01-01 + 120 days = 2027-05-01, ECA notice 2027-01-10 + 30 days = "
                              "2027-02-09: not before 2027-05-01")  # fmt: skip
    assert ask(REFERRAL, d("2027-01-01") + timedelta(days=120), account, params=HOSPITAL) == ALLOW


def test_extraordinary_actions_wait_30_days_after_the_eca_notice() -> None:
    account = hospital("2027-01-01", "2027-04-20")
    assert ask(REPORT, d("2027-05-19"), replace(account, last_conversation=at("2027-04-01 10:00")),
               params=HOSPITAL).rule == "N01"  # type: ignore[union-attr]  # 29 days after the notice
    assert ask(REFERRAL, d("2027-05-20"), account, params=HOSPITAL) == ALLOW  # 30 days
    no_notice = replace(account, letters=())
    assert ask(REFERRAL, d("2027-09-01"), no_notice, params=HOSPITAL) == Hold(
        "N01", "no notice of extraordinary collection actions sent"
    )


def test_no_extraordinary_action_while_a_financial_assistance_application_is_pending() -> None:
    pending = hospital("2027-01-01", "2027-01-10", assistance_applied_on=d("2027-06-01"))
    assert ask(REFERRAL, d("2027-07-01"), pending, params=HOSPITAL) == Hold(
        "N01", "financial-assistance application of 2027-06-01 pending"
    )
    decided = replace(pending, assistance_decided_on=d("2027-06-20"))
    assert ask(REFERRAL, d("2027-07-01"), decided, params=HOSPITAL) == ALLOW
    too_late = replace(pending, assistance_applied_on=d("2027-08-30"))  # day 241 after the first bill
    assert ask(REFERRAL, d("2027-09-01"), too_late, params=HOSPITAL) == ALLOW
    assert ask(REFERRAL, d("2027-07-01"), pending) == ALLOW  # the rule is off unless the portfolio is a hospital's
    assert NonprofitHospital().enabled is False


# ------------------------------------------------------------------------------------------- the facts


def test_the_facts_of_an_account_as_the_store_holds_them() -> None:
    templates = {"G30": VALIDATION, "ECA": LetterFlags("ECA", eca_notice=True)}
    talk = at("2027-03-01 15:00", CHICAGO)
    facts = contact_facts(
        time_zone="", state="tx", phones=["214-555-0100", "1 (800) 555-0100"],
        flags={"do_not_call": True, "disputed_on": d("2027-02-01"), "bankruptcy_filed": None},
        roles=["attorney"],
        attempts=[CallAttempt(talk, CONVERSATION), CallAttempt(talk - timedelta(days=1), VOICEMAIL)],
        last_conversation=talk,
        letters=[("G30", d("2027-01-15"), d("2027-01-15")), ("G60", d("2027-02-25"), d("2027-02-25"))],
        templates=templates, case_entered_on=d("2027-01-15"), balance_cents=12_345,
        debt={"medical": True, "original_balance_cents": 50_000},
    )  # fmt: skip
    assert facts.state == "TX" and facts.time_zones == (CHICAGO, "America/Denver")  # toll-free says nothing
    assert facts.do_not_call and facts.disputed and facts.roles == {PartyRole.ATTORNEY}
    assert [a.outcome for a in facts.attempts] == [VOICEMAIL, CONVERSATION]  # oldest first
    assert [(s.template, s.validation_notice) for s in facts.letters] == [("G30", True), ("G60", False)]
    assert (facts.medical, facts.original_balance_cents, facts.balance_cents) == (True, 50_000, 12_345)


def test_candidate_zones_from_the_recorded_zone_the_state_and_the_phones() -> None:
    assert phone_zones("+1 212 555 0100") == (NY,)
    assert phone_zones("800-555-0100") == () and phone_zones("555-0100") == ()
    assert candidate_zones(NY, "NY", ["212-555-0100"]) == (NY,)
    assert candidate_zones("Mars/Olympus", "AZ", []) == (PHOENIX,)
    assert candidate_zones("", "", []) == ()
