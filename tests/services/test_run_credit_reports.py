"""Credit reports through the daily run, on SQLite and PostgreSQL: an action of kind ``credit_report`` asks the
release gate (1006.30(a), medical debt, 501(r)) when it falls due; it is deferred or held with the rule and its
numbers, and reported (a ``credit_report`` row with the balance of the day, a line of history) when allowed.

NORTH sends every account to "Report Notice" (a letter, L30 or the 501(r) notice ECA), whose next action is
"Credit Report" a number of follow-up days later; parties are in New York.
"""

from __future__ import annotations

import csv
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import update

from arrears.domain.compliance import AttemptClass
from arrears.domain.compliance_rules import CompliancePolicy, PortfolioCompliance, override
from arrears.domain.plans import EventType, Plan, PlanEvent, Timing
from arrears.domain.strategy import Action, ActionKind, ActionParams, LetterTemplate, Strategy, validate_strategy
from arrears.services import config
from arrears.services.account_page import account_page
from arrears.services.compliance import compliance_report
from arrears.services.config_document import dump_strategy
from arrears.services.explain import explain
from arrears.services.exports import CREDIT_REPORT_COLUMNS, export_credit_reports
from arrears.services.plans import run_plan
from arrears.services.run import run_day
from arrears.store.compliance import add_call_attempt
from arrears.store.db import Database
from arrears.store.models import AccountRow, LetterRow, PartyRow
from tests.notation import d
from tests.services.run_scenarios import (
    NORTH,
    PORTFOLIOS,
    STRATEGY,
    G,
    activities,
    pay,
    portfolios,
    table,
    with_portfolio,
)
from tests.services.run_scenarios import world as given

NY = ZoneInfo("America/New_York")
ECA = LetterTemplate("ECA", "Notice of extraordinary collection actions", body="Dear {{ first_name }}",
                     eca_notice=True)  # fmt: skip


def reporting(days: int, notice: str = "L30", hospital: bool = False) -> Strategy:
    """The scenario strategy with NORTH's accounts sent a letter and reported ``days`` later."""
    actions = (
        *STRATEGY.actions,
        Action("Report Notice", G, ActionKind.LETTER, ActionParams(template_code=notice), next_action="Credit Report",
               follow_up_days=days, all_portfolios=True),
        Action("Credit Report", G, ActionKind.CREDIT_REPORT, all_portfolios=True),
    )  # fmt: skip
    north = replace(NORTH, assignment=replace(NORTH.assignment, rules=(), default_action="Report Notice"))
    strategy = with_portfolio(replace(STRATEGY, actions=actions, letters=(*STRATEGY.letters, ECA)), north)
    if hospital:
        policy = CompliancePolicy()
        params = override(policy.enterprise, {"nonprofit_hospital": {"enabled": True}})
        strategy = replace(strategy, compliance=replace(policy, portfolios=(PortfolioCompliance("NORTH", params),)))
    assert not validate_strategy(strategy, PORTFOLIOS), validate_strategy(strategy, PORTFOLIOS)
    return strategy


def debt(db: Database, code: str, **values: Any) -> None:
    """Set the debt's facts of an account (medical, original balance, first bill, assistance)."""
    with db.transaction() as session:
        session.execute(update(AccountRow).where(AccountRow.external_id == code).values(**values))


def gate_log(db: Database) -> list[tuple[str, str, str, str, str]]:
    return [(str(r.on), r.verdict, r.rule, r.reason, r.channel) for r in table(db, "compliance_event")]


def reports(db: Database) -> list[tuple[str, int, int]]:
    return [(str(r.on), r.account_id, r.balance_cents) for r in table(db, "credit_report")]


# ------------------------------------------------------------------------------------ 1006.30(a)


