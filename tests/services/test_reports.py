"""The portfolios' aging at a date: what is owed per bucket, and credit balances as a figure of their own (never
netted into current, which would understate it) (SQLite and PostgreSQL)."""

from __future__ import annotations

from arrears.services.reports import portfolio_report
from arrears.store.db import Database
from tests.notation import d
from tests.services.run_scenarios import portfolios, world

ACCOUNTS = """
ann Adams NORTH
    2026-01-01 charge 100.00 due 2026-01-31
bob Brown NORTH
    2025-11-01 charge 300.00 due 2025-11-15
    2025-12-01 payment 325.00 guarantor
cy Clark NORTH
    2026-02-20 charge 50.00 due 2026-03-15
dee Dunn SOUTH
    2025-11-01 charge 200.00 due 2025-12-01
eve Evans SOUTH
    2025-11-01 charge 40.00 due 2025-12-01
    2025-12-10 payment 50.00 guarantor
"""


def test_a_credit_balance_is_its_own_figure_and_current_is_what_is_not_yet_due(db: Database) -> None:
    portfolios(db, "NORTH", "SOUTH")
    world(db, ACCOUNTS)
    report = portfolio_report(db, d("2026-03-01"))
    figures = {p.code: (p.accounts, p.balance_cents, dict(p.aging), p.credit_cents, p.credit_accounts)
               for p in (*report.portfolios, report.total)}  # fmt: skip
    none = {"current": 0, "1-30": 0, "31-60": 0, "61-90": 0, "91-120": 0, "120+": 0}
    assert figures == {
        # cy's $50.00 is not due yet: current is $50.00, not $25.00 with Brown's $25.00 credit netted into it
        "NORTH": (3, 12_500, none | {"current": 5_000, "1-30": 10_000}, 2_500, 1),
        "SOUTH": (2, 19_000, none | {"61-90": 20_000}, 1_000, 1),
        "TOTAL": (5, 31_500, none | {"current": 5_000, "1-30": 10_000, "61-90": 20_000}, 3_500, 2),
    }
    for line in (*report.portfolios, report.total):  # the buckets less the credit are the balance
        assert sum(cents for _, cents in line.aging) - line.credit_cents == line.balance_cents
    assert report.as_dict()["total"]["credit_cents"] == 3_500
