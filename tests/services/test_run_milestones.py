"""The daily run moves accounts through a milestone scheme (seed 004), on SQLite and PostgreSQL.

Given the scheme WATER of portfolio OFF (whose entry policy is off, so the scheme alone works its accounts):
milestones at 30, 60 and 90 days past due, each lasting 10 days; an account enters above $50.00. Entering
"30 days" sends the notice L30 and posts a $25.00 late fee; "60 days" gives the party 50 credit points;
entering "60 days" with a balance over $200.00 also opens a shut-off review for AL;
leaving "60 days" downwards logs it; full payment logs it; a balance under $10.00 resolves "30 days" by
formula and raises an alert; a payment reversal at "30 days" returns the account to "60 days".
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import update

from arrears.domain.strategy import validate_strategy
from arrears.domain.strategy.schemes import Milestone, MilestoneAction, MilestoneActionKind, PerformOn, Scheme
from arrears.services.accounts import reverse_payment
from arrears.services.explain import explain
from arrears.services.run import RunResult, run_day
from arrears.store.db import Database
from arrears.store.models import PartyRow
from tests.notation import d
from tests.services.run_scenarios import STRATEGY, activities, balance, pay, portfolios, table, world

K, ON = MilestoneActionKind, PerformOn
WATER = Scheme(
    "WATER", "Water collections",
    (
        Milestone("30 days", days_past_due=30, duration_days=10, resolve_below_cents=1_000,
                  reversal_milestone="60 days",
                  actions=(MilestoneAction(K.NOTICE, template="L30"),
                           MilestoneAction(K.ONE_OFF_CHARGE, line_item_type="Late fee", amount_cents=2_500),
                           MilestoneAction(K.LOG, ON.FULL_PAYMENT, text="Paid in full"),
                           MilestoneAction(K.ALERT, ON.FORMULA, text="Small balance resolved"))),
        Milestone("60 days", days_past_due=60, duration_days=10,
                  actions=(MilestoneAction(K.CREDIT_RATING, points=50),
                           MilestoneAction(K.LOG, ON.DECREMENT, text="Back under 60 days"),
                           MilestoneAction(K.SERVICE_REQUEST, request_type="Shut-off review", assignee="AL",
                                           condition="balance > 200"))),
        Milestone("90 days", days_past_due=90),
    ),
    portfolio="OFF", min_entry_cents=5_000,
)  # fmt: skip
STRATEGY_WITH_WATER = replace(STRATEGY, schemes=(WATER,))


def run(db: Database, day: str) -> RunResult:
    return run_day(db, d(day), strategy=STRATEGY_WITH_WATER)


def state(db: Database, code: str) -> tuple[object, ...]:
    (row,) = table(db, "milestone_state", code)
    return (row.milestone, str(row.reached_on)[:10], row.resolved, row.last_move)


def history(db: Database, code: str) -> list[str]:
    return [f"{row.event}: {row.detail}" for row in table(db, "history", code) if row.event.startswith("milestone")]


def test_the_strategy_is_valid() -> None:
    assert validate_strategy(STRATEGY_WITH_WATER) == ()


def test_45_days_past_due_enters_milestone_1_its_notice_and_fee_posted_once(db: Database) -> None:
    portfolios(db)
    world(db, """
w1 Adams OFF
    2026-01-01 charge 200.00 due 2026-01-15
w2 Baker OFF
    2026-01-01 charge 50.00 due 2026-01-15
""")
    run(db, "2026-03-01")  # 45 days past due
    run(db, "2026-03-01")  # the same date again
    run(db, "2026-03-02")
    assert activities(db) == [
        "w1: 2026-03-01 30 days: notice 'L30' (letter)  done episode 0",
        "w1: 2026-03-01 30 days: one-off charge 'Late fee' of $25.00 (fee)  done episode 0",
    ]
    assert [(row.template, str(row.queued_on)[:10]) for row in table(db, "letter", "w1")] == [("L30", "2026-03-01")]
    assert balance(db, "w1") == 20_000 + 2_500
    assert state(db, "w1") == ("30 days", "2026-03-01", False, "enter")
    assert table(db, "milestone_state", "w2") == []  # $50.00 is not more than the minimum entry amount
    assert history(db, "w1")[0] == (
        "milestone_enter: scheme 'WATER': no milestone → '30 days' (enter: reached '30 days' (days_past_due >= 30))"
    )


def test_day_61_increments_and_50_credit_points_land_on_the_party(db: Database) -> None:
    portfolios(db)
    world(db, """
