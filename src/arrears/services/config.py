"""Collections Admin use cases: collectors, groups, users, letters, actions, series, entry policy, assignment.

The configuration is stored as one ``config_entity`` row per entity (kind, name, position, JSON body in the
document's form, see :mod:`arrears.services.config_document`). Every use case here:

1. loads the whole :class:`~arrears.domain.strategy.Strategy` in one unit of work,
2. builds the new whole strategy,
3. validates it (:func:`~arrears.domain.strategy.validate_strategy` with the portfolio codes of the
   ``portfolio`` table, plus letter template checks) and raises :class:`ValidationFailed` with every new
   problem before anything is written (problems the stored configuration already had are not blamed on
   this change),
4. writes only the entities that changed, with one :class:`AuditRow` each (actor, UTC time, kind, key,
   created/updated/deleted, before and after JSON), and commits once.

Deleting something in use is refused with :class:`InUse` listing its users ("action 'Call 1' is step 2 of
series 'Guarantor Letters'"). Changing a portfolio's assignment type deletes its assignment rules (seed 003):
without ``confirm=True`` it raises :class:`ConfirmationRequired` listing them.

:func:`export_document` and :func:`apply_document` move the whole configuration through YAML; applying is
atomic and idempotent (the same document twice changes nothing and writes no audit rows the second time).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from arrears.domain.errors import NotFound, Problem, ValidationFailed
from arrears.domain.model import ENTERPRISE
from arrears.domain.money import format_cents
from arrears.domain.strategy import (
    Action,
    AssignmentRule,
    AssignmentType,
    Collector,
    CollectorGroup,
    ConfigError,
    EntryPolicy,
    EntryRules,
    LetterTemplate,
    PortfolioCollections,
    Series,
    Strategy,
    TaskAssignment,
    User,
    usages,
)
from arrears.services.config_document import (
    ENTERPRISE_KEY,
    ENTERPRISE_RULES,
    ENTITY_KINDS,
    PORTFOLIO_COLLECTIONS,
    DocumentError,
    body_json,
    dump_strategy,
    entity_bodies,
    parse_document,
    rules_doc,
    strategy_from_bodies,
    strategy_problems,
)
from arrears.store.db import Database
from arrears.store.models import AuditRow, ConfigEntityRow, PortfolioRow
from arrears.store.uow import UnitOfWork

SYSTEM = "system"
"""The actor of changes made without a named person."""

Change = Literal["added", "changed", "removed"]

# -------------------------------------------------------------------------------------- results/errors


@dataclass(frozen=True, slots=True)
class EntityChange:
    """One entity added, changed or removed; ``fields`` are the document keys that changed."""

    kind: str
    key: str
    change: Change
    fields: tuple[str, ...] = ()

    def __str__(self) -> str:
        shown = f" ({', '.join(self.fields)})" if self.fields else ""
        return f"{self.change} {self.kind} '{self.key}'{shown}"


@dataclass(frozen=True, slots=True)
class ApplyResult:
    """What applying a document did (or would do, on a dry run), or every error that stopped it."""

    changes: tuple[EntityChange, ...] = ()
    errors: tuple[DocumentError, ...] = ()
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def applied(self) -> bool:
        """True when the changes were written (not a dry run, no errors)."""
        return self.ok and not self.dry_run

    @property
    def diff(self) -> dict[str, dict[Change, list[str]]]:
        """Entity kind → added / changed / removed keys (only kinds with a change)."""
        found: dict[str, dict[Change, list[str]]] = {}
        for change in self.changes:
            per = found.setdefault(change.kind, {"added": [], "changed": [], "removed": []})
            per[change.change].append(change.key)
        return found

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "dry_run": self.dry_run,
            "applied": self.applied,
            "changes": [
                {"kind": c.kind, "key": c.key, "change": c.change, "fields": list(c.fields)} for c in self.changes
            ],
            "errors": [{"file": e.file, "path": e.path, "rule": e.rule} for e in self.errors],
        }


class InUse(ValidationFailed):
    """A delete refused because other configuration uses the entity."""

    def __init__(self, kind: str, key: str, users: tuple[str, ...]) -> None:
        self.kind, self.key, self.users = kind, key, users
        super().__init__(Problem(f"{kind} '{key}'", f"is in use: {use}") for use in users)


class ConfirmationRequired(Exception):
    """Changing the assignment type would delete assignment rules; call again with ``confirm=True``."""

    def __init__(self, portfolio: str, new_type: AssignmentType, rules: tuple[AssignmentRule, ...]) -> None:
        self.portfolio, self.new_type, self.rules = portfolio, new_type, rules
        self.descriptions = tuple(describe_rule(rule) for rule in rules)
        count = len(rules)
        super().__init__(
            f"changing the assignment type of portfolio '{portfolio}' to {new_type.value} deletes its "
            f"{count} assignment rule{'s' if count != 1 else ''}: " + "; ".join(self.descriptions)
        )


def describe_rule(rule: AssignmentRule) -> str:
    """An assignment rule as the admin table shows it: ``A–H → ann (Call 1)``."""
    ends = [format_cents(end) if isinstance(end, int) else str(end) for end in (rule.from_, rule.to)]
    assignee = rule.collector or (f"group {rule.group}" if rule.group else "?")
    work = f" ({rule.default_work})" if rule.default_work else ""
    missed = " [missed plan only]" if rule.missed_plan_only else ""
    return f"{ends[0]}–{ends[1]} → {assignee}{work}{missed}"


# -------------------------------------------------------------------------------------- loading


def _rows(session: Session) -> dict[tuple[str, str], ConfigEntityRow]:
    rows = session.scalars(
        select(ConfigEntityRow).order_by(ConfigEntityRow.kind, ConfigEntityRow.position, ConfigEntityRow.name)
    )
    return {(row.kind, row.name): row for row in rows if row.kind in ENTITY_KINDS}


def _strategy(rows: Mapping[tuple[str, str], ConfigEntityRow]) -> Strategy:
    return strategy_from_bodies((kind, key, row.position, row.body) for (kind, key), row in rows.items())


def load_strategy(source: Session | Database) -> Strategy:
    """The stored configuration (ordered by kind and position); empty when nothing is configured."""
    if isinstance(source, Database):
        with source.session() as session:
            return _strategy(_rows(session))
    return _strategy(_rows(source))


def portfolio_codes(session: Session) -> set[str]:
    """The codes of the portfolios configuration may name (every portfolio but the enterprise root)."""
    return {code for code in session.scalars(select(PortfolioRow.code)) if code != ENTERPRISE}


# -------------------------------------------------------------------------------------- saving


def _now() -> datetime:
    return datetime.now(UTC)


def _fields(before: str, after: str) -> tuple[str, ...]:
    old, new = json.loads(before), json.loads(after)
    return tuple(key for key in dict.fromkeys([*old, *new]) if old.get(key) != new.get(key))


def _diff(
    stored: Mapping[tuple[str, str], ConfigEntityRow], new: Strategy
) -> tuple[dict[tuple[str, str], tuple[int, str]], list[EntityChange]]:
    bodies = entity_bodies(new)
    enterprise = (ENTERPRISE_RULES, ENTERPRISE_KEY)
    if enterprise not in stored and bodies[enterprise][1] == body_json(rules_doc(EntryRules())):
        del bodies[enterprise]  # nothing configured yet: do not store the defaults as a change
    changes: list[EntityChange] = []
    order = {kind: index for index, kind in enumerate(ENTITY_KINDS)}
    for (kind, key), (position, body) in sorted(bodies.items(), key=lambda item: (order[item[0][0]], item[1][0])):
        row = stored.get((kind, key))
        if row is None:
            changes.append(EntityChange(kind, key, "added"))
        elif row.body != body:
            changes.append(EntityChange(kind, key, "changed", _fields(row.body, body)))
        elif row.position != position:
            changes.append(EntityChange(kind, key, "changed", ("position",)))
    removed = [key for key in stored if key not in bodies]
    for kind, key in sorted(removed, key=lambda k: (order[k[0]], stored[k].position)):
        changes.append(EntityChange(kind, key, "removed"))
    return bodies, changes


_AUDIT_ACTION: Mapping[Change, str] = {"added": "created", "changed": "updated", "removed": "deleted"}


def _write(
    session: Session,
    stored: Mapping[tuple[str, str], ConfigEntityRow],
    bodies: Mapping[tuple[str, str], tuple[int, str]],
    changes: list[EntityChange],
    actor: str,
) -> None:
    """Write the changed entities and one audit row each."""
    now = _now()
    for change in changes:
        row = stored.get((change.kind, change.key))
        before = row.body if row is not None else None
        after = bodies[(change.kind, change.key)][1] if change.change != "removed" else None
        if change.change == "removed":
            assert row is not None
            session.delete(row)
        elif row is None:
            position, body = bodies[(change.kind, change.key)]
            session.add(
                ConfigEntityRow(
                    kind=change.kind, name=change.key, position=position, body=body, updated_at=now, updated_by=actor
                )
            )
        else:
            row.position, row.body = bodies[(change.kind, change.key)]
            row.updated_at, row.updated_by = now, actor
        session.add(
            AuditRow(
                at=now,
                actor=actor,
                entity=change.kind,
                entity_key=change.key,
                action=_AUDIT_ACTION[change.change],
                before=before,
                after=after,
            )
        )
    session.flush()


def _problems(errors: tuple[ConfigError, ...]) -> list[Problem]:
    return [Problem(error.path, error.rule) for error in errors]


def _commit(db: Database, change: Callable[[Strategy], Strategy], actor: str) -> tuple[EntityChange, ...]:
    """Load, change, validate, write the difference with audit rows, commit: one use case."""
    with UnitOfWork(db) as uow:
        session = uow.session
        stored = _rows(session)
        old = _strategy(stored)
        new = change(old)
        codes = portfolio_codes(session)
        before = set(strategy_problems(old, codes))
        new_problems = [p for p in strategy_problems(new, codes, previous=old) if p not in before]
        if new_problems:
            raise ValidationFailed(_problems(tuple(new_problems)))
        bodies, changes = _diff(stored, new)
        if changes:
            _write(session, stored, bodies, changes, actor)
            uow.commit()
        return tuple(changes)


# ------------------------------------------------------------------------------ collection entities


@dataclass(frozen=True, slots=True)
class _Section:
    attribute: str
    key: str
    label: str
    usage_kind: Any = None


_SECTIONS: Mapping[str, _Section] = {
    "collector": _Section("collectors", "code", "collector", "collector"),
    "group": _Section("groups", "code", "group", "group"),
    "user": _Section("users", "login", "user"),
    "letter": _Section("letters", "code", "letter", "letter"),
    "action": _Section("actions", "name", "action", "action"),
    "series": _Section("series", "name", "series", "series"),
}


def _section_items(section: _Section, items: tuple[Any, ...]) -> dict[str, Any]:
    return {section.attribute: items}


def _items(strategy: Strategy, kind: str) -> tuple[Any, ...]:
    return getattr(strategy, _SECTIONS[kind].attribute)  # type: ignore[no-any-return]


def _index(strategy: Strategy, kind: str, key: str) -> int:
    section = _SECTIONS[kind]
    for index, item in enumerate(_items(strategy, kind)):
        if getattr(item, section.key) == key:
            return index
    raise NotFound(f"no {section.label} '{key}'")


def _exists(strategy: Strategy, kind: str, key: str) -> bool:
    section = _SECTIONS[kind]
    return any(getattr(item, section.key) == key for item in _items(strategy, kind))


def _create(db: Database, kind: str, item: Any, actor: str) -> tuple[EntityChange, ...]:
    section = _SECTIONS[kind]
    key = getattr(item, section.key)

    def change(strategy: Strategy) -> Strategy:
        if _exists(strategy, kind, key):
            raise ValidationFailed([Problem(f"{section.attribute}[{key}]", f"{section.label} already exists")])
        return replace(strategy, **_section_items(section, (*_items(strategy, kind), item)))

    return _commit(db, change, actor)


def _update(db: Database, kind: str, key: str, item: Any, actor: str) -> tuple[EntityChange, ...]:
    section = _SECTIONS[kind]
    new_key = getattr(item, section.key)

    def change(strategy: Strategy) -> Strategy:
        index = _index(strategy, kind, key)
        if new_key != key and _exists(strategy, kind, new_key):
            raise ValidationFailed([Problem(f"{section.attribute}[{new_key}]", f"{section.label} already exists")])
        items = list(_items(strategy, kind))
        items[index] = item
        return replace(strategy, **_section_items(section, tuple(items)))

    return _commit(db, change, actor)


def _delete(db: Database, kind: str, key: str, actor: str) -> tuple[EntityChange, ...]:
    section = _SECTIONS[kind]

    def change(strategy: Strategy) -> Strategy:
        index = _index(strategy, kind, key)
        if section.usage_kind is not None:
            users = usages(strategy, section.usage_kind, key)
            if users:
                raise InUse(section.label, key, users)
        items = list(_items(strategy, kind))
        del items[index]
        return replace(strategy, **_section_items(section, tuple(items)))

    return _commit(db, change, actor)


def create_collector(db: Database, collector: Collector, actor: str = SYSTEM) -> tuple[EntityChange, ...]:
    """Add a collector."""
    return _create(db, "collector", collector, actor)


def update_collector(db: Database, code: str, collector: Collector, actor: str = SYSTEM) -> tuple[EntityChange, ...]:
    """Replace the collector ``code`` (a new code renames it; references must follow)."""
    return _update(db, "collector", code, collector, actor)


def delete_collector(db: Database, code: str, actor: str = SYSTEM) -> tuple[EntityChange, ...]:
    """Delete a collector no assignment uses."""
    return _delete(db, "collector", code, actor)


def create_group(db: Database, group: CollectorGroup, actor: str = SYSTEM) -> tuple[EntityChange, ...]:
    """Add a collector group."""
    return _create(db, "group", group, actor)


def update_group(db: Database, code: str, group: CollectorGroup, actor: str = SYSTEM) -> tuple[EntityChange, ...]:
    """Replace the collector group ``code``."""
    return _update(db, "group", code, group, actor)


def delete_group(db: Database, code: str, actor: str = SYSTEM) -> tuple[EntityChange, ...]:
    """Delete a group no collector or assignment rule uses."""
    return _delete(db, "group", code, actor)


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


def update_letter(db: Database, code: str, letter: LetterTemplate, actor: str = SYSTEM) -> tuple[EntityChange, ...]:
    """Replace the letter template ``code``."""
    return _update(db, "letter", code, letter, actor)


def delete_letter(db: Database, code: str, actor: str = SYSTEM) -> tuple[EntityChange, ...]:
    """Delete a letter template no action uses."""
    return _delete(db, "letter", code, actor)


def create_action(db: Database, action: Action, actor: str = SYSTEM) -> tuple[EntityChange, ...]:
    """Add an action (seed 000)."""
    return _create(db, "action", action, actor)


def update_action(db: Database, name: str, action: Action, actor: str = SYSTEM) -> tuple[EntityChange, ...]:
    """Replace the action ``name``."""
    return _update(db, "action", name, action, actor)


def delete_action(db: Database, name: str, actor: str = SYSTEM) -> tuple[EntityChange, ...]:
    """Delete an action nothing uses (series step, next action, final action, assignment)."""
    return _delete(db, "action", name, actor)


def create_series(db: Database, series: Series, actor: str = SYSTEM) -> tuple[EntityChange, ...]:
    """Add an action series (seed 001)."""
    return _create(db, "series", series, actor)


def update_series(db: Database, name: str, series: Series, actor: str = SYSTEM) -> tuple[EntityChange, ...]:
    """Replace the action series ``name``."""
    return _update(db, "series", name, series, actor)


def delete_series(db: Database, name: str, actor: str = SYSTEM) -> tuple[EntityChange, ...]:
    """Delete an action series no assignment uses."""
    return _delete(db, "series", name, actor)


# ---------------------------------------------------------------------------------- entry policy


def set_enterprise_rules(db: Database, rules: EntryRules, actor: str = SYSTEM) -> tuple[EntityChange, ...]:
    """Replace the enterprise entry rules (seed 003)."""

    def change(strategy: Strategy) -> Strategy:
        return replace(strategy, entry_policy=replace(strategy.entry_policy, enterprise=rules))

    return _commit(db, change, actor)


def _settings(strategy: Strategy, portfolio: str) -> PortfolioCollections:
    """The portfolio's settings; a portfolio never configured starts with collections not enabled."""
    return strategy.entry_policy.portfolio(portfolio) or PortfolioCollections(portfolio, collections_enabled=False)