def test_a_credit_report_waits_14_days_after_the_letter_and_is_then_recorded(db: Database) -> None:
    portfolios(db)
    ids = given(db, """
ada Adams NORTH
    2026-01-01 charge 100.00 due 2026-01-14
""")  # fmt: skip
    strategy = reporting(13)
    run_day(db, d("2026-03-01"), strategy=strategy)  # the letter goes out; the report is due 13 days later
    assert activities(db) == [
        "ada: 2026-03-01 Report Notice (letter) DEF done",
        "ada: 2026-03-14 Credit Report (credit_report) DEF scheduled",
    ]
    result = run_day(db, d("2026-03-14"), strategy=strategy)
    assert gate_log(db) == [
        ("2026-03-14", "deferred", "C01", "first letter sent 2026-03-01 and the party not spoken to: no credit "
         "report before 2026-03-15 (14 days)", "credit_report"),
    ]  # fmt: skip
    assert result.counts["compliance.deferred.C01"] == 1 and reports(db) == []
    assert activities(db)[-1] == "ada: 2026-03-15 Credit Report (credit_report) DEF scheduled"

    result = run_day(db, d("2026-03-15"), strategy=strategy)  # 14 days after the letter
    assert reports(db) == [("2026-03-15", ids["ada"], 10_000)] and result.counts["credit_reports"] == 1
    assert activities(db)[-1] == "ada: 2026-03-15 Credit Report (credit_report) DEF done"
    assert [(r.event, r.detail) for r in table(db, "history", "ada")][-1] == (
        "credit-report", "reported to the credit bureaus: balance $100.00"
    )
    page = account_page(db, "ada", d("2026-03-15"))
    assert ("2026-03-15", "history", "credit-report: reported to the credit bureaus: balance $100.00") in [
        (str(e.on), e.kind, e.text) for e in page.timeline
    ]
    run_day(db, d("2026-03-16"), strategy=strategy)
    assert len(reports(db)) == 1  # reported once
    assert compliance_report(db, d("2026-03-01"), d("2026-03-31"), strategy).portfolios["NORTH"].contacts == {
        "letter": 1, "credit_report": 1
    }
    explained = explain(db, "ada", d("2026-03-15"), strategy)
    assert [(c["rule"], c["verdict"], c["channel"]) for c in explained.compliance] == [
        ("C01", "deferred", "credit_report")
    ]


def test_a_returned_letter_holds_the_report_until_the_party_is_spoken_to(db: Database) -> None:
    portfolios(db)
    ids = given(db, """
bea Baker NORTH
    2026-01-01 charge 100.00 due 2026-01-14
""")  # fmt: skip
    strategy = reporting(14)
    run_day(db, d("2026-03-01"), strategy=strategy)
    with db.transaction() as session:  # the letter came back undeliverable
        session.execute(update(LetterRow).values(status="returned"))
    run_day(db, d("2026-03-15"), strategy=strategy)
    assert gate_log(db) == [
        ("2026-03-15", "held", "C01", "the party has not been spoken to nor sent a letter", "credit_report"),
    ]
    assert activities(db)[-1] == "bea: 2026-03-15 Credit Report (credit_report) DEF held" and reports(db) == []
    with db.engine.begin() as connection:  # a collector reaches her on the phone
        add_call_attempt(connection, ids["bea"], None, datetime(2026, 3, 16, 10, tzinfo=NY), "CONNECTED",
                         AttemptClass.CONNECTED_CONVERSATION, "ann", None)  # fmt: skip
    run_day(db, d("2026-03-17"), strategy=strategy)
    assert reports(db) == [("2026-03-17", ids["bea"], 10_000)]
    assert activities(db)[-1] == "bea: 2026-03-15 Credit Report (credit_report) DEF done"


# ------------------------------------------------------------------------------------ medical debt


def test_medical_debt_is_reported_from_365_days_past_first_delinquency_and_500_dollars(db: Database) -> None:
    portfolios(db)
    ids = given(db, """
mia Adams NORTH
    2026-01-01 charge 600.00 due 2026-01-14
max Baker NORTH
    2026-01-01 charge 600.00 due 2026-01-14
""")  # fmt: skip
    debt(db, "mia", medical=True, original_balance_cents=50_000)
    debt(db, "max", medical=True, original_balance_cents=49_999)
    strategy = reporting(318)  # the letter on 2026-03-01, the report due 2027-01-13: 364 days after 2026-01-14
    run_day(db, d("2026-03-01"), strategy=strategy)
    run_day(db, d("2027-01-13"), strategy=strategy)
    assert sorted(gate_log(db)) == [
        ("2027-01-13", "deferred", "M01", "medical debt 364 days past its first delinquency 2026-01-14 (at least "
         "365): reportable from 2027-01-14", "credit_report"),
        ("2027-01-13", "held", "M01", "medical debt of original balance $499.99 is under $500.00", "credit_report"),
    ]  # fmt: skip
    assert reports(db) == []
    run_day(db, d("2027-01-14"), strategy=strategy)  # 365 days
    assert reports(db) == [("2027-01-14", ids["mia"], 60_000)]
    assert [a for a in activities(db) if "Credit Report" in a] == [
        "max: 2027-01-13 Credit Report (credit_report) DEF held",
        "mia: 2027-01-14 Credit Report (credit_report) DEF done",
    ]


