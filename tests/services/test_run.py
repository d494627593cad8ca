"""The daily run, scenario by scenario, on SQLite and PostgreSQL.

Every scenario reads: given the strategy of :mod:`tests.services.run_scenarios` (enterprise rules: balance
greater than $25.00, more than 45 days past due, no guarantor payment of $25.00 or 10% in the last 30 days;
delinquent plans forced after 10 grace days; statements suspended; insurance claims older than 60 days)
and these ledgers, on these dates, expect these activities.

NORTH assigns by name: A–D → AL with the series "Guarantor Letters" (Letter 30, 30 days, Letter 60, 30 days,
external collections); E–H → BO with "Call 1" (Call 2 seven follow-up days later); missed plans → PP with
"Plan Call"; otherwise DEF with "Letter 30". SOUTH overrides the rules ($100.00, 30 days, $50.00 or 20% in
60 days) and assigns by balance: $100.01–$500.00 → LO ("Collections Note"), $500.01–$2,500.00 → HI
("Late Fee"). OFF has collections disabled.
"""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from sqlalchemy import text

from arrears.domain.ledger import in_window
from arrears.domain.strategy import (
    Action,
    ActionKind,
    ActionParams,
    FinalAction,
    Series,
    SeriesStep,
    Strategy,
    TaskAssignment,
)
from arrears.letters.records import merge_data_from_record
from arrears.letters.render import letter_context, render_letter
from arrears.services.config_document import parse_document
from arrears.services.run import RunRefused, RunResult, run_day, run_through
from arrears.store import summaries
from arrears.store.db import Database
from arrears.store.models import RunRow
from tests.examples import example_text
from tests.notation import d
from tests.services.run_scenarios import INS as INSURANCE
from tests.services.run_scenarios import (
    NORTH,
    STRATEGY,
    account_row,
    activities,
    balance,
    case_row,
    cases,
    charge,
    contents,
    pay,
    portfolios,
    run_record,
    table,
    with_portfolio,
    with_rules,
    world,
)
from tests.services.run_scenarios import G as GUARANTOR


def run(db: Database, day: str, strategy: Strategy = STRATEGY) -> RunResult:
    return run_day(db, d(day), strategy=strategy)


def north_default(work: str) -> Strategy:
    """The strategy with NORTH's default action replaced."""
    return with_portfolio(STRATEGY, replace(NORTH, assignment=replace(NORTH.assignment, default_action=work)))


# ------------------------------------------------------------------------------------- entry rules


def test_balance_exactly_x_is_not_greater(db: Database) -> None:
    portfolios(db)
    world(
        db,
        """
ann Irving NORTH
    2026-01-01 charge 25.00 due 2026-01-14
bob Irwin NORTH
    2026-01-01 charge 25.01 due 2026-01-14
""",
    )
    run(db, "2026-03-01")
    assert activities(db) == ["bob: 2026-03-01 Letter 30 (letter) DEF done"]
    assert set(cases(db)) == {"bob"}


def test_exactly_n_days_past_due_is_not_more_across_a_month_end(db: Database) -> None:
    portfolios(db)
    world(
        db,
        """
cal Ivy NORTH
    2026-01-01 charge 100.00 due 2026-01-15
dee Ives NORTH
    2026-01-01 charge 100.00 due 2026-01-14
""",
    )
    run(db, "2026-03-01")  # cal: 45 days past due (16 + 28 + 1), dee: 46
    assert cases(db) == {"dee": ("internal", "2026-03-01", "DEF", "Letter 30")}
    run(db, "2026-03-02")  # cal: 46 days
    assert cases(db)["cal"] == ("internal", "2026-03-02", "DEF", "Letter 30")
    assert json.loads(case_row(db, "cal").entry_reason) == {
        "balance": 10000,
        "balance_over": 2500,
        "days_past_due": 46,
        "days_over": 45,
        "largest_payment": 0,
        "required_payment": 2500,
        "window_days": 30,
    }


def test_a_payment_exactly_at_the_required_amount_keeps_the_account_out(db: Database) -> None:
    portfolios(db)
    world(
        db,
        """
ann Irving NORTH      # balance $300.00 after paying $30.00 = 10%: out
    2026-01-01 charge 330.00 due 2026-01-14
    2026-02-20 payment 30.00 guarantor
bob Ivy NORTH         # balance $300.01, 10% rounds up to $30.01: $29.99 is not enough
    2026-01-01 charge 330.00 due 2026-01-14
    2026-02-20 payment 29.99 guarantor
cal Iz NORTH          # balance $175.00: $25.00 is more than 10%, and is paid
    2026-01-01 charge 200.00 due 2026-01-14
    2026-02-20 payment 25.00 guarantor
dan Ixer NORTH        # one cent less than $25.00
    2026-01-01 charge 200.00 due 2026-01-14
    2026-02-20 payment 24.99 guarantor
""",
    )
    run(db, "2026-03-01")
    assert sorted(cases(db)) == ["bob", "dan"]
    reason = json.loads(case_row(db, "bob").entry_reason)
    assert (reason["balance"], reason["required_payment"], reason["largest_payment"]) == (30001, 3001, 2999)
    reason = json.loads(case_row(db, "dan").entry_reason)
    assert (reason["balance"], reason["required_payment"], reason["largest_payment"]) == (17501, 2500, 2499)


