"""The one path every change of the stored configuration goes through, and what it answers with.

The configuration is stored as one ``config_entity`` row per entity (kind, name, position, JSON body in the
document's form, see :mod:`arrears.services.config_document`). Every change (:func:`change_configuration`,
and :func:`apply_document` for a whole YAML document):

1. takes the configuration lock and loads the whole :class:`~arrears.domain.strategy.Strategy` in one unit
   of work,
2. builds the new whole strategy,
3. validates it (:func:`~arrears.domain.strategy.validate_strategy` with the portfolio codes of the
   ``portfolio`` table, the lengths of the columns values are stored in, the largest amount, letter template
   checks) and raises :class:`ValidationFailed` with every new problem before anything is written (problems
   the stored configuration already had are not blamed on this change),
4. refuses to remove (or rename) an action, series, collector, group or letter that collections work still
   uses — pending activities, open cases, queued letters — unless it is told what to do with that work
   (:class:`~arrears.services.config_document.Migration`: move it to another one, or cancel it),
5. writes only the entities that changed, with one :class:`AuditRow` each (actor, UTC time, kind, key,
   created/updated/deleted, before and after JSON), moves or cancels the work (one audit row per activity,
   case or letter), records a new numbered configuration version with the whole document, and commits once.

Deleting something other configuration uses is refused with :class:`InUse` listing its users ("action
'Call 1' is step 2 of series 'Guarantor Letters'"); something collections work uses, with :class:`WorkInUse`.
Applying a document that removes entities deletes them: without confirmation that raises
:class:`RemovalsNeedConfirmation` (a :class:`ConfirmationRequired`) listing what would be deleted. Applying is
atomic and idempotent (the same document twice changes nothing, writes no audit rows and no version the
second time).

The use cases built on this path live by job: :mod:`arrears.services.config_entities` (create, update, delete
of collectors, groups, users, letters, actions, series, schemes, plans, transaction types),
:mod:`arrears.services.config_rules` (entry policy, compliance settings, portfolio collections, assignment
rules), :mod:`arrears.services.config_items` (plan events, credit rating, promise settings) and
:mod:`arrears.services.config_versions` (export, versions and their differences, the audit log).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

from arrears.domain.errors import Problem, ValidationFailed
from arrears.domain.model import ENTERPRISE
from arrears.domain.strategy import OPERATOR_KINDS, ActionKind, ConfigError, EntryRules, FinalAction, Series, Strategy
from arrears.services.config_document import (
    COMPLIANCE,
    CREDIT_RATING,
    ENTERPRISE_KEY,
    ENTERPRISE_RULES,
    ENTITY_KINDS,
    PORTFOLIO_COLLECTIONS,
    PORTFOLIO_COMPLIANCE,
    PROMISES,
    DocumentError,
    Migration,
    MigrationKind,
    body_json,
    column_limit,
    dump_strategy,
    entity_bodies,
    parse_document,
    rules_doc,
    shorten,
    strategy_from_bodies,
    strategy_problems,
)
from arrears.store import config_repo, milestone_accounts, tables
from arrears.store.audit import current_request_id
from arrears.store.config_repo import PendingActivity, UsedAs, WorkUse
from arrears.store.db import Connection, Database
from arrears.store.models import AuditRow, ConfigEntityRow
from arrears.store.portfolios import portfolio_names
from arrears.store.uow import UnitOfWork

if TYPE_CHECKING:
    from arrears.store.db import Session

SYSTEM = "system"
"""The actor of changes made without a named person."""
ACTOR_LIMIT = column_limit(tables.audit.c.actor, tables.config_entity.c.updated_by, tables.config_version.c.actor)

Change = Literal["added", "changed", "removed"]

# -------------------------------------------------------------------------------------- results/errors

_MISSING: Any = object()


def _shown(value: Any) -> str:
    """A document value in a diff line: JSON, long text cut with its length, absent as ``(none)``."""
    if value is _MISSING:
        return "(none)"
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else f"{text[:56]}…\" ({len(text):,} characters)"


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One value of the document that changes: its path, before and after (document values)."""

    path: str
    before: Any
    after: Any

    def __str__(self) -> str:
        return f"{shorten(self.path)}: {_shown(self.before)} → {_shown(self.after)}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "before": None if self.before is _MISSING else self.before,
            "after": None if self.after is _MISSING else self.after,
        }