def test_paid_medical_debt_is_never_reported(db: Database) -> None:
    """Paid in full, the case is resolved and the report that was to follow is cancelled (the rule itself, M01
    holding a paid medical debt's report, is tested on the release gate)."""
    portfolios(db)
    given(db, """
pam Adams NORTH
    2026-01-01 charge 600.00 due 2026-01-14
""")  # fmt: skip
    debt(db, "pam", medical=True, original_balance_cents=60_000)
    strategy = reporting(14)
    run_day(db, d("2026-03-01"), strategy=strategy)
    pay(db, "pam", "600.00", "2026-03-05", "pam-pay")
    run_day(db, d("2026-03-15"), strategy=strategy)
    assert activities(db)[-1] == "pam: 2026-03-15 Credit Report (credit_report) DEF cancelled" and reports(db) == []


# ------------------------------------------------------------------------------------------ 501(r)


def test_501r_no_report_before_120_days_after_the_first_bill(db: Database) -> None:
    portfolios(db)
    ids = given(db, """
hal Adams NORTH
    2026-01-01 charge 100.00 due 2026-01-14
""")  # fmt: skip
    debt(db, "hal", first_bill_date=d("2026-01-01"))
    strategy = reporting(60, notice="ECA", hospital=True)  # the notice on 2026-03-01; the report on 2026-04-30
    run_day(db, d("2026-03-01"), strategy=strategy)
    run_day(db, d("2026-04-30"), strategy=strategy)  # day 119 after the first bill
    assert gate_log(db) == [
        ("2026-04-30", "deferred", "N01", "first bill 2026-01-01 + 120 days = 2026-05-01, ECA notice 2026-03-01 + "
         "30 days = 2026-03-31: not before 2026-05-01", "credit_report"),
    ]  # fmt: skip
    run_day(db, d("2026-05-01"), strategy=strategy)  # day 120
    assert reports(db) == [("2026-05-01", ids["hal"], 10_000)]


def test_501r_no_report_before_30_days_after_the_eca_notice(db: Database) -> None:
    portfolios(db)
    ids = given(db, """
ida Adams NORTH
    2026-01-01 charge 100.00 due 2026-01-14
""")  # fmt: skip
    debt(db, "ida", first_bill_date=d("2025-10-01"))  # 120 days after it: 2026-01-29, long past
    strategy = reporting(29, notice="ECA", hospital=True)
    run_day(db, d("2026-03-01"), strategy=strategy)
    run_day(db, d("2026-03-30"), strategy=strategy)  # 29 days after the notice
    assert gate_log(db) == [
        ("2026-03-30", "deferred", "N01", "first bill 2025-10-01 + 120 days = 2026-01-29, ECA notice 2026-03-01 + "
         "30 days = 2026-03-31: not before 2026-03-31", "credit_report"),
    ]  # fmt: skip
    run_day(db, d("2026-03-31"), strategy=strategy)  # 30 days
    assert reports(db) == [("2026-03-31", ids["ida"], 10_000)]


def test_501r_a_pending_financial_assistance_application_holds_the_report_until_decided(db: Database) -> None:
    portfolios(db)
    ids = given(db, """
joe Adams NORTH
    2026-01-01 charge 100.00 due 2026-01-14
""")  # fmt: skip
    debt(db, "joe", first_bill_date=d("2025-10-01"), assistance_applied_on=d("2026-03-10"))
    strategy = reporting(30, notice="ECA", hospital=True)
    run_day(db, d("2026-03-01"), strategy=strategy)
    run_day(db, d("2026-03-31"), strategy=strategy)
    assert gate_log(db) == [
        ("2026-03-31", "held", "N01", "financial-assistance application of 2026-03-10 pending", "credit_report"),
    ]
    assert activities(db)[-1] == "joe: 2026-03-31 Credit Report (credit_report) DEF held"
    debt(db, "joe", assistance_decided_on=d("2026-04-02"))
    run_day(db, d("2026-04-02"), strategy=strategy)
    assert reports(db) == [("2026-04-02", ids["joe"], 10_000)]


# ------------------------------------------------------------------------------------- bankruptcy, export