def _with_settings(strategy: Strategy, settings: PortfolioCollections) -> Strategy:
    policy = strategy.entry_policy
    others = list(policy.portfolios)
    index = next((i for i, p in enumerate(others) if p.portfolio == settings.portfolio), None)
    if index is None:
        others.append(settings)
    else:
        others[index] = settings
    return replace(strategy, entry_policy=EntryPolicy(policy.enterprise, tuple(others)))


def _change_portfolio(
    db: Database, portfolio: str, edit: Callable[[Strategy, PortfolioCollections], PortfolioCollections], actor: str
) -> tuple[EntityChange, ...]:
    def change(strategy: Strategy) -> Strategy:
        return _with_settings(strategy, edit(strategy, _settings(strategy, portfolio)))

    return _commit(db, change, actor)


def set_portfolio_collections(
    db: Database,
    portfolio: str,
    *,
    collections_enabled: bool | None = None,
    override_enterprise: bool | None = None,
    rules: EntryRules | None = None,
    default_collector: str | None = None,
    default_action: str | None = None,
    actor: str = SYSTEM,
) -> tuple[EntityChange, ...]:
    """Change a portfolio's guarantor collections page; arguments left as None keep their value.

    Turning ``override_enterprise`` on without rules starts from a copy of the enterprise rules; turning it
    off drops the portfolio's rules (the page then shows the enterprise values, read-only).
    """

    def edit(strategy: Strategy, settings: PortfolioCollections) -> PortfolioCollections:
        if collections_enabled is not None:
            settings = replace(settings, collections_enabled=collections_enabled)
        if override_enterprise is True:
            kept = rules or settings.rules or strategy.entry_policy.enterprise
            settings = replace(settings, override_enterprise=True, rules=kept)
        elif override_enterprise is False:
            settings = replace(settings, override_enterprise=False, rules=rules)
        elif rules is not None:
            settings = replace(settings, rules=rules)
        assignment = settings.assignment
        if default_collector is not None:
            assignment = replace(assignment, default_collector=default_collector)
        if default_action is not None:
            assignment = replace(assignment, default_action=default_action)
        return replace(settings, assignment=assignment)

    return _change_portfolio(db, portfolio, edit, actor)


