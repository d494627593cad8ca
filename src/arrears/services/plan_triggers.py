"""The day's facts that run contact plans in the daily run: a transaction of a type linked to a plan posted
(payments included), and an account closed (plans marked run on close). Each fact runs its plan once: the
fact's key (the ledger line, the close) is part of every contact's key, so a rerun schedules nothing twice."""

from __future__ import annotations

from datetime import date

from arrears.domain.engine import PlanRunRequested
from arrears.domain.strategy import Strategy
from arrears.store.contact_plans import plan_facts_today
from arrears.store.db import Connection


def plan_triggers_today(
    connection: Connection, strategy: Strategy, first: int, last: int, as_of: date
) -> dict[int, list[PlanRunRequested]]:
    """The plan runs the facts of ``as_of`` ask for, by account (empty when no transaction type or plan is
    linked to a fact)."""
    by_kind = strategy.transaction_plans()
    on_close = [plan.code for plan in strategy.plans if plan.run_on_close]
    if not by_kind and not on_close:
        return {}
    lines, closed = plan_facts_today(connection, first, last, as_of, by_kind, bool(on_close))
    found: dict[int, list[PlanRunRequested]] = {}
    for account_id, line_id, kind in lines:
        found.setdefault(account_id, []).append(PlanRunRequested(f"line:{line_id}", by_kind[kind]))
    for account_id in closed:
        runs = [PlanRunRequested(f"close:{as_of.isoformat()}", code) for code in on_close]
        found.setdefault(account_id, []).extend(runs)
    return found