@dataclass(frozen=True, slots=True)
class EntityChange:
    """One entity added, changed or removed; ``fields`` are the document keys that changed, ``details`` every
    value with its before and after."""

    kind: str
    key: str
    change: Change
    fields: tuple[str, ...] = ()
    details: tuple[FieldChange, ...] = ()

    @property
    def path(self) -> str:
        """The entity in the document: ``actions[Call 1]``, ``entry_policy.portfolios[FAMILY]``."""
        return entity_path(self.kind, self.key)

    def __str__(self) -> str:
        shown = f" ({', '.join(self.fields)})" if self.fields else ""
        return shorten(f"{self.change} {self.kind} '{self.key}'{shown}")


_SECTION_OF_KIND = {
    "collector": "collectors", "group": "groups", "user": "users", "letter": "letters", "action": "actions",
    "series": "series", "plan": "plans", "transaction_type": "transaction_types", "scheme": "schemes",
}  # fmt: skip


def entity_path(kind: str, key: str) -> str:
    """Where an entity is in the document."""
    if kind == ENTERPRISE_RULES:
        return "entry_policy.enterprise"
    if kind == PORTFOLIO_COLLECTIONS:
        return f"entry_policy.portfolios[{key}]"
    if kind == COMPLIANCE:
        return "compliance.enterprise"
    if kind == PORTFOLIO_COMPLIANCE:
        return f"compliance.portfolios[{key}]"
    if kind == CREDIT_RATING:
        return "credit_rating"
    if kind == PROMISES:
        return "promises"
    return f"{_SECTION_OF_KIND[kind]}[{key}]"


_LABEL: Mapping[MigrationKind, str] = {
    "action": "action", "series": "series", "collector": "collector", "group": "group", "letter": "letter",
}  # fmt: skip
_USED_AS: Mapping[MigrationKind, UsedAs] = {
    "action": "action", "series": "series", "collector": "assignee", "group": "assignee", "letter": "letter",
}  # fmt: skip


def _count(number: int, one: str, many: str) -> str:
    return f"{number:,} {one if number == 1 else many}"


def describe_use(kind: MigrationKind, name: str, use: WorkUse) -> str:
    """``action 'Call 2' is used by 12 pending activities and 3 open cases' work (accounts A-1, A-7, …)``."""
    parts = []
    if use.activities:
        parts.append(_count(use.activities, "pending activity", "pending activities"))
    if use.cases:
        parts.append(_count(use.cases, "open case", "open cases") + ("'" if kind in ("action", "series") else ""))
    if use.letters:
        parts.append(_count(use.letters, "queued letter", "queued letters"))
    accounts = ", ".join(use.accounts) + (", …" if use.more_accounts else "")
    roles = {"collector": "the assignee of", "group": "the assignee of", "letter": "the template of"}
    what = roles.get(kind, "used by")
    cases_work = " work" if use.cases and kind in ("action", "series") else ""
    return shorten(f"{_LABEL[kind]} '{name}' is {what} {' and '.join(parts)}{cases_work} (accounts {accounts})")


@dataclass(frozen=True, slots=True)
class MigrationOutcome:
    """The work a migration moves or cancels."""

    migration: Migration
    use: WorkUse

    def __str__(self) -> str:
        m = self.migration
        done = f"moved to '{m.move_to}'" if m.move_to is not None else "cancelled"
        return f"{describe_use(m.kind, m.name, self.use)}: {done}"


@dataclass(frozen=True, slots=True)
class ApplyResult:
    """What applying a document did (or would do, on a dry run), or every error that stopped it."""

    changes: tuple[EntityChange, ...] = ()
    errors: tuple[DocumentError, ...] = ()
    dry_run: bool = False
    migrations: tuple[MigrationOutcome, ...] = ()
    """The collections work moved or cancelled with the change."""
    version: int | None = None
    """The configuration version the change created (None: nothing written)."""

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def applied(self) -> bool:
        """True when the changes were written (not a dry run, no errors)."""
        return self.ok and not self.dry_run

    @property
    def removed(self) -> tuple[EntityChange, ...]:
        return tuple(change for change in self.changes if change.change == "removed")

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
            "version": self.version,
            "changes": [
                {
                    "kind": c.kind,
                    "key": c.key,
                    "change": c.change,
                    "fields": list(c.fields),
                    "details": [d.as_dict() for d in c.details],
                }
                for c in self.changes
            ],
            "migrations": [str(outcome) for outcome in self.migrations],
            "errors": [{"file": e.file, "path": e.path, "rule": e.rule} for e in self.errors],
        }


class InUse(ValidationFailed):
    """A delete refused because other configuration uses the entity."""

    def __init__(self, kind: str, key: str, users: tuple[str, ...]) -> None:
        self.kind, self.key, self.users = kind, key, users
        super().__init__(Problem(f"{kind} '{key}'", f"is in use: {use}") for use in users)