def remove_portfolio_collections(db: Database, portfolio: str, actor: str = SYSTEM) -> tuple[EntityChange, ...]:
    """Forget a portfolio's collections settings (it is then not enabled)."""

    def change(strategy: Strategy) -> Strategy:
        policy = strategy.entry_policy
        if policy.portfolio(portfolio) is None:
            raise NotFound(f"portfolio '{portfolio}' has no collections settings")
        kept = tuple(p for p in policy.portfolios if p.portfolio != portfolio)
        return replace(strategy, entry_policy=EntryPolicy(policy.enterprise, kept))

    return _commit(db, change, actor)


def _rule_index(settings: PortfolioCollections, number: int) -> int:
    if not 1 <= number <= len(settings.assignment.rules):
        raise NotFound(f"portfolio '{settings.portfolio}' has no assignment rule {number}")
    return number - 1


def add_assignment_rule(
    db: Database, portfolio: str, rule: AssignmentRule, actor: str = SYSTEM
) -> tuple[EntityChange, ...]:
    """Add a row to the portfolio's task assignment table (ranges may not overlap; from ≤ to)."""

    def edit(_: Strategy, settings: PortfolioCollections) -> PortfolioCollections:
        assignment = settings.assignment
        return replace(settings, assignment=replace(assignment, rules=(*assignment.rules, rule)))

    return _change_portfolio(db, portfolio, edit, actor)