def test_payment_window_is_the_last_30_days_including_the_run_date(db: Database) -> None:
    # The window of D days on 2026-03-01 is 2026-01-31 … 2026-03-01 (domain.ledger.in_window).
    assert in_window(d("2026-01-31"), d("2026-03-01"), 30) and not in_window(d("2026-01-30"), d("2026-03-01"), 30)
    portfolios(db)
    world(
        db,
        """
ann Irving NORTH     # paid 29 days before the run: inside the window
    2026-01-01 charge 200.00 due 2026-01-14
    2026-01-31 payment 50.00 guarantor
bob Ivy NORTH        # paid 30 days before the run: outside
    2026-01-01 charge 200.00 due 2026-01-14
    2026-01-30 payment 50.00 guarantor
cal Iz NORTH         # an insurance payment never counts
    2026-01-01 charge 200.00 due 2026-01-14
    2026-02-20 payment 50.00 insurance
""",
    )
    run(db, "2026-03-01")
    assert sorted(cases(db)) == ["bob", "cal"]
    run(db, "2026-03-02")  # ann's payment leaves the window
    assert sorted(cases(db)) == ["ann", "bob", "cal"]


def test_portfolio_override_and_disabled_portfolio(db: Database) -> None:
    portfolios(db)
    world(
        db,
        """
s7 Adams SOUTH     # SOUTH: more than 30 days; 30 days is not more
    2026-01-01 charge 200.00 due 2026-01-30
s8 Adams SOUTH
    2026-01-01 charge 200.00 due 2026-01-29
n8 Adams NORTH     # the enterprise's 45 days still apply in NORTH
    2026-01-01 charge 200.00 due 2026-01-29
s9 Adams SOUTH     # SOUTH: balance over $100.00; $100.00 is not over
    2026-01-01 charge 100.00 due 2026-01-01
off Adams OFF      # collections disabled: never
    2025-01-01 charge 5000.00 due 2025-01-15
""",
    )
    run(db, "2026-03-01")
    assert cases(db) == {"s8": ("internal", "2026-03-01", "LO", "Collections Note")}
    reason = json.loads(case_row(db, "s8").entry_reason)
    assert (reason["balance_over"], reason["days_over"], reason["days_past_due"]) == (10000, 30, 31)
    run(db, "2026-09-01")
    assert "off" not in cases(db)


# -------------------------------------------------------------------------------------- assignment


def test_name_range_edges(db: Database) -> None:
    portfolios(db)
    notation = "".join(
        f"{code} {name} NORTH\n    2026-01-01 charge 100.00 due 2026-01-14\n"
        for code, name in [("adams", "Adams"), ("dunn", "Dunn"), ("evans", "Evans"), ("ebert", "ébert"),
                           ("hill", "Hill"), ("irving", "Irving"), ("zed", "Zed")]
    )  # fmt: skip
    world(db, notation)
    run(db, "2026-03-01")
    assert activities(db) == [
        "adams: 2026-03-01 Letter 30 (letter) AL done",
        "adams: 2026-03-31 Letter 60 (letter) AL scheduled",
        "dunn: 2026-03-01 Letter 30 (letter) AL done",
        "dunn: 2026-03-31 Letter 60 (letter) AL scheduled",
        "ebert: 2026-03-01 Call 1 (phone_call) BO open",
        "ebert: 2026-03-08 Call 2 (phone_call) BO scheduled",
        "evans: 2026-03-01 Call 1 (phone_call) BO open",
        "evans: 2026-03-08 Call 2 (phone_call) BO scheduled",
        "hill: 2026-03-01 Call 1 (phone_call) BO open",
        "hill: 2026-03-08 Call 2 (phone_call) BO scheduled",
        "irving: 2026-03-01 Letter 30 (letter) DEF done",
        "zed: 2026-03-01 Letter 30 (letter) DEF done",
    ]
    rules = {code: case_row(db, code).assignment_rule for code in ("dunn", "evans", "zed")}
    assert rules == {"dunn": 0, "evans": 1, "zed": None}
    assert "assigned to AL (rule 1), work 'Guarantor Letters'" in table(db, "history", "dunn")[0].detail
    assert "assigned to DEF (defaults), work 'Letter 30'" in table(db, "history", "zed")[0].detail