w1 Adams OFF
    2026-01-01 charge 200.00 due 2026-01-15
w2 Baker OFF
    2026-01-01 charge 150.00 due 2026-01-15
""")
    run(db, "2026-03-01")
    run(db, "2026-03-10")  # 54 days: still "30 days"
    run(db, "2026-03-17")  # 61 days, 16 days after reaching "30 days"
    assert state(db, "w1") == ("60 days", "2026-03-17", False, "increment")
    assert [(row.points, str(row.on)[:10]) for row in table(db, "credit_point", "w1")] == [(50, "2026-03-17")]
    requests = [(row.text, row.assignee) for row in table(db, "service_request", "w1")]
    assert requests == [("Shut-off review", "AL")]  # its condition, balance > $200: $225.00 holds
    assert state(db, "w2")[0] == "60 days" and table(db, "service_request", "w2") == []  # $175.00 does not
    run(db, "2026-03-17")
    assert len(table(db, "credit_point", "w1")) == 1


def test_a_partial_payment_back_under_60_days_decrements_then_paying_in_full_resolves(db: Database) -> None:
    portfolios(db)
    world(db, "w1 Adams OFF\n    2026-01-01 charge 100.00 due 2026-01-15\n    2026-01-20 charge 100.00 due 2026-02-01")
    run(db, "2026-03-01")
    run(db, "2026-03-17")
    pay(db, "w1", "100.00", "2026-03-18", "p1")  # pays the oldest charge: now 45 days past due (02-01)
    run(db, "2026-03-18")
    assert state(db, "w1") == ("30 days", "2026-03-18", False, "decrement")
    notes = [row.text for row in table(db, "note", "w1")]
    assert "Back under 60 days" in notes
    pay(db, "w1", "125.00", "2026-03-19", "p2")
    run(db, "2026-03-19")
    assert state(db, "w1") == (None, "2026-03-19", True, "resolve_full_payment")
    assert "Paid in full" in [row.text for row in table(db, "note", "w1")]


def test_a_balance_under_the_resolve_amount_resolves_by_formula(db: Database) -> None:
    portfolios(db)
    world(db, "w1 Adams OFF\n    2026-01-01 charge 200.00 due 2026-01-15")
    run(db, "2026-03-01")
    pay(db, "w1", "215.01", "2026-03-05", "p1")  # $9.99 left
    run(db, "2026-03-05")
    assert state(db, "w1") == (None, "2026-03-05", True, "resolve_formula")
    assert [row.text for row in table(db, "alert", "w1")] == ["Small balance resolved"]


def test_a_payment_reversal_returns_to_the_configured_milestone(db: Database) -> None:
    portfolios(db)
    world(db, "w1 Adams OFF\n    2026-01-01 charge 200.00 due 2026-01-15")
    run(db, "2026-03-01")
    pay(db, "w1", "20.00", "2026-03-03", "p1")
    run(db, "2026-03-03")
    (payment,) = [row for row in table(db, "ledger_line", "w1") if row.kind == "payment"]
    reverse_payment(db, "w1", payment.id, d("2026-03-04"))
    run(db, "2026-03-04")
    assert state(db, "w1") == ("60 days", "2026-03-04", False, "reversal")
    assert [row.points for row in table(db, "credit_point", "w1")] == [50]


def test_a_hold_freezes_the_account_and_holds_its_actions(db: Database) -> None:
    """Adams of NORTH is bankrupt: the entry policy opens his case held (H01) on 2026-03-01; the scheme's actions
    are held with it, and on day 61 the held account does not increment."""
    portfolios(db)
    world(db, "abe Adams NORTH bankruptcy\n    2026-01-01 charge 100.00 due 2026-01-14")
    with db.transaction() as session:
        session.execute(update(PartyRow).values(bankruptcy_filed=d("2026-02-20")))
    north = replace(STRATEGY, schemes=(replace(WATER, portfolio="NORTH"),))
    run_day(db, d("2026-03-01"), strategy=north)
    assert state(db, "abe") == ("30 days", "2026-03-01", False, "enter")
    held = [row for row in table(db, "activity", "abe") if row.origin == "milestone_action"]
    assert [(row.status, row.hold_reason[:3]) for row in held] == [("held", "H01"), ("held", "H01")]
    assert table(db, "letter") == [] and [row.kind for row in table(db, "ledger_line")] == ["charge"]
    run_day(db, d("2026-03-16"), strategy=north)  # 61 days past due, 15 days after reaching "30 days"
    assert state(db, "abe") == ("30 days", "2026-03-01", False, "enter")
    assert table(db, "credit_point", "abe") == []


def test_stages_at_30_40_50_days_checked_every_10_days_from_an_invoice_of_249_95(db: Database) -> None:
    stages = Scheme("PEER", "Peer stages", tuple(Milestone(f"stage {n}", days_past_due=days) for n, days in
                                                 ((1, 30), (2, 40), (3, 50))), portfolio="OFF")  # fmt: skip
    portfolios(db)
    world(db, "inv Adams OFF\n    2012-05-31 charge 249.95 due 2012-05-31")
    reached = {}
    for day in ("2012-06-10", "2012-06-20", "2012-06-30", "2012-07-10", "2012-07-20", "2012-07-30"):
        run_day(db, d(day), strategy=replace(STRATEGY, schemes=(stages,)))
        milestone = state(db, "inv")[0] if table(db, "milestone_state", "inv") else None
        reached.setdefault(milestone, day)
    assert reached == {None: "2012-06-10", "stage 1": "2012-06-30", "stage 2": "2012-07-10", "stage 3": "2012-07-20"}


def test_explain_shows_the_milestone_why_and_what_the_next_one_needs_and_when(db: Database) -> None:
    portfolios(db)
    world(db, "w1 Adams OFF\n    2026-01-01 charge 200.00 due 2026-01-15")
    assert explain(db, "w1", d("2026-03-01"), STRATEGY_WITH_WATER).milestone == (
        "scheme 'WATER': not in it; enters when the balance is more than $50.00"
    )
    run(db, "2026-03-01")
    assert explain(db, "w1", d("2026-03-02"), STRATEGY_WITH_WATER).milestone == (
        "scheme 'WATER': milestone '30 days' since 2026-03-01 (reached '30 days' (days_past_due >= 30)); "
        "next '60 days' needs days_past_due >= 60, not before 2026-03-11"
    )


def _stored(db: Database) -> None:
    """WATER in the stored configuration: postings read it (the run is given it)."""
    from arrears.domain.strategy import LetterTemplate
    from arrears.services import config
    from arrears.services.config_document import dump_strategy

    letters = tuple(LetterTemplate(t.code, t.name, body="Dear {{ party.first_name }}") for t in STRATEGY.letters)
    assert config.apply_document(db, dump_strategy(replace(STRATEGY_WITH_WATER, letters=letters)), "w.yaml").ok


def test_a_payment_decrements_and_resolves_when_it_posts_and_the_run_moves_it_no_more(db: Database) -> None:
    portfolios(db)
    _stored(db)
    world(db, "w1 Adams OFF\n    2026-01-01 charge 100.00 due 2026-01-15\n    2026-01-20 charge 100.00 due 2026-02-01")
    run(db, "2026-03-01")
    run(db, "2026-03-17")
    assert state(db, "w1") == ("60 days", "2026-03-17", False, "increment")
    pay(db, "w1", "100.00", "2026-03-18", "p1")  # no run yet: the posting itself decrements
    assert state(db, "w1") == ("30 days", "2026-03-18", False, "decrement")
    assert [row.text for row in table(db, "note", "w1")].count("Back under 60 days") == 1
    run(db, "2026-03-18")
    assert state(db, "w1") == ("30 days", "2026-03-18", False, "decrement")  # moved once that day
    assert [row.text for row in table(db, "note", "w1")].count("Back under 60 days") == 1
    pay(db, "w1", "125.00", "2026-03-19", "p2")
    assert state(db, "w1") == (None, "2026-03-19", True, "resolve_full_payment")
    assert "Paid in full" in [row.text for row in table(db, "note", "w1")]


def test_a_payment_reversal_returns_the_account_when_it_posts(db: Database) -> None:
    from arrears.domain.ledger import Kind
    from arrears.services.accounts import Posting, post_transaction

    portfolios(db)
    _stored(db)
    world(db, "w1 Adams OFF\n    2026-01-01 charge 200.00 due 2026-01-15")
    run(db, "2026-03-01")
    pay(db, "w1", "20.00", "2026-03-03", "p1")
    post_transaction(db, "w1", Posting(Kind.CHARGE, 1_000, d("2026-03-03"), due=d("2026-03-03")))  # no move
    assert state(db, "w1") == ("30 days", "2026-03-01", False, "enter")
    (payment,) = [row for row in table(db, "ledger_line", "w1") if row.kind == "payment"]
    reverse_payment(db, "w1", payment.id, d("2026-03-04"))
    assert state(db, "w1") == ("60 days", "2026-03-04", False, "reversal")
    assert [row.points for row in table(db, "credit_point", "w1")] == [50]
    run(db, "2026-03-04")
    assert [row.points for row in table(db, "credit_point", "w1")] == [50]


def test_a_scheme_hold_freezes_the_account_until_released(db: Database) -> None:
    import pytest

    from arrears.domain.errors import ValidationFailed
    from arrears.services.schemes import hold_in_scheme, release_from_scheme_hold

    portfolios(db)
    world(db, "w1 Adams OFF\n    2026-01-01 charge 200.00 due 2026-01-15\n"
              "n1 Nash NORTH\n    2026-01-01 charge 9.00 due 2026-01-15")  # fmt: skip
    run(db, "2026-03-01")
    code = hold_in_scheme(db, "w1", "Disputed meter reading", on=d("2026-03-10"), actor="ann",
                          strategy=STRATEGY_WITH_WATER)  # fmt: skip
    assert code == "WATER"
    run(db, "2026-03-17")  # 61 days past due: would increment
    assert state(db, "w1") == ("30 days", "2026-03-01", False, "enter")
    assert explain(db, "w1", d("2026-03-17"), STRATEGY_WITH_WATER).milestone.endswith(
        "; held in the scheme since 2026-03-10 until released (Disputed meter reading): it does not move"
    )
    assert table(db, "credit_point", "w1") == []
    assert [row.detail for row in table(db, "history", "w1") if row.event == "scheme_hold"] == [
        "held in scheme 'WATER' from 2026-03-10 until released: Disputed meter reading"
    ]
    release_from_scheme_hold(db, "w1", on=d("2026-03-18"), actor="ann")
    run(db, "2026-03-18")
    assert state(db, "w1") == ("60 days", "2026-03-18", False, "increment")
    assert [(row.action, row.actor) for row in table(db, "audit") if row.entity == "scheme_hold"] == [
        ("held", "ann"), ("released", "ann"),
    ]  # fmt: skip
    with pytest.raises(ValidationFailed, match="reason: is required"):
        hold_in_scheme(db, "w1", " ", on=d("2026-03-20"), actor="ann", strategy=STRATEGY_WITH_WATER)
    with pytest.raises(ValidationFailed, match="until: must not be before the day the hold starts"):
        hold_in_scheme(db, "w1", "x", on=d("2026-03-20"), until=d("2026-03-19"), actor="ann",
                       strategy=STRATEGY_WITH_WATER)  # fmt: skip
    with pytest.raises(ValidationFailed, match="portfolio NORTH has no milestone scheme"):
        hold_in_scheme(db, "n1", "x", on=d("2026-03-20"), actor="ann", strategy=STRATEGY_WITH_WATER)
    with pytest.raises(ValidationFailed, match="has no scheme hold to release"):
        release_from_scheme_hold(db, "w1", on=d("2026-03-20"), actor="ann")


def test_a_hold_until_a_day_ends_and_a_scheme_may_let_held_accounts_resolve(db: Database) -> None:
    from arrears.services.schemes import hold_in_scheme

    portfolios(db)
    world(db, "w1 Adams OFF\n    2026-01-01 charge 200.00 due 2026-01-15\nw2 Baker OFF\n"
              "    2026-01-01 charge 200.00 due 2026-01-15")  # fmt: skip
    lenient = replace(STRATEGY, schemes=(replace(WATER, holds_auto_resolve=True),))
    run_day(db, d("2026-03-01"), strategy=lenient)
    for code in ("w1", "w2"):
        hold_in_scheme(db, code, "Hardship", on=d("2026-03-02"), until=d("2026-03-16"), actor="ann",
                       strategy=lenient)  # fmt: skip
    pay(db, "w2", "225.00", "2026-03-05", "p1")
    run_day(db, d("2026-03-05"), strategy=lenient)
    assert state(db, "w2") == (None, "2026-03-05", True, "resolve_full_payment")  # held, but it may resolve
    run_day(db, d("2026-03-16"), strategy=lenient)  # 60 days past due, the hold's last day: no increment
    assert state(db, "w1") == ("30 days", "2026-03-01", False, "enter")
    run_day(db, d("2026-03-17"), strategy=lenient)
    assert state(db, "w1") == ("60 days", "2026-03-17", False, "increment")
