"""Portfolio reports: accounts, balance and aging buckets per portfolio at a date, from the ledger itself.

Each account's ledger (the lines posted by the as-of date) is replayed with
:func:`arrears.domain.ledger.position`, so balances and buckets follow exactly the domain's rules (FIFO
application, NSF reversals) and are exact integer cents. An overpaid account's credit balance is a **credit**
figure of its own, never netted into *current*: the buckets are what is owed (:attr:`Position.owed_aging`), and
buckets less credit are the balance.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from arrears.domain.ledger import AGING_BUCKETS, position
from arrears.domain.money import Money
from arrears.store.db import Connection, Database
from arrears.store.ledger import entries_posted_by
from arrears.store.portfolios import account_counts, portfolios_in_order

BUCKETS: tuple[str, ...] = tuple(name for name, _, _ in AGING_BUCKETS)
"""The aging buckets in order: current, 1-30, 31-60, 61-90, 91-120, 120+."""

TOTAL = "TOTAL"


@dataclass(frozen=True, slots=True)
class PortfolioAging:
    """One portfolio's accounts, balance and aging at a date (cents)."""

    code: str
    name: str
    accounts: int
    balance_cents: int
    aging: tuple[tuple[str, int], ...]
    """What is owed per bucket (a credit balance is not netted into *current*)."""
    credit_cents: int = 0
    """The credit balances of the overpaid accounts, summed (positive): the buckets less this are the balance."""
    credit_accounts: int = 0
    """How many accounts have a credit balance."""

    def bucket(self, name: str) -> int:
        """Cents in the aging bucket ``name``."""
        return dict(self.aging)[name]

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON: cents as integers and amounts as plain text."""
        return {
            "code": self.code,
            "name": self.name,
            "accounts": self.accounts,
            "balance_cents": self.balance_cents,
            "balance": Money(self.balance_cents).plain(),
            "aging_cents": dict(self.aging),
            "credit_cents": self.credit_cents,
            "credit_accounts": self.credit_accounts,
        }


@dataclass(frozen=True, slots=True)
class PortfolioReport:
    """The aging of every portfolio at ``as_of``, and their total."""

    as_of: date
    portfolios: tuple[PortfolioAging, ...]
    total: PortfolioAging

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON."""
        return {
            "as_of": self.as_of.isoformat(),
            "buckets": list(BUCKETS),
            "portfolios": [p.as_dict() for p in self.portfolios],
            "total": self.total.as_dict(),
        }


def _aging(
    code: str, name: str, accounts: int, buckets: dict[str, int], balance: int, credit: tuple[int, int]
) -> PortfolioAging:
    return PortfolioAging(code, name, accounts, balance, tuple((b, buckets[b]) for b in BUCKETS), *credit)


def portfolio_aging(connection: Connection, as_of: date, codes: Sequence[str] | None = None) -> PortfolioReport:
    """The report at ``as_of`` inside the caller's connection, for every portfolio or only ``codes``.

    Lists every portfolio below the enterprise root (and the root itself when it holds accounts).
    """
    counts = account_counts(connection)
    rows = [
        row
        for row in portfolios_in_order(connection)
        if (row.parent_id is not None or counts.get(row.id)) and (codes is None or row.code in codes)
    ]
    wanted = {row.id for row in rows}
    balances = dict.fromkeys(wanted, 0)
    buckets = {pid: dict.fromkeys(BUCKETS, 0) for pid in wanted}
    credits = {pid: [0, 0] for pid in wanted}
    for portfolio_id, entries in entries_posted_by(connection, as_of, wanted):
        state = position(entries, as_of)
        balances[portfolio_id] += state.balance_cents
        into = buckets[portfolio_id]
        for name, cents in state.owed_aging:
            into[name] += cents
        if state.credit_cents:
            credits[portfolio_id][0] += state.credit_cents
            credits[portfolio_id][1] += 1
    report = tuple(
        _aging(row.code, row.name, counts.get(row.id, 0), buckets[row.id], balances[row.id],
               (credits[row.id][0], credits[row.id][1]))
        for row in rows
    )  # fmt: skip
    total_buckets = {name: sum(p.bucket(name) for p in report) for name in BUCKETS}
    total_credit = (sum(p.credit_cents for p in report), sum(p.credit_accounts for p in report))
    total = _aging(TOTAL, "All portfolios", sum(p.accounts for p in report), total_buckets,
                   sum(p.balance_cents for p in report), total_credit)  # fmt: skip
    return PortfolioReport(as_of, report, total)


def portfolio_report(db: Database, as_of: date, codes: Sequence[str] | None = None) -> PortfolioReport:
    """Accounts, balance and aging per portfolio at ``as_of`` (see :func:`portfolio_aging`)."""
    with db.engine.connect() as connection:
        return portfolio_aging(connection, as_of, codes)
