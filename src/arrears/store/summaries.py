"""Account summaries: one row per account with what the daily run reads, computed from the ledger."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, select

from arrears.domain.ledger import Entry, Frequency, Kind, PaymentPlan, Source, summarize
from arrears.domain.model import Claim, ClaimStatus
from arrears.store.bulk import upsert
from arrears.store.models import AccountRow, AccountSummaryRow, ClaimRow, LedgerLineRow, PaymentPlanRow

LEDGER = LedgerLineRow.__table__
PLANS = PaymentPlanRow.__table__
CLAIMS = ClaimRow.__table__
ACCOUNTS = AccountRow.__table__
SUMMARIES = AccountSummaryRow.__table__


def entry_from_row(row: Any) -> Entry:
    """A domain ledger entry from a ``ledger_line`` row."""
    return Entry(
        seq=row.id,
        kind=Kind(row.kind),
        amount_cents=row.amount_cents,
        posted=row.posted_date,
        due=row.due_date,
        service=row.service_date,
        source=Source(row.source) if row.source else None,
        reverses=row.reverses_id,
    )


def plan_from_row(row: Any) -> PaymentPlan:
    """A domain payment plan from a ``payment_plan`` row."""
    return PaymentPlan(
        installment_cents=row.installment_cents,
        frequency=Frequency(row.frequency),
        first_due=row.first_due_date,
        grace_days=row.grace_days,
        start=row.start_date,
        installments=row.installments,
    )


def claim_from_row(row: Any) -> Claim:
    """A domain claim from a ``claim`` row."""
    return Claim(row.external_id, row.payer, row.billed_date, row.amount_cents, row.paid_cents, ClaimStatus(row.status))


def summary_values(
    account_id: int, portfolio_id: int, entries: Iterable[Entry], plan: PaymentPlan | None, claims: Sequence[Claim]
) -> dict[str, Any]:
    """The ``account_summary`` row of one account."""
    summary = summarize(entries, plan)
    open_claims = [c for c in claims if c.unpaid_cents > 0]
    return {
        "account_id": account_id,
        "portfolio_id": portfolio_id,
        "balance_cents": summary.balance_cents,
        "oldest_unpaid_due": summary.oldest_unpaid_due,
        "last_payment_date": summary.last_payment_date,
        "last_payment_cents": summary.last_payment_cents,
        "last_guarantor_payment_date": summary.last_guarantor_payment_date,
        "on_payment_plan": summary.on_payment_plan,
        "plan_next_unpaid_due": summary.plan_next_unpaid_due,
        "plan_grace_days": summary.plan_grace_days,
        "insurance_balance_cents": sum(c.unpaid_cents for c in open_claims),
        "oldest_open_claim_billed": min((c.billed for c in open_claims), default=None),
        "open_claim_count": len(open_claims),
        "updated_at": datetime.now(UTC),
    }


def _grouped(
    connection: Connection, table: Any, account_ids: Sequence[int], convert: Callable[[Any], Any], *where: Any
) -> dict[int, list[Any]]:
    grouped: dict[int, list[Any]] = defaultdict(list)
    query = select(table).where(table.c.account_id.in_(account_ids), *where).order_by(table.c.account_id, table.c.id)
    for row in connection.execute(query):
        grouped[row.account_id].append(convert(row))
    return grouped


def compute(connection: Connection, account_ids: Sequence[int]) -> list[dict[str, Any]]:
    """Summary rows for ``account_ids``, computed from their ledgers, active plans and claims."""
    if not account_ids:
        return []
    ledgers = _grouped(connection, LEDGER, account_ids, entry_from_row)
    plans = _grouped(connection, PLANS, account_ids, plan_from_row, PLANS.c.active.is_(True))
    claims = _grouped(connection, CLAIMS, account_ids, claim_from_row)
    portfolios = connection.execute(
        select(ACCOUNTS.c.id, ACCOUNTS.c.portfolio_id).where(ACCOUNTS.c.id.in_(account_ids))
    ).all()
    return [
        summary_values(
            account_id,
            portfolio_id,
            ledgers.get(account_id, []),
            plans[account_id][-1] if plans.get(account_id) else None,
            claims.get(account_id, []),
        )
        for account_id, portfolio_id in portfolios
    ]


def refresh(connection: Connection, account_ids: Sequence[int]) -> None:
    """Recompute and store the summaries of ``account_ids`` inside the caller's transaction."""
    for start in range(0, len(account_ids), 5000):
        upsert(connection, SUMMARIES, compute(connection, account_ids[start : start + 5000]), ["account_id"])


def rebuild_all(connection: Connection, batch: int = 5000, progress: Callable[[int], None] | None = None) -> int:
    """Recompute every account's summary from its ledger; return how many accounts were summarized."""
    total = connection.execute(select(ACCOUNTS.c.id).order_by(ACCOUNTS.c.id)).scalars().all()
    for start in range(0, len(total), batch):
        chunk = total[start : start + batch]
        upsert(connection, SUMMARIES, compute(connection, chunk), ["account_id"])
        if progress:
            progress(len(chunk))
    return len(total)
