"""Opening accounts and posting to their ledgers keeps the summary row current (SQLite and PostgreSQL)."""

from datetime import date

import pytest
from sqlalchemy import func, select

from arrears.domain.errors import NotFound, ValidationFailed
from arrears.domain.ledger import Frequency, Kind, PaymentPlan, Source
from arrears.domain.model import ENTERPRISE, Account, Claim, Mode, Party, Phone, PhoneType
from arrears.services.account_work import close_account
from arrears.services.accounts import (
    Posting,
    add_claim,
    add_payment_plan,
    create_portfolio,
    open_account,
    post_transaction,
    reverse_payment,
    set_portfolio_maximum,
)
from arrears.store.db import Database
from arrears.store.models import AccountRow, AccountSummaryRow, AuditRow, LedgerLineRow
from tests.notation import d


def smith(external_id: str = "A-1", portfolio: str = "NORTH") -> Account:
    party = Party(
        "Ann",
        "Smith",
        city="Dayton",
        state="OH",
        time_zone="America/New_York",
        phones=(Phone("555-0100", PhoneType.MOBILE),),
    )
    return Account(external_id, portfolio, party, opened=d("2025-12-01"))


def summary(db: Database, external_id: str = "A-1") -> AccountSummaryRow:
    with db.session() as session:
        row = session.scalar(
            select(AccountSummaryRow)
            .join(AccountRow, AccountRow.id == AccountSummaryRow.account_id)
            .where(AccountRow.external_id == external_id)
        )
        assert row is not None
        return row


def test_open_account_creates_an_empty_summary(db: Database) -> None:
    create_portfolio(db, "NORTH", "North Clinic")
    open_account(db, smith())
    row = summary(db)
    assert (row.balance_cents, row.oldest_unpaid_due, row.on_payment_plan) == (0, None, False)


def test_open_account_reports_every_problem_and_writes_nothing(db: Database) -> None:
    bad = Account("", "NOWHERE", Party("Ann", "", time_zone="Mars/Olympus"))
    with pytest.raises(ValidationFailed) as failure:
        open_account(db, bad)
    assert {(p.field, p.rule) for p in failure.value.problems} == {
        ("last_name", "is required"),
        ("time_zone", "must be an IANA time zone such as America/Chicago"),
        ("external_id", "is required"),
        ("portfolio", "is not a known portfolio"),
    }
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(AccountRow)) == 0


def test_posting_keeps_the_summary_current_and_nsf_reopens(db: Database) -> None:
    create_portfolio(db, "NORTH", "North Clinic")
    open_account(db, smith())
    post_transaction(db, "A-1", Posting(Kind.CHARGE, 10000, d("2026-01-05"), due=d("2026-02-04")))
    post_transaction(db, "A-1", Posting(Kind.CHARGE, 5000, d("2026-01-20"), due=d("2026-02-19")))
    paid = post_transaction(db, "A-1", Posting(Kind.PAYMENT, 10000, d("2026-02-10"), source=Source.GUARANTOR))
    row = summary(db)
    assert (row.balance_cents, row.oldest_unpaid_due, row.last_payment_cents) == (5000, d("2026-02-19"), 10000)
    reverse_payment(db, "A-1", paid, d("2026-02-20"))
    row = summary(db)
    assert (row.balance_cents, row.oldest_unpaid_due, row.last_payment_date) == (15000, d("2026-02-04"), None)


def test_bad_posting_is_refused_whole(db: Database) -> None:
    create_portfolio(db, "NORTH", "North Clinic")
    open_account(db, smith())
    with pytest.raises(ValidationFailed, match="a charge needs a due date"):
        post_transaction(db, "A-1", Posting(Kind.CHARGE, 100, d("2026-01-05")))
    paid = post_transaction(db, "A-1", Posting(Kind.PAYMENT, 700, d("2026-01-06"), source=Source.GUARANTOR))
    reverse_payment(db, "A-1", paid, d("2026-01-07"))
    with pytest.raises(ValidationFailed, match="already reversed"):
        reverse_payment(db, "A-1", paid, d("2026-01-08"))
    with pytest.raises(NotFound):
        post_transaction(db, "NOPE", Posting(Kind.FEE, 100, d("2026-01-05")))
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(LedgerLineRow)) == 2
    assert summary(db).balance_cents == 0