def test_balance_range_edges(db: Database) -> None:
    portfolios(db)
    world(
        db,
        """
s1 Adams SOUTH
    2026-01-01 charge 500.00 due 2026-01-14
s2 Adams SOUTH
    2026-01-01 charge 500.01 due 2026-01-14
s3 Adams SOUTH
    2026-01-01 charge 2500.00 due 2026-01-14
s4 Adams SOUTH
    2026-01-01 charge 2500.01 due 2026-01-14
s5 Adams SOUTH
    2026-01-01 charge 100.01 due 2026-01-14
""",
    )
    run(db, "2026-03-01")
    assert cases(db) == {
        "s1": ("internal", "2026-03-01", "LO", "Collections Note"),
        "s2": ("internal", "2026-03-01", "HI", "Late Fee"),
        "s3": ("internal", "2026-03-01", "HI", "Late Fee"),
        "s4": ("internal", "2026-03-01", "DEF", "Letter 30"),
        "s5": ("internal", "2026-03-01", "LO", "Collections Note"),
    }


def test_delinquent_payment_plan_enters_when_forced_and_gets_the_missed_plan_rule(db: Database) -> None:
    portfolios(db)
    world(
        db,
        """
pat Irving NORTH      # installment of 2026-02-01 unpaid: delinquent after 10 grace days
    2026-01-20 charge 600.00 due 2026-02-01
    plan 50.00 monthly from 2026-02-01
paid Ivy NORTH        # paid the first installment: current
    2026-01-20 charge 600.00 due 2026-02-01
    2026-02-01 payment 50.00 guarantor
    plan 50.00 monthly from 2026-02-01
""",
    )
    run(db, "2026-02-11")  # 10 days after the installment: within grace
    assert cases(db) == {}
    run(db, "2026-02-12")
    assert cases(db) == {"pat": ("internal", "2026-02-12", "PP", "Plan Call")}
    assert activities(db) == ["pat: 2026-02-12 Plan Call (phone_call) PP open"]
    assert json.loads(case_row(db, "pat").entry_reason) == {
        "plan_next_unpaid_due": "2026-02-01",
        "plan_grace_days": 10,
    }
    assert account_row(db, "pat").statement_hold is False  # on a payment plan: no statement hold


def test_the_missed_plan_rule_follows_the_policys_grace_period(db: Database) -> None:
    portfolios(db)
    world(
        db,
        """
pat Irving NORTH      # the plan's own grace is 15 days; the policy's 10 decide
    2026-01-20 charge 600.00 due 2026-02-01
    plan 50.00 monthly from 2026-02-01 grace 15
ann Ivy NORTH         # enters by the rules; its installment is only 4 days late: not a missed plan
    2026-01-01 charge 1000.00 due 2026-01-14
    plan 10.00 monthly from 2026-02-25
""",
    )
    run(db, "2026-02-12")
    assert cases(db) == {"pat": ("internal", "2026-02-12", "PP", "Plan Call")}
    run(db, "2026-03-01")
    assert cases(db)["ann"] == ("internal", "2026-03-01", "DEF", "Letter 30")


def test_delinquent_payment_plan_does_not_enter_unless_forced(db: Database) -> None:
    portfolios(db)
    world(db, "pat Irving NORTH\n    2026-01-20 charge 600.00 due 2026-02-01\n    plan 50.00 monthly from 2026-02-01")
    run(db, "2026-02-12", with_rules(force_delinquent_plans=False))
    assert cases(db) == {}


# ---------------------------------------------------------------------------------------- statements


def test_statement_hold_on_entry_not_on_a_plan_and_released_at_zero(db: Database) -> None:
    portfolios(db)
    world(
        db,
        """
ann Irving NORTH
    2026-01-01 charge 100.00 due 2026-01-14
bob Ivy NORTH         # on a plan whose first installment is not due yet, enters by the rules
    2026-01-01 charge 1000.00 due 2026-01-14
    plan 10.00 monthly from 2026-03-15
""",
    )
    run(db, "2026-03-01")
    assert sorted(cases(db)) == ["ann", "bob"]
    assert (account_row(db, "ann").statement_hold, account_row(db, "bob").statement_hold) == (True, False)
    pay(db, "ann", "100.00", "2026-03-10", "ann-pay")
    run(db, "2026-03-10")
    assert account_row(db, "ann").statement_hold is False
    assert cases(db)["ann"][0] == "resolved"