def update_assignment_rule(
    db: Database, portfolio: str, number: int, rule: AssignmentRule, actor: str = SYSTEM
) -> tuple[EntityChange, ...]:
    """Replace assignment rule ``number`` (counting from 1, as the table shows)."""

    def edit(_: Strategy, settings: PortfolioCollections) -> PortfolioCollections:
        index = _rule_index(settings, number)
        rules = list(settings.assignment.rules)
        rules[index] = rule
        return replace(settings, assignment=replace(settings.assignment, rules=tuple(rules)))

    return _change_portfolio(db, portfolio, edit, actor)


def remove_assignment_rule(db: Database, portfolio: str, number: int, actor: str = SYSTEM) -> tuple[EntityChange, ...]:
    """Remove assignment rule ``number`` (counting from 1)."""

    def edit(_: Strategy, settings: PortfolioCollections) -> PortfolioCollections:
        index = _rule_index(settings, number)
        rules = list(settings.assignment.rules)
        del rules[index]
        return replace(settings, assignment=replace(settings.assignment, rules=tuple(rules)))

    return _change_portfolio(db, portfolio, edit, actor)


def assignment_rules(db: Database, portfolio: str) -> tuple[AssignmentRule, ...]:
    """The portfolio's assignment rules (empty when it has none)."""
    settings = load_strategy(db).entry_policy.portfolio(portfolio)
    return settings.assignment.rules if settings is not None else ()


