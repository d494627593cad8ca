"""The demo portfolio: deterministic, realistic, and true to every ledger rule (SQLite and PostgreSQL)."""

import hashlib
import re
from collections import defaultdict
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from arrears.domain.calendar import add_months
from arrears.domain.errors import ValidationFailed
from arrears.domain.ledger import Kind, entry_problems, plan_delinquent, replay, summarize
from arrears.domain.model import Account, ClaimStatus, Party
from arrears.services.accounts import create_portfolio, open_account
from arrears.services.demo import (
    DEMO_CODES,
    SERVICES,
    STATE_TIME_ZONES,
    Behaviour,
    Category,
    DemoResult,
    build_demo,
    generate_demo,
)
from arrears.services.reports import BUCKETS, portfolio_report
from arrears.store.db import Database, sqlite_url
from arrears.store.models import (
    AccountRow,
    AccountSummaryRow,
    ClaimRow,
    LedgerLineRow,
    PartyRow,
    PaymentPlanRow,
    PhoneRow,
)
from arrears.store.summaries import claim_from_row, entry_from_row, plan_from_row

AS_OF = date(2026, 3, 1)
ACCOUNTS = 150
SEED = 7
ZONES = {
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Phoenix",
    "America/Los_Angeles",
    "America/Anchorage",
    "Pacific/Honolulu",
}


@pytest.fixture
def demo(db: Database) -> DemoResult:
    return build_demo(db, ACCOUNTS, SEED, AS_OF)


def rows(db: Database, model: type) -> list[tuple]:
    table = model.__table__
    with db.engine.connect() as connection:
        return [tuple(row) for row in connection.execute(select(table).order_by(table.c.id))]


def fingerprint(db: Database) -> str:
    digest = hashlib.sha256()
    for model in (PartyRow, PhoneRow, AccountRow, LedgerLineRow, ClaimRow, PaymentPlanRow):
        digest.update(repr(rows(db, model)).encode())
    return digest.hexdigest()


def ledgers(db: Database) -> dict[int, list]:
    grouped = defaultdict(list)
    with db.engine.connect() as connection:
        table = LedgerLineRow.__table__
        for row in connection.execute(select(table).order_by(table.c.account_id, table.c.id)):
            grouped[row.account_id].append(row)
    return grouped


def test_the_same_seed_builds_the_same_rows(db: Database, demo: DemoResult, tmp_path) -> None:
    other = Database.connect(sqlite_url(tmp_path / "again.db"))
    try:
        again = build_demo(other, ACCOUNTS, SEED, AS_OF)
        assert fingerprint(other) == fingerprint(db)
        assert (again.ledger_lines, again.behaviour_of) == (demo.ledger_lines, demo.behaviour_of)
    finally:
        other.dispose()


def test_generation_is_pure_and_depends_on_seed_and_date() -> None:
    first, again = generate_demo(40, 1, AS_OF), generate_demo(40, 1, AS_OF)
    assert (first.parties, first.ledger, first.claims, first.plans) == (
        again.parties,
        again.ledger,
        again.claims,
        again.plans,
    )
    assert generate_demo(40, 2, AS_OF).ledger != first.ledger
    assert generate_demo(40, 1, AS_OF + timedelta(days=1)).ledger != first.ledger


def test_every_line_obeys_the_ledger_rules(db: Database, demo: DemoResult) -> None:
    by_id = {}
    for account_id, lines in ledgers(db).items():
        entries = [entry_from_row(row) for row in lines]
        for entry in entries:
            assert entry_problems(entry) == [], entry
            by_id[entry.seq] = (account_id, entry)
        state = replay(entries)  # raises on a reversal of no payment, a double reversal or another amount
        assert state.balance_cents >= 0 and state.unapplied_credit_cents == 0
    reversals = [(account, e) for account, e in by_id.values() if e.kind is Kind.REVERSAL]
    assert reversals, "a few NSF reversals"
    for account, reversal in reversals:
        target_account, payment = by_id[reversal.reverses]
        assert target_account == account and payment.kind is Kind.PAYMENT
        assert payment.amount_cents == reversal.amount_cents and payment.posted < reversal.posted
    assert len(by_id) == demo.ledger_lines