def test_no_statement_hold_when_not_suspended(db: Database) -> None:
    portfolios(db)
    world(db, "ann Irving NORTH\n    2026-01-01 charge 100.00 due 2026-01-14")
    run(db, "2026-03-01", with_rules(suspend_statements=False))
    assert "ann" in cases(db) and account_row(db, "ann").statement_hold is False


# ------------------------------------------------------------------------------------------- actions


def load_example_strategy() -> Strategy:
    parsed = parse_document(example_text())
    assert parsed.strategy is not None and not parsed.errors
    return parsed.strategy


def test_letters_are_queued_with_their_merge_data(db: Database) -> None:
    portfolios(db)
    world(db, "ann Adams NORTH\n    2026-01-01 charge 100.00 due 2026-01-14")
    run(db, "2026-03-01")
    (letter,) = table(db, "letter")
    assert (letter.template, letter.channel, letter.status, letter.queued_on) == (
        "L30",
        "letter",
        "queued",
        d("2026-03-01"),
    )
    record = json.loads(letter.merge_data)
    assert (record["external_id"], record["portfolio_code"], record["as_of"]) == ("ann", "NORTH", "2026-03-01")
    assert record["party"]["first_name"] == "Ann" and record["party"]["last_name"] == "Adams"
    position = record["position"]
    assert (position["balance_cents"], position["days_past_due"], position["oldest_unpaid_due"]) == (
        10000,
        46,
        "2026-01-14",
    )
    assert dict(position["aging"])["31-60"] == 10000
    # what the run recorded renders with every example template (G30 reads the party, aging and portfolio)
    context = letter_context(merge_data_from_record(record))
    for template in load_example_strategy().letters:
        rendered = render_letter(template, context)
        assert "Ann" in rendered.body or "Ann" in rendered.subject or template.code.startswith("INS")
    g30 = render_letter(next(t for t in load_example_strategy().letters if t.code == "G30"), context)
    assert "Ann Adams" in g30.body and "Total amount of the debt now:</td><td class=\"amount\">$100.00" in g30.body
    run(db, "2026-03-31")
    assert [(row.template, row.queued_on) for row in table(db, "letter")] == [
        ("L30", d("2026-03-01")),
        ("L60", d("2026-03-31")),
    ]


def test_notes_go_to_account_notes_only_with_the_flag(db: Database) -> None:
    portfolios(db)
    world(
        db,
        """
s1 Adams SOUTH
    2026-01-01 charge 500.00 due 2026-01-14
ann Irving NORTH
    2026-01-01 charge 100.00 due 2026-01-14
""",
    )
    run(db, "2026-03-01", with_rules(notes_to_account_notes=True))  # NORTH follows the enterprise; SOUTH does not
    assert [(n.scope, n.note_type, n.text) for n in table(db, "note", "s1")] == [
        ("collection_action", "collections", "Account sent to collections")
    ]
    # The letter's activity is the collection action's record; the flag copies a line about it to the notes.
    performed = "Letter 30 (letter) performed by the daily run on 2026-03-01"
    assert sorted((n.scope, n.text) for n in table(db, "note", "ann")) == [("account", performed)]
    assert "ann: 2026-03-01 Letter 30 (letter) DEF done" in activities(db)


def test_a_fee_posts_a_ledger_line_and_raises_the_balance(db: Database) -> None:
    portfolios(db)
    world(db, "s2 Adams SOUTH\n    2026-01-01 charge 500.01 due 2026-01-14")
    run(db, "2026-03-01")
    fees = [(row.kind, row.amount_cents, row.posted_date, row.description) for row in table(db, "ledger_line", "s2")]
    assert fees[1:] == [("fee", 1500, d("2026-03-01"), "Collection fee")]
    assert balance(db, "s2") == 50001 + 1500


def test_status_change_and_a_whole_zero_day_series(db: Database) -> None:
    portfolios(db)
    world(db, "ann Irving NORTH\n    2026-01-01 charge 100.00 due 2026-01-14")
    run(db, "2026-03-01", north_default("Full Works"))
    assert activities(db) == [
        "ann: 2026-03-01 Letter 30 (letter) DEF done",
        "ann: 2026-03-01 Late Fee (fee) DEF done",
        "ann: 2026-03-01 Collections Note (note) DEF done",
        "ann: 2026-03-01 Status COLL (status_change) DEF done",
    ]
    assert account_row(db, "ann").status_code == "COLL"
    assert balance(db, "ann") == 11500