def change_assignment_type(
    db: Database, portfolio: str, new_type: AssignmentType | str, confirm: bool = False, actor: str = SYSTEM
) -> tuple[AssignmentRule, ...]:
    """Change the portfolio's assignment type; its assignment rules are deleted (seed 003).

    Without ``confirm`` and with rules to delete, raises :class:`ConfirmationRequired` listing them and
    changes nothing. Returns the deleted rules (their deletion is in the audit row's before/after).
    """
    try:
        wanted = AssignmentType(new_type)
    except ValueError as error:
        choices = ", ".join(t.value for t in AssignmentType)
        raise ValidationFailed([Problem("assignment.type", f"must be one of {choices}", str(new_type))]) from error
    deleted: list[AssignmentRule] = []

    def edit(_: Strategy, settings: PortfolioCollections) -> PortfolioCollections:
        assignment, removed = settings.assignment.with_assignment_type(wanted)
        if removed and not confirm:
            raise ConfirmationRequired(portfolio, wanted, removed)
        deleted.extend(removed)
        return replace(settings, assignment=assignment)

    _change_portfolio(db, portfolio, edit, actor)
    return tuple(deleted)


@dataclass(frozen=True, slots=True)
class PortfolioLine:
    """A row of the Guarantor Collections tab's portfolio table (seed 003), with what its page shows."""

    portfolio: str
    name: str
    collections_enabled: Literal["Yes", "No"]
    assignment_level: Literal["Enterprise", "Portfolio"]
    rules: EntryRules
    """The portfolio's own rules when it overrides the enterprise, else the enterprise rules (read-only)."""
    assignment: TaskAssignment = field(default_factory=TaskAssignment)

    def as_dict(self) -> dict[str, Any]:
        a = self.assignment
        return {
            "portfolio": self.portfolio,
            "name": self.name,
            "collections_enabled": self.collections_enabled,
            "assignment_level": self.assignment_level,
            "rules": rules_doc(self.rules).model_dump(),
            "assignment": {
                "type": a.assignment_type.value,
                "default_collector": a.default_collector,
                "default_action": a.default_action,
                "rules": [describe_rule(rule) for rule in a.rules],
            },
        }