class WorkInUse(ValidationFailed):
    """A removal or rename refused because collections work (pending activities, open cases, queued letters)
    uses the entity and nothing says what to do with that work."""

    def __init__(self, problems: Sequence[Problem], uses: Sequence[tuple[MigrationKind, str, WorkUse]]) -> None:
        self.uses = tuple(uses)
        super().__init__(problems)


class ConfirmationRequired(Exception):
    """A change that deletes configuration: nothing was changed; call again confirming it."""

    def __init__(self, message: str, descriptions: tuple[str, ...]) -> None:
        self.descriptions = descriptions
        super().__init__(message)


class RemovalsNeedConfirmation(ConfirmationRequired):
    """Applying the document removes entities; call again with ``confirm`` naming them (or True)."""

    def __init__(self, preview: ApplyResult) -> None:
        self.preview = preview
        self.removals = frozenset((change.kind, change.key) for change in preview.removed)
        descriptions = tuple(str(change) for change in preview.removed)
        count = len(descriptions)
        super().__init__(
            f"applying the document removes {count} entit{'y' if count == 1 else 'ies'}: " + "; ".join(descriptions),
            descriptions,
        )


# -------------------------------------------------------------------------------------- loading


def _rows(session: Session) -> dict[tuple[str, str], ConfigEntityRow]:
    return {(row.kind, row.name): row for row in config_repo.config_entities(session) if row.kind in ENTITY_KINDS}


def _strategy(rows: Mapping[tuple[str, str], ConfigEntityRow]) -> Strategy:
    return strategy_from_bodies((kind, key, row.position, row.body) for (kind, key), row in rows.items())


def portfolio_codes(session: Session) -> set[str]:
    """The codes of the portfolios configuration may name (every portfolio but the enterprise root)."""
    return {code for code, _ in portfolio_names(session) if code != ENTERPRISE}


# -------------------------------------------------------------------------------------- saving


def _now() -> datetime:
    return datetime.now(UTC)


def _fields(before: str, after: str) -> tuple[str, ...]:
    old, new = json.loads(before), json.loads(after)
    return tuple(key for key in dict.fromkeys([*old, *new]) if old.get(key) != new.get(key))


def _field_changes(path: str, before: Any, after: Any) -> Iterator[FieldChange]:
    """Every value that differs between two document values, with its path (list items counted from 1)."""
    if isinstance(before, dict) and isinstance(after, dict):
        for key in dict.fromkeys([*before, *after]):
            yield from _field_changes(f"{path}.{key}", before.get(key, _MISSING), after.get(key, _MISSING))
    elif (
        isinstance(before, list) and isinstance(after, list)
        and any(isinstance(item, dict) for item in (*before, *after))
    ):  # fmt: skip
        for index in range(max(len(before), len(after))):
            yield from _field_changes(
                f"{path}[{index + 1}]",
                before[index] if index < len(before) else _MISSING,
                after[index] if index < len(after) else _MISSING,
            )
    elif before != after:
        yield FieldChange(path, before, after)


Bodies = Mapping[tuple[str, str], tuple[int, str]]
"""(kind, key) → (position, JSON body): the stored form of every entity."""


def compare_bodies(old: Bodies, new: Bodies) -> list[EntityChange]:
    """The entities added, changed (with every value that changed) and removed from ``old`` to ``new``."""
    changes: list[EntityChange] = []
    order = {kind: index for index, kind in enumerate(ENTITY_KINDS)}
    old_rank, new_rank = _ranks_among_kept(old, new), _ranks_among_kept(new, old)
    for (kind, key), (position, body) in sorted(new.items(), key=lambda item: (order[item[0][0]], item[1][0])):
        previous = old.get((kind, key))
        if previous is None:
            changes.append(EntityChange(kind, key, "added"))
            continue
        details = list(_field_changes(entity_path(kind, key), json.loads(previous[1]), json.loads(body)))
        # An entity moved only when its place among the entities kept on both sides changed, not because one
        # was added or removed before it.
        if old_rank[(kind, key)] != new_rank[(kind, key)]:
            details.append(FieldChange(f"{entity_path(kind, key)}.position", previous[0] + 1, position + 1))
        if previous[1] != body:
            changes.append(EntityChange(kind, key, "changed", _fields(previous[1], body), tuple(details)))
        elif old_rank[(kind, key)] != new_rank[(kind, key)]:
            changes.append(EntityChange(kind, key, "changed", ("position",), tuple(details)))
    removed = [key for key in old if key not in new]
    for kind, key in sorted(removed, key=lambda k: (order[k[0]], old[k][0])):
        changes.append(EntityChange(kind, key, "removed"))
    return changes