def test_summaries_equal_the_domain_summary_of_each_ledger(db: Database, demo: DemoResult) -> None:
    grouped = ledgers(db)
    with db.session() as session:
        plans = defaultdict(list)
        for row in session.execute(select(PaymentPlanRow.__table__).order_by(PaymentPlanRow.id)):
            if row.active:
                plans[row.account_id].append(plan_from_row(row))
        claims = defaultdict(list)
        for row in session.execute(select(ClaimRow.__table__)):
            claims[row.account_id].append(claim_from_row(row))
        stored = session.scalars(select(AccountSummaryRow)).all()
    assert len(stored) == ACCOUNTS
    for row in stored:
        expected = summarize(
            [entry_from_row(line) for line in grouped.get(row.account_id, [])],
            plans[row.account_id][-1] if plans.get(row.account_id) else None,
        )
        assert (
            row.balance_cents,
            row.oldest_unpaid_due,
            row.last_payment_date,
            row.last_payment_cents,
            row.last_guarantor_payment_date,
            row.on_payment_plan,
            row.plan_next_unpaid_due,
            row.plan_grace_days,
        ) == (
            expected.balance_cents,
            expected.oldest_unpaid_due,
            expected.last_payment_date,
            expected.last_payment_cents,
            expected.last_guarantor_payment_date,
            expected.on_payment_plan,
            expected.plan_next_unpaid_due,
            expected.plan_grace_days,
        )
        assert row.insurance_balance_cents == sum(c.unpaid_cents for c in claims[row.account_id])


def test_the_report_buckets_add_up_to_the_balance(db: Database, demo: DemoResult) -> None:
    report = portfolio_report(db, AS_OF)
    assert [p.code for p in report.portfolios] == list(DEMO_CODES)
    assert sum(p.accounts for p in report.portfolios) == report.total.accounts == ACCOUNTS
    for portfolio in (*report.portfolios, report.total):
        assert [name for name, _ in portfolio.aging] == list(BUCKETS)
        assert sum(cents for _, cents in portfolio.aging) == portfolio.balance_cents
    with db.session() as session:
        stored = session.scalar(select(func.sum(AccountSummaryRow.balance_cents)))
    assert report.total.balance_cents == stored > 0
    assert report.total.bucket("120+") > 0 and report.total.bucket("current") > 0
    # Earlier, everything is younger: nothing posted after the date counts.
    earlier = portfolio_report(db, AS_OF - timedelta(days=200))
    assert earlier.total.balance_cents != report.total.balance_cents
    assert sum(c for _, c in earlier.total.aging) == earlier.total.balance_cents


def test_every_behaviour_and_every_time_zone_appears(db: Database, demo: DemoResult) -> None:
    assert set(demo.behaviours) == {b.value for b in Behaviour}
    assert set(demo.time_zones) == ZONES
    with db.session() as session:
        parties = session.scalars(select(PartyRow)).all()
        assert {p.time_zone for p in parties} == ZONES
        for party in parties:
            assert party.time_zone == STATE_TIME_ZONES[party.state], (party.city, party.state)
            assert re.fullmatch(r"\d{5}", party.postal_code) and party.address1 and party.last_name
            assert party.email == "" or re.fullmatch(r"[a-z.]+\d*@example\.(com|net|org)", party.email)
        phones = session.scalars(select(PhoneRow)).all()
        assert {p.type for p in phones} == {"mobile", "home", "work"}
        assert all(re.fullmatch(r"\(\d{3}\) 555-01\d\d", p.number) for p in phones)