def test_a_bankrupt_partys_report_is_held_with_the_case(db: Database) -> None:
    portfolios(db)
    given(db, """
bob Adams NORTH
    2026-01-01 charge 100.00 due 2026-01-14
""")  # fmt: skip
    strategy = reporting(14)
    run_day(db, d("2026-03-01"), strategy=strategy)
    with db.transaction() as session:
        session.execute(update(PartyRow).values(bankruptcy=True))
    run_day(db, d("2026-03-15"), strategy=strategy)
    assert reports(db) == [] and activities(db)[-1] == "bob: 2026-03-15 Credit Report (credit_report) DEF scheduled"
    assert [(r.event, r.detail) for r in table(db, "history", "bob")][-1] == (
        "case-hold", "H01: bankruptcy: no contact, no fees, no credit report, no referral"
    )


def test_the_bureau_file_has_one_row_per_report_of_the_day_and_marks_them_sent(db: Database, tmp_path: Path) -> None:
    portfolios(db)
    given(db, """
ada Adams NORTH
    2026-01-01 charge 600.00 due 2026-01-14
    2026-03-10 payment 100.00 guarantor
""")  # fmt: skip
    debt(db, "ada", medical=True, original_balance_cents=60_000, opened_date=d("2025-12-20"))
    strategy = reporting(14)
    run_day(db, d("2026-03-01"), strategy=strategy)
    # the medical age limit switched off: this file is about the fields of the report
    unlimited = replace(strategy, compliance=CompliancePolicy(
        enterprise=override(CompliancePolicy().enterprise, {"medical": {"enabled": False}})))  # fmt: skip
    run_day(db, d("2026-03-15"), strategy=unlimited)
    path = tmp_path / "bureau.csv"
    first = export_credit_reports(db, d("2026-03-15"), path, today=d("2026-03-16"))
    assert (first.rows, first.newly_sent) == (1, 1)
    with path.open(newline="", encoding="utf-8") as handle:
        (row,) = list(csv.DictReader(handle))
    assert list(row) == CREDIT_REPORT_COLUMNS
    assert {k: row[k] for k in CREDIT_REPORT_COLUMNS[:12]} == {
        "account": "ada", "portfolio": "NORTH", "date_of_account_information": "2026-03-15", "account_status": "93",
        "current_balance": "500.00", "amount_past_due": "500.00", "original_balance": "600.00",
        "date_opened": "2025-12-20", "date_of_first_delinquency": "2026-01-14", "date_of_last_payment": "2026-03-10",
        "creditor_classification": "02", "ecoa_code": "1",
    }  # fmt: skip
    assert (row["first_name"], row["last_name"]) == ("Ada", "Adams")
    content = path.read_bytes()
    again = export_credit_reports(db, d("2026-03-15"), path, today=d("2026-03-20"))
    assert (again.rows, again.newly_sent) == (1, 0) and path.read_bytes() == content
    assert [str(r.exported_on) for r in table(db, "credit_report")] == ["2026-03-16"]


# ------------------------------------------------------------------------------------ contact plans


def test_a_contact_plans_credit_report_passes_the_same_gate(db: Database) -> None:
    """Seed 002's credit-report (Metro) contact: scheduled by a plan, it asks the gate when the run reaches it."""
    portfolios(db)
    ids = given(db, """
off Adams OFF
    2026-01-01 charge 100.00 due 2026-01-14
""")  # fmt: skip
    metro = Plan("METRO", "A letter now, the bureaus in 13 days", events=(
        PlanEvent(1, EventType.LETTER, "L30"),
        PlanEvent(2, EventType.CREDIT_REPORT, "Metro", timing=Timing.DELAY_DAYS, days=13),
    ))  # fmt: skip
    letters = tuple(replace(t, body="Dear {{ party.first_name }}") for t in STRATEGY.letters)
    strategy = replace(STRATEGY, letters=letters, plans=(metro,))
    assert config.apply_document(db, dump_strategy(strategy), "metro.yaml").ok
    run_plan(db, "METRO", "off", on=d("2026-03-01"), at=datetime(2026, 3, 1, 15, tzinfo=NY))
    run_day(db, d("2026-03-14"), strategy=strategy)
    assert [(on, verdict, rule) for on, verdict, rule, _, _ in gate_log(db)] == [("2026-03-14", "deferred", "C01")]
    assert reports(db) == []
    run_day(db, d("2026-03-15"), strategy=strategy)
    assert reports(db) == [("2026-03-15", ids["off"], 10_000)]