def _ranks_among_kept(side: Bodies, other: Bodies) -> dict[tuple[str, str], int]:
    """Each entity of ``side`` also in ``other``: its place in its kind's list among those entities only."""
    kept = sorted((key for key in side if key in other), key=lambda key: (key[0], side[key][0]))
    ranks: dict[tuple[str, str], int] = {}
    seen: Counter[str] = Counter()
    for kind, key in kept:
        ranks[(kind, key)] = seen[kind]
        seen[kind] += 1
    return ranks


def _stored_bodies(stored: Mapping[tuple[str, str], ConfigEntityRow]) -> dict[tuple[str, str], tuple[int, str]]:
    return {key: (row.position, row.body) for key, row in stored.items()}


def _diff(
    stored: Mapping[tuple[str, str], ConfigEntityRow], new: Strategy
) -> tuple[dict[tuple[str, str], tuple[int, str]], list[EntityChange]]:
    bodies = entity_bodies(new)
    enterprise = (ENTERPRISE_RULES, ENTERPRISE_KEY)
    if enterprise not in stored and bodies[enterprise][1] == body_json(rules_doc(EntryRules())):
        del bodies[enterprise]  # nothing configured yet: do not store the defaults as a change
    return bodies, compare_bodies(_stored_bodies(stored), bodies)


_AUDIT_ACTION: Mapping[Change, str] = {"added": "created", "changed": "updated", "removed": "deleted"}


def _write(
    session: Session,
    stored: Mapping[tuple[str, str], ConfigEntityRow],
    bodies: Mapping[tuple[str, str], tuple[int, str]],
    changes: list[EntityChange],
    actor: str,
    now: datetime,
) -> None:
    """Write the changed entities and one audit row each."""
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
                request_id=current_request_id(),
            )
        )
    # Entities after one added or removed keep their body but take their new place in the list.
    for key, row in stored.items():
        if key in bodies and row.position != bodies[key][0]:
            row.position = bodies[key][0]
    session.flush()


def _problems(errors: Sequence[ConfigError]) -> list[Problem]:
    return [Problem(shorten(error.path), shorten(error.rule)) for error in errors]


def _check_actor(actor: str) -> None:
    length, column = ACTOR_LIMIT
    if not actor.strip() or len(actor) > length:
        rule = f"must be 1 to {length} characters (it is stored in {column}); it has {len(actor):,}"
        raise ValidationFailed([Problem("actor", rule)])


# ------------------------------------------------------------------------------ entity sections


@dataclass(frozen=True, slots=True)
class EntitySection:
    """Where a kind of named entity is in the strategy: its attribute, its key field, its label in messages
    and the kind :func:`~arrears.domain.strategy.usages` knows it by (None: nothing else refers to it)."""

    attribute: str
    key: str
    label: str
    usage_kind: Any = None


ENTITY_SECTIONS: Mapping[str, EntitySection] = {
    "collector": EntitySection("collectors", "code", "collector", "collector"),
    "group": EntitySection("groups", "code", "group", "group"),
    "user": EntitySection("users", "login", "user"),
    "letter": EntitySection("letters", "code", "letter", "letter"),
    "action": EntitySection("actions", "name", "action", "action"),
    "series": EntitySection("series", "name", "series", "series"),
    "plan": EntitySection("plans", "code", "plan", "plan"),
    "transaction_type": EntitySection("transaction_types", "code", "transaction type"),
    "scheme": EntitySection("schemes", "code", "scheme"),
}


def entities_of(strategy: Strategy, kind: str) -> tuple[Any, ...]:
    """The strategy's entities of ``kind`` (a key of :data:`ENTITY_SECTIONS`), in order."""
    return getattr(strategy, ENTITY_SECTIONS[kind].attribute)  # type: ignore[no-any-return]


def entity_exists(strategy: Strategy, kind: str, key: str) -> bool:
    """Whether the strategy has an entity of ``kind`` keyed ``key``."""
    section = ENTITY_SECTIONS[kind]
    return any(getattr(item, section.key) == key for item in entities_of(strategy, kind))


# ------------------------------------------------------------------------------ work that uses names

MIGRATABLE: frozenset[str] = frozenset(_LABEL)
"""The entity kinds collections work names: removing one of them needs a :class:`Migration` for that work."""


