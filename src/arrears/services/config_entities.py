"""Collections Admin use cases, one entity at a time: create, update and delete collectors, groups, users,
letters, actions, series, schemes, contact plans and transaction types, and check a plan before it is saved.

Each is a change of the stored configuration through :func:`arrears.services.config.change_configuration`
(validated against the whole configuration, audited, a new version). Deleting something other configuration
uses is refused with :class:`~arrears.services.config.InUse`; removing or renaming something collections work
uses, with :class:`~arrears.services.config.WorkInUse` unless ``move_work_to`` or ``cancel_work`` says what to
do with that work.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from arrears.domain.errors import NotFound, Problem, ValidationFailed
from arrears.domain.plans import Plan, TransactionType
from arrears.domain.strategy import Action, Collector, CollectorGroup, LetterTemplate, Series, Strategy, User, usages
from arrears.domain.strategy.schemes import Scheme
from arrears.services.config import (
    ENTITY_SECTIONS,
    MIGRATABLE,
    SYSTEM,
    EntityChange,
    EntitySection,
    InUse,
    change_configuration,
    entities_of,
    entity_exists,
    new_problems,
)
from arrears.services.config_document import Migration
from arrears.services.stored_strategy import load_strategy
from arrears.store.db import Database


def _section_items(section: EntitySection, items: tuple[Any, ...]) -> dict[str, Any]:
    return {section.attribute: items}


def _index(strategy: Strategy, kind: str, key: str) -> int:
    section = ENTITY_SECTIONS[kind]
    for index, item in enumerate(entities_of(strategy, kind)):
        if getattr(item, section.key) == key:
            return index
    raise NotFound(f"no {section.label} '{key}'")


def _adding(kind: str, item: Any) -> Callable[[Strategy], Strategy]:
    """The change that adds ``item`` (refused when its key is taken)."""
    section = ENTITY_SECTIONS[kind]
    key = getattr(item, section.key)

    def change(strategy: Strategy) -> Strategy:
        if entity_exists(strategy, kind, key):
            raise ValidationFailed([Problem(f"{section.attribute}[{key}]", f"{section.label} already exists")])
        return replace(strategy, **_section_items(section, (*entities_of(strategy, kind), item)))

    return change


def _create(db: Database, kind: str, item: Any, actor: str) -> tuple[EntityChange, ...]:
    return change_configuration(db, _adding(kind, item), actor)


def _migration(kind: str, key: str, move_work_to: str | None, cancel_work: bool) -> tuple[Migration, ...]:
    """What to do with the work of ``key`` if the change removes it (nothing said: refused if work uses it)."""
    if move_work_to is not None and cancel_work:
        path = f"{ENTITY_SECTIONS[kind].attribute}[{key}]"
        raise ValidationFailed([Problem(path, "move its work or cancel it, not both")])
    if kind not in MIGRATABLE or (move_work_to is None and not cancel_work):
        return ()
    return (Migration(kind, key, move_work_to),)  # type: ignore[arg-type]


def _update(
    db: Database, kind: str, key: str, item: Any, actor: str, move_work_to: str | None = None, cancel_work: bool = False
) -> tuple[EntityChange, ...]:
    migrations = _migration(kind, key, move_work_to, cancel_work)
    return change_configuration(db, _replacing(kind, key, item), actor, migrations)


def _replacing(kind: str, key: str, item: Any) -> Callable[[Strategy], Strategy]:
    """The change that puts ``item`` in the place of ``key`` (refused when its new key is another's)."""
    section = ENTITY_SECTIONS[kind]
    new_key = getattr(item, section.key)

    def change(strategy: Strategy) -> Strategy:
        index = _index(strategy, kind, key)
        if new_key != key and entity_exists(strategy, kind, new_key):
            raise ValidationFailed([Problem(f"{section.attribute}[{new_key}]", f"{section.label} already exists")])
        items = list(entities_of(strategy, kind))
        items[index] = item
        return replace(strategy, **_section_items(section, tuple(items)))

    return change


def _delete(
    db: Database, kind: str, key: str, actor: str, move_work_to: str | None = None, cancel_work: bool = False
) -> tuple[EntityChange, ...]:
    section = ENTITY_SECTIONS[kind]

    def change(strategy: Strategy) -> Strategy:
        index = _index(strategy, kind, key)
        items = list(entities_of(strategy, kind))
        del items[index]
        remaining = replace(strategy, **_section_items(section, tuple(items)))
        if section.usage_kind is not None:
            # what else uses it: a plan that runs itself again next month does not keep itself from removal
            users = usages(remaining, section.usage_kind, key)
            if users:
                raise InUse(section.label, key, users)
        return remaining

    return change_configuration(db, change, actor, _migration(kind, key, move_work_to, cancel_work))


def create_collector(db: Database, collector: Collector, actor: str = SYSTEM) -> tuple[EntityChange, ...]:
    """Add a collector."""
    return _create(db, "collector", collector, actor)


def update_collector(
    db: Database, code: str, collector: Collector, actor: str = SYSTEM, *,
    move_work_to: str | None = None, cancel_work: bool = False,
) -> tuple[EntityChange, ...]:
    """Replace the collector ``code`` (a new code renames it; references must follow).

    A new key renames it: the work that names the old one (pending activities, open cases) moves to
    ``move_work_to`` or is cancelled with ``cancel_work``; without either such a rename is refused
    (:class:`WorkInUse`).
    """
    return _update(db, "collector", code, collector, actor, move_work_to, cancel_work)


def delete_collector(
    db: Database, code: str, actor: str = SYSTEM, *,
    move_work_to: str | None = None, cancel_work: bool = False,
) -> tuple[EntityChange, ...]:
    """Delete a collector no assignment uses.

    The work that still names it (pending activities, open cases) moves to ``move_work_to`` or is cancelled
    with ``cancel_work``; without either the delete is refused while such work exists (:class:`WorkInUse`).
    """
    return _delete(db, "collector", code, actor, move_work_to, cancel_work)


def create_group(db: Database, group: CollectorGroup, actor: str = SYSTEM) -> tuple[EntityChange, ...]:
    """Add a collector group."""
    return _create(db, "group", group, actor)


def update_group(
    db: Database, code: str, group: CollectorGroup, actor: str = SYSTEM, *,
    move_work_to: str | None = None, cancel_work: bool = False,
) -> tuple[EntityChange, ...]:
    """Replace the collector group ``code``.

    A new key renames it: the work that names the old one (pending activities, open cases) moves to
    ``move_work_to`` or is cancelled with ``cancel_work``; without either such a rename is refused
    (:class:`WorkInUse`).
    """
    return _update(db, "group", code, group, actor, move_work_to, cancel_work)


def delete_group(
    db: Database, code: str, actor: str = SYSTEM, *,
    move_work_to: str | None = None, cancel_work: bool = False,
) -> tuple[EntityChange, ...]:
    """Delete a group no collector or assignment rule uses.

    The work that still names it (pending activities, open cases) moves to ``move_work_to`` or is cancelled
    with ``cancel_work``; without either the delete is refused while such work exists (:class:`WorkInUse`).
    """
    return _delete(db, "group", code, actor, move_work_to, cancel_work)


def create_user(db: Database, user: User, actor: str = SYSTEM) -> tuple[EntityChange, ...]:
    """Add a user (user level 0–99)."""
    return _create(db, "user", user, actor)


def update_user(db: Database, login: str, user: User, actor: str = SYSTEM) -> tuple[EntityChange, ...]:
    """Replace the user ``login``."""
    return _update(db, "user", login, user, actor)


def delete_user(db: Database, login: str, actor: str = SYSTEM) -> tuple[EntityChange, ...]:
    """Delete a user."""
    return _delete(db, "user", login, actor)


def create_letter(db: Database, letter: LetterTemplate, actor: str = SYSTEM) -> tuple[EntityChange, ...]:
    """Add a letter template; its subject and body must be valid Jinja2 using known merge fields."""
    return _create(db, "letter", letter, actor)


def update_letter(
    db: Database, code: str, letter: LetterTemplate, actor: str = SYSTEM, *,
    move_work_to: str | None = None, cancel_work: bool = False,
) -> tuple[EntityChange, ...]:
    """Replace the letter template ``code``.

    A new key renames it: the work that names the old one (pending activities, open cases, queued letters) moves to
    ``move_work_to`` or is cancelled with ``cancel_work``; without either such a rename is refused
    (:class:`WorkInUse`).
    """
    return _update(db, "letter", code, letter, actor, move_work_to, cancel_work)


def delete_letter(
    db: Database, code: str, actor: str = SYSTEM, *,
    move_work_to: str | None = None, cancel_work: bool = False,
) -> tuple[EntityChange, ...]:
    """Delete a letter template no action uses.

    The work that still names it (queued letters) moves to ``move_work_to`` or is cancelled with
    ``cancel_work``; without either the delete is refused while such work exists (:class:`WorkInUse`).
    """
    return _delete(db, "letter", code, actor, move_work_to, cancel_work)


def create_action(db: Database, action: Action, actor: str = SYSTEM) -> tuple[EntityChange, ...]:
    """Add an action (seed 000)."""
    return _create(db, "action", action, actor)


def update_action(
    db: Database, name: str, action: Action, actor: str = SYSTEM, *,
    move_work_to: str | None = None, cancel_work: bool = False,
) -> tuple[EntityChange, ...]:
    """Replace the action ``name``.

    A new key renames it: the work that names the old one (pending activities, open cases) moves to
    ``move_work_to`` or is cancelled with ``cancel_work``; without either such a rename is refused
    (:class:`WorkInUse`).
    """
    return _update(db, "action", name, action, actor, move_work_to, cancel_work)


def delete_action(
    db: Database, name: str, actor: str = SYSTEM, *,
    move_work_to: str | None = None, cancel_work: bool = False,
) -> tuple[EntityChange, ...]:
    """Delete an action nothing uses (series step, next action, final action, assignment).

    The work that still names it (pending activities, open cases) moves to ``move_work_to`` or is cancelled
    with ``cancel_work``; without either the delete is refused while such work exists (:class:`WorkInUse`).
    """
    return _delete(db, "action", name, actor, move_work_to, cancel_work)


def create_series(db: Database, series: Series, actor: str = SYSTEM) -> tuple[EntityChange, ...]:
    """Add an action series (seed 001)."""
    return _create(db, "series", series, actor)


def update_series(
    db: Database, name: str, series: Series, actor: str = SYSTEM, *,
    move_work_to: str | None = None, cancel_work: bool = False,
) -> tuple[EntityChange, ...]:
    """Replace the action series ``name``.

    A new key renames it: the work that names the old one (pending activities, open cases) moves to
    ``move_work_to`` or is cancelled with ``cancel_work``; without either such a rename is refused
    (:class:`WorkInUse`).
    """
    return _update(db, "series", name, series, actor, move_work_to, cancel_work)


def delete_series(
    db: Database, name: str, actor: str = SYSTEM, *,
    move_work_to: str | None = None, cancel_work: bool = False,
) -> tuple[EntityChange, ...]:
    """Delete an action series no assignment uses.

    The work that still names it (pending activities, open cases) moves to ``move_work_to`` or is cancelled
    with ``cancel_work``; without either the delete is refused while such work exists (:class:`WorkInUse`).
    """
    return _delete(db, "series", name, actor, move_work_to, cancel_work)


def create_scheme(db: Database, scheme: Scheme, actor: str = SYSTEM) -> tuple[EntityChange, ...]:
    """Add a milestone scheme (seed 004)."""
    return _create(db, "scheme", scheme, actor)


def update_scheme(db: Database, code: str, scheme: Scheme, actor: str = SYSTEM) -> tuple[EntityChange, ...]:
    """Replace the milestone scheme ``code`` (a new code renames it: refused while accounts stand in it)."""
    return _update(db, "scheme", code, scheme, actor)


def delete_scheme(db: Database, code: str, actor: str = SYSTEM) -> tuple[EntityChange, ...]:
    """Delete a milestone scheme no account stands in (else refused, naming them: make it inactive instead)."""
    return _delete(db, "scheme", code, actor)


def create_plan(db: Database, plan: Plan, actor: str = SYSTEM) -> tuple[EntityChange, ...]:
    """Add a contact plan (seed 002) with its events."""
    return _create(db, "plan", plan, actor)


def update_plan(db: Database, code: str, plan: Plan, actor: str = SYSTEM) -> tuple[EntityChange, ...]:
    """Replace the contact plan ``code`` and its events (a new code renames it; what runs it must follow)."""
    return _update(db, "plan", code, plan, actor)


def delete_plan(db: Database, code: str, actor: str = SYSTEM) -> tuple[EntityChange, ...]:
    """Delete a contact plan nothing runs: no transaction type, run-plan action or other plan's event names it
    (refused with :class:`InUse` listing them)."""
    return _delete(db, "plan", code, actor)


def create_transaction_type(
    db: Database, transaction_type: TransactionType, actor: str = SYSTEM
) -> tuple[EntityChange, ...]:
    """Add a transaction type (what a ledger line of that code is, and the contact plan it runs)."""
    return _create(db, "transaction_type", transaction_type, actor)


def update_transaction_type(
    db: Database, code: str, transaction_type: TransactionType, actor: str = SYSTEM
) -> tuple[EntityChange, ...]:
    """Replace the transaction type ``code`` (a new code renames it)."""
    return _update(db, "transaction_type", code, transaction_type, actor)


def delete_transaction_type(db: Database, code: str, actor: str = SYSTEM) -> tuple[EntityChange, ...]:
    """Delete the transaction type ``code``."""
    return _delete(db, "transaction_type", code, actor)


def plan_problems(db: Database, plan: Plan, original: str | None = None) -> list[Problem]:
    """Every rule saving ``plan`` (a new one, or in the place of ``original``) would be refused with, checked
    against the whole configuration as :func:`create_plan` and :func:`update_plan` check it; nothing is
    written (a form checks one event before the plan is saved)."""
    change = _adding("plan", plan) if original is None else _replacing("plan", original, plan)
    with db.session() as session:
        old = load_strategy(session)
        try:
            new = change(old)
        except (ValidationFailed, NotFound) as refused:
            return list(refused.problems) if isinstance(refused, ValidationFailed) else [Problem("plans", str(refused))]
        return new_problems(session, old, new)