def test_charges_claims_and_plans_look_like_a_medical_practice(db: Database, demo: DemoResult) -> None:
    ranges = {Category.VISIT: (90, 250), Category.PROCEDURE: (400, 4000), Category.LAB: (20, 150)}
    first_day = add_months(AS_OF, -18)
    seen = set()
    for lines in ledgers(db).values():
        for line in lines:
            assert first_day <= line.posted_date <= AS_OF
            if line.kind == Kind.CHARGE:
                service = SERVICES[line.description.split()[0]]
                low, high = ranges[service.category]
                assert low * 100 <= line.amount_cents <= high * 100
                assert line.due_date == line.service_date + timedelta(days=30)
                seen.add(service.category)
    assert seen == set(Category)
    with db.session() as session:
        claims = session.scalars(select(ClaimRow)).all()
        assert {c.status for c in claims} >= {ClaimStatus.PAID, ClaimStatus.DENIED, ClaimStatus.OPEN}
        assert {c.payer for c in claims} >= {"Aetna", "Medicare", "UnitedHealthcare"}
        assert any(c.status == ClaimStatus.OPEN and (AS_OF - c.billed_date).days > 90 for c in claims)
        assert all(0 <= c.paid_cents <= c.amount_cents for c in claims)
        summary_of = {s.account_id: s for s in session.scalars(select(AccountSummaryRow))}
        external = dict(session.execute(select(AccountRow.id, AccountRow.external_id)).all())
        plans = session.scalars(select(PaymentPlanRow)).all()
    kept = broken = 0
    for plan in plans:
        assert plan.frequency == "monthly"
        behaviour = demo.behaviour_of[external[plan.account_id]]
        summary = summary_of[plan.account_id]
        late = plan_delinquent(summary.plan_next_unpaid_due, plan.grace_days, AS_OF)
        if behaviour is Behaviour.PLAN_BROKEN:
            assert plan.active and late
            broken += 1
        elif plan.active:
            assert behaviour is Behaviour.PLAN_KEPT and not late
            kept += 1
    assert kept and broken


def test_flags_appear_at_low_rates() -> None:
    parties = generate_demo(2000, 3, AS_OF).parties
    for flag in ("deceased", "bankruptcy", "attorney_represented", "cease_communication", "do_not_call"):
        assert 0 < sum(p[flag] for p in parties) < 0.05 * len(parties), flag
    disputes = [p["dispute_date"] for p in parties if p["dispute_date"]]
    assert 0 < len(disputes) < 0.05 * len(parties)
    assert all(AS_OF - timedelta(days=180) <= day <= AS_OF for day in disputes)


def test_building_twice_refuses_and_writes_nothing(db: Database, demo: DemoResult) -> None:
    before = fingerprint(db)
    with pytest.raises(ValidationFailed) as failure:
        build_demo(db, 10, SEED, AS_OF)
    assert failure.value.problems[0].field == "portfolio"
    assert fingerprint(db) == before


def test_the_demo_follows_rows_already_there(tmp_path) -> None:
    """Ids continue after existing rows, so a database with other data keeps it."""
    path = tmp_path / "busy.db"
    db = Database.connect(sqlite_url(path))
    try:
        create_portfolio(db, "NORTH", "North Clinic")
        open_account(db, Account("N-1", "NORTH", Party("Ann", "Smith")))
        build_demo(db, 20, SEED, AS_OF)
        report = portfolio_report(db, AS_OF)
        assert [p.code for p in report.portfolios] == ["NORTH", *DEMO_CODES]
        assert report.total.accounts == 21
        for account_id, lines in ledgers(db).items():
            replay([entry_from_row(row) for row in lines])
            assert account_id > 1
    finally:
        db.dispose()


def test_new_rows_after_the_demo_get_fresh_ids(db: Database, demo: DemoResult) -> None:
    """The demo gives ids explicitly; PostgreSQL sequences must move past them."""
    create_portfolio(db, "NORTH", "North Clinic")
    account_id = open_account(db, Account("N-1", "NORTH", Party("Ann", "Smith")))
    assert account_id == ACCOUNTS + 1


def test_a_demo_needs_accounts() -> None:
    with pytest.raises(ValidationFailed):
        generate_demo(0, SEED, AS_OF)
