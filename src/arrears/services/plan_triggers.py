"""The day's facts that run contact plans in the daily run: an account closed (plans marked run on close). The
close's key is part of every contact's key, so a rerun schedules nothing twice. A transaction of a type linked to
a plan runs its plan when it posts (:mod:`arrears.services.posting_effects`), not in the run."""

from __future__ import annotations

from datetime import date

from arrears.domain.engine import PlanRunRequested
from arrears.domain.strategy import Strategy
from arrears.store.contact_plans import accounts_closed_on
from arrears.store.db import Connection


def plan_triggers_today(
    connection: Connection, strategy: Strategy, first: int, last: int, as_of: date
) -> dict[int, list[PlanRunRequested]]:
    """The plan runs the facts of ``as_of`` ask for, by account (empty when no plan runs on close)."""
    on_close = [plan.code for plan in strategy.plans if plan.run_on_close]
    if not on_close:
        return {}
    return {
        account_id: [PlanRunRequested(f"close:{as_of.isoformat()}", code) for code in on_close]
        for account_id in accounts_closed_on(connection, first, last, as_of)
    }