def test_a_refund_beyond_the_credit_balance_is_refused_and_nothing_is_written(db: Database) -> None:
    create_portfolio(db, "NORTH", "North Clinic")
    open_account(db, smith())
    post_transaction(db, "A-1", Posting(Kind.CHARGE, 10000, d("2026-01-05"), due=d("2026-02-04")))
    post_transaction(db, "A-1", Posting(Kind.PAYMENT, 12500, d("2026-02-10"), source=Source.GUARANTOR))
    assert summary(db).balance_cents == -2500  # a $25.00 credit balance
    with pytest.raises(ValidationFailed) as refused:
        post_transaction(db, "A-1", Posting(Kind.REFUND, 4000, d("2026-02-15"), description="check 1001"))
    assert [(p.field, p.rule, p.value) for p in refused.value.problems] == [(
        "amount", "a refund must not be more than the account's credit balance on 2026-02-15 ($25.00): it pays "
        "back an overpayment", "40.00")]  # fmt: skip
    with pytest.raises(ValidationFailed, match=r"credit balance on 2026-02-09 \(\$0.00\)"):
        post_transaction(db, "A-1", Posting(Kind.REFUND, 2500, d("2026-02-09")))  # before the overpayment
    assert summary(db).balance_cents == -2500
    post_transaction(db, "A-1", Posting(Kind.REFUND, 2500, d("2026-02-15"), description="check 1001"))
    assert summary(db).balance_cents == 0
    with pytest.raises(ValidationFailed, match=r"\(\$0.00\)"):
        post_transaction(db, "A-1", Posting(Kind.REFUND, 1, d("2026-02-16")))  # paid back already
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(LedgerLineRow)) == 3


def test_close_account(db: Database) -> None:
    create_portfolio(db, "NORTH", "North Clinic")
    open_account(db, smith())
    close_account(db, "A-1", date(2026, 3, 1))
    with db.session() as session:
        row = session.scalar(select(AccountRow))
        assert row is not None and (row.mode, row.closed_date) == (Mode.CLOSED, date(2026, 3, 1))
    with pytest.raises(ValidationFailed, match="already closed"):
        close_account(db, "A-1", date(2026, 3, 2))


def test_a_posting_claim_or_plan_above_ten_million_dollars_is_refused(db: Database) -> None:
    """The import's maximum holds for every way in: a posting of $10,000,000.01 is refused with its field."""
    create_portfolio(db, "NORTH", "North Clinic")
    open_account(db, Account("A-1", "NORTH", Party("Ann", "Smith")))
    rule = "must be at most $10,000,000.00 (the maximum amount of portfolio NORTH)"
    with pytest.raises(ValidationFailed) as refused:
        post_transaction(db, "A-1", Posting(Kind.CHARGE, 1_000_000_001, d("2026-01-05"), due=d("2026-02-04")))
    assert [(p.location, p.rule) for p in refused.value.problems] == [("amount", rule)]
    post_transaction(db, "A-1", Posting(Kind.CHARGE, 1_000_000_000, d("2026-01-05"), due=d("2026-02-04")))


def test_the_enterprise_maximum_is_the_default_of_every_portfolio_without_its_own(db: Database) -> None:
    create_portfolio(db, "NORTH", "North Clinic")
    create_portfolio(db, "BIG", "Commercial Client", maximum_cents=5_000_000_000)
    open_account(db, Account("A-1", "NORTH", Party("Ann", "Smith")))
    open_account(db, Account("B-1", "BIG", Party("Acme", "Corp")))
    set_portfolio_maximum(db, ENTERPRISE, 250_000, "manager")
    plan = PaymentPlan(250_001, Frequency.MONTHLY, d("2026-02-01"))
    with pytest.raises(ValidationFailed) as refused:
        add_payment_plan(db, "A-1", "P-1", plan)
    assert [(p.location, p.rule) for p in refused.value.problems] == [
        ("installment", "must be at most $2,500.00 (the maximum amount of portfolio NORTH)")
    ]
    with pytest.raises(ValidationFailed) as refused:
        add_claim(db, "A-1", Claim("C-1", "Acme Health", d("2026-01-10"), 300_000))
    assert [(p.location, p.rule) for p in refused.value.problems] == [
        ("amount", "must be at most $2,500.00 (the maximum amount of portfolio NORTH)")
    ]
    add_claim(db, "B-1", Claim("C-2", "Acme Health", d("2026-01-10"), 4_000_000_000))  # BIG's own: $50M
    with pytest.raises(ValidationFailed) as refused:
        set_portfolio_maximum(db, "BIG", 100_000_000_001, "manager")
    assert [(p.location, p.rule) for p in refused.value.problems] == [
        ("maximum_amount", "must be at most $1,000,000,000.00 (the largest amount Arrears accepts)")
    ]
    with db.session() as session:
        audit = session.scalars(select(AuditRow).where(AuditRow.entity == "portfolio")).all()
    assert sorted((row.entity_key, row.actor) for row in audit if row.action == "added") == [
        ("BIG", "system"), ("NORTH", "system"),
    ]  # fmt: skip
    assert [(row.entity_key, row.actor, row.after) for row in audit if row.action != "added"] == [
        (ENTERPRISE, "manager", '{"maximum_amount_cents": 250000}')
    ]