def test_call_1_then_call_2_and_run_through_catches_up_every_day(db: Database) -> None:
    portfolios(db)
    world(db, "evans Evans NORTH\n    2026-01-01 charge 100.00 due 2026-01-14")
    results = run_through(db, d("2026-03-07"), since=d("2026-03-01"), strategy=STRATEGY)
    assert [r.as_of for r in results] == [d(f"2026-03-0{n}") for n in range(1, 8)]
    assert [row.status for row in table(db, "activity") if row.action == "Call 2"] == ["scheduled"]
    results = run_through(db, d("2026-03-09"), strategy=STRATEGY)
    assert [r.as_of for r in results] == [d("2026-03-08"), d("2026-03-09")]
    assert results[0].counts["released"] == 1
    assert activities(db) == [
        "evans: 2026-03-01 Call 1 (phone_call) BO open",
        "evans: 2026-03-08 Call 2 (phone_call) BO open",
    ]
    assert [row.released_on for row in table(db, "activity") if row.action == "Call 2"] == [d("2026-03-08")]
    assert run_through(db, d("2026-03-09"), strategy=STRATEGY) == []


def test_series_then_external_collections_takes_the_account_off_the_worklists(db: Database) -> None:
    portfolios(db)
    ids = world(db, "ann Adams NORTH\n    2026-01-01 charge 100.00 due 2026-01-14")
    run(db, "2026-03-01")
    _manual_activity(db, ids["ann"], "2026-05-30", no_auto_delete=True)
    _manual_activity(db, ids["ann"], "2026-05-31", no_auto_delete=False)
    run(db, "2026-03-30")
    assert cases(db)["ann"][0] == "internal" and len(table(db, "letter")) == 1
    run(db, "2026-03-31")
    run(db, "2026-04-29")
    assert cases(db)["ann"][0] == "internal"
    result = run(db, "2026-04-30")
    assert cases(db)["ann"] == ("pending_external", "2026-03-01", "AL", "Guarantor Letters")
    assert activities(db) == [
        "ann: 2026-03-01 Letter 30 (letter) AL done",
        "ann: 2026-03-31 Letter 60 (letter) AL done",
        "ann: 2026-04-30  (external_referral) AL done",
        "ann: 2026-05-30 Manual review (review) AL scheduled",
        "ann: 2026-05-31 Manual review (review) AL cancelled",
    ]
    assert (result.counts["referred"], result.counts["cancelled"]) == (1, 1)
    assert sorted((h.event, h.detail) for h in table(db, "history", "ann") if h.on == d("2026-04-30")) == [
        ("referral", "agency: external collections"),
        ("referred", "referred to external collections by 'Guarantor Letters' on 2026-04-30"),
    ]
    # the entry and its reasons stay on the case
    assert json.loads(case_row(db, "ann").entry_reason)["days_past_due"] == 46
    assert case_row(db, "ann").assignment_rule == 0
    # pending external collections: no re-entry, nothing more done
    run(db, "2026-06-15")
    assert len(table(db, "activity", "ann")) == 5 and cases(db)["ann"][0] == "pending_external"


def test_referral_on_the_entry_day(db: Database) -> None:
    portfolios(db)
    world(db, "ann Irving NORTH\n    2026-01-01 charge 100.00 due 2026-01-14")
    result = run(db, "2026-03-01", north_default("Refer"))
    assert cases(db) == {"ann": ("pending_external", "2026-03-01", "DEF", "Refer")}
    assert json.loads(case_row(db, "ann").entry_reason)["balance"] == 10000
    assert (result.counts["entered"], result.counts["referred"]) == (1, 1)
    assert {h.event for h in table(db, "history", "ann")} == {"entered", "referral", "referred"}


# ------------------------------------------------------------------------------------------ insurance


def test_insurance_case_for_a_claim_older_than_the_policy_days(db: Database) -> None:
    portfolios(db)
    ids = world(db, "ins Dunn NORTH\n    claim 2026-01-01 500.00")
    run(db, "2026-03-02")  # 60 days: not more than 60
    assert cases(db) == {}
    run(db, "2026-03-03")
    assert cases(db) == {"ins/insurance": ("internal", "2026-03-03", "AL", "Claim Series")}
    assert activities(db) == [
        "ins: 2026-03-03 Claim Letter (letter) AL done [insurance]",
        "ins: 2026-03-17 Claim Review (review) AL scheduled [insurance]",
    ]
    assert [row.template for row in table(db, "letter")] == ["CLM"]
    assert json.loads(case_row(db, "ins", "insurance").entry_reason) == {"days_over": 60, "oldest_claim_age_days": 61}
    with db.engine.begin() as connection:
        connection.execute(text("UPDATE claim SET status = 'paid', paid_cents = amount_cents"))
        summaries.refresh(connection, [ids["ins"]])
    run(db, "2026-03-10")
    assert cases(db)["ins/insurance"][0] == "resolved"
    assert activities(db)[-1] == "ins: 2026-03-17 Claim Review (review) AL cancelled [insurance]"