@dataclass(slots=True)
class _Move:
    """One migration, checked, with the rows it changes."""

    migration: Migration
    use: WorkUse
    activities: list[PendingActivity]
    activity_values: list[tuple[list[int], dict[str, object]]] = field(default_factory=list)
    """(activity ids, new values) groups of a move."""


@dataclass(slots=True)
class _Plan:
    moves: list[_Move] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)
    uses: list[tuple[MigrationKind, str, WorkUse]] = field(default_factory=list)

    @property
    def outcomes(self) -> tuple[MigrationOutcome, ...]:
        return tuple(MigrationOutcome(move.migration, move.use) for move in self.moves)


def _operator(kind: str) -> bool:
    return ActionKind(kind) in OPERATOR_KINDS


def _worked(activities: Sequence[PendingActivity]) -> list[PendingActivity]:
    """The activities released into a collector's worklist (operator work waiting for a person)."""
    return [activity for activity in activities if activity.in_worklist]


class _Checker:
    """Checks the migrations of one change against the old and new configuration and the stored work."""

    def __init__(self, connection: Connection, old: Strategy, new: Strategy, plan: _Plan) -> None:
        self.connection, self.old, self.new, self.plan = connection, old, new, plan

    def problem(self, migration: Migration, rule: str, at: str = ".move_to") -> None:
        self.plan.problems.append((f"{migration.path}{at}", rule))

    def action(self, move: _Move, target_name: str) -> None:
        migration, target = move.migration, self.new.action(target_name)
        if target is None:
            self.problem(migration, f"names an unknown action '{target_name}'")
            return
        if target.inactive:
            self.problem(migration, f"action '{target_name}' is inactive")
        source = self.old.action(migration.name)
        if source is not None and not target.collection_type.fits(source.collection_type):
            self.problem(
                migration,
                f"action '{target_name}' is {target.collection_type.label} work; '{migration.name}' was "
                f"{source.collection_type.label} work",
            )
        worked = _worked(move.activities)
        if worked and not _operator(target.kind.value):
            self.problem(
                migration,
                f"{_count(len(worked), 'activity', 'activities')} of '{migration.name}' wait in a collector's "
                f"worklist, but action '{target_name}' ({target.kind.value}) is not worklist work",
            )
        move.activity_values.append(
            ([a.id for a in move.activities], {"action": target.name, "kind": target.kind.value})
        )

    def series(self, move: _Move, target_name: str) -> None:
        migration, target = move.migration, self.new.series_named(target_name)
        if target is None:
            self.problem(migration, f"names an unknown series '{target_name}'")
            return
        if target.inactive:
            self.problem(migration, f"series '{target_name}' is inactive")
        source = self.old.series_named(migration.name)
        if source is not None and source.collection_type is not target.collection_type:
            self.problem(
                migration,
                f"series '{target_name}' is a {target.collection_type.label} series; '{migration.name}' was "
                f"{source.collection_type.label}",
            )
        steps = len(source.steps) if source is not None else 0
        groups: dict[tuple[int, str, str], list[PendingActivity]] = {}
        for activity in move.activities:
            step = activity.step or 0
            if not activity.action or (source is not None and step >= steps):  # the final action
                final = self._final(target)
                if final is None:
                    continue
                groups.setdefault((len(target.steps), *final), []).append(activity)
            elif step < len(target.steps):
                action = self.new.action(target.steps[step].action)
                if action is not None:
                    groups.setdefault((step, action.name, action.kind.value), []).append(activity)
            else:
                groups.setdefault((step, "", ""), []).append(activity)  # no such step: reported below
        for (step, action_name, kind), activities in groups.items():
            if not kind:
                self.problem(
                    migration,
                    f"{_count(len(activities), 'pending activity is', 'pending activities are')} at step "
                    f"{step + 1} of '{migration.name}', but series '{target_name}' has "
                    f"{_count(len(target.steps), 'step', 'steps')}",
                )
                continue
            worked = _worked(activities)
            if worked and not _operator(kind):
                self.problem(
                    migration,
                    f"{_count(len(worked), 'activity', 'activities')} of '{migration.name}' wait in a collector's "
                    f"worklist, but its step {step + 1} in series '{target_name}' is '{action_name}' ({kind}), "
                    "not worklist work",
                )
            values = {"series": target.name, "step": step, "action": action_name, "kind": kind}
            move.activity_values.append(([a.id for a in activities], values))

    def _final(self, series: Series) -> tuple[str, str] | None:
        """(action, kind) of the series' final activity: the referral to external collections has no action."""
        if series.final_action is FinalAction.EXTERNAL_COLLECTIONS:
            return "", ActionKind.EXTERNAL_REFERRAL.value
        custom = self.new.action(series.custom_action or "")
        return (custom.name, custom.kind.value) if custom is not None else None

    def assignee(self, move: _Move, target_name: str) -> None:
        migration = move.migration
        collector, group = self.new.collector(target_name), self.new.group(target_name)
        if collector is None and group is None:
            self.problem(migration, f"names an unknown collector or group '{target_name}'")
            return
        if collector is not None and not collector.active:
            self.problem(migration, f"collector '{target_name}' is not active")
        move.activity_values.append(([a.id for a in move.activities], {"assignee": target_name}))

    def letter(self, move: _Move, target_name: str) -> None:
        if self.new.letter(target_name) is None:
            self.problem(move.migration, f"names an unknown letter template '{target_name}'")

    def cancel(self, move: _Move) -> None:
        migration = move.migration
        if migration.kind in ("collector", "group") and move.use.cases:
            self.problem(
                migration,
                f"{_count(move.use.cases, 'open case is', 'open cases are')} assigned to '{migration.name}' and "
                "their next work would go to a code that no longer exists: move them (move_to)",
                at="",
            )