def portfolio_table(db: Database) -> list[PortfolioLine]:
    """Every portfolio: collections enabled Yes/No, assignment level Enterprise/Portfolio, its effective rules."""
    with db.session() as session:
        portfolios = [
            (code, name)
            for code, name in session.execute(select(PortfolioRow.code, PortfolioRow.name).order_by(PortfolioRow.code))
            if code != ENTERPRISE
        ]
        policy = _strategy(_rows(session)).entry_policy
    lines = []
    for code, name in portfolios:
        settings = policy.portfolio(code)
        own = settings is not None and settings.override_enterprise and settings.rules is not None
        lines.append(
            PortfolioLine(
                portfolio=code,
                name=name,
                collections_enabled="Yes" if policy.collections_enabled(code) else "No",
                assignment_level=policy.assignment_level(code),
                rules=settings.rules if own and settings is not None and settings.rules else policy.enterprise,
                assignment=settings.assignment if settings is not None else TaskAssignment(),
            )
        )
    return lines


# ------------------------------------------------------------------------------------------ YAML


def export_document(db: Database) -> str:
    """The whole configuration as a YAML document (deterministic: the same configuration, the same text)."""
    return dump_strategy(load_strategy(db))


def apply_document(
    db: Database, text: str, file_name: str = "<document>", dry_run: bool = False, actor: str = SYSTEM
) -> ApplyResult:
    """Validate the document as a whole and make it the configuration, atomically.

    On any error nothing is written and every error is returned. On a dry run the changes are computed and
    nothing is written. Entities absent from the document are removed.
    """
    with UnitOfWork(db) as uow:
        session = uow.session
        stored = _rows(session)
        old = _strategy(stored)
        parsed = parse_document(text, file_name, portfolio_codes(session), previous=old)
        if parsed.errors or parsed.strategy is None:
            return ApplyResult(errors=parsed.errors, dry_run=dry_run)
        bodies, changes = _diff(stored, parsed.strategy)
        if changes and not dry_run:
            _write(session, stored, bodies, changes, actor)
            uow.commit()
        return ApplyResult(changes=tuple(changes), dry_run=dry_run)