def test_an_insurance_case_referred_by_an_action_resolves_once_the_claim_is_paid(db: Database) -> None:
    portfolios(db)
    ids = world(db, "ins Dunn NORTH\n    claim 2026-01-01 500.00")
    agency = Action("Claim Agency", INSURANCE, ActionKind.EXTERNAL_REFERRAL, ActionParams(agency="Claims Inc"),
                    all_portfolios=True)  # fmt: skip
    strategy = with_portfolio(
        replace(STRATEGY, actions=(*STRATEGY.actions, agency)),
        replace(NORTH, assignment=replace(NORTH.assignment, insurance_action="Claim Agency")),
    )
    run(db, "2026-03-03", strategy)
    assert cases(db)["ins/insurance"][0] == "pending_external"
    with db.engine.begin() as connection:
        connection.execute(text("UPDATE claim SET status = 'paid', paid_cents = amount_cents"))
        summaries.refresh(connection, [ids["ins"]])
    result = run(db, "2026-03-10", strategy)
    assert result.counts["resolved"] == 1
    row = case_row(db, "ins", "insurance")
    assert (row.status, row.referred_on, row.closed_on) == ("resolved", d("2026-03-03"), d("2026-03-10"))


def test_a_run_after_a_gap_keeps_the_series_spacing(db: Database) -> None:
    """The 60-day letter, the final notice and the referral never all go out on one catch-up day."""
    portfolios(db)
    world(db, "ann Adams NORTH\n    2026-01-01 charge 100.00 due 2026-01-14")
    run(db, "2026-03-01")
    run(db, "2026-07-01")  # four months without a run
    assert activities(db) == [
        "ann: 2026-03-01 Letter 30 (letter) AL done",
        "ann: 2026-03-31 Letter 60 (letter) AL done",
        "ann: 2026-07-31  (external_referral) AL scheduled",
    ]
    assert cases(db)["ann"][0] == "internal"
    run(db, "2026-07-31")
    assert cases(db)["ann"][0] == "pending_external"


# ----------------------------------------------------------------------------------------- resolution


def test_an_overpayment_resolves_the_case_and_a_credit_balance_enters_nothing(db: Database) -> None:
    portfolios(db)
    world(db, "ann Adams NORTH\n    2026-01-01 charge 100.00 due 2026-01-14\n"
              "bob Brown NORTH\n    2025-11-01 charge 300.00 due 2025-11-15\n    2025-12-01 payment 325.00 guarantor\n"
              "cy Clark NORTH\n    2025-11-01 charge 300.00 due 2025-11-15\n    2025-12-01 payment 325.00 guarantor\n"
              "    2025-12-05 refund 25.00")  # fmt: skip
    run(db, "2026-03-01")
    # bob has a credit of $25.00 and cy was refunded it: neither owes anything, neither enters
    assert (balance(db, "bob"), balance(db, "cy")) == (-2500, 0)
    assert set(cases(db)) == {"ann"}
    pay(db, "ann", "125.00", "2026-03-10", "ann-pay")  # $25.00 more than owed
    assert balance(db, "ann") == -2500
    result = run(db, "2026-03-10")
    assert result.counts["resolved"] == 1
    row = case_row(db, "ann")
    assert (row.status, row.close_reason) == ("resolved", "credit balance $25.00 on 2026-03-10: paid in full")
    assert activities(db) == [
        "ann: 2026-03-01 Letter 30 (letter) AL done",
        "ann: 2026-03-31 Letter 60 (letter) AL cancelled",
    ]
    run(db, "2026-04-30")  # a month later, still in credit: no new case, no fee, nothing scheduled
    assert len(table(db, "collections_case")) == 1 and len(table(db, "ledger_line", "ann")) == 2