def _plan_event_work(
    connection: Connection, old: Strategy, new: Strategy, changes: Sequence[EntityChange]
) -> Iterator[tuple[str, str]]:
    """A pending contact a plan made is performed, when it falls due, by the event its origin names (the plan's
    code and the event's sequence number): a change that takes such an event away (with its plan, by a rename or a
    new sequence number) or gives its sequence number another type is refused while the contacts are pending."""
    for change in changes:
        before = old.plan(change.key) if change.kind == "plan" and change.change != "added" else None
        if before is None:
            continue
        after = new.plan(change.key) if change.change == "changed" else None
        for event in before.events:
            now = after.event(event.sequence) if after is not None else None
            if now is not None and now.type is event.type:
                continue
            use = config_repo.plan_event_work(connection, before.code, event.sequence)
            if not use.activities:
                continue
            what = "would be removed" if now is None else f"would become a {now.type.value} event"
            accounts = ", ".join(use.accounts) + (", …" if use.more_accounts else "")
            contacts = _count(use.activities, "pending contact", "pending contacts")
            yield (f"plans[{before.code}].events[{event.sequence}]",
                   f"event {event.sequence} ({event.type.value}) of plan '{before.code}' {what}, but the {contacts} "
                   f"it made (accounts {accounts}) are performed as that event when they fall due: keep the event "
                   "until they are done or deleted")  # fmt: skip


def _plan(
    connection: Connection,
    old: Strategy,
    new: Strategy,
    changes: Sequence[EntityChange],
    migrations: Sequence[Migration],
    unread: Collection[str] = frozenset(),
    *,
    document: bool,
) -> _Plan:
    """Check that the work of every removed action, series, collector, group or letter is moved or cancelled, and
    that no plan event with pending contacts is taken away."""
    plan = _Plan()
    given = {(m.kind, m.name): m for m in migrations}
    for migration in given.values():
        if entity_exists(new, migration.kind, migration.name):
            kept = f"{_LABEL[migration.kind]} '{migration.name}' is kept by this change"
            plan.problems.append((migration.path, f"{kept}: only the work of what a change removes or renames moves"))
    checker = _Checker(connection, old, new, plan)
    for change in changes:
        if change.change == "removed" and change.kind == "scheme":
            _scheme_in_use(connection, change, plan)
        if change.change != "removed" or change.kind not in MIGRATABLE or change.key in unread:
            continue
        kind: MigrationKind = change.kind  # type: ignore[assignment]
        use = config_repo.work_using(connection, _USED_AS[kind], change.key)
        if not use.any:
            continue
        wanted = given.get((kind, change.key))
        if wanted is None:
            plan.uses.append((kind, change.key, use))
            if document:
                path = Migration(kind, change.key).path
                hint = f"add {path} with move_to: <another {_LABEL[kind]}> or cancel: true"
            else:
                path = change.path
                hint = f"say where it moves (move_work_to=<another {_LABEL[kind]}>) or cancel it (cancel_work=True)"
            plan.problems.append((path, f"{describe_use(kind, change.key, use)}: {hint}"))
            continue
        move = _Move(wanted, use, config_repo.pending_activities(connection, _USED_AS[kind], change.key))
        plan.moves.append(move)
        if wanted.move_to is None:
            checker.cancel(move)
        elif kind == "action":
            checker.action(move, wanted.move_to)
        elif kind == "series":
            checker.series(move, wanted.move_to)
        elif kind == "letter":
            checker.letter(move, wanted.move_to)
        else:
            checker.assignee(move, wanted.move_to)
    plan.problems += _plan_event_work(connection, old, new, changes)
    return plan


