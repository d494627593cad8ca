"""The manager's dashboard: balances by aging bucket and portfolio on a day; over the 30 days to it, accounts
entering and resolving collections, letters, calls and fees, amounts collected, promises kept and compliance
holds, per day; and the pending work per collector over the 30 days from it. Everything is narrowed to the
viewer's portfolios."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from arrears.domain.cases import PENDING_ACTIVITY, ActivityStatus, CaseStatus
from arrears.domain.ledger import Kind
from arrears.domain.strategy import OPERATOR_KINDS, ActionKind
from arrears.services.promises import promise_report
from arrears.services.reports import BUCKETS, PortfolioReport, portfolio_report
from arrears.store import dashboard as store
from arrears.store.db import Database

PERIOD_DAYS = 30
"""The days a dashboard's history and its workload cover."""


@dataclass(frozen=True, slots=True)
class Series:
    """One figure per day of a period, for the chart of one thing."""

    name: str
    values: tuple[int, ...]

    @property
    def total(self) -> int:
        """The figure over the period."""
        return sum(self.values)


@dataclass(slots=True)
class Dashboard:
    """The dashboard of ``as_of``: ``days`` are the history's (the 30 days to ``as_of``), ``ahead`` the
    workload's (the 30 days from it)."""

    as_of: date
    aging: PortfolioReport
    days: tuple[date, ...]
    ahead: tuple[date, ...]
    flow: list[Series] = field(default_factory=list)
    """Accounts entering and resolving collections."""
    contacts: list[Series] = field(default_factory=list)
    """Letters queued, calls completed, fees posted."""
    collected: list[Series] = field(default_factory=list)
    """Payments less reversals, in cents, per portfolio."""
    workload: list[Series] = field(default_factory=list)
    """Pending calls and reviews per collector or group (what is overdue counts on the first day)."""
    holds: list[Series] = field(default_factory=list)
    """Outbound work the release gate held or deferred, per rule."""
    promises: list[dict[str, Any]] = field(default_factory=list)
    """Per portfolio: promises taken in the period, kept, broken, standing, the kept rate, amounts."""

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready view (the charts' data)."""
        def shown(series: list[Series]) -> list[dict[str, Any]]:
            return [{"name": s.name, "values": list(s.values), "total": s.total} for s in series]

        return {
            "as_of": self.as_of.isoformat(), "days": [d.isoformat() for d in self.days],
            "ahead": [d.isoformat() for d in self.ahead], "buckets": list(BUCKETS),
            "aging": [{"portfolio": p.code, "buckets": [p.bucket(b) for b in BUCKETS], "balance": p.balance_cents}
                      for p in self.aging.portfolios],
            "flow": shown(self.flow), "contacts": shown(self.contacts), "collected": shown(self.collected),
            "workload": shown(self.workload), "holds": shown(self.holds), "promises": self.promises,
        }  # fmt: skip


def _by_day(name: str, days: tuple[date, ...], rows: Iterable[tuple[date, str, int]]) -> Series:
    counts: Counter[date] = Counter()
    for day, _, value in rows:
        counts[day] += value
    return Series(name, tuple(counts[day] for day in days))


def _split(days: tuple[date, ...], rows: Iterable[tuple[date, str, int]]) -> list[Series]:
    """One series per name of the rows (a portfolio, a rule)."""
    grouped: dict[str, Counter[date]] = defaultdict(Counter)
    for day, name, value in rows:
        grouped[name][day] += value
    return [Series(name, tuple(counts[day] for day in days)) for name, counts in sorted(grouped.items())]


def dashboard(db: Database, as_of: date, portfolios: frozenset[str] | None = None) -> Dashboard:
    """The dashboard of ``as_of`` over the portfolios given (None: every one)."""
    first = as_of - timedelta(days=PERIOD_DAYS - 1)
    days = tuple(first + timedelta(days=n) for n in range(PERIOD_DAYS))
    ahead = tuple(as_of + timedelta(days=n) for n in range(PERIOD_DAYS))
    codes = sorted(portfolios) if portfolios is not None else None
    result = Dashboard(as_of, portfolio_report(db, as_of, codes), days, ahead)
    with db.engine.connect() as connection:
        result.flow = [
            _by_day("entered", days, store.entered_per_day(connection, first, as_of, portfolios)),
            _by_day("resolved", days, store.resolved_per_day(connection, first, as_of, portfolios,
                                                             CaseStatus.RESOLVED.value)),
        ]  # fmt: skip
        result.contacts = [
            _by_day("letters", days, store.letters_per_day(connection, first, as_of, portfolios)),
            _by_day("calls", days, store.done_per_day(connection, first, as_of, portfolios,
                                                      ActionKind.PHONE_CALL.value, ActivityStatus.DONE.value)),
            _by_day("fees", days, store.ledger_per_day(connection, first, as_of, portfolios,
                                                       [Kind.FEE.value, Kind.PENALTY.value], count=True)),
        ]  # fmt: skip
        paid = store.ledger_per_day(connection, first, as_of, portfolios, [Kind.PAYMENT.value])
        reversed_ = store.ledger_per_day(connection, first, as_of, portfolios, [Kind.REVERSAL.value])
        result.collected = _split(days, [*paid, *((d, p, -cents) for d, p, cents in reversed_)])
        result.holds = _split(days, store.holds_per_day(connection, first, as_of, portfolios))
        pending = store.workload(connection, ahead[-1], portfolios, {k.value for k in OPERATOR_KINDS},
                                 {s.value for s in PENDING_ACTIVITY})  # fmt: skip
    result.workload = _split(ahead, ((max(day, as_of), assignee, n) for assignee, day, n in pending))
    result.promises = [
        line.as_dict() for line in promise_report(db, first, as_of)
        if line.collector == "*" and (portfolios is None or line.portfolio in portfolios)
    ]
    return result