def test_resolution_cancels_pending_work_and_a_relapse_starts_afresh(db: Database) -> None:
    portfolios(db)
    ids = world(db, "ann Adams NORTH\n    2026-01-01 charge 100.00 due 2026-01-14")
    run(db, "2026-03-01")
    _manual_activity(db, ids["ann"], "2026-03-20", no_auto_delete=True)
    pay(db, "ann", "100.00", "2026-03-10", "ann-pay")
    result = run(db, "2026-03-10")
    assert result.counts["resolved"] == 1
    row = case_row(db, "ann")
    assert (row.status, row.closed_on, row.close_reason) == (
        "resolved",
        d("2026-03-10"),
        "balance $0.00 on 2026-03-10: paid in full",
    )
    assert json.loads(row.entry_reason)["days_past_due"] == 46  # why it entered is kept
    assert [(h.on, h.event, h.detail) for h in table(db, "history", "ann")][-1] == (
        d("2026-03-10"),
        "resolved",
        "balance $0.00 on 2026-03-10: paid in full",
    )
    assert activities(db) == [
        "ann: 2026-03-01 Letter 30 (letter) AL done",
        "ann: 2026-03-20 Manual review (review) AL scheduled",
        "ann: 2026-03-31 Letter 60 (letter) AL cancelled",
    ]
    charge(db, "ann", "80.00", "2026-03-15", "2026-03-20", "ann-2")
    run(db, "2026-05-04")  # 45 days past due
    assert cases(db)["ann"][0] == "resolved"
    run(db, "2026-05-05")
    assert cases(db)["ann"] == ("internal", "2026-05-05", "AL", "Guarantor Letters", "episode 2")
    assert activities(db)[-2:] == [
        "ann: 2026-05-05 Letter 30 (letter) AL done episode 2",
        "ann: 2026-06-04 Letter 60 (letter) AL scheduled episode 2",
    ]
    assert account_row(db, "ann").statement_hold is True
    assert [h.event for h in table(db, "history", "ann")] == ["entered", "resolved", "entered"]


def _manual_activity(db: Database, account_id: int, due: str, no_auto_delete: bool) -> str:
    key = f"{account_id}/guarantor/1/manual:{due}"
    with db.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO activity (key, account_id, track, episode, kind, action, origin, assignee, due_date, "
                "priority, status, no_auto_delete, reason) VALUES (:key, :account, 'guarantor', 1, 'review', "
                "'Manual review', 'action', 'AL', :due, 50, 'scheduled', :keep, 'added by a collector')"
            ),
            {"key": key, "account": account_id, "due": d(due), "keep": no_auto_delete},
        )
    return key


# ----------------------------------------------------------------------------------- the run itself

MIXED = """
adams Adams NORTH
    2026-01-01 charge 100.00 due 2026-01-14
evans Evans NORTH
    2026-01-01 charge 200.00 due 2026-01-14
irving Irving NORTH
    2026-01-01 charge 300.00 due 2026-01-14
pat Pratt NORTH
    2026-01-10 charge 600.00 due 2026-02-01
    plan 50.00 monthly from 2026-02-01
ins Dunn NORTH
    claim 2025-12-01 400.00
s2 Smith SOUTH
    2026-01-01 charge 800.00 due 2026-01-14
s1 Stone SOUTH
    2026-01-01 charge 300.00 due 2026-01-14
off Owen OFF
    2025-01-01 charge 900.00 due 2025-01-15
"""


def test_running_the_same_date_twice_creates_nothing(db: Database) -> None:
    portfolios(db)
    world(db, MIXED)
    strategy = with_rules(notes_to_account_notes=True)
    first = run(db, "2026-03-01", strategy)
    with db.engine.connect() as connection:
        before = contents(connection)
    assert first.counts["entered"] == 7
    second = run(db, "2026-03-01", strategy)
    with db.engine.connect() as connection:
        assert contents(connection) == before
    assert second.counts == first.counts  # the record still tells what the date did
    assert first.this_attempt["entered"] == 7 and not any(second.this_attempt.values())
    with db.engine.connect() as connection:
        row = connection.execute(RunRow.__table__.select()).one()
    assert (row.status, row.attempts) == ("completed", 2)
    run(db, "2026-03-02", strategy)
    with db.engine.connect() as connection:
        after = contents(connection)
    run(db, "2026-03-02", strategy)
    with db.engine.connect() as connection:
        assert contents(connection) == after


def test_a_run_dated_before_the_latest_completed_run_is_refused(db: Database) -> None:
    portfolios(db)
    world(db, MIXED)
    run(db, "2026-03-02")
    with pytest.raises(RunRefused) as refused:
        run(db, "2026-03-01")
    assert str(refused.value) == (
        "a run for 2026-03-02 has already completed for ALL; a run for an earlier date (2026-03-01) is refused "
        "because it would act on a past the later run has already acted on"
    )
    with pytest.raises(RunRefused, match=r"completed for ALL; a run of NORTH for an earlier date \(2026-02-01\)"):
        run_day(db, d("2026-02-01"), "NORTH", strategy=STRATEGY)
    with db.engine.connect() as connection:
        assert [row.as_of for row in connection.execute(RunRow.__table__.select())] == [d("2026-03-02")]