def _scheme_in_use(connection: Connection, change: EntityChange, plan: _Plan) -> None:
    """A scheme is not removed (nor renamed) while accounts stand in it: they would leave it without a move in
    their history."""
    count, first = milestone_accounts.accounts_in_scheme(connection, change.key)
    if count:
        accounts = ", ".join(first) + (", …" if count > len(first) else "")
        standing = _count(count, "account stands", "accounts stand")
        rule = f"scheme '{change.key}' is in use: {standing} in it ({accounts}); make it inactive instead"
        plan.problems.append((change.path, rule))


def _audit(now: datetime, actor: str, entity: str, key: object, action: str, before: object, after: object) -> dict[
    str, object
]:
    return {
        "at": now, "actor": actor, "entity": entity, "entity_key": str(key), "action": action,
        "before": json.dumps(before, ensure_ascii=False), "after": json.dumps(after, ensure_ascii=False),
        "request_id": current_request_id(),
    }  # fmt: skip


def _migrate(connection: Connection, plan: _Plan, actor: str, now: datetime) -> None:
    """Move or cancel the work of every migration of ``plan``, with one audit row per activity, case, letter."""
    audit: list[dict[str, object]] = []
    for move in plan.moves:
        migration = move.migration
        used_as = _USED_AS[migration.kind]
        by_id = {activity.id: activity for activity in move.activities}
        if migration.kind == "letter":
            letters = config_repo.queued_letters(connection, migration.name)
            ids = [letter_id for letter_id, _ in letters]
            if migration.move_to is None:
                config_repo.update_letters(connection, ids, {"status": config_repo.CANCELLED})
                audit += [_audit(now, actor, "queued_letter", i, "cancelled", {"status": config_repo.QUEUED_LETTER},
                                 {"status": config_repo.CANCELLED}) for i in ids]  # fmt: skip
            else:
                config_repo.update_letters(connection, ids, {"template": migration.move_to})
                audit += [_audit(now, actor, "queued_letter", i, "moved", {"template": migration.name},
                                 {"template": migration.move_to}) for i in ids]  # fmt: skip
            continue
        if migration.move_to is None:
            config_repo.cancel_activities(connection, list(by_id), now.date())
            audit += [_audit(now, actor, "activity", i, "cancelled", {"status": activity.status},
                             {"status": config_repo.CANCELLED}) for i, activity in by_id.items()]  # fmt: skip
            continue
        for ids, values in move.activity_values:
            config_repo.update_activities(connection, ids, values)
            audit += [
                _audit(now, actor, "activity", i, "moved", {name: getattr(by_id[i], name) for name in values}, values)
                for i in ids
            ]
        cases = config_repo.open_cases(connection, used_as, migration.name)
        config_repo.move_cases(connection, used_as, migration.name, migration.move_to)
        column = "assignee" if used_as == "assignee" else "work"
        audit += [_audit(now, actor, "collections_case", case.key, "moved", {column: migration.name},
                         {column: migration.move_to}) for case in cases]  # fmt: skip
    config_repo.add_audit_rows(connection, audit)


# ----------------------------------------------------------------------------- a version, the change

SUMMARY_CHANGES = 20
"""How many changes a version's summary names before it says how many more there are."""


def _summary(source: str, changes: Sequence[EntityChange], outcomes: Sequence[MigrationOutcome]) -> str:
    """What a version changed, in a line: the changes (an entity that only moved in its list is counted, not
    named), then the work moved or cancelled."""
    moved = [change for change in changes if change.fields == ("position",)]
    listed = [change for change in changes if change.fields != ("position",)]
    named = [str(change) for change in listed[:SUMMARY_CHANGES]]
    if len(listed) > SUMMARY_CHANGES:
        named.append(f"… and {len(listed) - SUMMARY_CHANGES} more")
    if moved:
        named.append(f"{_count(len(moved), 'entity', 'entities')} reordered")
    named += [str(outcome) for outcome in outcomes]
    return (f"{source}: " if source else "") + "; ".join(named)


