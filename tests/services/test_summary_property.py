"""Property: the summary kept current posting by posting equals the one rebuilt from the whole ledger."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from arrears.domain.ledger import Frequency, Kind, PaymentPlan, Source, balance_effect
from arrears.domain.model import Account, Party
from arrears.services.accounts import (
    Posting,
    add_payment_plan,
    create_portfolio,
    open_account,
    post_transaction,
    reverse_payment,
)
from arrears.store import summaries
from arrears.store.db import Database
from arrears.store.models import AccountRow, AccountSummaryRow, LedgerLineRow, PortfolioRow

START = date(2025, 1, 1)
counter = itertools.count()

steps = st.lists(
    st.tuples(
        st.sampled_from(["charge", "payment", "fee", "adjustment", "write_off", "refund", "reverse"]),
        st.integers(min_value=1, max_value=50_000),
        st.integers(min_value=0, max_value=400),
        st.integers(min_value=0, max_value=90),
        st.booleans(),
    ),
    min_size=1,
    max_size=25,
)


def credit_on(db: Database, external_id: str, day: date) -> int:
    """The account's credit balance on ``day`` (its lines posted by then): what a refund may pay back."""
    with db.session() as session:
        lines = session.execute(
            select(LedgerLineRow.kind, LedgerLineRow.amount_cents).join(AccountRow)
            .where(AccountRow.external_id == external_id, LedgerLineRow.posted_date <= day)
        ).all()  # fmt: skip
    return max(0, -sum(balance_effect(Kind(kind), cents) for kind, cents in lines))


def comparable(row: AccountSummaryRow) -> dict[str, object]:
    return {c.name: getattr(row, c.name) for c in AccountSummaryRow.__table__.columns if c.name != "updated_at"}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ledger=steps, with_plan=st.booleans())
def test_incremental_summary_equals_rebuilt(
    db: Database, ledger: list[tuple[str, int, int, int, bool]], with_plan: bool
) -> None:
    with db.session() as session:
        if session.scalar(select(PortfolioRow.id).where(PortfolioRow.code == "P")) is None:
            create_portfolio(db, "P", "Portfolio")
    external_id = f"ACC-{next(counter)}"
    account_id = open_account(db, Account(external_id, "P", Party("Pat", "Doe")))
    if with_plan:
        add_payment_plan(db, external_id, f"PLAN-{external_id}", PaymentPlan(2500, Frequency.MONTHLY, START, 10))
    payments: list[tuple[int, date]] = []
    for kind, cents, day, due_in, insurance in ledger:
        posted = START + timedelta(days=day)
        if kind == "reverse":
            if payments:
                payment, paid_on = payments.pop(0)
                reverse_payment(db, external_id, payment, max(posted, paid_on))
            continue
        amount = -cents if kind == "adjustment" and insurance else cents
        if kind == "refund":  # a refund pays back at most the credit balance: refund what there is, if any
            amount = min(amount, credit_on(db, external_id, posted))
            if amount <= 0:
                continue
        line = post_transaction(
            db,
            external_id,
            Posting(
                Kind(kind),
                amount,
                posted,
                due=posted + timedelta(days=due_in) if kind == "charge" else None,
                source=(Source.INSURANCE if insurance else Source.GUARANTOR) if kind == "payment" else None,
            ),
        )
        if kind == "payment":
            payments.append((line, posted))
    with db.session() as session:
        incremental = comparable(session.get(AccountSummaryRow, account_id))  # type: ignore[arg-type]
    with db.engine.begin() as connection:
        rebuilt = summaries.compute(connection, [account_id])[0]
    assert incremental == {k: v for k, v in rebuilt.items() if k != "updated_at"}