def test_one_bad_account_is_an_error_of_the_run_and_the_others_still_run(db: Database) -> None:
    portfolios(db, "NORTH", "BAD", "EMPTY")
    ids = world(
        db,
        """
ann Irving NORTH
    2026-01-01 charge 100.00 due 2026-01-14
bad Irving BAD
    2026-01-01 charge 100.00 due 2026-01-14
empty Irving EMPTY
    2026-01-01 charge 100.00 due 2026-01-14
zed Zed NORTH
    2026-01-01 charge 100.00 due 2026-01-14
""",
    )
    # bypassing validation: BAD's default action does not exist; EMPTY's series has no steps
    strategy = with_portfolio(STRATEGY, replace(NORTH, portfolio="BAD", assignment=TaskAssignment(
        default_collector="DEF", default_action="Missing")))  # fmt: skip
    strategy = with_portfolio(strategy, replace(NORTH, portfolio="EMPTY", assignment=TaskAssignment(
        default_collector="DEF", default_action="Empty")))  # fmt: skip
    strategy = replace(strategy, series=(*strategy.series, Series("Empty", GUARANTOR, (), FinalAction.CUSTOM)))
    result = run(db, "2026-03-01", strategy)
    assert sorted(cases(db)) == ["ann", "zed"]
    assert [(e.account_id, e.reason) for e in result.errors] == [
        (ids["bad"], "account bad: action 'Missing' is not configured"),
        (ids["empty"], "account empty: series 'Empty' has no steps"),
    ]
    assert [e.account_id for e in result.errors] == [ids["bad"], ids["empty"]]
    status, counts, errors = run_record(db, d("2026-03-01"))
    assert (status, counts["errors"], counts["entered"]) == ("completed", 2, 2)
    assert errors[0] == {"account_id": ids["bad"], "reason": "account bad: action 'Missing' is not configured"}


def test_the_run_record_counts_what_the_run_did(db: Database) -> None:
    portfolios(db)
    world(db, MIXED)
    strategy = with_portfolio(
        STRATEGY, replace(NORTH, assignment=replace(NORTH.assignment, default_action="Full Works"))
    )
    result = run(db, "2026-03-01", strategy)
    status, counts, errors = run_record(db, d("2026-03-01"))
    assert status == "completed" and errors == [] and counts == dict(sorted(result.counts.items()))
    assert result.accounts == 8
    expected = {
        "entered": 7,  # adams, evans, irving, pat, ins (insurance), s2, s1
        "activities.letter": 3,  # adams Letter 30 + Letter 60, irving's Full Works Letter 30
        "activities.phone_call": 3,  # evans Call 1 + Call 2, pat Plan Call
        "activities.fee": 2,  # irving's Full Works fee, s2's Late Fee
        "activities.note": 2,  # irving's Full Works note, s1's Collections Note
        "activities.status_change": 1,
        "activities.review": 0,
        "letters_queued": 3,  # adams L30, irving L30, ins CLM
        "fees_posted": 2,
        "resolved": 0,
        "errors": 0,
    }
    expected["activities.letter"] += 1  # ins: Claim Letter
    expected["activities.review"] += 1  # ins: Claim Review
    assert {k: counts.get(k, 0) for k in expected} == expected
    pay(db, "adams", "100.00", "2026-03-05", "adams-pay")
    result = run(db, "2026-03-05", strategy)
    assert (result.counts["resolved"], result.counts["cancelled"], result.counts["entered"]) == (1, 1, 0)


def test_a_run_of_one_portfolio_touches_only_its_accounts(db: Database) -> None:
    portfolios(db)
    world(db, MIXED)
    result = run_day(db, d("2026-03-01"), "SOUTH", strategy=STRATEGY)
    assert sorted(cases(db)) == ["s1", "s2"] and result.scope == "SOUTH" and result.accounts == 2


def test_a_long_action_name_keeps_fee_keys_apart(db: Database) -> None:
    """Fee idempotency keys must not collide when action names are long (ledger external ids hold 64)."""
    portfolios(db)
    world(db, "ann Irving NORTH\n    2026-01-01 charge 100.00 due 2026-01-14")
    long_fee = replace(STRATEGY.action("Late Fee"), name="Monthly collection fee for accounts in internal collections")  # type: ignore[type-var]
    series = Series(
        "Two Fees For A Long Time Overdue Accounts Of The North Clinic",
        GUARANTOR,
        (SeriesStep(long_fee.name, 10), SeriesStep(long_fee.name, 10)),
        FinalAction.CUSTOM,
        custom_action=long_fee.name,
        all_portfolios=True,
    )
    strategy = replace(north_default(series.name), actions=(*STRATEGY.actions, long_fee), series=(series,))
    for day in ("2026-03-01", "2026-03-11", "2026-03-21"):
        run(db, day, strategy)
    assert [(r.kind, r.amount_cents) for r in table(db, "ledger_line", "ann")] == [("charge", 10000)] + [
        ("fee", 1500)
    ] * 3
    assert balance(db, "ann") == 10000 + 3 * 1500