def _record_version(
    connection: Connection,
    stored: Mapping[tuple[str, str], ConfigEntityRow],
    old: Strategy,
    new: Strategy,
    summary: str,
    actor: str,
    now: datetime,
) -> int:
    """Record the new configuration as the next version; the first change of a configuration that was never
    versioned first records the configuration it replaces, so that every version can be shown and compared."""
    if stored and config_repo.current_version(connection) is None:
        config_repo.add_version(
            connection, at=now, actor=SYSTEM, summary="the configuration before versions were recorded",
            document=dump_strategy(old),
        )  # fmt: skip
    return config_repo.add_version(connection, at=now, actor=actor, summary=summary, document=dump_strategy(new))


def new_problems(session: Session, old: Strategy, new: Strategy) -> list[Problem]:
    """The problems of ``new`` that ``old`` did not have (those the stored configuration already had are not
    blamed on a change)."""
    codes = portfolio_codes(session)
    before = set(strategy_problems(old, codes))
    return _problems([p for p in strategy_problems(new, codes, previous=old) if p not in before])


def change_configuration(
    db: Database,
    change: Callable[[Strategy], Strategy],
    actor: str = SYSTEM,
    migrations: Sequence[Migration] = (),
) -> tuple[EntityChange, ...]:
    """Make ``change`` of the stored configuration as every use case does, in one transaction: lock, load,
    change, validate against the whole configuration, check the work it removes (``migrations`` say what to
    do with it), write the difference with one audit row per entity, move or cancel that work, record a new
    version, commit."""
    _check_actor(actor)
    with UnitOfWork(db) as uow:
        session = uow.session
        connection = session.connection()
        config_repo.lock_configuration(connection)
        stored = _rows(session)
        old = _strategy(stored)
        new = change(old)
        problems = new_problems(session, old, new)
        if problems:
            raise ValidationFailed(problems)
        bodies, changes = _diff(stored, new)
        plan = _plan(connection, old, new, changes, migrations, document=False)
        if plan.problems:
            raise WorkInUse([Problem(shorten(path), rule) for path, rule in plan.problems], plan.uses)
        if changes:
            now = _now()
            _write(session, stored, bodies, changes, actor, now)
            _migrate(connection, plan, actor, now)
            _record_version(connection, stored, old, new, _summary("", changes, plan.outcomes), actor, now)
            uow.commit()
        return tuple(changes)


# ------------------------------------------------------------------------------------------ YAML


def _confirmed(confirm: bool | Collection[tuple[str, str]], removals: Collection[tuple[str, str]]) -> bool:
    if isinstance(confirm, bool):
        return confirm
    return set(removals) <= set(confirm)


def apply_document(
    db: Database,
    text: str,
    file_name: str = "<document>",
    dry_run: bool = False,
    actor: str = SYSTEM,
    confirm: bool | Collection[tuple[str, str]] = False,
) -> ApplyResult:
    """Validate the document as a whole and make it the configuration, atomically, as a new version.

    On any error nothing is written and every error is returned: the document's own, and every removed (or
    renamed) action, series, collector, group or letter that collections work still uses without a
    ``migrations`` entry saying what to do with that work. On a dry run the changes are computed and nothing
    is written. Entities absent from the document are removed: unless ``confirm`` is True or names every
    removed ``(kind, key)``, that raises :class:`RemovalsNeedConfirmation` (with the would-be result) and
    nothing is written.
    """
    _check_actor(actor)
    with UnitOfWork(db) as uow:
        session = uow.session
        connection = session.connection()
        if not dry_run:
            config_repo.lock_configuration(connection)
        stored = _rows(session)
        old = _strategy(stored)
        parsed = parse_document(text, file_name, portfolio_codes(session), previous=old)
        if parsed.strategy is None:
            return ApplyResult(errors=parsed.errors, dry_run=dry_run)
        bodies, changes = _diff(stored, parsed.strategy)
        plan = _plan(connection, old, parsed.strategy, changes, parsed.migrations, parsed.unread, document=True)
        errors = (*parsed.errors, *(DocumentError(file_name, shorten(path), rule) for path, rule in plan.problems))
        if errors:
            return ApplyResult(errors=tuple(errors), dry_run=dry_run)
        result = ApplyResult(changes=tuple(changes), dry_run=dry_run, migrations=plan.outcomes)
        if dry_run or not changes:
            return result
        if result.removed and not _confirmed(confirm, {(c.kind, c.key) for c in result.removed}):
            raise RemovalsNeedConfirmation(replace(result, dry_run=True))
        now = _now()
        _write(session, stored, bodies, changes, actor, now)
        _migrate(connection, plan, actor, now)
        summary = _summary(f"apply {file_name}", changes, plan.outcomes)
        version = _record_version(connection, stored, old, parsed.strategy, summary, actor, now)
        uow.commit()
        return replace(result, version=version)