# ------------------------------------------------------------------------------------------ audit


def audit_log(db: Database, entity: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
    """The most recent configuration audit rows, newest first (before/after as document data)."""
    query = select(AuditRow).order_by(AuditRow.id.desc()).limit(limit)
    if entity:
        query = query.where(AuditRow.entity == entity)
    with db.session() as session:
        return [
            {
                "id": row.id,
                "at": row.at.isoformat(),
                "actor": row.actor,
                "entity": row.entity,
                "key": row.entity_key,
                "action": row.action,
                "before": json.loads(row.before) if row.before else None,
                "after": json.loads(row.after) if row.after else None,
            }
            for row in session.scalars(query)
        ]


__all__ = [
    "PORTFOLIO_COLLECTIONS",
    "SYSTEM",
    "ApplyResult",
    "ConfirmationRequired",
    "EntityChange",
    "InUse",
    "PortfolioLine",
    "add_assignment_rule",
    "apply_document",
    "assignment_rules",
    "audit_log",
    "change_assignment_type",
    "create_action",
    "create_collector",
    "create_group",
    "create_letter",
    "create_series",
    "create_user",
    "delete_action",
    "delete_collector",
    "delete_group",
    "delete_letter",
    "delete_series",
    "delete_user",
    "describe_rule",
    "export_document",
    "load_strategy",
    "portfolio_codes",
    "portfolio_table",
    "remove_assignment_rule",
    "remove_portfolio_collections",
    "set_enterprise_rules",
    "set_portfolio_collections",
    "update_action",
    "update_assignment_rule",
    "update_collector",
    "update_group",
    "update_letter",
    "update_series",
    "update_user",
]
