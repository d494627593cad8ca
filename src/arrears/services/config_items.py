"""Configuration items written one at a time (the API's resources) besides the entities of
:mod:`arrears.services.config_entities`: the events of a contact plan, the credit rating, the promise settings.

Each is a change of the stored configuration through :func:`arrears.services.config.change_configuration`:
validated against the whole configuration as the document is, audited per entity, a new version.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from arrears.domain.errors import NotFound
from arrears.domain.plans import Plan, PlanEvent
from arrears.domain.promises import PromiseSettings
from arrears.domain.strategy import Strategy
from arrears.domain.strategy.schemes import CreditRating
from arrears.services.config import SYSTEM, EntityChange, change_configuration
from arrears.services.database import Database


def _plan_index(strategy: Strategy, code: str) -> int:
    for index, plan in enumerate(strategy.plans):
        if plan.code == code:
            return index
    raise NotFound(f"no contact plan '{code}'")


def _event_index(plan: Plan, sequence: int) -> int:
    for index, event in enumerate(plan.events):
        if event.sequence == sequence:
            return index
    raise NotFound(f"no event {sequence} in contact plan '{plan.code}'")


def _with_events(db: Database, code: str, actor: str, events: Callable[[Plan], tuple[PlanEvent, ...]]) -> tuple[
    EntityChange, ...
]:  # fmt: skip
    def change(strategy: Strategy) -> Strategy:
        index = _plan_index(strategy, code)
        plans = list(strategy.plans)
        plans[index] = replace(plans[index], events=events(plans[index]))
        return replace(strategy, plans=tuple(plans))

    return change_configuration(db, change, actor)


def add_plan_event(db: Database, code: str, event: PlanEvent, actor: str = SYSTEM) -> tuple[EntityChange, ...]:
    """Add an event to the contact plan ``code`` (its sequence number must be free in the plan)."""
    return _with_events(db, code, actor, lambda plan: (*plan.events, event))


def update_plan_event(
    db: Database, code: str, sequence: int, event: PlanEvent, actor: str = SYSTEM
) -> tuple[EntityChange, ...]:
    """Replace event ``sequence`` of the contact plan ``code`` (a new sequence number moves it)."""

    def events(plan: Plan) -> tuple[PlanEvent, ...]:
        changed = list(plan.events)
        changed[_event_index(plan, sequence)] = event
        return tuple(changed)

    return _with_events(db, code, actor, events)


def delete_plan_event(db: Database, code: str, sequence: int, actor: str = SYSTEM) -> tuple[EntityChange, ...]:
    """Delete event ``sequence`` of the contact plan ``code``."""

    def events(plan: Plan) -> tuple[PlanEvent, ...]:
        index = _event_index(plan, sequence)
        return plan.events[:index] + plan.events[index + 1 :]

    return _with_events(db, code, actor, events)


def set_credit_rating(db: Database, rating: CreditRating, actor: str = SYSTEM) -> tuple[EntityChange, ...]:
    """Replace the credit rating setup (levels, look-back); ``CreditRating()`` is the default one."""
    return change_configuration(db, lambda strategy: replace(strategy, credit_rating=rating), actor)


def set_promise_settings(db: Database, settings: PromiseSettings, actor: str = SYSTEM) -> tuple[EntityChange, ...]:
    """Replace the promise settings (grace, pausing series, the plan each outcome runs, portfolios' own);
    ``PromiseSettings()`` is the default."""
    return change_configuration(db, lambda strategy: replace(strategy, promises=settings), actor)
