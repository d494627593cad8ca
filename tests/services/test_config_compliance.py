"""The ``compliance`` section of the configuration document: enterprise defaults, portfolio overrides, call
outcome codes; validated with paths like the rest, and round-tripped through export and apply."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import yaml

from arrears.domain.compliance import AttemptClass
from arrears.domain.compliance_rules import DEFAULT_OUTCOMES, CallOutcome, StateWindow
from arrears.services import config, config_versions
from arrears.services.accounts import create_portfolio
from arrears.services.config_document import dump_strategy, parse_document
from arrears.services.stored_strategy import load_strategy
from arrears.store.db import Database
from tests.examples import example_text

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "strategy.yaml"
PORTFOLIOS = {"FAMILY", "ORTHO", "OUTPT"}


def with_compliance(section: dict) -> str:
    document = yaml.safe_load(example_text())
    document["compliance"] = section
    return yaml.safe_dump(document, sort_keys=False)


def problems(section: dict) -> list[str]:
    return [f"{e.path}: {e.rule}" for e in parse_document(with_compliance(section), "s.yaml", PORTFOLIOS).errors]


def test_the_example_shows_the_us_defaults_and_a_portfolio_override() -> None:
    strategy = parse_document(example_text(), str(EXAMPLE), PORTFOLIOS).strategy
    assert strategy is not None
    policy = strategy.compliance
    family, ortho = policy.params("FAMILY"), policy.params("ORTHO")
    assert (family.call_frequency.attempts, ortho.call_frequency.attempts) == (7, 5)
    assert ortho.call_frequency.days == 7 and ortho.time_of_day.start == time(8)  # the rest: the enterprise's
    assert family.time_of_day.state_windows == (
        StateWindow("WA", time(7, 30), time(21)), StateWindow("MA", time(8), time(21), "America/New_York")
    )  # fmt: skip
    assert family.medical.min_original_cents == 50_000 and not family.nonprofit_hospital.enabled
    assert policy.call_outcomes == DEFAULT_OUTCOMES


def test_portfolio_overrides_and_outcome_codes_round_trip_through_the_yaml() -> None:
    text = with_compliance({
        "enterprise": {"time_of_day": {"start": "09:00"}, "medical": {"min_original_balance": "750.00"}},
        "portfolios": [
            {"portfolio": "OUTPT", "nonprofit_hospital": {"enabled": True}, "holds": {"do_not_call": False}}
        ],
        "call_outcomes": [{"code": "TALK", "class": "connected_conversation"}, {"code": "VM", "class": "voicemail"},
                          {"code": "NA", "class": "no_answer"}, {"code": "BUSY", "class": "not_connected"},
                          {"code": "WRONG", "class": "wrong_number"}],
    })  # fmt: skip
    parsed = parse_document(text, "s.yaml", PORTFOLIOS)
    assert parsed.errors == () and parsed.strategy is not None
    policy = parsed.strategy.compliance
    outpt = policy.params("OUTPT")
    assert outpt.nonprofit_hospital.enabled and not outpt.holds.do_not_call
    assert outpt.time_of_day.start == time(9) and outpt.medical.min_original_cents == 75_000  # the enterprise's
    assert policy.outcome_class("VM") is AttemptClass.VOICEMAIL and policy.outcome_class("LEFTMSG") is None
    assert policy.rules("OUTPT").rules != policy.rules("FAMILY").rules
    exported = dump_strategy(parsed.strategy)
    again = parse_document(exported, "x", PORTFOLIOS)
    assert again.errors == () and again.strategy == parsed.strategy and dump_strategy(again.strategy) == exported
    section = yaml.safe_load(exported)["compliance"]
    assert section["enterprise"] == {"time_of_day": {"start": "09:00"}, "medical": {"min_original_balance": "750.00"}}
    assert section["portfolios"] == [
        {"holds": {"do_not_call": False}, "nonprofit_hospital": {"enabled": True}, "portfolio": "OUTPT"}
    ]


def test_every_bad_value_is_reported_with_its_path() -> None:
    found = problems({
        "enterprise": {"call_frequency": {"attempts": 0}, "time_of_day": {"start": "21:00", "end": "08:00"},
                       "state_caps": {"caps": [{"state": "Mass", "calls": 2, "days": 7, "phone_types": ["fax"]}]},
                       "medical": {"min_original_balance": 500}},
        "portfolios": [{"portfolio": "NOWHERE", "holds": {"bankrupt": True}}],
        "call_outcomes": [{"code": "VM", "class": "voicemail"}, {"code": "VM", "class": "busy"}],
        "strict": True,
    })  # fmt: skip
    assert found == [
        "compliance.strict: is not a known key (known: enterprise, portfolios, call_outcomes)",
        'compliance.enterprise.medical.min_original_balance: must be an amount written as text, e.g. "25.00"',
        "compliance.portfolios[NOWHERE].holds.bankrupt: is not a known key (known: bankruptcy, deceased, "
        "cease_communication, attorney, dispute, do_not_call)",
        "compliance.call_outcomes[2].class: must be one of 'connected_conversation', 'voicemail', 'no_answer', "
        "'not_connected', 'wrong_number', 'promise', 'refused', 'dispute', 'paid' or 'other'",
        "compliance.enterprise.call_frequency.attempts: must be a whole number, 1 or more",
        "compliance.enterprise.time_of_day.end: must be after start (21:00)",
        "compliance.enterprise.state_caps.caps[Mass].state: must be a state's two capital letters (e.g. MA)",
        "compliance.enterprise.state_caps.caps[Mass].phone_types: must list phone types of home, mobile, work, other",
        "compliance.portfolios[NOWHERE].portfolio: names an unknown portfolio 'NOWHERE'",
        "compliance.call_outcomes: must give a code for every class of call (missing: connected_conversation, "
        "no_answer, not_connected, wrong_number)",
    ]


def test_outcome_codes_carry_a_class_and_a_description_and_are_codes_not_sentences() -> None:
    codes = [{"code": "TALK", "class": "connected_conversation", "description": "spoke with the guarantor"},
             {"code": "PTP", "class": "promise", "description": "promise to pay"},
             {"code": "RTP", "class": "refused"}, {"code": "DISP", "class": "dispute"},
             {"code": "PIF", "class": "paid"},
             {"code": "VM", "class": "voicemail"}, {"code": "NA", "class": "no_answer"},
             {"code": "BUSY", "class": "not_connected"}, {"code": "WRONG", "class": "wrong_number"},
             {"code": "CALLBACK", "class": "other", "description": "asked to be called back"}]  # fmt: skip
    parsed = parse_document(with_compliance({"call_outcomes": codes}), "s.yaml", PORTFOLIOS)
    assert parsed.errors == () and parsed.strategy is not None
    policy = parsed.strategy.compliance
    assert policy.call_outcomes[1] == CallOutcome("PTP", AttemptClass.PROMISE, "promise to pay")
    assert policy.outcome_class("PTP").conversation and not policy.outcome_class("CALLBACK").conversation  # type: ignore[union-attr]
    exported = dump_strategy(parsed.strategy)
    assert yaml.safe_load(exported)["compliance"]["call_outcomes"][1] == {
        "code": "PTP", "class": "promise", "description": "promise to pay"
    }  # fmt: skip
    assert parse_document(exported, "x", PORTFOLIOS).strategy == parsed.strategy
    # the five classes of what a call reached need a code each; the classes of a conversation's end may be left out
    assert problems({"call_outcomes": codes[:1] + codes[5:9]}) == []
    sentence = {"code": "left a message", "class": "voicemail", "description": "x" * 201}
    assert problems({"call_outcomes": [*codes, sentence]}) == [
        "compliance.call_outcomes[11].code: must be a code of up to 20 capital letters, digits, _ or - (got 'left a "
        "message')",
        "compliance.call_outcomes[11].description: must be at most 200 characters",
    ]


def test_a_time_must_be_quoted_text() -> None:
    """YAML 1.1 reads an unquoted 21:30 as the number 1290 (base 60)."""
    text = with_compliance({}).replace("compliance: {}", "compliance:\n  enterprise:\n    time_of_day: {end: 21:30}")
    assert [f"{e.path}: {e.rule}" for e in parse_document(text, "s.yaml", PORTFOLIOS).errors] == [
        'compliance.enterprise.time_of_day.end: must be a time written as text, e.g. "08:00" (quoted: YAML reads '
        "08:00 as a number)"
    ]


def test_apply_stores_the_section_audited_and_export_gives_it_back(db: Database) -> None:
    for code in sorted(PORTFOLIOS):
        create_portfolio(db, code, f"{code} practice")
    first = config.apply_document(db, example_text(), str(EXAMPLE), actor="admin")
    assert first.applied and first.diff["portfolio_compliance"]["added"] == ["ORTHO"]
    assert "compliance" not in first.diff  # the enterprise keeps the US defaults: nothing stored
    changed = config.apply_document(db, with_compliance({"enterprise": {"credit_reporting": {"letter_wait_days": 21}}}),
                                    "s.yaml", actor="admin", confirm=True)  # fmt: skip
    assert changed.applied and changed.diff["compliance"]["added"] == ["enterprise"]
    assert changed.diff["portfolio_compliance"]["removed"] == ["ORTHO"]
    assert load_strategy(db).compliance.params("ORTHO").credit_reporting.letter_wait_days == 21
    exported = config_versions.export_document(db)
    assert yaml.safe_load(exported)["compliance"] == {"enterprise": {"credit_reporting": {"letter_wait_days": 21}}}
    assert config.apply_document(db, exported, "exported.yaml", actor="admin").changes == ()


def test_a_payment_demand_in_a_series_comes_after_the_validation_period() -> None:
    """Receipt 5 business days after the notice (at least 7 calendar days), then 30 days: a demand 30 days
    after the notice is refused at save, one 38 days after it is accepted."""
    document = yaml.safe_load(example_text())
    letters = {letter["code"]: letter for letter in document["letters"]}
    letters["G30"]["validation_notice"] = True
    letters["G60"]["demands_payment"] = True
    text = yaml.safe_dump(document, sort_keys=False)
    assert [f"{e.path}: {e.rule}" for e in parse_document(text, "s.yaml", PORTFOLIOS).errors] == [
        "series[Guarantor Letters].steps[2].action: letter G60 demands payment 30 days after the validation notice "
        "G30: not before the validation period ends (38 days at the earliest: 5 business days to receipt + 30 days)"
    ]
    series = next(s for s in document["series"] if s["name"] == "Guarantor Letters")
    series["steps"][0]["days_until_next"] = 38
    assert parse_document(yaml.safe_dump(document, sort_keys=False), "s.yaml", PORTFOLIOS).errors == ()
    letters["G30"]["validation_notice"] = False
    assert [f"{e.path}: {e.rule}" for e in parse_document(yaml.safe_dump(document), "s.yaml", PORTFOLIOS).errors] == [
        "series[Guarantor Letters].steps[1].action: letter G30 is the first letter of a guarantor series with a "
        "payment demand: it must be the validation notice (flagged validation_notice)"
    ]
