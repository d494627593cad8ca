"""The features read's columns: what each one holds and its SQL, with no frame library.

:mod:`arrears.store.features` reads them as Polars frames for the run; :mod:`arrears.store.account_features`
reads one account's row as Python values (``explain``). Both build their query with :func:`select_sql`, so the
two read the same facts.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, timedelta
from typing import Final, Literal

ColumnKind = Literal["int", "text", "date", "bool"]
"""How a column's values are held: whole numbers and cents, text, dates, flags."""

CORE_KINDS: Final[dict[str, ColumnKind]] = {
    "account_id": "int",
    "portfolio_id": "int",
    "mode": "text",
    "guarantor_last_name": "text",
    "balance": "int",
    "oldest_unpaid_due_date": "date",
    "on_payment_plan": "bool",
    "plan_next_unpaid_due": "date",
    "plan_grace_days": "int",
    "insurance_balance": "int",
    "oldest_open_claim_billed": "date",
    "g_status": "text",
    "i_status": "text",
}
"""What the vectorized rules read for every account: the summary, the guarantor's name, the case states."""

DETAIL_KINDS: Final[dict[str, ColumnKind]] = {
    "account_id": "int",
    "external_id": "text",
    "status_code": "text",
    "statement_hold": "bool",
    "guarantor_first_name": "text",
    "guarantor_state": "text",
    "time_zone": "text",
    "deceased": "bool",
    "bankruptcy": "bool",
    "attorney_represented": "bool",
    "cease_communication": "bool",
    "disputed": "bool",
    "do_not_call": "bool",
    "last_payment_date": "date",
    "last_payment_amount": "int",
    "open_claim_count": "int",
    "g_episode": "int",
    "g_entered_on": "date",
    "g_assignee": "text",
    "g_work": "text",
    "g_hold_reason": "text",
    "i_episode": "int",
    "i_entered_on": "date",
    "i_assignee": "text",
    "i_work": "text",
}
"""The rest of the account's facts: read for the accounts the run decides (and for explain), and for every
account when a configured condition reads one of them."""

EXPRESSIONS: Final[dict[str, str]] = {
    "account_id": "a.id",
    "portfolio_id": "a.portfolio_id",
    "mode": "a.mode",
    "guarantor_last_name": "g.last_name",
    "balance": "s.balance_cents",
    "oldest_unpaid_due_date": "s.oldest_unpaid_due",
    "on_payment_plan": "s.on_payment_plan",
    "plan_next_unpaid_due": "s.plan_next_unpaid_due",
    "plan_grace_days": "s.plan_grace_days",
    "insurance_balance": "s.insurance_balance_cents",
    "oldest_open_claim_billed": "s.oldest_open_claim_billed",
    "g_status": "cg.status",
    "i_status": "ci.status",
    "external_id": "a.external_id",
    "status_code": "a.status_code",
    "statement_hold": "a.statement_hold",
    "guarantor_first_name": "g.first_name",
    "guarantor_state": "g.state",
    "time_zone": "g.time_zone",
    "deceased": "g.deceased",
    "bankruptcy": "g.bankruptcy",
    "attorney_represented": "g.attorney_represented",
    "cease_communication": "g.cease_communication",
    "disputed": "g.dispute_date IS NOT NULL",
    "do_not_call": "g.do_not_call",
    "last_payment_date": "s.last_payment_date",
    "last_payment_amount": "s.last_payment_cents",
    "open_claim_count": "s.open_claim_count",
    "g_episode": "cg.episode",
    "g_entered_on": "cg.entered_on",
    "g_assignee": "cg.assignee",
    "g_work": "cg.work",
    "g_hold_reason": "cg.hold_reason",
    "i_episode": "ci.episode",
    "i_entered_on": "ci.entered_on",
    "i_assignee": "ci.assignee",
    "i_work": "ci.work",
}
"""The SQL of every column of :data:`CORE_KINDS` and :data:`DETAIL_KINDS` (the same on both databases: the
drivers type dates and flags themselves)."""

PAYMENT_KINDS: Final[dict[str, ColumnKind]] = {"account_id": "int", "posted": "date", "amount": "int"}
"""The columns of :func:`recent_payments_sql`."""


def select_sql(columns: Collection[str], cases_within: tuple[int, int] | None = None) -> str:
    """The features read of ``columns`` (names of :data:`EXPRESSIONS`), without its WHERE clause; with
    ``cases_within`` (first, last) the case joins bounded by that range of account ids too.

    The planner does not carry a bound on the account through a join's equality: unbounded, PostgreSQL hashes
    every current case for each chunk or batch, a cost that grows with the database. (The summary, an inner
    join, is bounded in the WHERE clause of a range read.)"""
    within = "" if cases_within is None else f" BETWEEN {int(cases_within[0])} AND {int(cases_within[1])}"

    def bounded(alias: str) -> str:
        return f" AND {alias}.account_id{within}" if within else ""

    return f"""
SELECT {", ".join(f"{EXPRESSIONS[name]} AS {name}" for name in columns)}
FROM account a
JOIN party g ON g.id = a.guarantor_id
JOIN account_summary s ON s.account_id = a.id
LEFT JOIN collections_case cg ON cg.account_id = a.id AND cg.track = 'guarantor' AND cg.is_current{bounded("cg")}
LEFT JOIN collections_case ci ON ci.account_id = a.id AND ci.track = 'insurance' AND ci.is_current{bounded("ci")}"""


def recent_payments_sql(first: int, last: int, as_of: date, days: int) -> str:
    """Standing guarantor payments (:data:`PAYMENT_KINDS`) posted in the last ``days`` days to ``as_of`` by
    the accounts with ids in [first, last]: not reversed by that day."""
    start = as_of - timedelta(days=days)
    return f"""
SELECT l.account_id, l.posted_date AS posted, l.amount_cents AS amount
FROM ledger_line l
WHERE l.kind = 'payment' AND l.source = 'guarantor'
  AND l.posted_date > '{start.isoformat()}' AND l.posted_date <= '{as_of.isoformat()}'
  AND l.account_id BETWEEN {int(first)} AND {int(last)}
  AND NOT EXISTS (SELECT 1 FROM ledger_line r WHERE r.reverses_id = l.id AND r.posted_date <= '{as_of.isoformat()}')
"""
