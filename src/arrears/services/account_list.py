"""What a manager asks of the account list: filters (in collections, collector, case status, balance, days
past due, a condition of the condition language), the collector, case status and days past due of each
account, and paging for large databases."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import Any

from arrears.batch.conditions import evaluate_frame
from arrears.domain.cases import OPEN_CASE, CaseStatus
from arrears.domain.conditions import ConditionError, account_condition
from arrears.domain.errors import Problem, ValidationFailed
from arrears.domain.ledger import days_past_due
from arrears.services.features import features_frame
from arrears.services.stored_strategy import load_strategy
from arrears.services.worklist import assignees_for
from arrears.store.accounts import account_listing, account_listing_count
from arrears.store.db import Database
from arrears.store.loading import highest_id, portfolio_id_by_code

MAX_PAGE = 10_000
"""The most accounts one page lists."""


@dataclass(frozen=True, slots=True)
class AccountFilter:
    """The criteria of an account list (each one given narrows it)."""

    portfolio: str | None = None
    in_collections: bool = False
    collector: str | None = None
    """A collector (with the groups they belong to) or a group: the accounts whose guarantor case it works."""
    status: str | None = None
    """A case status: internal, pending_external, held, resolved."""
    min_balance_cents: int | None = None
    dpd_over: int | None = None
    where: str | None = None
    """A condition of the condition language over the account's fields (as the daily run sees them)."""
    limit: int = 50
    offset: int = 0
    scope: frozenset[str] | None = None
    """The portfolios the viewer sees (None: every one); a portfolio outside it is refused as unknown."""


@dataclass(frozen=True, slots=True)
class AccountLine:
    """An account as listed: its guarantor's name, summary, and current guarantor case (status and collector,
    None when never in collections), with its days past due on the list's day."""

    external_id: str
    portfolio: str
    last_name: str
    first_name: str
    mode: str
    balance_cents: int
    oldest_unpaid_due: date | None
    last_payment_date: date | None
    case_status: str | None
    collector: str | None
    days_past_due: int

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready view."""
        return asdict(self)


@dataclass(frozen=True, slots=True)
class AccountPage:
    """One page of an account list and how many accounts the criteria select over every page."""

    rows: list[AccountLine]
    total: int


def _problems(db: Database, criteria: AccountFilter) -> list[Problem]:
    problems = []
    if criteria.status is not None and criteria.status not in {s.value for s in CaseStatus}:
        known = ", ".join(s.value for s in CaseStatus)
        problems.append(Problem("status", f"is not a case status (known: {known})", criteria.status))
    if criteria.dpd_over is not None and criteria.dpd_over < 0:
        problems.append(Problem("dpd-over", "must be 0 or more", str(criteria.dpd_over)))
    if not 1 <= criteria.limit <= MAX_PAGE:
        problems.append(Problem("limit", f"must be 1 to {MAX_PAGE:,}", str(criteria.limit)))
    if criteria.offset < 0:
        problems.append(Problem("offset", "must be 0 or more", str(criteria.offset)))
    with db.engine.connect() as connection:
        known = set(portfolio_id_by_code(connection))
        if criteria.scope is not None:
            known &= criteria.scope
        if criteria.portfolio is not None and criteria.portfolio not in known:
            problems.append(Problem("portfolio", "is not a portfolio", criteria.portfolio))
    return problems


def search_accounts(db: Database, criteria: AccountFilter, as_of: date) -> list[AccountLine]:
    """The accounts that meet every criterion, largest balance first, one page of them, each with its
    collector, case status and days past due on ``as_of``. An unknown portfolio, collector or status is
    refused (not an empty list); so is a condition that does not parse, with its position."""
    return account_page_of(db, criteria, as_of, count=False).rows


def account_page_of(db: Database, criteria: AccountFilter, as_of: date, *, count: bool = True) -> AccountPage:
    """:func:`search_accounts` with the number of accounts selected over every page (``count``; else -1)."""
    problems = _problems(db, criteria)
    strategy = load_strategy(db)
    assignees = None
    if criteria.collector is not None:
        unknown = strategy.assignee_problem(criteria.collector)
        if unknown is not None:
            problems.append(unknown)
        assignees = assignees_for(strategy, criteria.collector, None) if strategy.collector(criteria.collector) \
            else assignees_for(strategy, None, criteria.collector)  # fmt: skip
    condition = None
    if criteria.where is not None:
        try:
            condition = account_condition(criteria.where)
        except ConditionError as error:
            problems.append(Problem("where", str(error), criteria.where))
    if problems:
        raise ValidationFailed(problems)
    statuses = None
    if criteria.status is not None:
        statuses = {criteria.status}
    elif criteria.in_collections or assignees is not None:
        statuses = {s.value for s in OPEN_CASE}
    due_before = as_of - timedelta(days=criteria.dpd_over) if criteria.dpd_over is not None else None
    with db.engine.connect() as connection:
        options: dict[str, Any] = {
            "portfolio": criteria.portfolio, "assignees": assignees, "case_statuses": statuses,
            "min_balance_cents": criteria.min_balance_cents, "oldest_due_before": due_before,
            "portfolios": criteria.scope,
        }  # fmt: skip
        if condition is None:
            rows = account_listing(connection, **options, limit=criteria.limit, offset=criteria.offset)
            total = account_listing_count(connection, **options) if count else -1
        else:
            frame = features_frame(connection, strategy, as_of, 0, highest_id(connection, "account"), None,
                                   details=True, assignment=False)  # fmt: skip
            matching = set(frame.filter(evaluate_frame(condition, frame)).get_column("external_id").to_list())
            rows = [row for row in account_listing(connection, **options) if row["external_id"] in matching]
            total = len(rows)
            rows = rows[criteria.offset : criteria.offset + criteria.limit]
    lines = [AccountLine(**row, days_past_due=days_past_due(row["oldest_unpaid_due"], as_of)) for row in rows]
    return AccountPage(lines, total)
